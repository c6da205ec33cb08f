"""The project, loaded once per command: ``pyproject.toml``, the validated config, the facts the
release needs from the rest of the file, and the resolved dist folder.

Every command makes one :class:`Project` and passes it down, so nothing reads ``pyproject.toml``
twice. Standard library and ``packaging`` only: the version source loads this on every build.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hatch_manta_release.core.config import Config, _did_you_mean, parse_config
from hatch_manta_release.core.defaults import TABLE
from hatch_manta_release.core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class ProjectInfo:
    """What we need from the rest of ``pyproject.toml``."""

    root: Path
    name: str
    requires_python: str | None
    dynamic_version: bool
    has_build_hooks: bool  # any hatch build hook other than ours: likely compiled parts
    cibuildwheel: Mapping[str, Any]  # the project's own [tool.cibuildwheel]
    hatch_version: Mapping[str, Any]  # [tool.hatch.version]
    raw: Mapping[str, Any]

    @property
    def import_name(self) -> str:
        from hatch_manta_release.core.names import filename_part  # not needed to build: imported here

        return filename_part(self.name)


@dataclass(frozen=True)
class Project:
    """One adopting project as every command sees it."""

    root: Path
    data: Mapping[str, Any]  # the whole pyproject.toml
    info: ProjectInfo
    config: Config

    @property
    def dist_dir(self) -> Path:
        """``dist-dir`` of the config, relative to the project."""
        return self.root / self.config.dist_dir

    def dist_folder(self, override: str | None) -> Path:
        """A ``--dist-dir`` option is relative to where the command runs; the config's to the project."""
        return Path(override).resolve() if override else self.dist_dir


def load_project(root: str | Path = ".", *, for_version_source: bool = False) -> Project:
    """Read ``pyproject.toml`` under ``root`` once and validate it (see :func:`load_config`)."""
    root = Path(root)
    data = read_pyproject(root)
    info = project_info(root, data)
    config = _config(info, data, for_version_source)
    if not for_version_source:
        register_token_variables(config)
    return Project(root=root, data=data, info=info, config=config)


def register_token_variables(config: Config) -> None:
    """Every repository's ``token-env`` (and the token it holds, if set) is a secret from here on: no
    child process of any command (build's pip and PEP 517 hooks, check's twine, git) inherits it, and
    no output shows it (:mod:`.redaction`)."""
    import os

    from hatch_manta_release.core.redaction import register_secret, register_secret_variable

    for repository in config.repositories.values():
        if repository.token_env:
            value = os.environ.get(repository.token_env, "").strip()
            if value:
                register_secret(value, variable=repository.token_env)
            else:
                register_secret_variable(repository.token_env)


def read_pyproject(root: str | Path) -> dict[str, Any]:
    path = Path(root) / "pyproject.toml"
    try:
        with path.open("rb") as f:
            data: dict[str, Any] = tomllib.load(f)
            return data
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml in {Path(root).resolve()}",
            "run this from the project's root folder (the one holding pyproject.toml)",
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None


def project_info(root: str | Path, data: Mapping[str, Any] | None = None) -> ProjectInfo:
    root = Path(root)
    data = read_pyproject(root) if data is None else data
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise ConfigError("[project] must be a table")
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{root / 'pyproject.toml'}: [project] name is missing", 'set name = "..."')
    tool = _table(data, "tool", "[tool]")
    requires_python = project.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        raise ConfigError(f"[project] requires-python must be a string, got {type(requires_python).__name__}",
                          'set requires-python = ">=3.9" (a version specifier)')
    dynamic = project.get("dynamic", [])
    if not isinstance(dynamic, list) or not all(isinstance(d, str) for d in dynamic):
        raise ConfigError(f"[project] dynamic must be a list of strings, got {dynamic!r:.60}",
                          'set dynamic = ["version"]')
    hatch = _table(tool, "hatch", "[tool.hatch]")
    build = _table(hatch, "build", "[tool.hatch.build]")
    # Hooks that run for the wheel (global ones and the wheel target's) mean compiled parts; an
    # sdist-only hook says nothing about the wheel.
    hooks: dict[str, Any] = dict(_table(build, "hooks", "[tool.hatch.build.hooks]"))
    wheel = _table(_table(build, "targets", "[tool.hatch.build.targets]"), "wheel", "[tool.hatch.build.targets.wheel]")
    hooks.update(_table(wheel, "hooks", "[tool.hatch.build.targets.wheel.hooks]"))
    ours = {"manta-release", "vcs", "version"}
    return ProjectInfo(
        root=root,
        name=name,
        requires_python=requires_python,
        dynamic_version="version" in dynamic,
        has_build_hooks=any(h not in ours for h in hooks),
        cibuildwheel=_table(tool, "cibuildwheel", "[tool.cibuildwheel]"),
        hatch_version=_table(hatch, "version", "[tool.hatch.version]"),
        raw=data,
    )


def _table(parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """``parent[key]`` when it is a table; a clear error naming it when it is something else."""
    value = parent.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, got {type(value).__name__} {value!r:.60}",
                          "see hatch's build configuration reference for its layout")
    return value


def load_config(
    root: str | Path = ".", data: Mapping[str, Any] | None = None, *, for_version_source: bool = False
) -> Config:
    """Read ``pyproject.toml`` under ``root`` and validate ``[tool.manta-release]``.

    ``for_version_source``: the hatchling version source runs on every build of every adopting
    project and needs only the tag settings; it skips expanding ``python`` into CPython versions,
    the one step that needs ``packaging.specifiers`` (which imports ``packaging.tags``: a third of
    our import time). Every other key is still validated; ``python`` is checked by every release
    command.
    """
    data = read_pyproject(root) if data is None else data
    return _config(project_info(root, data), data, for_version_source)


def _config(info: ProjectInfo, data: Mapping[str, Any], for_version_source: bool) -> Config:
    if info.hatch_version.get("source") == "manta-release":
        _check_hatch_version(info.hatch_version)
    table = _table(data, "tool", "[tool]").get("manta-release", {})
    return parse_config(
        table,
        project_name=info.name,
        requires_python=info.requires_python,
        fallback_version=info.hatch_version.get("fallback-version"),
        expand_pythons=not for_version_source,
        root=info.root,
    )


# [tool.hatch.version] keys when source = "manta-release": ours, and hatchling's own (its version scheme).
HATCH_VERSION_KEYS = ("source", "fallback-version", "scheme", "validate-bump")


def _check_hatch_version(table: Mapping[str, Any]) -> None:
    """A setting meant for another version source (hatch-vcs's ``tag-pattern``, ``raw-options``;
    the regex source's ``path``) would be silently ignored: say so instead."""
    for key in table:
        if key not in HATCH_VERSION_KEYS:
            raise ConfigError(
                f'[tool.hatch.version] unknown key {key} for source = "manta-release"'
                f"{_did_you_mean(key, HATCH_VERSION_KEYS)}",
                f"allowed keys: {', '.join(HATCH_VERSION_KEYS)}; release tags are set by tag-prefix and "
                f"prerelease-labels in [{TABLE}]",
            )
