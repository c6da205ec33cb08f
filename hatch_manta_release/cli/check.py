"""``manta-release check``: is ``dist/`` the release the plan describes, and will the index take it?"""

from __future__ import annotations

import json
from pathlib import Path

import click


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
    from rich.markup import escape

    from hatch_manta_release.cli.output import console, err_console
    from hatch_manta_release.core.plan import make_plan
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.dist.artifacts import artifact_table, check_dist, read_dist, select_platforms

    root = Path(ctx.obj["root"])
    project = load_project(root)
    config = project.config
    plan = make_plan(project, repository=repository)
    # --dist-dir is relative to where the command runs; dist-dir in the config to the project
    shown = dist_dir or config.dist_dir
    folder = Path(dist_dir).resolve() if dist_dir else root / config.dist_dir
    artifacts = read_dist(folder)
    sliced = platform is not None or arch is not None
    platforms = select_platforms(plan.platforms, platform, arch) if sliced else None
    report = check_dist(plan, artifacts, platforms=platforms, allow_missing=allow_missing)

    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "version": plan.version,
                    "repository": plan.repository.name,
                    "platforms": list(report.platforms),
                    "artifacts": [
                        {"filename": a.filename, "kind": a.kind, "version": a.version, "size": a.size,
                         "sha256": a.sha256, "provides": report.expected.get(a.filename)}
                        for a in artifacts
                    ],
                    "missing": report.missing,
                    "findings": [
                        {"level": f.level, "file": f.filename, "message": f.message, "hint": f.hint}
                        for f in report.findings
                    ],
                },
                indent=2,
            )
        )
    else:
        scope = f"slice {', '.join(report.platforms)}" if sliced else "the whole plan"
        err_console.print(
            f"[bold]Checking {escape(shown)}[/] against {escape(plan.project)} {plan.version} "
            f"({plan.channel}, for {plan.repository.name}; {scope})"
        )
        status = {}
        for a in artifacts:
            errors = [f for f in report.for_file(a.filename) if f.level == "error"]
            warns = [f for f in report.for_file(a.filename) if f.level == "warning"]
            status[a.filename] = "[red]✗[/]" if errors else "[yellow]![/]" if warns else "[green]✓[/]"
        if artifacts:
            console.print(artifact_table(artifacts, status=status))
        for finding in report.findings:
            colour, label = ("red", "error") if finding.level == "error" else ("yellow", "warning")
            where = f"{escape(finding.filename)}: " if finding.filename else ""
            err_console.print(f"[{colour}]{label}:[/] {where}{escape(finding.message)}")
            if finding.hint:
                err_console.print(f"  [dim]hint:[/] {escape(finding.hint)}")
        if not plan.publish:
            err_console.print(f"[yellow]note:[/] nothing will be published from this commit: {escape(plan.reason)}")
        if report.ok:
            n = len(artifacts)
            err_console.print(
                f"[green]✓[/] {n} file{'s' if n != 1 else ''} ready for {plan.repository.name}"
                + (" (partial: missing artifacts allowed)" if report.missing else "")
            )
    if as_json:
        report.raise_for_errors()
    elif not report.ok:
        from hatch_manta_release.dist.artifacts import CheckFailed

        n = len(report.errors)
        raise CheckFailed(f"{shown} is not ready to publish: {n} problem{'s' if n != 1 else ''} (above)")
