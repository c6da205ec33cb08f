"""``manta-release init``: adopt hatch-manta-release in an existing project."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("init")
@click.option("--force", is_flag=True, help="Replace conflicting settings and an edited workflow file.")
@click.option("--no-workflow", is_flag=True, help="Only edit pyproject.toml; do not write the workflow.")
@click.pass_context
def command(ctx: click.Context, force: bool, no_workflow: bool) -> None:
    """Add the adoption tables to pyproject.toml (keeping its formatting) and write the workflow.

    Never overwrites a setting you chose, or an edited workflow, without --force.
    """
    from rich.markup import escape

    from hatch_manta_release.adopt.init import InitConflict, init_project
    from hatch_manta_release.cli.output import console, err_console
    from hatch_manta_release.core.errors import MantaError

    root = Path(ctx.obj["root"])
    try:
        result = init_project(root, force=force, workflow=not no_workflow)
    except InitConflict as conflict:
        for item in conflict.conflicts:
            err_console.print(f"[red]conflict:[/] {escape(item)}")
        raise MantaError(
            f"init changed nothing: it would overwrite {len(conflict.conflicts)} setting(s) you chose (listed above)",
            conflict.hint,
        ) from None
    if not result.changes:
        console.print("already set up: nothing to change")
        return
    for change in result.changes:
        console.print(f"[green]+[/] {escape(change)}")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    env, prefix = result.env_name, result.tag_prefix
    console.print(
        f"next: `hatch run {env}:doctor` checks the setup; a release is a pushed tag: "
        f"`git tag {prefix}0.1.0 && git push origin {prefix}0.1.0`",
        markup=False,
    )
