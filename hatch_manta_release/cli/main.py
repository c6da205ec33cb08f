"""The ``manta-release`` console script.

The base install is only the version source (hatchling + packaging, because every isolated build of
every adopting project installs it); the commands need the ``release`` extra (click, rich, twine,
cibuildwheel…), which the hatch ``release`` environment always has. Without it, say so in one line
instead of a ModuleNotFoundError traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as e:
        sys.stderr.write(
            f"manta-release: the commands need {e.name}, which comes with the release extra\n"
            "  hint: pip install 'hatch-manta-release[release]', or run them as `hatch run release:<command>`\n"
        )
        sys.exit(1)
    from hatch_manta_release.cli.app import main as cli_main

    cli_main()
