"""This project's own version, from its own tags through its own code (dogfooding).

hatchling cannot load a version-source plugin from the tree it is building, so pyproject.toml uses
hatchling's ``code`` source on this file, which runs exactly what ``source = "manta-release"``
runs for adopting projects.
"""

import sys
from pathlib import Path

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.project import load_config
from hatch_manta_release.core.version import resolve_version

_root = Path(__file__).resolve().parent.parent
try:
    _resolved = resolve_version(_root, load_config(_root))
except MantaError as _error:  # a clean message, as the version source gives adopting projects
    raise SystemExit(f"manta-release: {_error}") from None
for _warning in _resolved.warnings:  # skipped tags, on stderr as the version source writes them
    print(f"manta-release: warning: {_warning}", file=sys.stderr)
__version__ = str(_resolved.version)
