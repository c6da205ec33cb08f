"""``manta-release plan``: the single release decision, for people and for the workflow.

- without options: a readable summary (rich tables, as hatch prints its own);
- ``--json``: the whole plan as JSON on stdout, nothing else there (with ``reuse = true``, also
  ``reuse``, ``reuse-base`` and ``reuse-reason``);
- ``--github-output``: appends ``key=value`` lines to the file ``$GITHUB_OUTPUT`` names (the
  workflow's first job exposes them to the others) and, where ``$GITHUB_STEP_SUMMARY`` is set, a
  Markdown summary of the plan to the job's summary page; fails clearly when ``$GITHUB_OUTPUT`` is
  not set;
- ``--repository NAME``: publish to NAME instead of the routed repository (the plan says so).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.table import Table

    from hatch_manta_release.build.reuse import ReuseDecision
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.plan import Plan
    from hatch_manta_release.core.project import Project


@click.command("plan")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (for machines).")
@click.option(
    "--github-output",
    is_flag=True,
    help="Append the plan as key=value lines to the file named by $GITHUB_OUTPUT (GitHub Actions).",
)
@click.option(
    "--repository",
    "-r",
    metavar="NAME",
    default=None,
    help="Publish to this repository instead of the one the channel routes to.",
)
@click.pass_context
def command(ctx: click.Context, as_json: bool, github_output: bool, repository: str | None) -> None:
    """Decide the release: tag, version, channel, target repository, expected artifacts."""
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.plan import make_plan
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.github.actions import GITHUB_OUTPUT, append_step_summary, append_to, format_outputs
    from hatch_manta_release.github.summary import plan_markdown

    output_path = None
    if github_output:
        output_path = os.environ.get(GITHUB_OUTPUT)
        if not output_path:
            raise MantaError(
                f"--github-output: the environment variable {GITHUB_OUTPUT} is not set",
                "GitHub Actions sets it in every step; elsewhere run without --github-output, "
                f"or set {GITHUB_OUTPUT}=<a file> to see what the workflow would receive",
            )

    project = load_project(Path(ctx.obj["root"]))
    plan = make_plan(project, repository=repository)
    reuse = reuse_decision(project, plan)
    out = Output()
    for warning in plan.resolved.warnings if plan.resolved else ():
        out.display_warning(warning, title="skipped tag")  # stderr: --json and --github-output stay clean
    if output_path:
        outputs = {**plan.github_outputs(), **workflow_outputs(project, plan, reuse)}
        append_to(Path(output_path), format_outputs(outputs), GITHUB_OUTPUT)
        append_step_summary(plan_markdown(plan))
        out.display_info(f"wrote {len(outputs)} outputs to ${GITHUB_OUTPUT} ({output_path})")

    if as_json:
        if reuse is None:
            click.echo(plan.to_json())
        else:
            from hatch_manta_release.build.reuse import describe

            click.echo(json.dumps({**plan.to_dict(), **describe(reuse)}, indent=2))
        return
    render(plan, out, reuse)


def reuse_decision(project: Project, plan: Plan) -> ReuseDecision | None:
    """Whether ``build`` will re-version the base release's wheels (None: ``reuse`` is not configured)."""
    from hatch_manta_release.build.reuse import decide_reuse, settings_of

    if not project.config.reuse:
        return None
    return decide_reuse(project, plan, settings_of(project))


def workflow_outputs(project: Project, plan: Plan, reuse: ReuseDecision | None) -> dict[str, str]:
    """The outputs decided outside core (they need git diffs, hatchling's file selection, the release
    settings): ``github-release`` (the github-release job runs), ``reuse`` and ``reuse-base`` (the
    build matrix is skipped and the base release's wheels are re-versioned)."""
    from hatch_manta_release.build.reuse import ReuseDecision
    from hatch_manta_release.build.reuse import github_outputs as reuse_outputs
    from hatch_manta_release.github.release import github_outputs as release_outputs

    return {**release_outputs(plan, project.config.github_release),
            **reuse_outputs(reuse or ReuseDecision(False, "reuse is off"))}


# ----------------------------------------------------------------------------- for people


def render(plan: Plan, out: Output, reuse: ReuseDecision | None = None) -> None:
    """The plan as two tables: the decision, then the artifacts a complete release holds."""
    from rich.markup import escape

    table = decision_table(plan)
    if reuse is not None:
        table.add_row("Reuse", ("[green]yes[/]: " if reuse.reuse else "[yellow]no[/]: ") + escape(reuse.reason))
    out.display_markup(table)
    out.display_markup(artifacts_table(plan))
    for python, why in plan.pythons_left_out:
        out.display_note(f"CPython {python} is in the python range but not planned: {why}")


def decision_table(plan: Plan) -> Table:
    """Version, channel, whether it publishes, where to, with which credentials and GitHub environment."""
    from rich.markup import escape
    from rich.table import Table

    from hatch_manta_release.core.plan import channel_name

    decision = Table(title=f"Release plan for {escape(plan.project)}", title_style="", show_header=False)
    decision.add_column("key", style="bold", no_wrap=True)
    decision.add_column("value")
    if plan.tag:
        decision.add_row("Version", f"{escape(plan.version)} (from tag {escape(plan.tag)})")
    else:
        decision.add_row("Version", escape(plan.version))
        decision.add_row("Tag", "(none: HEAD is not a clean commit on a release tag)")
    decision.add_row("Channel", channel_name(plan.channel))
    reason = plan.reason.removesuffix(f"; {plan.override_note}") if plan.override_note else plan.reason
    verdict = "[green]yes[/]" if plan.publish else "[yellow]no[/]"
    decision.add_row("Publish", f"{verdict}: {escape(reason)}")
    repo = plan.repository
    where = escape(repo.name)
    if plan.repository_overridden:
        where += (
            f" [yellow](chosen with --repository; the {channel_name(plan.channel)} route says "
            f"{escape(plan.routed_repository or '')})[/]"
        )
    elif plan.routed_repository:
        where += f" (the {channel_name(plan.channel)} route)"
    decision.add_row("Repository", where)
    decision.add_row("Upload URL", escape(repo.upload_url))
    decision.add_row("Index URL", escape(repo.index_url))
    decision.add_row("Skip existing", SKIP_EXISTING[repo.skip_existing])
    decision.add_row("Credentials", escape(_credentials(plan)))
    environment = "(none)"
    if plan.environment:
        environment = escape(plan.environment) + (f" ({escape(plan.environment_url)})" if plan.environment_url else "")
    decision.add_row("GitHub environment", environment)
    return decision


# Identical files already on the index are always skipped; the key decides about a *different* file.
SKIP_EXISTING = {
    True: "yes (a different file already there under the same name: skipped with a warning; identical files "
    "are always skipped)",
    False: "no (a different file already there under the same name: publish stops; identical files are always "
    "skipped)",
}


def _credentials(plan: Plan) -> str:
    repo = plan.repository
    credentials = []
    if repo.token_env:
        credentials.append(f"token from ${repo.token_env}")
    if repo.trusted_publishing:
        credentials.append("Trusted Publishing" + (" (when available)" if repo.trusted_publishing == "auto" else ""))
    return " or ".join(credentials) or "(none configured)"


def artifacts_table(plan: Plan) -> Table:
    """The files a complete release holds: the sdist, then the wheel(s) per platform with their runner."""
    from rich.markup import escape
    from rich.table import Table

    from hatch_manta_release.core.plan import pure_wheel_filename

    artifacts = Table(
        title=f"Expected artifacts in {escape(plan.dist_dir)}/: {int(plan.sdist_expected) + len(plan.wheels)} files",
        title_style="",
    )
    artifacts.add_column("Artifact", style="bold", no_wrap=True)
    artifacts.add_column("Platform", no_wrap=True)
    artifacts.add_column("Runner", no_wrap=True)
    artifacts.add_column("File or cibuildwheel build identifiers")
    if plan.sdist_expected:
        artifacts.add_row("sdist", "", "", escape(plan.sdist))
    if plan.pure_python:
        artifacts.add_row("wheel", "any", "", escape(pure_wheel_filename(plan.project, plan.version)))
        return artifacts
    for platform in plan.platforms:
        identifiers = plan.build_identifiers(platform.name)
        count = sum(1 for w in plan.wheels if w.platform == platform.name)
        kind = f" ({plan.wheel_kind})" if plan.wheel_kind in ("abi3", "platform") else ""
        artifacts.add_row(
            f"{count} wheel{'s' if count != 1 else ''}{kind}",
            platform.name,
            platform.runner,
            " ".join(identifiers),
        )
    return artifacts
