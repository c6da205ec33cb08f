"""The release environment the collector injects.

Three levels: the pure functions (PEP 610 -> PEP 508), hatch's own configuration machinery run
in-process on real projects (how hatch merges our table with the user's, without creating
environments), and two real `hatch run` sessions isolated in temp folders, which create the
environment (installing this checkout and the release extra through uv) and run the scripts.
The real runs are grouped into two tests so each environment is created once, even under xdist.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from hatch_manta_release.plugin import collector as collector_module
from hatch_manta_release.plugin.collector import (
    COMMANDS,
    MantaReleaseEnvironmentCollector,
    direct_url_to_pep508,
    merge_env_config,
    read_env_name,
    release_scripts,
    self_requirement,
)
from tests.support.projects import REPO_ROOT, hatch_env, make_project, run

USER_RELEASE_TABLE = """
[tool.hatch.envs.release]
dependencies = ["iniconfig"]
env-vars = { GREETING = "hello from the user" }

[tool.hatch.envs.release.scripts]
greet = "python -c 'import os; print(os.environ[\\"GREETING\\"])'"
ship = ["version", "plan --json"]
"""


def hatch_envs(project: Path) -> dict[str, dict[str, Any]]:
    """The environments hatch itself computes for ``project`` (collectors, merging, templates)."""
    from hatch.project.core import Project
    from hatch.utils.fs import Path as HatchPath

    return Project(HatchPath(project)).config.envs


# ----------------------------------------------------------------------------- requirement


def test_direct_url_to_pep508_forms() -> None:
    assert direct_url_to_pep508({"url": "file:///src/hmr", "dir_info": {"editable": True}}) == "file:///src/hmr"
    assert direct_url_to_pep508({"url": "file:///src/hmr", "dir_info": {}}) == "file:///src/hmr"
    assert direct_url_to_pep508({
        "url": "https://github.com/o/hmr.git",
        "vcs_info": {"vcs": "git", "commit_id": "0123abc", "requested_revision": "main"},
    }) == "git+https://github.com/o/hmr.git@0123abc"
    assert direct_url_to_pep508({
        "url": "https://github.com/o/mono.git", "subdirectory": "plugins/hmr",
        "vcs_info": {"vcs": "git", "commit_id": "0123abc"},
    }) == "git+https://github.com/o/mono.git@0123abc#subdirectory=plugins/hmr"
    assert direct_url_to_pep508({
        "url": "https://files.example.invalid/hmr-1.0.tar.gz", "archive_info": {"hashes": {"sha256": "ab"}},
    }) == "https://files.example.invalid/hmr-1.0.tar.gz"
    assert direct_url_to_pep508({"archive_info": {}}) is None


def test_self_requirement_is_this_checkout() -> None:
    # The test interpreter has this checkout installed editable (PEP 610 dir_info.editable).
    assert self_requirement() == f"hatch-manta-release[release] @ {REPO_ROOT.as_uri()}"
    assert self_requirement(extra=None) == f"hatch-manta-release @ {REPO_ROOT.as_uri()}"


class _FakeDistribution:
    def __init__(self, version: str, direct_url: str | None) -> None:
        self.version = version
        self._direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        return self._direct_url if name == "direct_url.json" else None


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (None, "hatch-manta-release[release]==1.4.2"),
        ("not json", "hatch-manta-release[release]==1.4.2"),
        (json.dumps({"url": "https://x.invalid/hmr.whl", "archive_info": {}}),
         "hatch-manta-release[release] @ https://x.invalid/hmr.whl"),
    ],
)
def test_self_requirement_from_a_registry_install(monkeypatch: pytest.MonkeyPatch, direct_url: str | None,
                                                  expected: str) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: _FakeDistribution("1.4.2", direct_url))
    assert self_requirement() == expected


# ----------------------------------------------------------------------------- merging


def test_collector_alone_injects_a_detached_release_env(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0", git_init=False)
    collector = MantaReleaseEnvironmentCollector(str(project), {})
    initial = collector.get_initial_config()
    assert list(initial) == ["release"]
    env = initial["release"]
    assert env["detached"] is True
    assert env["dependencies"] == [self_requirement()]
    assert env["scripts"] == release_scripts()
    assert set(env["scripts"]) == set(COMMANDS)
    assert env["scripts"]["plan"] == "manta-release plan {args}"

    envs = hatch_envs(project)
    release = envs["release"]
    assert release["skip-install"] is True  # what `detached` becomes
    assert release["dependencies"] == [self_requirement()]
    assert release["scripts"] == release_scripts()
    assert "default" in envs  # the project's other environments are untouched


def test_user_table_is_merged_not_replaced(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", git_init=False, extra_pyproject=USER_RELEASE_TABLE)
    release = hatch_envs(project)["release"]
    # Ours kept ...
    for name in COMMANDS:
        assert release["scripts"][name] == f"manta-release {name} {{args}}"
    assert release["dependencies"][0] == self_requirement()
    assert release["skip-install"] is True
    # ... and the user's kept too.
    assert release["scripts"]["greet"].startswith("python -c")
    assert release["scripts"]["ship"] == ["version", "plan --json"]
    assert release["dependencies"] == [self_requirement(), "iniconfig"]
    assert release["env-vars"] == {"GREETING": "hello from the user"}


def test_merge_rules() -> None:
    ours = {
        "detached": True,
        "installer": "uv",
        "dependencies": ["hatch-manta-release[release]==1.0", "twine>=7"],
        "scripts": {"plan": "manta-release plan {args}", "build": "manta-release build {args}"},
        "env-vars": {"A": "ours", "B": "ours"},
    }
    theirs = {
        "scripts": {"build": "manta-release build --builder native {args}", "lint": "ruff check"},
        "env-vars": {"B": "theirs", "C": "theirs"},
        "dependencies": ["twine>=7", "requests"],
        "extra-dependencies": ["rich"],
        "installer": "pip",
        "python": "3.12",
    }
    merged = merge_env_config(ours, theirs)
    # The user's script of the same name wins; the other scripts of both are kept.
    assert merged["scripts"] == {
        "plan": "manta-release plan {args}",
        "build": "manta-release build --builder native {args}",
        "lint": "ruff check",
    }
    assert merged["env-vars"] == {"A": "ours", "B": "theirs", "C": "theirs"}
    assert merged["dependencies"] == ["hatch-manta-release[release]==1.0", "twine>=7", "requests"]
    assert merged["extra-dependencies"] == ["rich"]
    assert (merged["installer"], merged["python"], merged["detached"]) == ("pip", "3.12", True)
    assert ours["scripts"] == {"plan": "manta-release plan {args}", "build": "manta-release build {args}"}  # untouched

    # A user's own requirement on hatch-manta-release replaces ours (an explicit pin), keeping the
    # release extra the commands need (click, rich, twine …).
    pinned = merge_env_config(ours, {"dependencies": ["Hatch_Manta.Release==0.9", "requests"]})
    assert pinned["dependencies"] == ["twine>=7", "Hatch_Manta.Release[release]==0.9", "requests"]
    extras = merge_env_config(ours, {"dependencies": ["hatch-manta-release[release,x]>=0.9"]})
    assert extras["dependencies"] == ["twine>=7", "hatch-manta-release[release,x]>=0.9"]


def test_user_script_of_the_same_name_wins_in_hatch(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", git_init=False, extra_pyproject="""
[tool.hatch.envs.release]
detached = false
scripts = { build = "manta-release build --builder native {args}" }
""")
    release = hatch_envs(project)["release"]
    assert release["scripts"]["build"] == "manta-release build --builder native {args}"
    assert release["scripts"]["plan"] == "manta-release plan {args}"
    assert release.get("skip-install", False) is False  # the user's `detached = false` is respected


def test_user_template_is_honoured(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", git_init=False, extra_pyproject="""
[tool.hatch.envs.base]
env-vars = { FROM_BASE = "1" }
scripts = { lint = "ruff check" }

[tool.hatch.envs.release]
template = "base"
""")
    release = hatch_envs(project)["release"]
    assert release["env-vars"] == {"FROM_BASE": "1"}  # inherited from the user's template
    assert release["scripts"]["lint"] == "ruff check"
    assert release["scripts"]["plan"] == "manta-release plan {args}"
    assert release["skip-install"] is True  # still does not install the project


def test_env_name_is_configurable(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", git_init=False, manta='env-name = "ship"', extra_pyproject="""
[tool.hatch.envs.ship.scripts]
hello = "echo hi"
""")
    assert read_env_name(project) == "ship"
    envs = hatch_envs(project)
    assert "release" not in envs
    assert envs["ship"]["scripts"]["plan"] == "manta-release plan {args}"
    assert envs["ship"]["scripts"]["hello"] == "echo hi"
    assert "hatch run ship:plan" in envs["ship"]["description"]


@pytest.mark.parametrize("bad", ['"no spaces"', '"default"', "3"])
def test_bad_env_name_never_breaks_hatch_and_is_named_by_the_commands(tmp_path: Path, bad: str) -> None:
    """The collector runs for every hatch command of the project: a bad env-name (or `default`, the
    project's own test environment) falls back to `release`, whose commands then name the key."""
    from hatch_manta_release.core.errors import ConfigError
    from hatch_manta_release.core.project import load_config

    project = make_project(tmp_path / "p", git_init=False, manta=f"env-name = {bad}")
    assert read_env_name(project) == "release"
    envs = hatch_envs(project)
    assert envs["release"]["scripts"]["plan"] == "manta-release plan {args}"
    assert "scripts" not in envs.get("default", {})  # the user's default environment is untouched
    with pytest.raises(ConfigError, match=r"\[tool.manta-release\] env-name = "):
        load_config(project)


def test_collector_module_stays_light() -> None:
    # It runs inside hatch: importing it must not pull in the release tooling.
    code = (
        "import sys, hatch_manta_release.plugin.collector as c; "
        "heavy = [m for m in ('click', 'rich', 'twine', 'cibuildwheel', 'hatch_manta_release.core.plan', "
        "'hatch_manta_release.core.config', 'packaging.requirements') if m in sys.modules]; "
        "print(heavy)"
    )
    assert run([sys.executable, "-c", code], cwd=REPO_ROOT).stdout.strip() == "[]"
    assert collector_module.MantaReleaseEnvironmentCollector.PLUGIN_NAME == "manta-release"


# ----------------------------------------------------------------------------- real hatch


def _hatch(project: Path, env: dict[str, str], *args: str, check: bool = True):
    return run([sys.executable, "-m", "hatch", *args], cwd=project, env=env, check=check, timeout=900)


def _isolated(tmp_path: Path) -> dict[str, str]:
    env = hatch_env(tmp_path)
    Path(env["HATCH_CONFIG"]).touch()  # hatch refuses a HATCH_CONFIG that names no file
    return env


@pytest.mark.slow
def test_real_hatch_release_env(tmp_path: Path) -> None:
    """One environment, created once: scripts pass arguments, user additions work, same plugin."""
    project = make_project(tmp_path / "p", name="sample-app", tag="v1.2.0", extra_pyproject=USER_RELEASE_TABLE)
    env = _isolated(tmp_path)

    plan = json.loads(_hatch(project, env, "run", "release:plan", "--json").stdout)
    assert (plan["project"], plan["version"], plan["tag"]) == ("sample-app", "1.2.0", "v1.2.0")
    assert (plan["channel"], plan["publish"], plan["repository"]) == ("final", True, "pypi")

    assert _hatch(project, env, "run", "release:version").stdout.strip() == "1.2.0"
    override = json.loads(_hatch(project, env, "run", "release:plan", "--json", "--repository", "testpypi").stdout)
    assert override["repository"] == "testpypi" and override["repository-overridden"] is True

    human = _hatch(project, env, "run", "release:plan").stdout
    assert "Release plan for sample-app" in human
    assert "pypi (the final route)" in human

    # The user's own script, env var and dependency, beside ours; a script that chains ours.
    assert _hatch(project, env, "run", "release:greet").stdout.strip() == "hello from the user"
    shipped = _hatch(project, env, "run", "release:ship").stdout
    assert shipped.startswith("1.2.0\n") and '"version": "1.2.0"' in shipped

    # (a script file: hatch formats `{...}` in command-line arguments as context fields)
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib.metadata as m, json\n"
        "d = m.distribution('hatch-manta-release')\n"
        "print(json.dumps({'direct_url': json.loads(d.read_text('direct_url.json')),\n"
        "    'twine': m.version('twine'), 'iniconfig': m.version('iniconfig'),\n"
        "    'project_installed': any(x.metadata['Name'] == 'sample-app' for x in m.distributions())}))\n"
    )
    info = json.loads(_hatch(project, env, "run", "release:python", str(probe)).stdout)
    # The same hatch-manta-release hatch loaded the collector from: this checkout, by path.
    assert info["direct_url"]["url"] == REPO_ROOT.as_uri()
    assert "dir_info" in info["direct_url"]
    assert int(info["twine"].split(".")[0]) >= 7
    assert info["project_installed"] is False  # detached: the project itself is not installed

    # An unknown repository through hatch: the clean error, its exit code, no traceback.
    bad = _hatch(project, env, "run", "release:plan", "--repository", "nowhere", check=False)
    assert bad.returncode == 2
    assert "error: unknown repository 'nowhere'" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_real_hatch_custom_env_name_and_compiled_project(tmp_path: Path) -> None:
    manta_table = 'env-name = "ship"\nplatforms = ["linux-x86_64", "macos-arm64"]\npython = ">=3.13,<3.15"'
    project = make_project(tmp_path / "p", name="native-app", compiled=True, manta=manta_table, tag="v0.3.0-rc.2")
    env = _isolated(tmp_path)

    plan = json.loads(_hatch(project, env, "run", "ship:plan", "--json").stdout)
    assert (plan["version"], plan["channel"], plan["repository"]) == ("0.3.0rc2", "prerelease", "testpypi")
    assert plan["pure-python"] is False
    assert [w["identifier"] for w in plan["artifacts"]["wheels"]] == [
        "cp313-manylinux_x86_64", "cp314-manylinux_x86_64", "cp313-macosx_arm64", "cp314-macosx_arm64",
    ]

    output = tmp_path / "github_output"
    _hatch(project, {**env, "GITHUB_OUTPUT": str(output)}, "run", "ship:plan", "--github-output")
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert (values["version"], values["publish"], values["repository"]) == ("0.3.0rc2", "true", "testpypi")

    missing = _hatch(project, env, "run", "release:plan", check=False)
    assert missing.returncode != 0
    assert "release" in missing.stderr
