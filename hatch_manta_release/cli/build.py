"""``manta-release build``: the sdist and the wheels into ``dist/``, every one at the planned version."""

from __future__ import annotations

from pathlib import Path

import click


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
    from hatch_manta_release.build.run import BuildOptions, Reporter, run_build
    from hatch_manta_release.cli.output import console
    from hatch_manta_release.cli.tables import artifact_table
    from hatch_manta_release.core.errors import MantaError
    from hatch_manta_release.core.project import load_config
    from hatch_manta_release.dist.artifacts import read_artifact

    if sdist_only and no_sdist:
        raise MantaError("--sdist-only and --no-sdist exclude each other", "pass one of them")
    root = Path(ctx.obj["root"])
    config = load_config(root)
    options = BuildOptions(
        root=root,
        # --dist-dir is relative to where the command runs; dist-dir in the config to the project
        dist_dir=Path(dist_dir).resolve() if dist_dir else Path(config.dist_dir),
        builder=builder or config.builder,
        platform=platform,
        arch=arch,
        sdist=not no_sdist,
        wheels=not sdist_only,
        clean=clean,
        verbose=verbose,
    )
    reporter = Reporter(verbose)
    result = run_build(options, reporter)
    for note in result.notes:
        reporter.note(note)
    artifacts = [read_artifact(p) for p in result.produced]
    if artifacts:
        console.print()
        title = f"Built {len(artifacts)} file{'s' if len(artifacts) != 1 else ''}"
        console.print(artifact_table(artifacts, title=title))
    else:
        reporter.note("nothing was built")
