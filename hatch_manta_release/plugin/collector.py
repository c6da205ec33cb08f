"""The hatch environment collector: injects the ``release`` environment into a project.

Switched on by ``[tool.hatch.env.collectors.manta-release]`` (with ``[tool.hatch.env] requires =
["hatch-manta-release"]``). The environment is ``detached`` (it never installs the project, so the
version source does not run to create it), installs hatch-manta-release with its ``release`` extra,
and has one script per ``manta-release`` command that passes its arguments through::

    hatch run release:plan --json      # runs: manta-release plan --json

**The very same plugin.** The release environment installs the hatch-manta-release that hatch
loaded this collector from: if that copy was installed from a direct URL or a local folder (PEP 610
``direct_url.json``: a VCS commit, an archive, a folder, editable or not), the environment gets
``hatch-manta-release[release] @ <that URL>``; otherwise ``hatch-manta-release[release]==<its
version>``. A project that pins a version in ``requires``, or points it at a local checkout, gets
exactly that in its release environment. (hatch's ``dependencies`` cannot be editable, so an
editable checkout is installed as a plain ``@ file://`` install; ``hatch env prune`` picks up later
changes to that checkout.)

**Merging with the user's own table.** hatch merges a collector's initial configuration with the
user's ``[tool.hatch.envs.<name>]`` *shallowly*: a user's ``scripts`` table would replace ours
wholesale. So :meth:`MantaReleaseEnvironmentCollector.finalize_config` merges again, key by key,
with these rules:

- ``scripts`` and ``env-vars``: the union of ours and the user's; **on a name both define, the
  user's wins** (it is their project: ``build = "manta-release build --builder native"`` is a
  legitimate customisation, and hatch's own template inheritance resolves the same way).
- ``dependencies``: ours, then the user's that we do not already list; a user's requirement on
  ``hatch-manta-release`` itself replaces ours (an explicit pin is a deliberate choice).
- every other key (``detached``, ``installer``, ``python``, ``extra-dependencies``, …): the user's
  value if they set one, else ours. A user's ``template`` (inherit from another environment) is
  honoured: ``detached`` would discard it, so it becomes ``skip-install = true`` instead (still
  no project install) unless the user set ``detached`` or ``skip-install`` themselves.

The environment name is ``env-name`` in ``[tool.manta-release]`` (default ``release``).

This module runs inside hatch: it imports only the standard library at import time, and
``packaging`` (always present beside hatch) when it merges dependencies.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from hatch.env.collectors.plugin.interface import EnvironmentCollectorInterface

from hatch_manta_release.cli.commands import COMMANDS
from hatch_manta_release.core import defaults
from hatch_manta_release.core.names import requirement_name as _requirement_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DIST_NAME = defaults.DIST_NAME
EXTRA = defaults.RELEASE_EXTRA
DEFAULT_ENV_NAME = defaults.ENV_NAME
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def release_scripts() -> dict[str, str]:
    """One script per command; hatch substitutes ``{args}`` with the arguments after the script name."""
    return {name: f"manta-release {name} {{args}}" for name in COMMANDS}


def self_requirement(extra: str | None = EXTRA, dist_name: str = DIST_NAME) -> str:
    """The requirement that installs this very copy of hatch-manta-release (see the module docs)."""
    from importlib.metadata import PackageNotFoundError, distribution

    name = f"{dist_name}[{extra}]" if extra else dist_name
    try:
        dist = distribution(dist_name)
    except PackageNotFoundError:  # pragma: no cover - we are running, so we are installed
        return name
    url = None
    raw = dist.read_text("direct_url.json")
    if raw:
        try:
            url = direct_url_to_pep508(json.loads(raw))
        except (ValueError, TypeError, KeyError, AttributeError):
            url = None  # a malformed record: fall back to the version
    if url:
        return f"{name} @ {url}"
    return f"{name}=={dist.version}"


def direct_url_to_pep508(data: dict[str, Any]) -> str | None:
    """A PEP 508 URL for a PEP 610 ``direct_url.json`` record (``None`` if it has no usable URL).

    - a VCS checkout: ``git+https://…@<commit id>`` (the exact commit that was installed);
    - an archive (sdist or wheel file, local or remote) and a folder: its URL as recorded;
    - a ``subdirectory`` becomes the ``#subdirectory=`` fragment.
    """
    url = data.get("url")
    if not isinstance(url, str) or not url:
        return None
    vcs_info = data.get("vcs_info")
    if isinstance(vcs_info, dict):
        vcs = vcs_info["vcs"]
        commit = vcs_info.get("commit_id") or vcs_info.get("requested_revision")
        url = f"{vcs}+{url}" if not url.startswith(f"{vcs}+") else url
        if commit:
            url = f"{url}@{commit}"
    subdirectory = data.get("subdirectory")
    if subdirectory:
        url = f"{url}#subdirectory={subdirectory}"
    return url


def read_env_name(root: str | Path) -> str:
    """``env-name`` from ``[tool.manta-release]`` (``release`` when unset or unreadable here).

    Only this one key is read: the full configuration is validated by the release commands, and a
    mistake elsewhere in it must not stop hatch from working with the project's other environments.
    """
    try:
        with (Path(root) / "pyproject.toml").open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_ENV_NAME
    table = data.get("tool", {}).get("manta-release", {})
    name = table.get("env-name", DEFAULT_ENV_NAME) if isinstance(table, dict) else DEFAULT_ENV_NAME
    if not isinstance(name, str) or not _ENV_NAME.match(name) or name == "default":
        # Never take over the project's `default` environment (its tests would stop installing
        # the project), and never break hatch for every other environment over one bad value:
        # fall back to `release`, whose commands then report the key (config.py validates it).
        return DEFAULT_ENV_NAME
    return name


def merge_env_config(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Merge the plugin's environment table with the user's; the rules are in the module docs."""
    merged = copy.deepcopy(ours)
    for key, value in theirs.items():
        if key in ("scripts", "env-vars") and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif key == "dependencies" and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = _merge_dependencies(merged[key], value)
        else:
            merged[key] = value
    if "template" in theirs and "detached" not in theirs and merged.get("detached"):
        del merged["detached"]
        merged.setdefault("skip-install", True)
    return merged


def _merge_dependencies(ours: list[str], theirs: list[str]) -> list[str]:
    mine = _requirement_name(DIST_NAME)
    user_pins_us = any(isinstance(d, str) and _requirement_name(d) == mine for d in theirs)
    result = [d for d in ours if not (user_pins_us and _requirement_name(d) == mine)]
    for dependency in theirs:
        wanted = dependency
        if isinstance(dependency, str) and _requirement_name(dependency) == mine:
            wanted = _with_release_extra(dependency)
        if wanted not in result:
            result.append(wanted)
    return result


def _with_release_extra(requirement: str) -> str:
    """A user's own pin of the plugin still needs the commands' dependencies (the release extra)."""
    from packaging.requirements import Requirement

    parsed = Requirement(requirement)
    if EXTRA in parsed.extras:
        return requirement
    parsed.extras = {*parsed.extras, EXTRA}
    return str(parsed)


class MantaReleaseEnvironmentCollector(EnvironmentCollectorInterface):
    """Adds the release environment to every project that switches the collector on."""

    PLUGIN_NAME = "manta-release"

    @property
    def env_name(self) -> str:
        return read_env_name(self.root)

    def release_env_config(self) -> dict[str, Any]:
        """The plugin's own table for the release environment (a fresh copy on every call)."""
        name = self.env_name
        return {
            "detached": True,
            "installer": "uv",
            "dependencies": [self_requirement()],
            "scripts": release_scripts(),
            "description": f"Release tooling from hatch-manta-release: hatch run {name}:plan, {name}:build, ...",
        }

    def get_initial_config(self) -> dict[str, dict[str, Any]]:
        # hatch stores this dict and then updates it in place with the user's table (shallowly);
        # finalize_config below merges properly from a fresh copy of ours.
        return {self.env_name: self.release_env_config()}

    def finalize_config(self, config: dict[str, dict[str, Any]]) -> None:
        name = self.env_name
        current = config.get(name)
        if not isinstance(current, dict):
            config[name] = self.release_env_config()
            return
        ours = self.release_env_config()
        # After hatch's shallow update, `current` holds ours overwritten key by key by the user's.
        # A key whose value is still ours (the user did not set it) merges as a no-op.
        theirs = {key: value for key, value in current.items() if key not in ours or value != ours[key]}
        config[name] = merge_env_config(ours, theirs)
