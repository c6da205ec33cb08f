"""Markdown for the job's summary page: the plan, and what a publish did."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hatch_manta_release.core.plan import channel_name

if TYPE_CHECKING:
    from hatch_manta_release.core.plan import Plan


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
