"""This project's own version, from its own tags through its own code (dogfooding).

hatchling cannot load a version-source plugin from the tree it is building, so pyproject.toml uses
hatchling's ``code`` source on this file, which runs exactly what ``source = "manta-release"``
runs for adopting projects.
"""

from pathlib import Path

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.project import load_config
from hatch_manta_release.core.version import resolve_version

_root = Path(__file__).resolve().parent.parent
try:
    __version__ = str(resolve_version(_root, load_config(_root)).version)
except MantaError as _error:  # a clean message, as the version source gives adopting projects
    raise SystemExit(f"manta-release: {_error}") from None
