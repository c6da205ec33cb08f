"""``manta-release version``: the version of HEAD, and with ``--explain`` how it was found."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("version")
@click.option("--explain", is_flag=True, help="Also show the tag, the mapping and the channel.")
@click.option("--json", "as_json", is_flag=True, help="Print the details as JSON.")
@click.pass_context
def command(ctx: click.Context, explain: bool, as_json: bool) -> None:
    """Print the version of HEAD, derived from git tags."""
    from hatch_manta_release.cli.output import console
    from hatch_manta_release.core.project import load_config
    from hatch_manta_release.core.version import resolve_version

    root = Path(ctx.obj["root"])
    config = load_config(root)
    resolved = resolve_version(root, config)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "version": str(resolved.version),
                    "tag": resolved.tag.tag if resolved.tag else None,
                    "source": resolved.source,
                    "channel": resolved.channel,
                    "releasable": resolved.is_release,
                    "explanation": resolved.explanation,
                },
                indent=2,
            )
        )
        return
    click.echo(str(resolved.version))
    if explain:
        # Plain text: tags, table names and environment values are not rich markup.
        for line in (
            f"tag:      {resolved.tag.tag if resolved.tag else '(none)'}",
            f"mapping:  {resolved.explanation}",
            f"channel:  {resolved.channel} -> routes to {config.routes.for_channel(resolved.channel)}",
            f"release:  {'yes' if resolved.is_release else 'no (not a clean commit on a release tag)'}",
        ):
            console.print(line, markup=False, highlight=False)
