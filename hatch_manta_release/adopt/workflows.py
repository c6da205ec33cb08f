"""The project's other GitHub workflows, read as YAML: which publish on release tags, and their action pins.

Two workflows that both publish on a tag publish twice: the second upload fails on PyPI (the file
name is taken) after the first succeeded, or races it. ``init`` and ``doctor`` name such a workflow
and the lines to remove. Files are read with ruamel.yaml (round-trip, for line numbers), so a
hand-written workflow is read as YAML, never by pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKFLOWS_DIR = Path(".github") / "workflows"

# What publishes to an index from a workflow step: an action, or a command in a `run:` script.
PUBLISH_ACTION = "pypa/gh-action-pypi-publish"
_PUBLISH_COMMANDS = re.compile(
    r"\b(twine\s+upload|uv\s+publish|hatch\s+publish|flit\s+publish|poetry\s+publish|pdm\s+publish)\b"
)
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class PublishStep:
    line: int  # 1-based first line of the step in its file
    last: int  # its last line
    what: str  # "uses: pypa/gh-action-pypi-publish@release/v1" or "run: twine upload dist/*"
    job: str


@dataclass
class Workflow:
    path: Path  # relative to the repository root
    tag_patterns: list[str] | None  # on.push.tags filters (["**"] for every tag; None: tags do not trigger it)
    publish_steps: list[PublishStep] = field(default_factory=list)
    unpinned: list[tuple[int, str]] = field(default_factory=list)  # (line, "actions/checkout@v4")
    error: str | None = None  # why the file could not be read as a workflow

    def triggered_by(self, tag: str) -> bool:
        from hatch_manta_release.github.workflow import tag_triggers

        return self.tag_patterns is not None and tag_triggers(self.tag_patterns, tag)


def read_workflows(base: Path) -> list[Workflow]:
    """Every ``.github/workflows/*.yml``/``*.yaml`` under ``base`` (the repository root), by name."""
    folder = base / WORKFLOWS_DIR
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))
    return [read_workflow(p, base) for p in files]


def read_workflow(path: Path, base: Path) -> Workflow:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    relative = path.relative_to(base)
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as e:
        return Workflow(relative, None, error=f"not readable as YAML: {str(e).splitlines()[0] if str(e) else e}")
    if not isinstance(data, Mapping):
        return Workflow(relative, None, error="not a workflow (its top level is not a mapping)")
    workflow = Workflow(relative, push_tag_patterns(data))
    for job_id, step in _steps(data):
        _read_step(workflow, str(job_id), step)
    return workflow


def push_tag_patterns(data: Mapping[str, Any]) -> list[str] | None:
    """The ``on.push.tags`` filters of a parsed workflow; ``tags-ignore`` entries come back as ``!pattern``."""
    on: Any = data.get("on")
    if on is None:
        on = dict(data).get(True)  # type: ignore[call-overload]  # a YAML 1.1 reader turns the key `on` into true
    if isinstance(on, str | list):
        return ["**"] if "push" in _as_list(on) else None
    if not isinstance(on, Mapping) or "push" not in on:
        return None
    return _push_tags(on["push"] or {})  # `push:` with no value triggers on every push


def _push_tags(push: Any) -> list[str] | None:
    if not isinstance(push, Mapping):
        return None
    if "tags" in push:
        return [str(p) for p in _as_list(push["tags"])]
    if "tags-ignore" in push:
        return ["**", *(f"!{p}" for p in _as_list(push["tags-ignore"]))]
    if "branches" in push or "branches-ignore" in push:
        return None  # only branch filters: pushing a tag does not trigger it
    return ["**"]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _steps(data: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    jobs = data.get("jobs")
    if not isinstance(jobs, Mapping):
        return
    for job_id, job in jobs.items():
        if not isinstance(job, Mapping):
            continue
        if isinstance(job.get("uses"), str):  # a reusable workflow called as a job
            yield job_id, job
        for step in job.get("steps") or []:
            if isinstance(step, Mapping):
                yield job_id, step


def _read_step(workflow: Workflow, job: str, step: Mapping[str, Any]) -> None:
    line = _line_of(step)
    uses = step.get("uses")
    if isinstance(uses, str):
        action, _, ref = uses.partition("@")
        if action.lower().startswith(PUBLISH_ACTION):
            workflow.publish_steps.append(PublishStep(line, _last_line(step, line), f"uses: {uses}", job))
        if not uses.startswith(("./", "docker://")) and not _SHA.match(ref):
            workflow.unpinned.append((line, uses))
    run = step.get("run")
    if isinstance(run, str):
        command = next((ln.strip() for ln in run.splitlines() if _PUBLISH_COMMANDS.search(ln)), None)
        if command:
            workflow.publish_steps.append(PublishStep(line, _last_line(step, line), f"run: {command}", job))


def _last_line(node: Any, first: int) -> int:
    """The last line a step's keys and nested values reach (a block scalar counts its own lines)."""
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    last = first
    lc = getattr(node, "lc", None)
    if isinstance(node, Mapping) and lc is not None:
        for key, value in node.items():
            line = lc.data.get(key, [first - 1])[0] + 1
            if isinstance(value, str):
                block = isinstance(value, FoldedScalarString | LiteralScalarString)  # `|` or `>`: from the next line
                line += value.rstrip("\n").count("\n") + block
            last = max(last, line, _last_line(value, line))
    elif isinstance(node, list) and lc is not None:
        for index, value in enumerate(node):
            line = lc.data.get(index, [first - 1])[0] + 1
            last = max(last, line, _last_line(value, line))
    return last


def _line_of(node: Any) -> int:
    lc = getattr(node, "lc", None)
    return int(lc.line) + 1 if lc is not None and lc.line is not None else 0


def publishing_on(workflows: list[Workflow], tag: str, ours: Path) -> list[Workflow]:
    """Workflows other than ``ours`` that a push of ``tag`` triggers and that publish to an index."""
    return [w for w in workflows if w.path != ours and w.publish_steps and w.triggered_by(tag)]


def describe_steps(workflow: Workflow) -> str:
    """``release.yaml`` lines 31 (uses: pypa/gh-action-pypi-publish@release/v1), 40 (run: twine upload …)."""
    steps = ", ".join(
        f"{s.line}{f'-{s.last}' if s.last > s.line else ''} ({s.what})" for s in workflow.publish_steps
    )
    several = len(workflow.publish_steps) > 1 or any(s.last > s.line for s in workflow.publish_steps)
    return f"{workflow.path.as_posix()} line{'s' if several else ''} {steps}"
