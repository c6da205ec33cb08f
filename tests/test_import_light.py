"""The version source's import path stays light: hatchling loads our hook module on every build of
every project that has this package installed, and runs the version source on every build and
install of every adopting project. Neither may pull in hatch, twine, rich or click."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.projects import make_project

HEAVY = ("hatch", "twine", "rich", "click", "cibuildwheel", "tomlkit", "requests", "urllib3")

# Runs in a fresh interpreter: load the plugin as hatchling does (entry point -> hooks module ->
# registered class), resolve a version through it, and report every module that got imported.
SCRIPT = textwrap.dedent(
    """
    import json, sys
    from importlib.metadata import entry_points

    (ep,) = [ep for ep in entry_points(group="hatch") if ep.name == "manta-release"]
    hooks = ep.load()
    source_class = hooks.hatch_register_version_source()
    hook_class = hooks.hatch_register_build_hook()
    source = source_class(sys.argv[1], {"source": "manta-release"})
    data = source.get_version_data()

    from hatch_manta_release.core.project import load_config
    from hatch_manta_release.core.version import resolve_version
    resolved = resolve_version(sys.argv[1], load_config(sys.argv[1]))

    print(json.dumps({
        "version": data["version"],
        "resolved": str(resolved.version),
        "hook": hook_class.PLUGIN_NAME,
        "modules": sorted(sys.modules),
    }))
    """
)


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MANTA_RELEASE_")}


def test_version_source_imports_nothing_heavy(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v0.2.0-beta.1")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(project)], capture_output=True, text=True, env=env(), check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == report["resolved"] == "0.2.0b1"
    assert report["hook"] == "manta-release"
    assert heavy(report["modules"]) == []
    ours = {m for m in report["modules"] if m.startswith("hatch_manta_release")}
    assert ours <= {
        "hatch_manta_release",
        "hatch_manta_release.plugin",  # empty package folders
        "hatch_manta_release.core",
        "hatch_manta_release.plugin.hooks",
        "hatch_manta_release.plugin.version_source",
        "hatch_manta_release.plugin.build_hook",
        "hatch_manta_release.core.config",
        "hatch_manta_release.core.defaults",
        "hatch_manta_release.core.project",
        "hatch_manta_release.core.errors",
        "hatch_manta_release.core.platforms",
        "hatch_manta_release.core.git",
        "hatch_manta_release.core.version",
        "hatch_manta_release.core.tags",
        "hatch_manta_release.core.workflow_settings",  # [workflow] keys: stdlib only (issue 13)
        "hatch_manta_release.core.names",  # stdlib only; packaging is imported when a name is asked for
        "hatch_manta_release.core.basetag",
        "hatch_manta_release.core.archive",
    }, ours


def test_hatchling_version_imports_nothing_heavy(tmp_path: Path) -> None:
    """`python -m hatchling version` itself, measured with -X importtime."""
    project = make_project(tmp_path / "p", tag="v1.5.0rc0")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hatchling", "version"],
        cwd=project, capture_output=True, text=True, env=env(), check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.5.0rc0"
    imported = [
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    assert "hatch_manta_release.plugin.version_source" in imported  # the measurement saw our plugin load
    assert heavy(imported) == []


def test_hooks_module_alone_imports_only_hatchling_glue() -> None:
    """Just having the package installed costs every hatchling build the hooks module: nothing else."""
    code = "import sys, hatch_manta_release.plugin.hooks; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), check=True)
    modules = result.stdout.split()
    assert heavy(modules) == []
    assert {m for m in modules if m.startswith("hatch_manta_release")} == {
        "hatch_manta_release",
        "hatch_manta_release.plugin",  # an empty package folder
        "hatch_manta_release.plugin.hooks",
    }


SOURCE_ONLY = textwrap.dedent(
    """
    import json, sys
    from importlib.metadata import entry_points

    (ep,) = [ep for ep in entry_points(group="hatch") if ep.name == "manta-release"]
    source = ep.load().hatch_register_version_source()(sys.argv[1], {"source": "manta-release"})
    print(json.dumps({"version": source.get_version_data()["version"], "modules": sorted(sys.modules)}))
    """
)


def test_version_source_skips_what_only_release_commands_need(tmp_path: Path) -> None:
    """`python` -> CPython list needs packaging.specifiers (and with it packaging.tags, sysconfig,
    logging): a third of the version source's import time, for nothing a version needs. difflib is
    only for error messages."""
    project = make_project(tmp_path / "p", tag="v1.5.0", manta='python = ">=3.10"')
    result = subprocess.run(
        [sys.executable, "-c", SOURCE_ONLY, str(project)], capture_output=True, text=True, env=env(), check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == "1.5.0"
    for module in ("packaging.specifiers", "packaging.tags", "difflib"):
        assert module not in report["modules"], module
