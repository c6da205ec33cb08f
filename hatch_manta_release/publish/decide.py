"""The pure part of ``publish``: which files to send, in which order, and what to do about the index.

No I/O here: the plan's project and version, the files read from ``dist/`` and the index's listing
(file name → sha256) go in, decisions come out. An identical file on the index is skipped, a file the
index lists without a hash is assumed identical (with a warning), a different file under a published
name is a conflict; wheels go before the sdist, so an index never shows an sdist whose wheels are
missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.names import canonical_name, distribution_of
from hatch_manta_release.publish.failures import next_versions

if TYPE_CHECKING:
    from hatch_manta_release.dist.artifacts import Artifact
    from hatch_manta_release.publish.index import IndexFile
    from hatch_manta_release.publish.report import FileOutcome

Action = Literal["upload", "skip", "conflict"]
ConflictResponse = Literal["block", "stop", "warn"]


@dataclass(frozen=True)
class Decision:
    """What to do with one file: ``upload`` it, ``skip`` it (already there), or a ``conflict``."""

    file: Artifact
    action: Action
    note: str = ""
    warning: str | None = None  # said out loud (a skip on trust: the index lists no hash)


def release_files(artifacts: Iterable[Artifact], project: str, version: str) -> list[Artifact]:
    """This release's files in upload order: the wheels by name, then the sdist.

    Files of another project or version, and names that are not valid wheel or sdist names, are left out.
    """
    name = canonicalize_name(project)
    files = [a for a in artifacts if not a.invalid and canonicalize_name(a.project) == name and a.version == version]
    wheels = sorted((f for f in files if f.kind == "wheel"), key=lambda f: f.filename)
    return wheels + [f for f in files if f.kind != "wheel"]


def decide(files: Sequence[Artifact], listing: Mapping[str, IndexFile], repository: str) -> list[Decision]:
    """One decision per file, in the order of ``files``, against what ``repository`` lists."""
    return [_decide_one(f, listing.get(f.filename), repository) for f in files]


def _decide_one(file: Artifact, on_index: IndexFile | None, repository: str) -> Decision:
    if on_index is None:
        return Decision(file, "upload")
    if on_index.sha256 is None:
        return Decision(
            file,
            "skip",
            f"already on {repository} (the index shows no hash)",
            f"{file.filename} is already on {repository}, which publishes no sha256 for it: assumed identical",
        )
    if on_index.sha256 == file.sha256:
        return Decision(file, "skip", f"identical file already on {repository}")
    return Decision(
        file, "conflict", f"{repository} has different content under this name (sha256 {on_index.sha256[:16]}…)"
    )


def conflict_response(*, skip_existing: bool, dry_run: bool) -> ConflictResponse:
    """A different file under a published name: ``warn`` and go on where the repository skips existing
    files (a test index); elsewhere ``stop`` before uploading anything, or, in a dry run, ``block``
    (report what would stop a real publish)."""
    if skip_existing:
        return "warn"
    return "block" if dry_run else "stop"


def conflict_fix(version: str) -> str:
    """The one line of fix for a conflict: never rebuild a published version."""
    return (
        f"never rebuild a published version: tag and release {next_versions(version)}; "
        "or, if dist/ holds stale builds, rebuild exactly the published commit"
    )


@dataclass(frozen=True)
class UploadOrder:
    """How the files go out: ``first`` alone (or None), then ``parallel`` (the other wheels), then ``last``."""

    first: Artifact | None
    parallel: list[Artifact]
    last: list[Artifact]  # the sdist, after every wheel landed

    @property
    def files(self) -> list[Artifact]:
        """Every file, in the order they start."""
        return [*([self.first] if self.first else []), *self.parallel, *self.last]


def upload_order(
    files: Sequence[Artifact], listing: Mapping[str, IndexFile], project: str, version: str
) -> UploadOrder:
    """The wheels first, the sdist after every wheel landed (an index never shows an sdist whose wheels are
    missing, so pip never builds one from source meanwhile).

    When the index holds no file of this release yet, the smallest wheel goes alone first: that upload
    creates the project or the release, which parallel first uploads could race to create, and a bad
    token fails once, not once per thread. The others go largest first, so the last to finish is a
    small one (a shorter tail when sizes differ). A release the index already holds (a re-run after a
    stopped upload) needs no file alone.
    """
    wheels = [f for f in files if f.kind == "wheel"]
    last = [f for f in files if f.kind != "wheel"]
    first = None
    if wheels and not holds_release(listing, project, version):
        first = min(wheels, key=lambda f: (f.size, f.filename))
        wheels = [f for f in wheels if f is not first]
    return UploadOrder(first, sorted(wheels, key=lambda f: (-f.size, f.filename)), last)


def holds_release(listing: Mapping[str, IndexFile], project: str, version: str) -> bool:
    """Whether the index lists any file of ``project`` ``version`` (by the names of its files; versions
    compared as versions: ``2.0`` is ``2.0.0``)."""
    name, wanted = canonical_name(project), _version(version)
    found = (distribution_of(filename) for filename in listing)
    return wanted is not None and any(f is not None and f[0] == name and _version(f[1]) == wanted for f in found)


def _version(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def reconcile(outcomes: Iterable[FileOutcome], listing: Mapping[str, IndexFile]) -> None:
    """After a failure, the index's listing says what really landed: a failed file that is there with
    its sha256 was uploaded (only its answer was lost); one that is not there did not land."""
    for outcome in outcomes:
        if outcome.status != "failed":
            continue
        found = listing.get(outcome.file.filename)
        if found is not None and found.sha256 == outcome.file.sha256:
            outcome.status, outcome.note = "uploaded", "landed, though its answer was lost"
        else:
            outcome.maybe_landed = False


def summary_of_landing(outcomes: Sequence[FileOutcome], repository: str) -> str:
    """``" - 2 of 4 files are on pypi (a, b); maybe landed …; not there: c, d"``, after a stopped upload."""
    landed = [o.file.filename for o in outcomes if o.status in ("uploaded", "skipped")]
    unknown = [o.file.filename for o in outcomes if o.status == "failed" and o.maybe_landed]
    missing = [
        o.file.filename
        for o in outcomes
        if o.status == "not-attempted" or (o.status == "failed" and not o.maybe_landed)
    ]
    return (
        f" - {len(landed)} of {len(outcomes)} files are on {repository}"
        + (f" ({', '.join(landed)})" if landed else "")
        + (f"; maybe landed (answer lost, index unreachable): {', '.join(unknown)}" if unknown else "")
        + (f"; not there: {', '.join(missing)}" if missing else "")
    )
