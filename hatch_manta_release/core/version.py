"""The version of the working tree: git describe + tag mapping + overrides, in one place.

Used by the hatchling version source (on every build), by ``manta-release version`` and by the
release plan, so all three always agree.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.config import Config
from hatch_manta_release.core.errors import GitError, MantaError
from hatch_manta_release.core.git import Describe, NoHistoryError, describe, nearest_tag_any, tag_glob
from hatch_manta_release.core.tags import Channel, TagVersion, channel_of, development_version, version_from_tag

# Set by `manta-release build` for every build it starts (cibuildwheel passes it into its
# containers), so every wheel of one release carries the planned version even where git is absent.
VERSION_ENV = "MANTA_RELEASE_VERSION"


@dataclass(frozen=True)
class ResolvedVersion:
    """HEAD's version and how it was found."""

    version: Version
    source: str  # "tag", "development", "fallback" or "environment"
    explanation: str
    tag: TagVersion | None = None
    describe: Describe | None = None

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
    pretend = os.environ.get(VERSION_ENV)
    if pretend:
        try:
            version = Version(pretend)
        except InvalidVersion:
            raise MantaError(
                f"{VERSION_ENV}={pretend!r} is not a PEP 440 version",
                f"unset {VERSION_ENV} or set it to a version such as 1.2.0",
            ) from None
        return ResolvedVersion(version, "environment", f"{VERSION_ENV}={pretend} (set by the release build)")

    try:
        state = describe(root, config.tag_prefix)
    except NoHistoryError as e:
        # A download without .git (GitHub's "Download ZIP", git archive, a Docker COPY) or a
        # repository with no commit yet: hatch-vcs users expect fallback-version here.
        if config.fallback_version:
            return ResolvedVersion(Version(config.fallback_version), "fallback",
                                   f"{e.message}: fallback-version {config.fallback_version}")
        raise
    if state.tag is None:
        return _without_tag(state, config, root)

    tagged = _highest_tag(state, config)
    if state.distance == 0 and not state.dirty:
        return ResolvedVersion(
            tagged.version, "tag", f"HEAD is tag {tagged.tag}; {tagged.mapping}", tagged, state
        )
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")
    version = development_version(tagged.version, state.distance, state.sha, state.dirty, date)
    why = []
    if state.distance:
        why.append(f"{state.distance} commit{'s' if state.distance != 1 else ''} past tag {state.tag}")
    else:
        why.append(f"on tag {tagged.tag}")
    if state.dirty:
        why.append("uncommitted changes")
    return ResolvedVersion(
        version,
        "development",
        f"{' with '.join(why)}: development version above {tagged.version}",
        tagged,
        state,
    )


def _highest_tag(state: Describe, config: Config) -> TagVersion:
    """The release tag HEAD stands for: with several on one commit (``v1.0.0rc1`` then ``v1.0.0``
    once the candidate is promoted), the highest version, whatever git describe preferred. Every
    one of them must be a valid release tag, so a typo on HEAD never goes unnoticed."""
    assert state.tag is not None
    names = dict.fromkeys((state.tag, *state.head_tags))
    tagged = [version_from_tag(name, config.tag_prefix, config.prerelease_labels) for name in names]
    # A workflow run started by a pushed tag releases that tag: pushing v1.0.0 to the commit of
    # v1.0.0rc1 starts two runs, and the rc's run must not publish the final (nor the final's the rc).
    if os.environ.get("GITHUB_REF_TYPE") == "tag":
        for candidate in tagged:
            if candidate.tag == os.environ.get("GITHUB_REF_NAME"):
                return candidate
    return max(tagged, key=lambda t: t.version)


def _without_tag(state: Describe, config: Config, root: str | Path | None = None) -> ResolvedVersion:
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
    other = nearest_tag_any(root) if root is not None else None
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
