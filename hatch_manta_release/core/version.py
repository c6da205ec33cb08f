"""The version of the working tree: git tags (or an sdist's PKG-INFO, or a git archive's
.git_archival.txt) + tag mapping + overrides, in one place.

Used by the hatchling version source (on every build), by ``manta-release version`` and by the
release plan, so all three always agree.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.basetag import choose_base, highest, map_tags, skipped_warnings
from hatch_manta_release.core.config import Config
from hatch_manta_release.core.errors import GitError, MantaError
from hatch_manta_release.core.git import Describe, NoHistoryError, describe, nearest_tag_any, tag_glob
from hatch_manta_release.core.tags import Channel, TagVersion, channel_of, development_version

if TYPE_CHECKING:
    from hatch_manta_release.core.archive import Archival

# Set by `manta-release build` for every build it starts (cibuildwheel passes it into its
# containers), so every wheel of one release carries the planned version even where git is absent.
VERSION_ENV = "MANTA_RELEASE_VERSION"


@dataclass(frozen=True)
class ResolvedVersion:
    """HEAD's version and how it was found."""

    version: Version
    source: str  # "tag", "archive", "development", "sdist", "fallback" or "environment"
    explanation: str
    tag: TagVersion | None = None
    describe: Describe | None = None
    warnings: tuple[str, ...] = ()  # tags skipped on the way (matching the prefix, but no version)

    @property
    def channel(self) -> Channel:
        return channel_of(self.version)

    @property
    def is_release(self) -> bool:
        """A clean commit exactly on a release tag: the only thing that may be published.

        A version forced through ``MANTA_RELEASE_VERSION`` pins builds, but never makes a tree
        publishable: an exported variable must not turn an untagged, dirty commit into a release."""
        return self.source == "tag" and self.version.local is None


def resolve_version(root: str | Path, config: Config) -> ResolvedVersion:
    """The version of the tree at ``root``; raises a :class:`MantaError` that says how to fix it."""
    forced = _forced_version()
    if forced is not None:
        return forced
    from_sdist = _sdist_version(root)
    if from_sdist is not None:
        # An unpacked sdist: hatchling's own builds read PKG-INFO; `hatchling version` asks us.
        return ResolvedVersion(_parse_version(from_sdist, "PKG-INFO"), "sdist", f"PKG-INFO says {from_sdist}")
    try:
        state = describe(root, config.tag_prefix)
    except NoHistoryError as e:
        return _without_history(root, config, e)
    if state.tag is None:
        return _without_tag(state, config, root)
    base = choose_base(root, state, config)
    if base.tag is None:
        return replace(_without_tag(state, config, root, base.skipped), warnings=base.warnings)
    return _from_base(base.tag, base.distance, state, base.warnings)


def _sdist_version(root: str | Path) -> str | None:
    if not (Path(root) / "PKG-INFO").is_file():
        return None  # a checkout: the archive module is not even imported (the version source is light)
    from hatch_manta_release.core.archive import sdist_version

    return sdist_version(root)


def _forced_version() -> ResolvedVersion | None:
    pretend = os.environ.get(VERSION_ENV)
    if not pretend:
        return None
    try:
        version = Version(pretend)
    except InvalidVersion:
        raise MantaError(
            f"{VERSION_ENV}={pretend!r} is not a PEP 440 version",
            f"unset {VERSION_ENV} or set it to a version such as 1.2.0",
        ) from None
    return ResolvedVersion(version, "environment", f"{VERSION_ENV}={pretend} (set by the release build)")


def _parse_version(text: str, where: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise MantaError(f"{where} has the version {text!r}, which is not a PEP 440 version",
                         "rebuild the sdist from a release tag") from None


def _from_base(
    tagged: TagVersion, distance: int, state: Describe, warnings: tuple[str, ...] = (), source: str = "tag"
) -> ResolvedVersion:
    """The tag's version on a clean tagged commit, else a development version above it."""
    if distance == 0 and not state.dirty:
        where = "HEAD is tag" if source == "tag" else "a git archive of tag"
        return ResolvedVersion(
            tagged.version, source, f"{where} {tagged.tag}; {tagged.mapping}", tagged, state, warnings
        )
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")
    version = development_version(tagged.version, distance, state.sha, state.dirty, date)
    why = []
    if distance:
        why.append(f"{distance} commit{'s' if distance != 1 else ''} past tag {tagged.tag}")
    else:
        why.append(f"on tag {tagged.tag}")
    if state.dirty:
        why.append("uncommitted changes")
    if source != "tag":
        why.append("from .git_archival.txt")
    return ResolvedVersion(
        version,
        "development",
        f"{' with '.join(why)}: development version above {tagged.version}",
        tagged,
        state,
        warnings,
    )


def _without_history(root: str | Path, config: Config, error: NoHistoryError) -> ResolvedVersion:
    """No git history: a ``git archive`` with a filled-in .git_archival.txt, else fallback-version.

    A download without .git (GitHub's "Download ZIP", git archive, a Docker COPY) or a repository
    with no commit yet: hatch-vcs users expect .git_archival.txt, then fallback-version, here."""
    from hatch_manta_release.core.archive import read_archival

    archived = read_archival(root, config.tag_prefix)
    if archived is not None:
        resolved = _from_archival(archived, config)
        if resolved is not None:
            return resolved
    if config.fallback_version:
        return ResolvedVersion(Version(config.fallback_version), "fallback",
                               f"{error.message}: fallback-version {config.fallback_version}")
    raise error


def _from_archival(archived: Archival, config: Config) -> ResolvedVersion | None:
    state = Describe(archived.describe_tag, archived.distance, archived.sha, dirty=False)
    mapped, failed = map_tags(archived.tags, config)
    on_commit = highest(mapped, at_head=True)
    if on_commit is not None:
        return _from_base(on_commit, 0, state, skipped_warnings(failed, on_commit), source="archive")
    if archived.describe_tag is None:
        return None
    described, failed_describe = map_tags([archived.describe_tag], config)
    if not described:
        raise failed_describe[0][1]
    return _from_base(described[0], archived.distance, state, skipped_warnings(failed, described[0]), "archive")


def _without_tag(
    state: Describe, config: Config, root: str | Path | None = None, skipped: tuple[str, ...] = ()
) -> ResolvedVersion:
    pattern = tag_glob(config.tag_prefix)
    if state.shallow:
        raise GitError(
            f"no tag matching {pattern!r} is reachable from HEAD ({state.sha}), and this clone is shallow: "
            "its history and tags were not fetched (git clone --depth, or actions/checkout's default fetch-depth: 1)",
            "on GitHub Actions set `fetch-depth: 0` on actions/checkout; locally run "
            "`git fetch --tags --unshallow`",
        )
    if config.fallback_version:
        return ResolvedVersion(
            Version(config.fallback_version),
            "fallback",
            f"no tag matching {pattern!r} is reachable from HEAD: fallback-version {config.fallback_version}",
            None,
            state,
        )
    other = nearest_tag_any(root) if root is not None and not skipped else None
    if skipped:
        raise GitError(
            f"no tag matching {pattern!r} reachable from HEAD ({state.sha}) is a release version "
            f"(skipped: {', '.join(skipped)})",
            f"tag a release (git tag {config.tag_prefix}0.1.0), or rename the tags that are not versions "
            f"so they do not match {pattern!r}",
        )
    if other is not None:
        raise GitError(
            f"no tag matching {pattern!r} is reachable from HEAD ({state.sha}); the nearest tag, {other!r}, "
            f"is not the tag prefix {config.tag_prefix!r} followed by a version",
            "set tag-prefix in [tool.manta-release] to the prefix of your release tags "
            f'(tag-prefix = "" for tags like 1.2.3), or tag the release {config.tag_prefix}X.Y.Z',
        )
    raise GitError(
        f"no tag matching {pattern!r} is reachable from HEAD ({state.sha}), so the version is unknown",
        f"tag a release (git tag {config.tag_prefix}0.1.0), run `git fetch --tags` if the tags are on the remote, "
        'or set fallback-version = "0.0.0" in [tool.hatch.version]',
    )
