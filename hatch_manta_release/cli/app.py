"""``manta-release``: the command line, thin over the parts.

Each command lives in ``commands/<name>.py`` and is imported only when it runs, so
``manta-release version`` does not pay for twine or cibuildwheel. A :class:`MantaError` is printed
as one line of cause and one of fix (no traceback) and sets the exit code.
"""

from __future__ import annotations

import gc
import importlib
import sys

import click

from hatch_manta_release.cli.commands import COMMANDS
from hatch_manta_release.core.errors import MantaError


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"hatch_manta_release.cli.{cmd_name.replace('-', '_')}")
        command: click.Command = module.command
        command.short_help = COMMANDS[cmd_name]
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    default=".",
    show_default=True,
    help="The project's root folder (holding pyproject.toml).",
)
@click.pass_context
def cli(ctx: click.Context, root: str) -> None:
    """Release a Python project from the configuration in pyproject.toml."""
    ctx.obj = {"root": root}


def fail(error: MantaError) -> None:
    """Print a user error without a traceback and exit with its code."""
    from hatch_manta_release.cli.output import Output

    Output().abort(error)


def main(argv: list[str] | None = None) -> None:
    from hatch_manta_release.core.redaction import install_stream_redaction

    install_stream_redaction()  # every line this process prints passes the one redaction point
    try:
        cli.main(args=argv, prog_name="manta-release", standalone_mode=False)
        # Nothing is freed after the command: the interpreter's exit would otherwise walk every object the
        # imports made (requests, twine, rich) - measured 0.1 s after a publish, on every run.
        gc.freeze()
    except MantaError as e:
        fail(e)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
