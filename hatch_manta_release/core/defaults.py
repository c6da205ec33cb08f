"""One table of defaults: the reference release system's settings, each defined once.

Every other module (config validation, init, the collector, the workflow) reads its default from
here. Standard library only: the version source and the hatch collector both import it.
"""

from __future__ import annotations

from typing import Final

DIST_NAME: Final = "hatch-manta-release"  # this plugin's distribution name
RELEASE_EXTRA: Final = "release"  # the extra that the release environment installs
TABLE: Final = "tool.manta-release"

TAG_PREFIX: Final = "v"
DIST_DIR: Final = "dist"
ENV_NAME: Final = "release"
BUILDER: Final = "cibuildwheel"
PYTHON: Final = ">=3.9"

PYPI_UPLOAD_URL: Final = "https://upload.pypi.org/legacy/"
PYPI_INDEX_URL: Final = "https://pypi.org/simple/"
TESTPYPI_UPLOAD_URL: Final = "https://test.pypi.org/legacy/"
TESTPYPI_INDEX_URL: Final = "https://test.pypi.org/simple/"

# The built-in ``local`` repository: a folder index inside the project (under dist/, which hatchling
# leaves out of every sdist and most projects git-ignore), for rehearsing a release offline.
LOCAL_INDEX: Final = "dist/index"

PRERELEASE_ROUTE: Final = "testpypi"
FINAL_ROUTE: Final = "pypi"

# PEP 440 pre-release segment for each semver-style label (`v1.0.0-beta.1` -> `1.0.0b1`).
# `test` is the reference guide's own label (`v0.1.0-test.1`), which is not a valid version as
# written; it is mapped to a development release.
PRERELEASE_LABELS: dict[str, str] = {
    "alpha": "a",
    "a": "a",
    "beta": "b",
    "b": "b",
    "rc": "rc",
    "c": "rc",
    "pre": "rc",
    "preview": "rc",
    "dev": "dev",
    "test": "dev",
    "post": "post",
}
PEP440_SEGMENTS = ("a", "b", "rc", "dev", "post")
# What a bare numeric suffix (`v1.0.0-1`) becomes: PEP 440 reads it as a post-release (a final).
NUMERIC_SUFFIX: Final = "post"
