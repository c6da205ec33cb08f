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
    """Print the version of HEAD, derived from git tags.

    The base is the highest release tag in HEAD's history; tags that match the tag prefix but are
    no version are skipped with a warning (on stderr)."""
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.project import load_config
    from hatch_manta_release.core.version import resolve_version

    output = Output()
    root = Path(ctx.obj["root"])
    config = load_config(root)
    resolved = resolve_version(root, config)
    for warning in resolved.warnings:
        output.display_warning(warning, title="skipped tag")
    note = resolved.tag.note if resolved.tag else ""
    if as_json:
        details: dict[str, object] = {
            "version": str(resolved.version),
            "tag": resolved.tag.tag if resolved.tag else None,
            "source": resolved.source,
            "channel": resolved.channel,
            "releasable": resolved.is_release,
            "explanation": resolved.explanation,
        }
        if note:
            details["note"] = note
        if resolved.warnings:
            details["warnings"] = list(resolved.warnings)
        output.display(json.dumps(details, indent=2))
        return
    output.display(str(resolved.version))
    if explain:
        lines = [
            f"tag:      {resolved.tag.tag if resolved.tag else '(none)'}",
            f"mapping:  {resolved.explanation}",
            f"channel:  {resolved.channel} -> routes to {config.routes.for_channel(resolved.channel)}",
            f"release:  {'yes' if resolved.is_release else 'no (not a clean commit on a release tag)'}",
        ]
        if note:
            lines.append(f"note:     {note}")
        for line in lines:
            output.display(line)
