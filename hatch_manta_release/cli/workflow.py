"""``manta-release workflow``: render ``.github/workflows/release.yml`` from the config."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("workflow")
@click.option("--check", is_flag=True, help="Exit non-zero when the file on disk differs from the config (for CI).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the workflow instead of writing it.")
@click.pass_context
def command(ctx: click.Context, check: bool, to_stdout: bool) -> None:
    """Render the release workflow from the configuration in pyproject.toml.

    The workflow only calls `hatch run <env>:<command>`; all release logic stays in this package.
    """
    from hatch_manta_release.cli.output import console, err_console
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.github.workflow import WORKFLOW_PATH, drift, render_for, write_workflow

    root = Path(ctx.obj["root"])
    if to_stdout:
        click.echo(render_for(root), nl=False)
        return
    if check:
        state = drift(root)
        if state.in_sync:
            console.print(f"{WORKFLOW_PATH} is up to date")
            return
        from hatch_manta_release.core.project import load_config

        env = load_config(root).env_name
        if state.actual is None:
            raise MantaError(f"{WORKFLOW_PATH} does not exist", f"run `hatch run {env}:workflow` to write it")
        err_console.out(state.diff(), highlight=False, end="")
        raise MantaError(
            f"{WORKFLOW_PATH} differs from what the configuration in pyproject.toml renders",
            f"run `hatch run {env}:workflow` and commit the result (edits belong in pyproject.toml)",
        )
    text = render_for(root)
    changed = write_workflow(root, text)
    console.print(f"{'wrote' if changed else 'unchanged:'} {WORKFLOW_PATH}")
