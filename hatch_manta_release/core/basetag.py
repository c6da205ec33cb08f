"""Which release tag a version is based on: the highest one in HEAD's history, not git describe's.

``git describe`` names the *nearest* matching tag, and of several tags on one commit only one.
Taken as the base, that makes versions go backwards: ``v0.9.0`` and ``v1.0.0`` on one commit give
``1.0.0`` there and ``0.9.1.dev1`` one commit later. So the base is the highest version among the
matching tags reachable from HEAD, and tags that match the prefix but are no version (``v2-docs``)
are skipped with a warning instead of failing every build after them.

Cost: describe plus one listing of the tag refs (no history walk) in the common case, where no tag
beyond describe's commit has a higher version; only then are history walks asked for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from hatch_manta_release.core.config import Config
from hatch_manta_release.core.errors import TagError
from hatch_manta_release.core.git import Describe, TagRef, distance_from, is_ancestor, list_tags, reachable_tags
from hatch_manta_release.core.tags import TagVersion, version_from_tag

# The epoch and release numbers at the start of a tag's version: enough to rule most tags out
# as lower without mapping them (PEP 440 orders by epoch, then release, then the rest).
_RELEASE = re.compile(r"^(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)")
# For this many candidate commits one `merge-base --is-ancestor` each, before a full history walk.
_FEW_COMMITS = 3


class Base(NamedTuple):  # NamedTuples, not dataclasses: defined on every build, and cheaper
    """The tag a version is based on, HEAD's distance from it, and the tags skipped on the way."""

    tag: TagVersion | None
    distance: int
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # the names of the tags skipped


Failed = list[tuple[str, TagError]]


def map_tags(names: Iterable[str], config: Config) -> tuple[list[TagVersion], Failed]:
    """Each tag's version, and (name, error) for those that do not map."""
    mapped: list[TagVersion] = []
    failed: Failed = []
    for name in names:
        try:
            mapped.append(version_from_tag(name, config.tag_prefix, config.prerelease_labels, config.numeric_suffix))
        except TagError as e:
            failed.append((name, e))
    return mapped, failed


def highest(tagged: list[TagVersion], at_head: bool) -> TagVersion | None:
    """The highest version; on HEAD, the tag whose push started this GitHub Actions run, if any:
    pushing v1.0.0 to the commit of v1.0.0rc1 starts two runs, and the rc's run must not publish
    the final (nor the final's the rc)."""
    if at_head and os.environ.get("GITHUB_REF_TYPE") == "tag":
        for candidate in tagged:
            if candidate.tag == os.environ.get("GITHUB_REF_NAME"):
                return candidate
    return max(tagged, key=lambda t: t.version, default=None)


def skipped_warnings(failed: Failed, base: TagVersion | None) -> tuple[str, ...]:
    source = f"the version comes from tag {base.tag}" if base else "no other release tag is reachable"
    return tuple(f"{e.message}: skipped ({source})" for _, e in failed)


def _base(tag: TagVersion | None, distance: int, failed: Failed) -> Base:
    return Base(tag, distance, skipped_warnings(failed, tag), tuple(name for name, _ in failed))


def choose_base(root: str | Path, state: Describe, config: Config) -> Base:
    """The base of HEAD's version; raises the tag's :class:`TagError` when HEAD carries only tags
    that match the prefix but do not map (someone meant to release it: say what is wrong)."""
    assert state.tag is not None
    refs = list_tags(root, config.tag_prefix)
    commit = next((r.commit for r in refs if r.name == state.tag), None)
    mapped, failed = map_tags([r.name for r in refs if r.commit == commit] or [state.tag], config)
    best = highest(mapped, at_head=state.distance == 0)
    if state.distance == 0:
        if best is None:
            raise dict(failed).get(state.tag, failed[0][1])  # HEAD is tagged, but with no version
        return _base(best, 0, failed)  # HEAD's own tag, whatever lies behind
    top = _highest_reachable(root, _higher_elsewhere(refs, commit, best, config), config)
    if top is not None:
        return _base(top[0], distance_from(root, top[1].commit), failed)
    return _base(best, state.distance, failed)


def _highest_reachable(
    root: str | Path, higher: list[tuple[TagVersion, TagRef]], config: Config
) -> tuple[TagVersion, TagRef] | None:
    """The highest of ``higher`` in HEAD's history: one ancestry check (a short walk) for each
    of the few highest commits, in version order, so the first in HEAD's history holds the answer;
    past those, one walk listing every reachable tag."""
    higher.sort(key=lambda pair: pair[0].version, reverse=True)
    commits = list(dict.fromkeys(ref.commit for _, ref in higher))
    for candidate in commits[:_FEW_COMMITS]:
        if is_ancestor(root, candidate):
            return next(pair for pair in higher if pair[1].commit == candidate)
    if len(commits) <= _FEW_COMMITS:
        return None
    reachable = reachable_tags(root, config.tag_prefix)
    rest = set(commits[_FEW_COMMITS:])
    return next(((tag, ref) for tag, ref in higher if ref.commit in rest and ref.name in reachable), None)


def _higher_elsewhere(
    refs: tuple[TagRef, ...], commit: str | None, best: TagVersion | None, config: Config
) -> list[tuple[TagVersion, TagRef]]:
    """Tags on other commits whose version is above ``best`` (reachable or not; unmappable ones
    are left out silently: they are not in describe's way)."""
    floor = _release_key(best.version.epoch, best.version.release) if best else None
    found = []
    for ref in refs:
        if ref.commit == commit:
            continue
        if floor is not None:
            match = _RELEASE.match(ref.name[len(config.tag_prefix) :])
            if match is None:
                continue
            release = tuple(int(part) for part in match["release"].split("."))
            if _release_key(int(match["epoch"] or 0), release) < floor:
                continue  # lower whatever its suffix: not worth mapping (most tags, in a long history)
        mapped, _ = map_tags([ref.name], config)
        if mapped and (best is None or mapped[0].version > best.version):
            found.append((mapped[0], ref))
    return found


def _release_key(epoch: int, release: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    trimmed = list(release)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()  # 1.0 == 1.0.0
    return epoch, tuple(trimmed)
