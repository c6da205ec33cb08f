"""The actions the workflow uses, and which commit each ``uses:`` pins.

The pins belong to the user once the file exists. A ref is chosen in this order:

1. ``[tool.manta-release.workflow.actions]`` in pyproject.toml: an explicit choice wins everywhere;
2. the SHA pin already in the workflow file for the same action (with its ``# vX.Y.Z`` comment), so
   a dependabot or renovate bump survives regenerating and ``workflow --check``;
3. the default (``core.workflow_settings.ACTIONS``; for a setup step, the ``uses:`` in its config).

A pin in the file is not kept when its release is known to run on a Node runtime GitHub removed
from its runners (Node 20 and older): a workflow with it no longer runs, so the default replaces it.
What is known comes from copies of the actions' repositories (``runs.using`` of each release's
``action.yml``): :data:`NODE24_SINCE`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.workflow_settings import ACTIONS, SHA, USES, WorkflowSettings
from hatch_manta_release.core.workflow_settings import ActionRelease as Action

__all__ = ["ACTIONS", "NODE24_SINCE", "Action", "Pin", "PinSet", "pins_in", "removed_runtime", "split_uses", "steps_of"]

# The first release of each action whose action.yml says `using: node24` (every earlier release
# runs on node20, node16 or node12, all removed from GitHub's runners).
NODE24_SINCE: dict[str, str] = {
    "actions/checkout": "5.0.0",
    "actions/setup-python": "6.0.0",
    "actions/upload-artifact": "6.0.0",
    "actions/download-artifact": "7.0.0",
    "actions/setup-node": "5.0.0",
    "actions/setup-go": "6.2.0",
    "actions/cache": "5.0.0",
}
# Commits known by their release though no comment says it: the pins this tool wrote before.
KNOWN_COMMITS: dict[str, str] = {
    "11bd71901bbe5b1630ceea73d27597364c9af683": "v4.2.2",  # actions/checkout
    "a26af69be951a213d495a4c3e4e4022e16d87065": "v5.6.0",  # actions/setup-python
    "ea165f8d65b6e75b540449e92b4886f43607fa02": "v4.6.2",  # actions/upload-artifact
    "d3f86a106a0bac45b974a628896c90dbdf5c8093": "v4.3.0",  # actions/download-artifact
    **{a.sha: a.version for a in ACTIONS.values()},
}


@dataclass(frozen=True)
class Pin:
    """One ``uses:`` value: the action, its ref and the comment beside it (``v6.1.0``)."""

    action: str  # owner/repo[/path]
    ref: str
    comment: str | None = None

    @property
    def uses(self) -> str:
        return f"{self.action}@{self.ref}"

    @property
    def pinned(self) -> bool:
        """Pinned to a full commit SHA (a tag or branch can be moved under the workflow)."""
        return bool(SHA.fullmatch(self.ref))


def release_of(pin: Pin) -> str | None:
    """The release a pin names: its comment (``v6.1.0``), a tag ref (``@v6``) or a known commit."""
    for text in (pin.comment, pin.ref, KNOWN_COMMITS.get(pin.ref)):
        word = (text or "").split()[0] if text else ""
        try:
            Version(word.removeprefix("v"))
        except InvalidVersion:
            continue
        return word
    return None


def removed_runtime(pin: Pin) -> bool:
    """Whether the pinned release is known to run on a Node runtime removed from GitHub's runners.

    A major-only ref (``@v6``) moves to that major's newest release, so it counts by its major.
    """
    since = NODE24_SINCE.get(pin.action)
    release = release_of(pin)
    if since is None or release is None:
        return False
    version, first = Version(release.removeprefix("v")), Version(since)
    if len(version.release) == 1:
        return version.major < first.major
    return version < first


def split_uses(uses: str) -> tuple[str, str] | None:
    """``(action, ref)`` of a repository action; None for ``./local`` and ``docker://`` actions."""
    match = USES.fullmatch(uses.strip())
    return (match["action"], match["ref"]) if match else None


def default_pin(action: Action) -> Pin:
    return Pin(action.repo, action.sha, action.version)


def steps_of(document: Any) -> Iterator[tuple[str, Any]]:
    """``(job id, step)`` for every step of a loaded workflow (anything not shaped so is skipped)."""
    jobs = document.get("jobs") if isinstance(document, Mapping) else None
    if not isinstance(jobs, Mapping):
        return
    for job_id, job in jobs.items():
        steps = job.get("steps") if isinstance(job, Mapping) else None
        if isinstance(steps, list):
            for step in steps:
                if isinstance(step, Mapping):
                    yield str(job_id), step


def pins_in(document: Any) -> dict[str, Pin]:
    """The SHA pin of each action in a loaded workflow (the first one met), with its comment."""
    from hatch_manta_release.github.yamlio import eol_comment

    found: dict[str, Pin] = {}
    for _, step in steps_of(document):
        uses = step.get("uses")
        parts = split_uses(uses) if isinstance(uses, str) else None
        if parts and SHA.fullmatch(parts[1]) and parts[0] not in found:
            found[parts[0]] = Pin(parts[0], parts[1], eol_comment(step, "uses"))
    return found


@dataclass(frozen=True)
class PinSet:
    """The pins one rendering uses: overrides, then the file's pins, then the defaults."""

    overrides: Mapping[str, Pin]
    in_file: Mapping[str, Pin]

    def pin(self, default: Pin) -> Pin:
        if default.action in self.overrides:
            return self.overrides[default.action]
        kept = self.in_file.get(default.action)
        return kept if kept is not None and not removed_runtime(kept) else default

    @classmethod
    def for_settings(cls, settings: WorkflowSettings, in_file: Mapping[str, Pin]) -> PinSet:
        overrides = {action: Pin(action, sha, comment) for action, sha, comment in settings.actions}
        return cls(overrides, in_file)

    def action(self, name: str) -> Pin:
        """The pin of one of the workflow's own actions (a key of :data:`ACTIONS`)."""
        return self.pin(default_pin(ACTIONS[name]))
