"""``manta-release workflow``: render ``.github/workflows/release.yml`` from the config."""

from __future__ import annotations

import click


@click.command("workflow")
@click.option("--check", is_flag=True, help="Exit non-zero when the file on disk differs from the config (for CI); "
              "the action pins in the file are the user's and never count as a difference.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the workflow instead of writing it.")
@click.pass_context
def command(ctx: click.Context, check: bool, to_stdout: bool) -> None:
    """Render the release and CI workflow from the configuration in pyproject.toml.

    The workflow only calls `hatch run <env>:<command>`; all release logic stays in this package.
    It keeps the action pins already in the file (so dependabot and renovate bumps survive), except
    pins known to run on a Node runtime GitHub removed; [tool.manta-release.workflow.actions] forces a pin.
    """
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.github.workflow import WORKFLOW_PATH, drift, replaced_pins, write_workflow

    output = Output()
    project = load_project(ctx.obj["root"])
    env = project.config.env_name
    state = drift(project)
    if to_stdout:
        output.display(state.expected.rstrip("\n"))
        return
    if check:
        if state.in_sync:
            output.display(f"{WORKFLOW_PATH} is up to date")
            return
        if state.actual is None:
            raise MantaError(f"{WORKFLOW_PATH} does not exist", f"run `hatch run {env}:workflow` to write it")
        output.display_info(state.diff().rstrip("\n"))
        raise MantaError(
            f"{WORKFLOW_PATH} differs from what the configuration in pyproject.toml renders",
            f"run `hatch run {env}:workflow` and commit the result (edits belong in pyproject.toml)",
        )
    for old, new in replaced_pins(state.actual, state.expected):
        output.display_note(f"{old.action} {old.comment or old.ref} runs on a Node runtime GitHub removed from its "
                            f"runners: pinned {new.comment or new.ref} instead")
    changed = write_workflow(project.root, state.expected)
    output.display(f"{'wrote' if changed else 'unchanged:'} {WORKFLOW_PATH}")
