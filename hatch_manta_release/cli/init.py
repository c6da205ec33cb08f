"""``manta-release init``: adopt hatch-manta-release in an existing project."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("init")
@click.option("--force", is_flag=True, help="Replace conflicting settings and an edited workflow file.")
@click.option("--no-workflow", is_flag=True, help="Only edit pyproject.toml; do not write the workflow.")
@click.option(
    "--git-archive",
    is_flag=True,
    help="Also write .git_archival.txt and its .gitattributes line, so `git archive` and GitHub's "
    "Download ZIP carry the version (as hatch-vcs and setuptools-scm users ship).",
)
@click.pass_context
def command(ctx: click.Context, force: bool, no_workflow: bool, git_archive: bool) -> None:
    """Add the adoption tables to pyproject.toml (keeping its formatting) and write the workflow.

    A hatch-vcs project is migrated (tag-pattern becomes tag-prefix, fallback-version stays, the
    vcs hook's version-file moves to this plugin's hook); the tag prefix is taken from the existing
    tags. Never overwrites another setting you chose, or an edited workflow, without --force.
    Setuptools leftovers and other workflows that publish on the same tags are listed.
    """
    from rich.markup import escape

    from hatch_manta_release.adopt.init import InitConflict, init_project
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.core.errors import MantaError

    out = Output()
    try:
        result = init_project(
            Path(ctx.obj["root"]), force=force, workflow=not no_workflow, git_archive=git_archive
        )
    except InitConflict as conflict:
        for item in conflict.conflicts:
            out.err.print(f"[red]conflict:[/] {escape(item)}", highlight=False)
        raise MantaError(
            f"init changed nothing: it would overwrite {len(conflict.conflicts)} setting(s) you chose (listed above)",
            conflict.hint,
        ) from None
    if not result.changes:
        out.display("already set up: nothing to change")
    for change in result.changes:
        out.display_markup(f"[green]+[/] {escape(change)}")
    for note in result.notes:
        out.display_markup(f"[yellow]note:[/] {escape(note)}")
    for warning in result.warnings:
        out.display_warning(warning)
    if not result.changes:
        return
    env, tag = result.env_name, f"{result.tag_prefix}{result.first_tag}"
    out.display(
        f"next: `hatch run {env}:doctor` checks the setup; a release is a pushed tag: "
        f"`git tag {tag} && git push origin {tag}`"
    )
