"""The style of a project's existing release tags: their prefix, the highest version, the tags a prefix ignores.

A project adopting this plugin already has tags. Keeping the default ``v`` prefix on a project
whose tags are ``4.11.3`` lets an ancient ``v2.0.0a3`` decide the version; so ``init`` takes the
prefix of the most recent release tags, and ``doctor`` names the tags the configured prefix leaves out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from hatch_manta_release.core import defaults
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.git import try_git
from hatch_manta_release.core.tags import version_from_tag

# How many of the newest version tags decide the style (an old prefix further back does not count).
RECENT = 10
_PREFIX = re.compile(r"^(?P<prefix>\D*)\d")


@dataclass(frozen=True)
class ReleaseTag:
    tag: str
    prefix: str
    version: Version


def list_tags(root: str | Path) -> list[str]:
    """Every tag of the repository, newest first (by the date of the tag or its commit); [] without git."""
    result = try_git(root, "tag", "--list", "--sort=-creatordate", "--format=%(refname:strip=2)", timeout=30)
    if result is None or result.returncode != 0:
        return []
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def release_tag(tag: str, labels: Mapping[str, str] = defaults.PRERELEASE_LABELS) -> ReleaseTag | None:
    """``tag`` as a prefix and a version (``v2.0.0a3`` -> ``v``, 2.0.0a3), or None when it is no release tag."""
    match = _PREFIX.match(tag)
    if match is None:
        return None
    try:
        parsed = version_from_tag(tag, match["prefix"], labels)
    except MantaError:
        return None
    return ReleaseTag(tag, match["prefix"], parsed.version)


def release_tags(tags: Sequence[str], labels: Mapping[str, str] = defaults.PRERELEASE_LABELS) -> list[ReleaseTag]:
    """The tags that are a prefix and a version, in the order given (newest first from :func:`list_tags`)."""
    return [found for found in (release_tag(t, labels) for t in tags) if found is not None]


def detect_prefix(tags: Sequence[ReleaseTag]) -> str | None:
    """The prefix most of the newest release tags use; None when there is no release tag at all."""
    recent = [t.prefix for t in tags[:RECENT]]
    if not recent:
        return None
    counts = Counter(recent)
    best = max(counts.values())
    return next(p for p in recent if counts[p] == best)  # a tie goes to the newest tag's prefix


def ignored_by(prefix: str, tags: Sequence[ReleaseTag]) -> list[ReleaseTag]:
    """Release tags of another prefix: the version source does not see them."""
    return [t for t in tags if t.prefix != prefix]


def highest(prefix: str, tags: Sequence[ReleaseTag]) -> ReleaseTag | None:
    return max((t for t in tags if t.prefix == prefix), key=lambda t: t.version, default=None)


def next_release(version: Version | None) -> str:
    """The version a first tag should carry after ``version``: the next patch release (0.1.0 with none)."""
    if version is None:
        return "0.1.0"
    if version.is_prerelease:
        return version.base_version  # 5.0.0rc1 -> 5.0.0
    release = list(version.release) + [0] * (3 - len(version.release))
    release[-1] += 1
    return ".".join(str(n) for n in release)


def examples(tags: Sequence[ReleaseTag], count: int = 3) -> str:
    shown = ", ".join(t.tag for t in tags[:count])
    return shown + (f" and {len(tags) - count} more" if len(tags) > count else "")
