"""What publish checks before it trusts a file or an index: its own eyes, not names.

- Each file to upload is a regular file directly inside dist/ (a symlink, which would upload its
  target from anywhere, is refused), an archive that opens, whose own core metadata (a wheel's
  ``METADATA``, an sdist's ``PKG-INFO``) names the plan's project and version: the file name alone
  can say anything.
- A file the index lists without a sha256 is downloaded (bounded by the local file's size) and
  compared, never assumed identical; when it cannot be fetched, publish stops and says so.
- The upload credential goes to the upload host; to the index host only when it is the same origin,
  or the repository says ``index-auth = true``.
"""

from __future__ import annotations

import dataclasses
import email.message
import email.parser
import hashlib
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.names import printable
from hatch_manta_release.publish import limits
from hatch_manta_release.publish.http import origin, request

if TYPE_CHECKING:
    from hatch_manta_release.core.config import Repository
    from hatch_manta_release.dist.artifacts import Artifact
    from hatch_manta_release.publish.index import IndexFile
    from hatch_manta_release.publish.upload import Credentials

_REBUILD = "rebuild dist/ (`hatch run release:build`) and run `manta-release check`"


class VerifyError(MantaError):
    """A file that publish will not upload (a symlink, an archive that does not open, METADATA naming
    another project or version), or a file the index lists without a hash that cannot be downloaded
    to compare.

    Fix: rebuild dist/ (`hatch run release:build`) and run `manta-release check`; for a listed file
    without a hash, check the file on the index.
    """


shown = printable


def verify_files(files: Iterable[Artifact], dist_dir: Path, project: str, version: str) -> None:
    """Raise :class:`VerifyError` for the first file that is not this release's regular file in ``dist_dir``."""
    folder = dist_dir.resolve()
    for file in files:
        name = shown(file.filename)
        if file.path.is_symlink() or not file.path.is_file():
            raise VerifyError(
                f"{name} in {dist_dir} is a symbolic link or not a regular file: publish uploads only files in dist/",
                f"copy the file into {dist_dir} instead of linking it",
            )
        if file.path.resolve().parent != folder:
            raise VerifyError(f"{name} is not inside {dist_dir}", f"put the file itself into {dist_dir}")
        meta = _core_metadata(file)
        got_name, got_version = meta.get("Name") or "", meta.get("Version") or ""
        if canonicalize_name(got_name) != canonicalize_name(project) or not _same_version(got_version, version):
            where = "METADATA" if file.kind == "wheel" else "PKG-INFO"
            raise VerifyError(
                f"{name}: its {where} says {shown(got_name)!s} {shown(got_version)}, not {project} {version}",
                f"the file was built from another project or version; {_REBUILD}",
            )


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _core_metadata(file: Artifact) -> email.message.Message:
    """The file's own ``METADATA``/``PKG-INFO`` headers; a :class:`VerifyError` when it cannot be read."""
    name = shown(file.filename)
    try:
        if file.kind == "wheel" or file.filename.endswith(".zip"):
            suffix = ".dist-info/METADATA" if file.kind == "wheel" else "/PKG-INFO"
            with zipfile.ZipFile(file.path) as zf:
                found = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(suffix)]
                if len(found) != 1:
                    raise VerifyError(f"{name} holds {len(found)} *{suffix} files, not one", _REBUILD)
                data = zf.open(found[0]).read(1024 * 1024)
        else:
            with tarfile.open(file.path, "r:*") as tf:
                member = next((m for m in tf if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")), None)
                handle = tf.extractfile(member) if member is not None and member.isfile() else None
                if handle is None:
                    raise VerifyError(f"{name} holds no PKG-INFO", _REBUILD)
                data = handle.read(1024 * 1024)
    except VerifyError:
        raise
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, zlib.error, ValueError, RuntimeError) as e:
        raise VerifyError(f"{name} is not a readable archive (corrupt or truncated: {type(e).__name__})", _REBUILD) \
            from None
    return email.parser.Parser().parsestr(data.decode("utf-8", "replace"), headersonly=True)


# ----------------------------------------------------------------------------- the index


def index_auth(repository: Repository, credentials: Credentials | None) -> dict[str, Any]:
    """Keyword arguments for :func:`.index.existing_files`: the credential only where it may go."""
    if credentials is None:
        return {"auth": None}
    same = origin(repository.index_url) == origin(repository.upload_url)
    if same or repository.index_auth is True:
        return {"auth": (credentials.username, credentials.password)}
    return {
        "auth": None,
        "withheld": (
            f"index-url of {repository.name} is another host than its upload-url, so the upload token is not sent "
            f"there; set index-auth = true in [tool.manta-release.repositories.{repository.name}] if that index "
            "should get it"
        ),
    }


def complete_hashes(
    files: Iterable[Artifact],
    listing: Mapping[str, IndexFile],
    repository: Repository,
    credentials: Credentials | None,
) -> dict[str, IndexFile]:
    """``listing`` with a sha256 for every file of this release the index lists without one.

    Such a file is downloaded (at most one byte more than the local file: a longer one differs) and
    hashed; a download that fails raises :class:`VerifyError` instead of guessing.
    """
    completed = dict(listing)
    for file in files:
        entry = listing.get(file.filename)
        if entry is None or entry.sha256 is not None:
            continue
        sha256 = _download_hash(entry, file, repository, credentials)
        completed[file.filename] = dataclasses.replace(entry, sha256=sha256)
    return completed


def _download_hash(entry: IndexFile, file: Artifact, repository: Repository, credentials: Credentials | None) -> str:
    headers: dict[str, str] = {}
    auth = index_auth(repository, credentials).get("auth")
    if auth and origin(entry.url) in (origin(repository.index_url), origin(repository.upload_url)):
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    why = ""
    try:
        response = request("GET", entry.url, headers=headers, timeout=60, max_bytes=file.size + 1)
        if response.status == 200:
            return hashlib.sha256(response.body).hexdigest()
        why = f"{response.status} {response.reason}"[:120]
    except limits.AnswerTooLarge:
        return hashlib.sha256(b"longer than " + file.sha256.encode()).hexdigest()  # differs from the local file
    except OSError as e:
        why = type(e).__name__
    raise VerifyError(
        f"{repository.name} lists {shown(file.filename)} without a sha256, and downloading it to compare failed "
        f"({why})",
        f"check the file on {repository.name}; publish never assumes a file it cannot compare is identical",
    )
