"""``manta-release check``: is ``dist/`` the release the plan describes, and will the index take it?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.plan import Plan
    from hatch_manta_release.dist.check import CheckReport


@click.command("check")
@click.option(
    "--platform",
    "platform",
    metavar="OS|NAME",
    help="Check completeness of one slice only (an OS or a configured platform name); the sdist is then "
    "not required.",
)
@click.option("--arch", metavar="ARCH", help="Only this architecture (with or without --platform).")
@click.option("--allow-missing", is_flag=True, help="Missing artifacts are warnings: a deliberate partial release.")
@click.option("--repository", metavar="NAME", default=None,
              help="Check against this repository's rules instead of the routed one.")
@click.option("--dist-dir", type=click.Path(file_okay=False), default=None,
              help="The folder to check.  [default: dist-dir in [tool.manta-release], dist]")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (stdout).")
@click.pass_context
def command(  # noqa: PLR0917 (click passes options as arguments)
    ctx: click.Context,
    platform: str | None,
    arch: str | None,
    allow_missing: bool,
    repository: str | None,
    dist_dir: str | None,
    as_json: bool,
) -> None:
    """Check dist/: metadata (twine check --strict), planned version on every file, wheel tags the
    index accepts, and every expected platform present."""
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.plan import make_plan
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.dist.artifacts import read_dist
    from hatch_manta_release.dist.check import CheckFailed, check_dist, select_platforms

    project = load_project(Path(ctx.obj["root"]))
    plan = make_plan(project, repository=repository)
    shown = dist_dir or project.config.dist_dir
    artifacts = read_dist(project.dist_folder(dist_dir))
    sliced = platform is not None or arch is not None
    platforms = select_platforms(plan.platforms, platform, arch) if sliced else None
    report = check_dist(plan, artifacts, platforms=platforms, allow_missing=allow_missing)

    if as_json:
        click.echo(json.dumps(report_json(plan, report), indent=2))
        report.raise_for_errors()
        return
    render(Output(), plan, report, shown, sliced=sliced)
    if not report.ok:
        n = len(report.errors)
        raise CheckFailed(f"{shown} is not ready to publish: {n} problem{'s' if n != 1 else ''} (above)")


def report_json(plan: Plan, report: CheckReport) -> dict[str, Any]:
    """The ``--json`` shape (a stable interface: a finding's file is ``file``)."""
    return {
        "ok": report.ok,
        "version": plan.version,
        "repository": plan.repository.name,
        "platforms": list(report.platforms),
        "artifacts": [
            {"filename": a.filename, "kind": a.kind, "version": a.version, "size": a.size,
             "sha256": a.sha256, "provides": report.expected.get(a.filename)}
            for a in report.artifacts
        ],
        "missing": report.missing,
        "findings": [
            {"level": f.level, "file": f.subject, "message": f.message, "hint": f.hint} for f in report.findings
        ],
    }


def render(out: Output, plan: Plan, report: CheckReport, shown: str, *, sliced: bool) -> None:
    """The table of files with a status mark each, then the findings, then the verdict."""
    from rich.markup import escape

    from hatch_manta_release.cli.tables import artifact_table
    from hatch_manta_release.core.plan import channel_name

    scope = f"slice {', '.join(report.platforms)}" if sliced else "the whole plan"
    out.err.print(
        f"[bold]Checking {escape(shown)}[/] against {escape(plan.project)} {plan.version} "
        f"({channel_name(plan.channel)}, for {plan.repository.name}; {scope})", highlight=False,
    )
    marks = {"error": "[red]✗[/]", "warning": "[yellow]![/]"}
    status = {}
    for a in report.artifacts:
        levels = {f.level for f in report.for_file(a.filename)}
        status[a.filename] = next((marks[lv] for lv in ("error", "warning") if lv in levels), "[green]✓[/]")
    if report.artifacts:
        out.display_markup(artifact_table(report.artifacts, status=status))
    for finding in report.findings:
        out.display_finding(finding)
    if not plan.publish:
        out.display_note(f"nothing will be published from this commit: {plan.reason}")
    if report.ok:
        n = len(report.artifacts)
        out.display_success(
            f"{n} file{'s' if n != 1 else ''} ready for {plan.repository.name}"
            + (" (partial: missing artifacts allowed)" if report.missing else "")
        )
