"""``manta-release build``: the sdist and the wheels into ``dist/``, every one at the planned version."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hatch_manta_release.build.steps import Event
    from hatch_manta_release.cli.output import Output


@click.command("build")
@click.option(
    "--platform",
    "platform",
    metavar="OS|NAME",
    help="Build one slice (a CI matrix job): an OS (linux, macos, windows) or a configured platform "
    "name such as macos-arm64.",
)
@click.option("--arch", metavar="ARCH", help="Only this architecture (x86_64, arm64, aarch64, AMD64).")
@click.option(
    "--builder",
    type=click.Choice(["cibuildwheel", "native"]),
    default=None,
    help="cibuildwheel (default; Linux needs Docker or Podman) or native: this machine's interpreter "
    "with hatchling, repaired by auditwheel on Linux, tested in a fresh venv.  [default: builder in "
    "[tool.manta-release]]",
)
@click.option("--sdist-only", is_flag=True, help="Build the sdist only (the workflow's sdist job).")
@click.option("--no-sdist", is_flag=True, help="Build the wheels only.")
@click.option("--dist-dir", type=click.Path(file_okay=False), default=None,
              help="Where to put the files.  [default: dist-dir in [tool.manta-release], dist]")
@click.option("--clean", is_flag=True, help="Remove wheels and sdists already in the dist folder first.")
@click.option("-v", "--verbose", is_flag=True, help="Show the output of every build step as it runs.")
@click.pass_context
def command(  # noqa: PLR0917 (click passes options as arguments)
    ctx: click.Context,
    platform: str | None,
    arch: str | None,
    builder: str | None,
    sdist_only: bool,
    no_sdist: bool,
    dist_dir: str | None,
    clean: bool,
    verbose: bool,
) -> None:
    """Build the sdist and wheels into dist/ at the planned version.

    A pure-Python project gets one py3-none-any wheel; a project with compiled parts gets platform
    wheels through cibuildwheel (build identifiers, before-build, environment and test-command from
    [tool.manta-release]; the project's own [tool.cibuildwheel] wins) or the native builder.
    """
    from hatch_manta_release.build.run import BuildOptions, run_build
    from hatch_manta_release.cli.output import Output
    from hatch_manta_release.cli.tables import artifact_table
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.dist.artifacts import read_artifact

    if sdist_only and no_sdist:
        raise MantaError("--sdist-only and --no-sdist exclude each other", "pass one of them")
    project = load_project(Path(ctx.obj["root"]).resolve())
    config = project.config
    options = BuildOptions(
        dist_dir=project.dist_folder(dist_dir),
        builder=builder or config.builder,
        platform=platform,
        arch=arch,
        sdist=not no_sdist,
        wheels=not sdist_only,
        clean=clean,
        verbose=verbose,
    )
    output = Output(verbose=verbose)
    with BuildProgress(output) as progress:
        report = run_build(project, options, progress)
    for note in report.notes:
        output.display_note(note)
    artifacts = [read_artifact(p) for p in report.produced]
    if artifacts:
        output.display("")
        title = f"Built {len(artifacts)} file{'s' if len(artifacts) != 1 else ''}"
        output.display_markup(artifact_table(artifacts, title=title))
    else:
        output.display_note("nothing was built")


class BuildProgress:
    """Renders the build's events as they come: headings, ticks and notes on stderr, a spinner
    while a quiet step runs, a GitHub Actions log group around a streamed one, and a failed
    step's captured output."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.stack = ExitStack()

    def __enter__(self) -> BuildProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def __call__(self, event: Event) -> None:
        from rich.markup import escape

        from hatch_manta_release.github.actions import group

        out = self.output
        if event.kind == "step":
            out.err.print(f"[bold]{escape(event.text)}[/]", highlight=False)
        elif event.kind == "done":
            out.display_success(event.text)
        elif event.kind == "note":
            out.display_note(event.text)
        elif event.kind in ("command", "output"):
            out.display_info(("  " if event.kind == "command" else "") + event.text)
        elif event.kind == "begin":
            self.stack.enter_context(group(event.text) if event.streamed else out.err.status(escape(event.text)))
        elif event.kind == "end":
            self.stack.close()
