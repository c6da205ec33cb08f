"""The generated workflow's jobs as Mermaid diagrams and tables, from ``github.workflow.build_workflow``.

The edges are the jobs' own ``needs:``; the build matrix is the one the workflow renders for the
default platforms; nothing about the workflow is written here by hand.
"""

from __future__ import annotations

from typing import Any

from hatch_manta_release.core.config import Config
from hatch_manta_release.github.workflow import WORKFLOW_PATH, build_workflow

EXAMPLE = "example"


def jobs(pure_python: bool) -> dict[str, dict[str, Any]]:
    """The jobs of the workflow for a default config of a pure or a compiled project."""
    workflow: dict[str, Any] = build_workflow(Config(project_name=EXAMPLE), pure_python)
    return workflow["jobs"]


def needs(job: dict[str, Any]) -> list[str]:
    """A job's ``needs:`` as a list (a string, a list or the emitter's ``Flow``)."""
    value = job.get("needs", [])
    if isinstance(value, str):
        return [value]
    items = getattr(value, "items", value)
    return [str(v) for v in items]


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def _matrix(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("strategy", {}).get("matrix", {}).get("include", []))


def mermaid(pure_python: bool) -> str:
    """A flowchart: one node per job (a subgraph of matrix entries for a matrix job), edges from ``needs:``."""
    lines = ["flowchart LR"]
    for job_id, job in jobs(pure_python).items():
        name = str(job.get("name", job_id))
        entries = _matrix(job)
        if entries:
            lines.append(f'  subgraph {job_id}["{_label(job_id)}: one job per platform"]')
            for i, entry in enumerate(entries):
                text = "<br/>".join(_label(str(value)) for value in entry.values())
                lines.append(f'    {job_id}_{i}["{text}"]')
            lines.append("  end")
        else:
            condition = job.get("if")
            extra = f"<br/>if: {_label(str(condition))}" if condition else ""
            lines.append(f'  {job_id}["{_label(job_id)}: {_label(name)}{extra}"]')
    for job_id, job in jobs(pure_python).items():
        lines += [f"  {need} --> {job_id}" for need in needs(job)]
    return "\n".join(lines)


def _step_name(step: dict[str, Any]) -> str:
    text = str(step.get("name", ""))
    if "run" in step:
        text += f" (`{' '.join(str(step['run']).split())}`)"
    return text.replace("|", "\\|")


def table(pure_python: bool) -> str:
    rows = ["| job | needs | runs on | steps |", "|---|---|---|---|"]
    for job_id, job in jobs(pure_python).items():
        entries = _matrix(job)
        runs_on = f"`{job['runs-on']}`"
        if entries:
            runs_on = ", ".join(f"`{e.get('runner', job['runs-on'])}` ({e.get('platform', '')})" for e in entries)
        steps = "<br>".join(_step_name(step) for step in job.get("steps", []))
        rows.append(f"| `{job_id}` | {', '.join(f'`{n}`' for n in needs(job)) or '—'} | {runs_on} | {steps} |")
    return "\n".join(rows)


def render() -> str:
    out = []
    for pure, title in ((True, "A pure-Python project"), (False, "A project with compiled parts")):
        out += [f"## {title}", "", "```mermaid", mermaid(pure), "```", "", table(pure), ""]
    out += [f"The file is `{WORKFLOW_PATH.as_posix()}`."]
    return "\n".join(out)
