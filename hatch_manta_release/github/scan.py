"""What the workflows of a repository do, read as YAML: for ``doctor`` and ``init``.

Two workflows that publish on the same tag publish twice (the second upload fails on PyPI, or
races the first), and an action pinned to a release on a removed Node runtime no longer runs.
This module finds both, and returns data; the callers word the findings.

- :func:`workflow_files` lists ``.github/workflows/*.yml|*.yaml`` of a repository;
- :func:`scan_repository` / :func:`scan_workflow` / :func:`scan_text` read each into a
  :class:`WorkflowScan`: its tag triggers, the actions it uses (:class:`ActionUse`: ref, comment,
  pinned to a SHA?, known to run on a removed Node runtime?) and the steps that publish to an
  index (:class:`PublishStep`: ``pypa/gh-action-pypi-publish``, ``twine upload``, ``uv publish``,
  ``hatch publish``, this tool's ``hatch run <env>:publish``) with their lines;
- :meth:`WorkflowScan.publishes_on_release_tags` says whether pushing a release tag with a given
  prefix (or publishing a GitHub Release) makes it publish; :func:`other_publishers` lists the
  workflows other than ours that do.

A file that is not valid YAML comes back with ``error`` set and nothing else, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.github.pins import Pin, removed_runtime, split_uses, steps_of
from hatch_manta_release.github.triggers import tag_patterns_of, tag_triggers, triggers_of
from hatch_manta_release.github.yamlio import eol_comment, line_of, load

WORKFLOWS = Path(".github") / "workflows"
PUBLISH_ACTION = "pypa/gh-action-pypi-publish"
# What a `run:` line that uploads to an index looks like, by tool.
PUBLISH_COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("twine upload", re.compile(r"\btwine\s+upload\b")),
    ("uv publish", re.compile(r"\buv\s+publish\b")),
    ("hatch publish", re.compile(r"\bhatch\s+publish\b")),
    ("hatch-manta-release publish", re.compile(r"\bhatch\s+run\s+[\w.-]+:publish\b|\bmanta-release\s+publish\b")),
)


@dataclass(frozen=True)
class ActionUse:
    """One ``uses:`` of a step (or a job calling a reusable workflow)."""

    job: str
    line: int | None
    action: str  # owner/repo[/path]
    ref: str
    comment: str | None  # the release named beside a SHA pin: "v6.1.0"

    @property
    def uses(self) -> str:
        return f"{self.action}@{self.ref}"

    @property
    def pinned(self) -> bool:
        """Pinned to a full commit SHA (a tag or a branch can move under the workflow)."""
        return Pin(self.action, self.ref).pinned

    @property
    def removed_runtime(self) -> bool:
        """Its release is known to run on Node 20 or older, which GitHub removed from its runners."""
        return removed_runtime(Pin(self.action, self.ref, self.comment))


@dataclass(frozen=True)
class PublishStep:
    """A step that uploads to a package index."""

    job: str
    line: int | None
    how: str  # "pypa/gh-action-pypi-publish", "twine upload", ...
    text: str  # the line as written


@dataclass(frozen=True)
class WorkflowScan:
    """What one workflow file does."""

    path: Path
    error: str | None = None  # not valid YAML: nothing else is known
    tag_patterns: list[str] | None = None  # on.push.tags filters; None: tag pushes do not start it
    release_event: bool = False  # on: release (a published GitHub Release starts it)
    actions: tuple[ActionUse, ...] = ()
    publishes: tuple[PublishStep, ...] = field(default=())

    def triggered_by_tag(self, tag: str) -> bool:
        return self.tag_patterns is not None and tag_triggers(self.tag_patterns, tag)

    def publishes_on_release_tags(self, prefix: str) -> bool:
        """It publishes, and a release tag with ``prefix`` (or a GitHub Release) starts it."""
        samples = (f"{prefix}1.2.0", f"{prefix}1.2.0rc1")
        return bool(self.publishes) and (self.release_event or any(self.triggered_by_tag(t) for t in samples))

    @property
    def unpinned(self) -> list[ActionUse]:
        return [a for a in self.actions if not a.pinned]

    @property
    def on_removed_runtime(self) -> list[ActionUse]:
        return [a for a in self.actions if a.removed_runtime]


def workflow_files(root: str | Path) -> list[Path]:
    """The workflow files GitHub reads for the repository at ``root`` (its top level)."""
    folder = Path(root) / WORKFLOWS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def scan_repository(root: str | Path) -> list[WorkflowScan]:
    return [scan_workflow(path) for path in workflow_files(root)]


def scan_workflow(path: Path) -> WorkflowScan:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return WorkflowScan(path, error=f"cannot read it: {e}")
    return scan_text(text, path)


def scan_text(text: str, path: Path) -> WorkflowScan:
    try:
        document = load(text, str(path))
    except MantaError as e:
        return WorkflowScan(path, error=e.message)
    return WorkflowScan(
        path,
        tag_patterns=tag_patterns_of(document),
        release_event="release" in triggers_of(document),
        actions=tuple(_actions(document)),
        publishes=tuple(_publish_steps(document)),
    )


def other_publishers(root: str | Path, prefix: str, ours: Path | None = None) -> list[WorkflowScan]:
    """The workflows, other than ``ours`` (a path relative to ``root``), that publish on release tags."""
    own = (Path(root) / ours).resolve() if ours else None
    return [scan for scan in scan_repository(root)
            if scan.path.resolve() != own and scan.publishes_on_release_tags(prefix)]


def _actions(document: Any) -> Iterator[ActionUse]:
    jobs = document.get("jobs") if isinstance(document, Mapping) else None
    for job_id, job in (jobs or {}).items() if isinstance(jobs, Mapping) else ():
        if isinstance(job, Mapping) and isinstance(job.get("uses"), str):  # a reusable workflow
            yield from _action_use(str(job_id), job)
    for job_id, step in steps_of(document):
        if isinstance(step.get("uses"), str):
            yield from _action_use(job_id, step)


def _action_use(job: str, node: Any) -> Iterator[ActionUse]:
    parts = split_uses(node["uses"])
    if parts:
        yield ActionUse(job, line_of(node, "uses"), parts[0], parts[1], eol_comment(node, "uses"))


def _publish_steps(document: Any) -> Iterator[PublishStep]:
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    for job_id, step in steps_of(document):
        uses = step.get("uses")
        if isinstance(uses, str) and uses.startswith(PUBLISH_ACTION):
            yield PublishStep(job_id, line_of(step, "uses"), PUBLISH_ACTION, f"uses: {uses}")
        script = step.get("run")
        if not isinstance(script, str):
            continue
        first = line_of(step, "run")
        block = isinstance(script, LiteralScalarString | FoldedScalarString)
        for offset, text in enumerate(script.splitlines()):
            for how, pattern in PUBLISH_COMMANDS:
                if pattern.search(text):
                    line = first + offset + (1 if block else 0) if first is not None else None
                    yield PublishStep(job_id, line, how, text.strip())
                    break
