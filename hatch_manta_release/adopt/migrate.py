"""Moving a project over from what it used before: hatch-vcs settings carried, setuptools leftovers and
other publishing workflows named.

hatch-vcs is this plugin's nearest relative, so its settings map over: ``tag-pattern`` becomes
``tag-prefix`` where the pattern is a fixed prefix before the version (anything else is a clear
error, never a silent drop), ``fallback-version`` is read by this version source as it is, and the
vcs build hook's ``version-file`` moves to this plugin's build hook. What cannot be carried
(setuptools-scm's ``raw-options``, a ``version-file-template``) is said, key by key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatch_manta_release.core.errors import ConfigError
from hatch_manta_release.core.names import requirement_name

# A hatch-vcs tag-pattern that is a fixed prefix and then the version: ^v(?P<version>.*)$
_PREFIX_PATTERN = re.compile(r"^\^?(?P<literal>(?:[^\\()\[\]{}.*+?|^$]|\\[^A-Za-z0-9])*)\(\?P<version>(?P<body>.*)\)"
                             r"(?:\(\?:\\\+\.\*\)\??)?\$?$")

# What setuptools-scm's raw-options did, and what takes its place here.
RAW_OPTIONS = {
    "local_scheme": "dev versions carry +g<sha> here; only a clean commit on a release tag is published",
    "version_scheme": "dev versions follow guess-next-dev here (1.5.0 + 3 commits -> 1.5.1.dev3)",
    "root": "the version is read from the repository that holds pyproject.toml",
    "search_parent_directories": "the version is read from the repository that holds pyproject.toml",
    "git_describe_command": "release tags are matched by tag-prefix",
    "tag_regex": "release tags are matched by tag-prefix",
    "fallback_version": 'use fallback-version in [tool.hatch.version] instead',
}


def prefix_from_pattern(pattern: str) -> str:
    """The tag prefix a hatch-vcs ``tag-pattern`` stands for, or a :class:`ConfigError` saying why it is none."""
    match = _PREFIX_PATTERN.match(pattern)
    prefix = re.sub(r"\\(.)", r"\1", match["literal"]) if match else None
    if prefix is not None and not _captures_the_rest(pattern, prefix):
        prefix = None
    if prefix is None:
        raise ConfigError(
            f"[tool.hatch.version] tag-pattern = {pattern!r} is not a fixed tag prefix followed by the version, "
            "so it cannot become tag-prefix",
            'set tag-prefix in [tool.manta-release] to the prefix of your release tags (tag-prefix = "" for tags '
            "like 1.2.3), remove tag-pattern, and run init again",
        )
    return prefix


def _captures_the_rest(pattern: str, prefix: str) -> bool:
    """Whether the pattern reads the version as what follows ``prefix`` (checked on sample tags, matched
    from the tag's start as setuptools-scm does)."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    for version in ("1.2.3", "10.0"):
        found = compiled.match(prefix + version)
        if found is None or found.group("version") != version:
            return False
    return True


def from_hatch_vcs(doc: Any, changes: list[str], notes: list[str]) -> str | None:
    """Carry hatch-vcs's settings over in place; returns the tag prefix its tag-pattern stands for."""
    hatch = doc["tool"]["hatch"]
    version = hatch["version"]
    prefix = None
    if "tag-pattern" in version:
        pattern = str(version["tag-pattern"])
        prefix = prefix_from_pattern(pattern)
        del version["tag-pattern"]
        changes.append(f'replaced tag-pattern = {pattern!r} by tag-prefix = "{prefix}"')
    if "fallback-version" in version:
        notes.append(f'kept fallback-version = "{version["fallback-version"]}" (the version of a tree without git '
                     "history, as with hatch-vcs)")
    if "raw-options" in version:
        raw = version["raw-options"]
        del version["raw-options"]
        said = "; ".join(f"{key}: {RAW_OPTIONS.get(key, 'no counterpart here')}" for key in raw)
        changes.append(f"removed raw-options (setuptools-scm options, which this version source does not read: {said})")
    _move_version_file(hatch, changes, notes)
    _drop_hatch_vcs(doc, hatch, changes, notes)
    return prefix


def _move_version_file(hatch: Any, changes: list[str], notes: list[str]) -> None:
    """[tool.hatch.build.hooks.vcs] version-file -> [tool.hatch.build.hooks.manta-release] version-file."""
    import tomlkit

    hooks = hatch.get("build", {}).get("hooks", {})
    vcs = hooks.get("vcs")
    if vcs is None:
        return
    version_file = vcs.get("version-file")
    template = vcs.get("template", vcs.get("version-file-template"))
    dotted = vcs.is_super_table()
    del hooks["vcs"]
    if version_file is None:
        changes.append("removed [tool.hatch.build.hooks.vcs] (hatch-vcs's build hook)")
        return
    if dotted:  # dotted keys ([tool.hatch] build.hooks.vcs.version-file = …): stay dotted
        hooks.add(tomlkit.key(["manta-release", "version-file"]), str(version_file))
    else:
        ours = tomlkit.table()
        ours["version-file"] = str(version_file)
        ours.add(tomlkit.nl())
        hooks["manta-release"] = ours
    changes.append(f'moved version-file = "{version_file}" from [tool.hatch.build.hooks.vcs] to '
                   "[tool.hatch.build.hooks.manta-release] (it writes __version__ and __version_tuple__ at build time)")
    if template is not None:
        notes.append("hatch-vcs's version-file template is not carried: the file now holds __version__, version, "
                     "__version_tuple__ and version_tuple; import what you need from it")


def _drop_hatch_vcs(doc: Any, hatch: Any, changes: list[str], notes: list[str]) -> None:
    """hatch-vcs leaves [build-system] requires once nothing uses it (its metadata hook still would)."""
    if "vcs" in hatch.get("metadata", {}).get("hooks", {}):
        notes.append("[tool.hatch.metadata.hooks.vcs] still uses hatch-vcs (its URLs with the commit): it stays, "
                     "and so does hatch-vcs in [build-system] requires")
        return
    requires = doc.get("build-system", {}).get("requires")
    if requires is None:
        return
    for index in reversed(range(len(requires))):
        if requirement_name(str(requires[index])) == "hatch-vcs":
            changes.append(f'removed "{requires[index]}" from [build-system] requires (nothing uses it now)')
            del requires[index]


def setuptools_leftovers(doc: Any) -> list[str]:
    """What a setuptools project keeps in pyproject.toml that hatchling ignores, with what to do about it."""
    found = []
    requires = doc.get("build-system", {}).get("requires") or []
    for requirement in requires:
        name = requirement_name(str(requirement))
        if name in ("setuptools", "setuptools-scm", "wheel"):
            found.append(f'remove "{requirement}" from [build-system] requires: hatchling builds the project now')
    for key in doc.get("tool", {}):
        if key in ("setuptools_scm", "setuptools-scm"):
            found.append(f"remove [tool.{key}]: the version comes from the release tags through this plugin now")
        elif key.startswith("setuptools"):
            found.append(f"remove [tool.{key}]: hatchling does not read it (which files go into the wheel is set by "
                         "[tool.hatch.build.targets.wheel] packages/include, see hatch's build configuration)")
    return found


def root_leftovers(root: Path) -> list[str]:
    """setup.py, setup.cfg and MANIFEST.in: hatchling does not read them."""
    what = {
        "setup.py": "move what it does into pyproject.toml ([project], a hatch build hook for compiled parts) "
        "and delete it",
        "setup.cfg": "move its [metadata]/[options] into [project] and delete it (keep other tools' sections, "
        "e.g. [flake8], if you still use them)",
        "MANIFEST.in": "delete it: hatchling's sdist takes what git tracks, refined by "
        "[tool.hatch.build.targets.sdist] include/exclude",
    }
    return [f"{name} is a setuptools leftover: {advice}" for name, advice in what.items() if (root / name).is_file()]


def publishing_workflows(root: Path, prefix: str) -> list[str]:
    """Other workflows that publish when a release tag is pushed: each tag would publish twice."""
    from hatch_manta_release.adopt.workflows import describe_steps, publishing_on, read_workflows
    from hatch_manta_release.github.workflow import WORKFLOW_PATH

    sample = f"{prefix}1.2.0"
    return [
        f"{w.path.as_posix()} also publishes when a release tag such as {sample} is pushed, so every release would "
        f"be uploaded twice (the second upload fails on PyPI): remove its publishing steps, {describe_steps(w)}, "
        f"or the whole file if {WORKFLOW_PATH.name} replaces it"
        for w in publishing_on(read_workflows(root), sample, WORKFLOW_PATH)
    ]
