"""Markdown for the job's summary page: the plan, and what a publish did."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hatch_manta_release.core.names import printable as shown
from hatch_manta_release.core.plan import channel_name

if TYPE_CHECKING:
    from hatch_manta_release.core.plan import Plan
    from hatch_manta_release.publish.report import PublishReport


def plan_markdown(plan: Plan) -> str:
    publish = "yes" if plan.publish else "no"
    rows = [
        ("Version", f"`{plan.version}`"),
        ("Tag", f"`{plan.tag}`" if plan.tag else "(none)"),
        ("Channel", channel_name(plan.channel)),
        ("Publish", f"{publish}: {plan.reason}"),
        ("Repository", f"{plan.repository.name} ({plan.repository.upload_url})"),
        ("Environment", plan.environment or "(none)"),
        ("Artifacts", f"{1 + len(plan.wheels)} files: `{plan.sdist}` and {plan.wheels_in_words()}"),
    ]
    body = "\n".join(f"| {k} | {v.replace('|', '/')} |" for k, v in rows)
    return f"### Release plan: {plan.project} {plan.version}\n\n| | |\n|---|---|\n{body}\n\n"


def publish_markdown(report: PublishReport) -> str:
    """What a publish did, for the job's summary page: a table of files and results, the install command."""
    from hatch_manta_release.dist.artifacts import human_size
    from hatch_manta_release.publish.report import STATUS_LABELS

    plan, repo = report.plan, report.repository
    title = "Dry run" if report.dry_run else "Published" if report.ok else "Publishing stopped"
    lines = [
        f"### {title}: {plan.project} {plan.version} → {repo.name}",
        "",
        "| file | size | sha256 | result |",
        "|---|---:|---|---|",
    ]
    for o in report.outcomes:
        result = STATUS_LABELS.get(o.status, o.status) + (f" ({o.note})" if o.note else "")
        if o.failure is not None:
            result += f": {o.failure.cause}"
        lines.append(f"| `{shown(o.file.filename)}` | {human_size(o.file.size)} | `{o.file.sha256}` | {result} |")
    lines.append("")
    if report.blockers:
        lines += ["A real publish would stop:", "", *(f"- {b}" for b in report.blockers), ""]
    elif report.ok:
        lines += ["Install:", "", "```", report.install_command, "```", ""]
    return "\n".join(lines) + "\n"
