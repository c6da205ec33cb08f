"""How the user runs this tool, so that hints name the command the way they type it.

Inside the release environment (``hatch run release:build`` sets ``HATCH_ENV_ACTIVE=release``) a
hint says ``hatch run release:build --clean``; elsewhere ``manta-release build --clean``. Standard
library only.
"""

from __future__ import annotations

import os

from hatch_manta_release.core import defaults

HATCH_ENV_VARIABLE = "HATCH_ENV_ACTIVE"  # hatch sets it to the environment's name in `hatch run` and `hatch shell`


def command_form(command: str, env_name: str = defaults.ENV_NAME) -> str:
    """``command`` (``"build --clean"``) as the user would run it here."""
    if os.environ.get(HATCH_ENV_VARIABLE) == env_name:
        return f"hatch run {env_name}:{command}"
    return f"manta-release {command}"
