"""The one shape rule for PyPI API tokens (publish warns with it, doctor checks with it).

A PyPI or TestPyPI API token is ``pypi-`` followed by a URL-safe base64 macaroon. The macaroon
carries its location (``pypi.org``/``test.pypi.org``), an identifier and a 32-byte signature, so a
real token is well over 100 characters; 80 is far below any real one (no false alarm) yet catches
the common accident, a copy cut off at a line break or a field's width.
"""

from __future__ import annotations

import re
from typing import Final

PYPI_TOKEN_PREFIX: Final = "pypi-"  # noqa: S105 - a prefix, not a secret
PYPI_TOKEN_MIN_LENGTH: Final = 80
PYPI_TOKEN: Final = re.compile(
    rf"^{re.escape(PYPI_TOKEN_PREFIX)}[A-Za-z0-9_\-]{{{PYPI_TOKEN_MIN_LENGTH - len(PYPI_TOKEN_PREFIX)},}}$"
)
