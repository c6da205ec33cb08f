"""Project and requirement names, normalised one way (packaging's rules), for every module.

Only ``packaging``, imported when first needed: the version source loads core on every build.
"""

from __future__ import annotations

import re

_LEADING_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical_name(name: str) -> str:
    """The PEP 503 form (``My_Pkg.x`` -> ``my-pkg-x``), used for comparing and for index URLs."""
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def filename_part(name: str) -> str:
    """The name as wheel and sdist file names spell it (the binary distribution format's rule:
    the canonical name with ``_`` for ``-``), also the usual import name (``my-pkg`` -> ``my_pkg``)."""
    return canonical_name(name).replace("-", "_")


def distribution_of(filename: str) -> tuple[str, str] | None:
    """``(canonical project, normalised version)`` that a wheel or sdist file name says; None for any
    other name (``index.html``, an ``.egg``, a name packaging refuses)."""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
    from packaging.version import InvalidVersion

    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return str(name), str(version)


def requirement_name(requirement: str) -> str | None:
    """The canonical project name of a PEP 508 requirement string (``Foo[bar]>=1; …`` -> ``foo``).

    A string packaging cannot parse still names its project by its leading name (so a typo
    elsewhere in it does not hide which project it is about); ``None`` when it has none.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return canonical_name(Requirement(requirement).name)
    except InvalidRequirement:
        match = _LEADING_NAME.match(requirement)
        return canonical_name(match.group(1)) if match else None


def printable(name: str) -> str:
    """A name from outside (a file in dist/, an index's listing) as it is safe to print: control
    characters escaped, so a newline in it can never start a line of its own (a workflow command)."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")
