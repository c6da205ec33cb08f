"""A folder as a package index: ``publish`` writes a static simple index that pip and uv install from.

The layout, as a static web server (or ``file://``) serves it::

    <folder>/simple/index.html, index.json                the projects (PEP 503 HTML, PEP 691 JSON)
    <folder>/simple/<project>/index.html, index.json      the files, with #sha256=, data-requires-python
                                                          and data-core-metadata (PEP 503, 691, 658, 714)
    <folder>/files/<file>, <file>.metadata                the files and their core metadata (PEP 658)

Every file is written to a temporary name beside its target and moved over it with ``os.replace``, the
file itself first and its project page last, so a crash at any point leaves the previous index whole
(at worst a file that no page lists yet, which a re-run writes again). The project's ``index.json`` is
what :mod:`.index` reads back (the same reader as for an index server), so it is written after the
HTML page: a file listed in the JSON is listed everywhere.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import threading
import urllib.parse
import uuid
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.names import distribution_of
from hatch_manta_release.publish.failures import Failure
from hatch_manta_release.publish.upload import UploadResult

if TYPE_CHECKING:
    from hatch_manta_release.dist.artifacts import Artifact

API_VERSION = "1.1"


class FolderConflict(MantaError):
    """A folder index (the built-in `local` repository, or one with `path` or a `file://`
    upload-url) already holds a file of this name with different content. Identical files are
    skipped; a folder index never replaces a file, as PyPI never does.

    Fix: never rebuild a published version: release a new one (a new tag, or a new commit for a
    development version). To start a rehearsal over, delete the folder (`dist/index` for `local`).
    """


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)  # os.replace: atomic on one file system
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def wheel_metadata(path: Path) -> bytes | None:
    """The ``METADATA`` of a wheel, byte for byte (what PEP 658 serves), or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            return zf.read(names[0]) if len(names) == 1 else None
    except (OSError, zipfile.BadZipFile):
        return None


def _requires_python(artifact: Artifact) -> str | None:
    from hatch_manta_release.dist.artifacts import read_metadata

    message = read_metadata(artifact)
    value = str(message.get("Requires-Python") or "").strip() if message is not None else ""
    return value or None


class FolderIndex:
    """One folder index; :meth:`add` puts a file in and rewrites its project's pages."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.simple = folder / "simple"
        self.files = folder / "files"
        self._lock = threading.Lock()

    def entries(self, project: str) -> dict[str, dict[str, Any]]:
        """The files the project's page lists (from its ``index.json``), by file name."""
        page = self.simple / canonicalize_name(project) / "index.json"
        try:
            data = json.loads(page.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {entry["filename"]: entry for entry in data.get("files", [])}

    def add(self, artifact: Artifact, project: str) -> None:
        """Copy ``artifact`` in (with its metadata) and list it; an identical file already listed is a no-op."""
        with self._lock:
            entries = self.entries(project)
            listed = entries.get(artifact.filename)
            if listed is not None:
                if listed.get("hashes", {}).get("sha256") == artifact.sha256:
                    return
                raise FolderConflict(
                    f"{self.folder} already has {artifact.filename} with different content",
                    "never rebuild a published version: release a new one",
                )
            data = artifact.path.read_bytes()
            atomic_write(self.files / artifact.filename, data)
            entry = self._entry(artifact, data)
            entries[artifact.filename] = entry
            self._write_project(project, list(entries.values()))
            self._write_root(project)

    def _entry(self, artifact: Artifact, data: bytes) -> dict[str, Any]:
        import hashlib

        entry: dict[str, Any] = {
            "filename": artifact.filename,
            "url": "../../files/" + urllib.parse.quote(artifact.filename),
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            "size": len(data),
            "upload-time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        requires_python = _requires_python(artifact)
        if requires_python:
            entry["requires-python"] = requires_python
        metadata = wheel_metadata(artifact.path) if artifact.kind == "wheel" else None
        if metadata is not None:
            atomic_write(self.files / f"{artifact.filename}.metadata", metadata)
            digest = {"sha256": hashlib.sha256(metadata).hexdigest()}
            entry["core-metadata"] = digest
            entry["dist-info-metadata"] = digest  # the name PEP 658 first gave it; older pip reads this one
        return entry

    def _write_project(self, project: str, entries: list[dict[str, Any]]) -> None:
        name = canonicalize_name(project)
        page = self.simple / name
        versions = sorted({_version_of(e["filename"]) for e in entries} - {""})
        atomic_write(page / "index.html", project_html(name, entries).encode())
        document = {"meta": {"api-version": API_VERSION}, "name": name, "versions": versions, "files": entries}
        atomic_write(page / "index.json", (json.dumps(document, indent=1) + "\n").encode())

    def _write_root(self, project: str) -> None:
        listing = self.simple / "index.json"
        try:
            names = {p["name"] for p in json.loads(listing.read_text(encoding="utf-8")).get("projects", [])}
        except FileNotFoundError:
            names = set()
        name = canonicalize_name(project)
        if name in names and (self.simple / "index.html").exists():
            return
        names.add(name)
        links = "".join(f'    <a href="{html.escape(n)}/">{html.escape(n)}</a><br>\n' for n in sorted(names))
        atomic_write(self.simple / "index.html", _page("Simple index", links).encode())
        document = {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in sorted(names)]}
        atomic_write(listing, (json.dumps(document, indent=1) + "\n").encode())


def _version_of(filename: str) -> str:
    found = distribution_of(filename)
    return found[1] if found else ""


def project_html(name: str, entries: list[dict[str, Any]]) -> str:
    """The PEP 503 page of a project: one link per file, its sha256 in the fragment."""
    links = []
    for e in entries:
        attrs = [f'href="{html.escape(e["url"])}#sha256={e["hashes"]["sha256"]}"']
        if "requires-python" in e:
            attrs.append(f'data-requires-python="{html.escape(e["requires-python"])}"')
        if "core-metadata" in e:
            digest = f"sha256={e['core-metadata']['sha256']}"
            attrs += [f'data-dist-info-metadata="{digest}"', f'data-core-metadata="{digest}"']
        links.append(f"    <a {' '.join(attrs)}>{html.escape(e['filename'])}</a><br>\n")
    return _page(f"Links for {name}", "".join(links))


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{body}  </body>\n</html>\n"
    )


class FolderSender:
    """``send`` for :class:`~.batch.Batch`: a file into the folder index, a failure as cause and fix."""

    def __init__(self, folder: Path, project: str) -> None:
        self.index = FolderIndex(folder)
        self.project = project

    def send(self, file: Artifact) -> UploadResult:
        try:
            self.index.add(file, self.project)
        except FolderConflict as e:
            return UploadResult(file.filename, False, 1, failure=Failure("exists", e.message, e.hint or ""))
        except OSError as e:
            failure = Failure(
                "folder",
                f"cannot write {file.filename} into {self.index.folder}: {e.strerror or e}",
                "check that the folder is writable and has room; re-run publish: files already there are skipped",
                str(e),
            )
            return UploadResult(file.filename, False, 1, failure=failure)
        return UploadResult(file.filename, True, 1)

    def close(self) -> None:
        """Nothing to close (the same shape as :class:`~.upload.HttpSender`)."""
