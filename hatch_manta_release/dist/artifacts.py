"""What is in ``dist/``: every wheel and sdist, with its name, version, wheel tags, size and sha256.

Reading only: :mod:`hatch_manta_release.dist.check` compares what is read here with the plan, and the
CLI renders it. The publisher and the builder import :func:`read_dist` / :func:`read_artifact`; their
names and the fields of :class:`Artifact` are a stable interface.
"""

from __future__ import annotations

import email.parser
import hashlib
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.invocation import command_form

Kind = Literal["wheel", "sdist"]


@dataclass(frozen=True)
class Artifact:
    """One distribution file in ``dist/``."""

    path: Path
    filename: str
    kind: Kind
    version: str  # normalised version from the file name; "" when the name cannot be parsed
    size: int
    sha256: str
    project: str = ""  # canonical project name from the file name
    tags: tuple[str, ...] = ()  # wheels: every expanded tag, "cp312-cp312-manylinux_2_17_x86_64"
    invalid: str | None = None  # why the file name is not a valid wheel or sdist name

    @property
    def platform_tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(tag.rsplit("-", 1)[-1] for tag in self.tags))

    @property
    def is_pure(self) -> bool:
        return self.kind == "wheel" and self.platform_tags == ("any",)

    @property
    def size_text(self) -> str:
        return human_size(self.size)


def read_dist(dist_dir: str | Path) -> list[Artifact]:
    """Every wheel and sdist in ``dist_dir``: wheels first (the upload order), then sdists.

    Other files (logs, ``.DS_Store``) are ignored. A missing folder is a :class:`MantaError`.
    """
    folder = Path(dist_dir)
    if not folder.is_dir():
        raise MantaError(
            f"no distribution folder {folder}",
            f"build first: `{command_form('build')}` (or download the CI artifacts into it)",
        )
    artifacts = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and (path.name.endswith((".whl", ".tar.gz", ".zip"))):
            artifacts.append(read_artifact(path))
    artifacts.sort(key=lambda a: (a.kind != "wheel", a.filename))
    return artifacts


def read_artifact(path: str | Path) -> Artifact:
    """One file: its hash and size, and what its name says; a bad name is kept and flagged, not dropped
    (``check`` must report it rather than let publish skip it silently)."""
    path = Path(path)
    name = path.name
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    size = path.stat().st_size
    kind: Kind = "wheel" if name.endswith(".whl") else "sdist"
    project, version, invalid = "", "", None
    tags: tuple[str, ...] = ()
    try:
        if kind == "wheel":
            parsed_name, parsed_version, _build, tag_set = parse_wheel_filename(name)
            tags = tuple(sorted(str(t) for t in tag_set))
        elif name.endswith(".zip"):
            invalid = "a .zip sdist: PyPI accepts only .tar.gz sdists (PEP 625)"
            parsed_name, parsed_version = parse_sdist_filename(name[: -len(".zip")] + ".tar.gz")
        else:
            parsed_name, parsed_version = parse_sdist_filename(name)
        project, version = str(parsed_name), str(parsed_version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as e:
        invalid = f"not a valid {kind} file name: {e}"
    return Artifact(
        path=path,
        filename=name,
        kind=kind,
        version=version,
        size=size,
        sha256=digest.hexdigest(),
        project=project,
        tags=tags,
        invalid=invalid,
    )


def read_metadata(artifact: Artifact) -> Message | None:
    """The core metadata (``METADATA`` / ``PKG-INFO``) inside the file, or None if absent."""
    try:
        if artifact.kind == "wheel":
            with zipfile.ZipFile(artifact.path) as zf:
                names = [n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
                if len(names) != 1:
                    return None
                text = zf.read(names[0]).decode("utf-8", "replace")
        else:
            if not artifact.filename.endswith(".tar.gz"):
                return None
            with tarfile.open(artifact.path, "r:gz") as tf:
                member = next((m for m in tf if re.fullmatch(r"[^/]+/PKG-INFO", m.name) and m.isfile()), None)
                if member is None:
                    return None
                handle = tf.extractfile(member)
                if handle is None:
                    return None
                text = handle.read().decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, ValueError, RuntimeError):
        return None  # corrupt or truncated (a bad deflate stream, an encrypted member): no metadata
    return email.parser.Parser().parsestr(text, headersonly=True)


def human_size(size: int) -> str:
    """``1.5 MiB``: what the tables and the publisher's summary show."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover
