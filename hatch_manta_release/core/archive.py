"""Versions without a git history: an unpacked sdist (PKG-INFO) and a ``git archive``
(``.git_archival.txt``, the file setuptools-scm and hatch-vcs users ship), plus the files that
make ``git archive`` and GitHub's "Download ZIP" carry the version.

``.git_archival.txt`` holds ``$Format:…$`` placeholders that ``git archive`` fills in because
``.gitattributes`` marks the file ``export-subst``: ``node`` (the commit), ``describe-name``
(``git describe``'s answer, e.g. ``v1.0.0-3-gabc1234``) and, if the project lists it, ``ref-names``
(``HEAD -> main, tag: v1.0.1``). In a checkout the placeholders are not filled in and the file is
ignored. Standard library only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

ARCHIVAL_FILE = ".git_archival.txt"
GITATTRIBUTES_LINE = f"{ARCHIVAL_FILE}  export-subst"
_DESCRIBE_NAME = re.compile(r"^(?P<tag>.+?)(?:-(?P<distance>\d+)-g(?P<sha>[0-9a-f]+))?$")


class Archival(NamedTuple):  # not a dataclass: cheaper to define, on every build
    """What a ``git archive`` recorded about its commit."""

    node: str  # the full sha, or "" when not recorded
    tags: tuple[str, ...]  # tags on the archived commit (from ref-names)
    describe_tag: str | None  # describe-name's tag
    distance: int  # describe-name's distance (0 when it names the commit's own tag)

    @property
    def sha(self) -> str:
        return self.node[:7]


def sdist_version(root: str | Path) -> str | None:
    """The version in an unpacked sdist's PKG-INFO, when ``root`` is one (PKG-INFO, no ``.git``)."""
    root = Path(root)
    pkg_info = root / "PKG-INFO"
    if not pkg_info.is_file() or (root / ".git").exists():
        return None
    for line in pkg_info.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            break  # the headers end at the first blank line (the description follows)
        key, _, value = line.partition(":")
        if key.strip().lower() == "version" and value.strip():
            return value.strip()
    return None


def read_archival(root: str | Path, tag_prefix: str) -> Archival | None:
    """The filled-in ``.git_archival.txt`` at ``root``, or None (absent, or a checkout's template)."""
    path = Path(root) / ARCHIVAL_FILE
    if not path.is_file():
        return None
    fields = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    if not fields or any("$Format" in value for value in fields.values()):
        return None
    refs = (ref.strip() for ref in fields.get("ref-names", "").split(","))
    tags = tuple(ref[len("tag: ") :] for ref in refs if ref.startswith("tag: "))
    describe_tag, distance, node = None, 0, fields.get("node", "")
    match = _DESCRIBE_NAME.match(fields.get("describe-name", ""))
    if match and match["tag"].startswith(tag_prefix):
        describe_tag, distance = match["tag"], int(match["distance"] or 0)
        node = node or (match["sha"] or "")
    return Archival(node, tuple(t for t in tags if t.startswith(tag_prefix)), describe_tag, distance)


def archival_text(tag_prefix: str) -> str:
    """The ``.git_archival.txt`` to commit. ``ref-names`` is left out on purpose: it changes with
    every branch that moves, so the archive of one commit would not stay byte-identical (GitHub's
    release tarball checksums); ``describe-name`` already names the tag of a tagged commit."""
    pattern = f"{tag_prefix}[0-9]*" if not any(c in tag_prefix for c in ",)") else "*[0-9]*"
    return (
        "node: $Format:%H$\n"
        "node-date: $Format:%cI$\n"
        f"describe-name: $Format:%(describe:tags=true,match={pattern})$\n"
    )


def gitattributes_with_archival(existing: str | None) -> str | None:
    """``.gitattributes`` with the ``export-subst`` line added, or None when it is there already."""
    text = existing or ""
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in (ARCHIVAL_FILE, f"/{ARCHIVAL_FILE}") and "export-subst" in parts[1:]:
            return None
    if text and not text.endswith("\n"):
        text += "\n"
    return text + GITATTRIBUTES_LINE + "\n"


def write_archival_files(root: str | Path, tag_prefix: str) -> list[str]:
    """Write ``.git_archival.txt`` (unless present) and the ``.gitattributes`` line (unless there);
    returns the names of the files written, for ``manta-release init`` to report."""
    root = Path(root)
    written = []
    archival = root / ARCHIVAL_FILE
    if not archival.exists():
        archival.write_text(archival_text(tag_prefix), encoding="utf-8")
        written.append(ARCHIVAL_FILE)
    attributes = root / ".gitattributes"
    updated = gitattributes_with_archival(attributes.read_text(encoding="utf-8") if attributes.exists() else None)
    if updated is not None:
        attributes.write_text(updated, encoding="utf-8")
        written.append(".gitattributes")
    return written
