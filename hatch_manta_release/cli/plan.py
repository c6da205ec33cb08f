"""``manta-release plan``: the single release decision, for people and for the workflow.

- without options: a readable summary (rich tables, as hatch prints its own);
- ``--json``: the whole plan as JSON on stdout, nothing else there;
- ``--github-output``: appends ``key=value`` lines to the file ``$GITHUB_OUTPUT`` names (the
  workflow's first job exposes them to the others) and, where ``$GITHUB_STEP_SUMMARY`` is set, a
  Markdown summary of the plan to the job's summary page; fails clearly when ``$GITHUB_OUTPUT`` is
  not set;
- ``--repository NAME``: publish to NAME instead of the routed repository (the plan says so).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hatch_manta_release.core.plan import Plan


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
    from hatch_manta_release.cli.output import console, err_console
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.plan import plan_for
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

    plan = plan_for(Path(ctx.obj["root"]), repository=repository)

    if output_path:
        outputs = plan.github_outputs()
        append_to(Path(output_path), format_outputs(outputs), GITHUB_OUTPUT)
        append_step_summary(plan_markdown(plan))
        err_console.print(f"wrote {len(outputs)} outputs to ${GITHUB_OUTPUT} ({output_path})", highlight=False)

    if as_json:
        click.echo(plan.to_json())
        return
    render(plan, console)


# ----------------------------------------------------------------------------- for people


def render(plan: Plan, console) -> None:  # type: ignore[no-untyped-def]
    """The plan as two tables: the decision, then the artifacts a complete release holds."""
    from rich.markup import escape
    from rich.table import Table

    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.plan import channel_name, pure_wheel_filename

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
    if plan.publish:
        decision.add_row("Publish", f"[green]yes[/]: {escape(reason)}")
    else:
        decision.add_row("Publish", f"[yellow]no[/]: {escape(reason)}")
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
    decision.add_row("Skip existing", "yes (same file already there: skipped)" if repo.skip_existing else "no")
    credentials = []
    if repo.token_env:
        credentials.append(f"token from ${escape(repo.token_env)}")
    if repo.trusted_publishing:
        credentials.append("Trusted Publishing" + (" (when available)" if repo.trusted_publishing == "auto" else ""))
    decision.add_row("Credentials", " or ".join(credentials) or "(none configured)")
    if plan.environment:
        env = escape(plan.environment)
        if plan.environment_url:
            env += f" ({escape(plan.environment_url)})"
        decision.add_row("GitHub environment", env)
    else:
        decision.add_row("GitHub environment", "(none)")
    console.print(decision)

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
    else:
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
    console.print(artifacts)
    for python, why in plan.pythons_left_out:
        Output().display_note(f"CPython {python} is in the python range but not planned: {why}")
