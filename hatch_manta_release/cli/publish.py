"""``manta-release publish``: upload dist/ to the repository the plan routes to; safe to re-run."""

from __future__ import annotations

from pathlib import Path

import click


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
    help="Parallel wheel uploads.  [default: 4; on a loopback index 2 on a 2-core machine]",
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
    "--timeout", type=click.FloatRange(1, 3600), default=300.0, show_default=True, help="Seconds per request."
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
    verbose: bool,
) -> None:
    """Upload dist/ to the repository the plan routes to.

    A pre-release tag goes to the test repository, a final tag to production
    ([tool.manta-release.routes]); an untagged or dirty tree never publishes. Files already on the
    index with the same sha256 are skipped, so a re-run finishes an interrupted release; a different
    file under a published name stops the release on production. The token comes from the
    repository's token-env variable (never shown), or from Trusted Publishing.
    """
    from hatch_manta_release.publish import PublishOptions, publish

    options = PublishOptions(
        repository=repository,
        dry_run=dry_run,
        allow_missing=allow_missing,
        no_check=no_check,
        jobs=jobs,
        retries=retries,
        retry_delay=retry_delay,
        timeout=timeout,
        verbose=verbose,
    )
    publish(Path(ctx.obj["root"]), options)
