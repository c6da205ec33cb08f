"""``manta-release github-release``: the GitHub Release of the plan's tag, with dist/ attached."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command("github-release")
@click.option("--dist-dir", type=click.Path(file_okay=False), default=None,
              help="The folder whose files are attached.  [default: dist-dir in [tool.manta-release], dist]")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds per API request (uploads get ten times as long).")
@click.pass_context
def command(ctx: click.Context, dist_dir: str | None, timeout: float) -> None:
    """Create or finish the GitHub Release of the plan's tag and attach dist/ to it.

    Talks to the REST API at $GITHUB_API_URL (default https://api.github.com) for $GITHUB_REPOSITORY
    with $GITHUB_TOKEN (which needs `contents: write`). Which tags get a release, the extra assets
    and the notes are set in [tool.manta-release.github-release] (when, assets, notes, notes-file).
    A draft is created, every asset uploaded, then the release is published, as GitHub's immutable
    releases require. Safe to re-run: identical assets (same sha256) are kept, a half-done draft is
    finished, and a different file under a published asset's name is an error.
    """
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.plan import make_plan
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.github.actions import append_step_summary
    from hatch_manta_release.github.release import (
        ReleaseReport,
        release_wanted,
        report_markdown,
        run_github_release,
        settings_of,
    )
    from hatch_manta_release.github.rest import GitHubAPI, target_from_env

    output = Output()
    project = load_project(Path(ctx.obj["root"]))
    plan = make_plan(project)
    settings = settings_of(project)
    folder = project.dist_folder(dist_dir)
    if not plan.publish or not plan.tag:
        raise MantaError(
            f"{plan.project} {plan.version} gets no GitHub Release: {plan.reason}",
            "github-release runs on a clean checkout of a release tag, after publish (`manta-release plan` "
            "shows the decision)",
        )
    wanted, reason = release_wanted(plan, settings)
    if not wanted:
        output.display_note(reason)
        append_step_summary(report_markdown(ReleaseReport(plan.tag or "", False, reason)))
        return
    api = GitHubAPI(target_from_env(os.environ), timeout=timeout, upload_timeout=timeout * 10)
    report = run_github_release(project, plan, settings, api, dist_dir=folder, say=output.display_info)
    for step in report.steps:
        if step.action == "keep":
            output.display_info(f"kept {step.asset.name}: {step.why}")
    kept, sent = report.count("keep"), report.count("upload") + report.count("replace")
    output.display(f"GitHub Release {report.tag}: {sent} uploaded, {kept} kept"
                   + (" (latest)" if report.latest else "") + (f" {report.release_url}" if report.release_url else ""))
    append_step_summary(report_markdown(report))

