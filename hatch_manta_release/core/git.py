"""The few git queries the version needs.

The common path is two calls: ``git describe``, which gives the nearest release tag, the distance
to it, the commit and whether the tree is dirty, and ``git for-each-ref`` over the release tags
(names and commits, read from the refs alone, no history walk), which shows whether any tag could
give a higher base than describe's pick (another tag on the same commit, a higher tag further
away). Only then is history walked (:func:`reachable_tags`, :func:`distance_from`). When describe
finds no tag we ask more (is the clone shallow? which commit is HEAD?), to explain the failure
instead of inventing ``0.0.0``: a shallow CI checkout without tags is the most common cause of
wrong versions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from hatch_manta_release.core.errors import GitError

_DESCRIBE = re.compile(r"^(?P<tag>.+)-(?P<distance>\d+)-g(?P<sha>[0-9a-f]+)(?P<dirty>-dirty)?$")
_DUBIOUS = re.compile(r"dubious ownership in repository at '(?P<top>[^']+)'")


@dataclass(frozen=True)
class Describe:
    """Where HEAD stands relative to the nearest release tag."""

    tag: str | None
    distance: int  # commits since the tag (or since the root when there is no tag)
    sha: str
    dirty: bool
    shallow: bool = False


class TagRef(NamedTuple):  # a NamedTuple: cheaper to define than a dataclass, on every build
    """A tag whose name matches the release-tag pattern, and the commit it points at."""

    name: str
    commit: str  # the full sha of the commit (annotated tags peeled)


def _child_env() -> dict[str, str]:
    """This process's environment without its secrets. Every secret is registered through
    :mod:`.redaction`, so where it was never imported (the version source inside a build) there is none
    but the Actions OIDC request variables, dropped here without loading it."""
    redaction = sys.modules.get("hatch_manta_release.core.redaction")
    if redaction is not None:
        return redaction.child_env()  # type: ignore[no-any-return]
    return {k: v for k, v in os.environ.items() if not k.startswith("ACTIONS_ID_TOKEN_REQUEST_")}


def run_git(root: str | Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """The one way this package runs git: untranslated messages, never a prompt for credentials.

    Raises :class:`GitError` when git is not installed; ``subprocess.TimeoutExpired`` past ``timeout``.
    """
    env = _child_env()  # no token variable reaches git (or its hooks and credential helpers)
    env["LC_ALL"] = "C"  # untranslated messages, which describe() recognises
    env["GIT_TERMINAL_PROMPT"] = "0"  # a remote query fails instead of waiting for a password
    env.pop("LANGUAGE", None)
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise GitError(
            "git is not installed or not on PATH",
            "install git, or build from an sdist (which carries its version in PKG-INFO)",
        ) from None


def try_git(root: str | Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str] | None:
    """:func:`run_git`, or None when git is missing or does not answer in time (for checks that go on)."""
    try:
        return run_git(root, *args, timeout=timeout)
    except (GitError, subprocess.TimeoutExpired):
        return None


def commit_epoch(root: str | Path) -> str | None:
    """HEAD's commit time (seconds since the epoch), or None outside a git checkout."""
    result = try_git(root, "log", "-1", "--format=%ct", timeout=30)
    value = result.stdout.strip() if result else ""
    return value if result is not None and result.returncode == 0 and value.isdigit() else None


class NoHistoryError(GitError):
    """No git history to read at all (not a checkout, or no commit yet): fallback-version applies.

    Fix: build from a git clone, or set ``fallback-version = "0.0.0"`` in ``[tool.hatch.version]``
    for trees without git (a fallback version is never published).
    """


def tag_glob(prefix: str) -> str:
    """The ``--match`` pattern for release tags: the prefix then a digit."""
    return f"{prefix}[0-9]*"


def describe(root: str | Path, tag_prefix: str) -> Describe:
    """Describe HEAD against release tags; raises :class:`GitError` when HEAD cannot be read."""
    result = run_git(
        root, "describe", "--tags", "--long", "--dirty", "--abbrev=7", "--match", tag_glob(tag_prefix)
    )
    if result.returncode == 0:
        match = _DESCRIBE.match(result.stdout.strip())
        if not match:  # pragma: no cover - git's format is stable
            raise GitError(f"cannot parse `git describe` output {result.stdout.strip()!r}")
        return Describe(match["tag"], int(match["distance"]), match["sha"], bool(match["dirty"]))
    stderr = result.stderr.strip()
    if "not a git repository" in stderr:
        raise NoHistoryError(
            f"{Path(root).resolve()} is not a git checkout, so there is no tag to read the version from",
            "build from a git clone with its tags or from the sdist (which records the version), "
            'or set fallback-version = "0.0.0" in [tool.hatch.version]',
        )
    if "dubious ownership" in stderr:
        # Common in containers and CI caches: the checkout belongs to another user. git checks
        # the repository's top level, which is what safe.directory must name (not a subdirectory).
        top = _DUBIOUS.search(stderr)
        where = top["top"] if top else Path(root).resolve()
        raise GitError(
            f"git refuses to read {where}: the checkout belongs to another user (git's safe.directory check)",
            f"run `git config --global --add safe.directory {where}`, or build from the sdist",
        )
    if "No names found" in stderr or "cannot describe" in stderr or "No tags can describe" in stderr:
        return _untagged(root)
    if "ambiguous argument 'HEAD'" in stderr or "bad revision" in stderr or "HEAD" in stderr:
        raise NoHistoryError(
            f"the git repository at {Path(root).resolve()} has no commits yet",
            "commit, then tag the release (git tag v0.1.0)",
        )
    first = stderr.splitlines()[0] if stderr else f"exit code {result.returncode}"
    raise GitError(f"`git describe` failed in {Path(root).resolve()}: {first}")


def _untagged(root: str | Path) -> Describe:
    """HEAD has no release tag in its history: gather what explains why."""
    result = run_git(root, "rev-list", "--count", "HEAD", "--")
    head = run_git(root, "rev-parse", "--short=7", "--is-shallow-repository", "HEAD")
    if head.returncode != 0:
        raise NoHistoryError(
            f"the git repository at {Path(root).resolve()} has no commits yet",
            "commit, then tag the release (git tag v0.1.0)",
        )
    lines = head.stdout.split()
    shallow = bool(lines) and lines[0] == "true"
    sha = lines[-1] if lines else "0000000"
    distance = int(result.stdout.strip() or 0) if result.returncode == 0 else 0
    dirty = run_git(root, "diff-index", "--quiet", "HEAD", "--").returncode == 1
    return Describe(None, distance, sha, dirty, shallow)


def list_tags(root: str | Path, tag_prefix: str) -> tuple[TagRef, ...]:
    """Every tag matching the release-tag pattern, with its commit, from the refs alone."""
    result = run_git(
        root, "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)",
        f"refs/tags/{tag_glob(tag_prefix)}",
    )
    refs = []
    for line in result.stdout.splitlines() if result.returncode == 0 else ():
        name, obj, *peeled = line.split(" ")
        refs.append(TagRef(name, peeled[0] if peeled and peeled[0] else obj))
    return tuple(refs)


def reachable_tags(root: str | Path, tag_prefix: str) -> frozenset[str]:
    """The release tags in HEAD's history (a walk of the history: asked only when it matters)."""
    result = run_git(root, "tag", "--merged", "HEAD", "--list", tag_glob(tag_prefix))
    return frozenset(line.strip() for line in result.stdout.splitlines() if line.strip())


def is_ancestor(root: str | Path, commit: str) -> bool:
    """Whether ``commit`` is in HEAD's history (a short walk: cheaper than :func:`reachable_tags`
    for a few candidates)."""
    return run_git(root, "merge-base", "--is-ancestor", commit, "HEAD").returncode == 0


def distance_from(root: str | Path, commit: str) -> int:
    """How many commits HEAD is past ``commit`` (what git describe counts)."""
    result = run_git(root, "rev-list", "--count", f"{commit}..HEAD", "--")
    if result.returncode != 0:  # pragma: no cover - the commit came from our own tag listing
        raise GitError(f"`git rev-list --count {commit}..HEAD` failed: {result.stderr.strip()}")
    return int(result.stdout.strip())


def nearest_tag_any(root: str | Path) -> str | None:
    """The nearest tag of HEAD whatever its name (to explain a tag prefix that does not match)."""
    result = run_git(root, "describe", "--tags", "--abbrev=0")
    return (result.stdout.strip() or None) if result.returncode == 0 else None
