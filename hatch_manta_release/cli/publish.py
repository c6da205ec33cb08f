"""``manta-release publish``: upload dist/ to the repository the plan routes to; safe to re-run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.publish.report import FileOutcome, Note, PublishReport


@click.command("publish")
@click.option("--repository", "-r", metavar="NAME", help="Publish to this repository instead of the routed one.")
@click.option("--dry-run", is_flag=True, help="Do everything (plan, check, credentials, index query) but upload.")
@click.option("--allow-missing", is_flag=True, help="Publish even when platforms or the sdist are missing from dist/.")
@click.option("--no-check", is_flag=True, help="Skip checking dist/ against the plan altogether.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 32),
    default=None,
    help="Parallel wheel uploads.  [default: 8; on a loopback index half the CPUs + 1, at most 4]",
)
@click.option(
    "--retries", type=click.IntRange(0, 10), default=3, show_default=True, help="Retries of a transient failure."
)
@click.option(
    "--retry-delay",
    type=click.FloatRange(0, 60),
    default=1.0,
    show_default=True,
    help="First backoff in seconds (doubles on each retry).",
)
@click.option(
    "--timeout", type=click.FloatRange(1, 3600), default=300.0, show_default=True,
    help="Seconds one socket read may wait.",
)
@click.option(
    "--request-deadline", type=click.FloatRange(1, 86400), default=600.0, show_default=True,
    help="Seconds one request may take in all (a server that trickles or never answers is given up on).",
)
@click.option(
    "--run-deadline", type=click.FloatRange(1, 86400), default=1500.0, show_default=True,
    help="Seconds the whole publish may take, retries included (fits the workflow's 30-minute publish job).",
)
@click.option("--verbose", "-v", is_flag=True, help="Also show the index's own answer to a failed request.")
@click.pass_context
def command(
    ctx: click.Context,
    *,
    repository: str | None,
    dry_run: bool,
    allow_missing: bool,
    no_check: bool,
    jobs: int | None,
    retries: int,
    retry_delay: float,
    timeout: float,
    request_deadline: float,
    run_deadline: float,
    verbose: bool,
) -> None:
    """Upload dist/ to the repository the plan routes to.

    A pre-release tag goes to the test repository, a final tag to production
    ([tool.manta-release.routes]); an untagged or dirty tree never publishes. Files already on the
    index with the same sha256 are skipped, so a re-run finishes an interrupted release; a different
    file under a published name stops the release on production. The token comes from the
    repository's token-env variable (never shown), or from Trusted Publishing.
    """
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.publish import PublishError, PublishOptions, publish

    options = PublishOptions(
        repository=repository,
        dry_run=dry_run,
        allow_missing=allow_missing,
        no_check=no_check,
        jobs=jobs,
        retries=retries,
        retry_delay=retry_delay,
        timeout=timeout,
        request_deadline=request_deadline,
        run_deadline=run_deadline,
        verbose=verbose,
    )
    output = Output(verbose=verbose)
    project = load_project(Path(ctx.obj["root"]))
    try:
        report = publish(project, options, notify=lambda note: show_note(output, note))
    except PublishError as e:
        if e.report is not None:
            show_report(output, e.report)
        if verbose and e.detail:
            output.display_info(f"index said: {e.detail}")
        raise
    show_report(output, report)


def show_note(output: Output, note: Note) -> None:
    """A message of the run as it happens: progress, or a warning (an annotation on GitHub Actions)."""
    if note.level == "info":
        output.display_info(note.text)
        return
    if note.loud:
        output.err.rule(style="bold red")
    output.display_warning(note.text, title="manta-release publish")
    if note.loud:
        output.err.rule(style="bold red")


def show_report(output: Output, report: PublishReport) -> None:
    """The summary on stdout; on GitHub Actions the same in the job's summary page."""
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.github_run import on_github_actions
    from hatch_manta_release.github.actions import append_step_summary
    from hatch_manta_release.github.summary import publish_markdown

    for line in summary_lines(report, verbose=output.verbose):
        output.display(line)
    if on_github_actions():
        try:
            append_step_summary(publish_markdown(report))
        except MantaError as e:
            output.display_warning(e.message, e.hint)


def summary_lines(report: PublishReport, *, verbose: bool = False) -> list[str]:
    """Each file with its size, sha256 and result; the counts; then the install command (or the blockers)."""
    from hatch_manta_release.publish.report import STATUS_LABELS

    plan, repo = report.plan, report.repository
    verb = "dry run: would publish" if report.dry_run else "published" if report.ok else "publishing stopped:"
    if report.nothing_new:
        lines = [
            f"nothing new uploaded: {plan.project} {plan.version} to {repo.name} ({repo.upload_url}): "
            + report.why_nothing_new()
        ]
    else:
        lines = [f"{verb} {plan.project} {plan.version} to {repo.name} ({repo.upload_url})"]
    width = max((len(o.file.filename) for o in report.outcomes), default=10)
    for o in report.outcomes:
        lines.append(_file_line(o, width))
        if o.failure is not None:
            lines.append(f"      {o.failure.cause}")
            if verbose and o.failure.detail:
                lines.append(f"      index said: {o.failure.detail}")
    counts = ", ".join(f"{report.count(s)} {STATUS_LABELS[s]}" for s in STATUS_LABELS if report.count(s))
    lines.append(f"{counts or 'no files'} in {report.seconds:.1f}s")
    if report.blockers:
        lines.append(f"a real publish would stop: {len(report.blockers)} problem(s): " + "; ".join(report.blockers))
    elif report.ok:
        lines.append(f"install: {report.install_command}")
        page = repo.project_page(plan.project, plan.version)
        if page:
            lines.append(f"page:    {page}")
    return lines


def _file_line(o: FileOutcome, width: int) -> str:
    from hatch_manta_release.publish.report import STATUS_LABELS
    from hatch_manta_release.publish.verify import shown

    line = (
        f"  {STATUS_LABELS.get(o.status, o.status):<12} {shown(o.file.filename):<{width}}  {o.file.size_text:>9}  "
        f"sha256:{o.file.sha256}"
    )
    if o.note:
        line += f"  ({o.note})"
    elif o.maybe_landed:
        line += "  (may have landed: the answer was lost and the index could not be asked)"
    return line
