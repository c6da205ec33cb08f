"""release:init: adoption tables added with tomlkit (formatting kept), the workflow written, no overwrites."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hatch_manta_release.adopt.doctor import run_doctor
from hatch_manta_release.adopt.init import InitConflict, init_project, update_pyproject
from hatch_manta_release.cli.doctor import record
from hatch_manta_release.core.errors import ConfigError
from hatch_manta_release.core.project import tomllib  # tomli before Python 3.11
from hatch_manta_release.github.workflow import WORKFLOW_PATH, render_for
from tests.support.projects import git, hatchling_version, run

PLAIN = """\
# The demo project: comments and layout must survive init.
[project]
name = "demo-pkg"   # keep this comment
version = "0.3.1"
description = "A demo"
dependencies = [
    "requests>=2",  # http
]

[tool.ruff]
line-length   =   100   # odd spacing kept
"""


def adopted(text: str) -> dict:
    return tomllib.loads(text)


def test_adds_every_table_and_keeps_formatting() -> None:
    new, result = update_pyproject(PLAIN)
    data = adopted(new)
    assert data["build-system"] == {"requires": ["hatchling", "hatch-manta-release"],
                                    "build-backend": "hatchling.build"}
    assert data["project"]["dynamic"] == ["version"] and "version" not in data["project"]
    assert data["tool"]["hatch"]["version"] == {"source": "manta-release"}
    assert data["tool"]["hatch"]["env"] == {"requires": ["hatch-manta-release"], "collectors": {"manta-release": {}}}
    assert data["tool"]["manta-release"] == {}  # only commented defaults
    assert '# tag-prefix = "v"' in new and """# test-command = 'python -c "import demo_pkg"'""" in new
    # Every original line but the static version is still there, byte for byte.
    for line in PLAIN.splitlines():
        if not line.startswith("version"):
            assert line in new.splitlines(), line
    assert new.index("[build-system]") < new.index("[project]")
    assert any("0.3.1" in note and "git tag v0.3.1" in note for note in result.notes)
    assert result.pyproject_changed and not result.conflicts


def test_idempotent() -> None:
    once, _ = update_pyproject(PLAIN)
    twice, result = update_pyproject(once)
    assert twice == once and not result.changes and not result.pyproject_changed


def test_extends_existing_lists_and_keeps_the_users_table() -> None:
    text = """\
[build-system]
requires = ["hatchling>=1.26", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "demo"
dynamic = ["readme"]

[tool.hatch.env]
requires = ["hatch-pip-compile"]

[tool.manta-release]
tag-prefix = "release-"
"""
    new, result = update_pyproject(text)
    data = adopted(new)
    assert data["build-system"]["requires"] == ["hatchling>=1.26", "hatch-vcs", "hatch-manta-release"]
    assert data["project"]["dynamic"] == ["readme", "version"]
    assert data["tool"]["hatch"]["env"]["requires"] == ["hatch-pip-compile", "hatch-manta-release"]
    assert data["tool"]["manta-release"] == {"tag-prefix": "release-"}
    assert not result.conflicts


def test_conflicts_are_refused_unless_forced() -> None:
    text = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
dynamic = ["version"]

[tool.hatch.version]
source = "code"
path = "demo/_version.py"
"""
    # (A hatch-vcs source is migrated, not a conflict: see test_init_migrate.py.)
    _, result = update_pyproject(text)
    assert len(result.conflicts) == 2
    assert "setuptools.build_meta" in result.conflicts[0] and '"code"' in result.conflicts[1]
    forced, result = update_pyproject(text, force=True)
    data = adopted(forced)
    assert data["build-system"]["build-backend"] == "hatchling.build"
    assert data["tool"]["hatch"]["version"] == {"source": "manta-release"}
    assert not result.conflicts


def test_a_version_file_is_a_conflict() -> None:
    text = '[project]\nname = "demo"\ndynamic = ["version"]\n\n[tool.hatch.version]\npath = "demo/__about__.py"\n'
    _, result = update_pyproject(text)
    assert result.conflicts == [
        '[tool.hatch.version] source is "regex" (the version in demo/__about__.py); '
        'init would replace it with "manta-release"'
    ]
    forced, _ = update_pyproject(text, force=True)
    assert adopted(forced)["tool"]["hatch"]["version"] == {"source": "manta-release"}


def test_requires_a_project_name() -> None:
    with pytest.raises(ConfigError, match="no \\[project\\] name"):
        update_pyproject("[tool.x]\na = 1\n")


def fresh(tmp_path: Path, text: str = PLAIN) -> Path:
    path = tmp_path / "demo"
    (path / "demo_pkg").mkdir(parents=True)
    (path / "demo_pkg" / "__init__.py").write_text("")
    (path / "pyproject.toml").write_text(text)
    (path / ".gitignore").write_text("dist/\n")
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def test_init_writes_nothing_on_conflict(tmp_path: Path) -> None:
    path = fresh(tmp_path)
    workflow = path / WORKFLOW_PATH
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: mine\n")
    with pytest.raises(InitConflict) as error:
        init_project(path)
    assert "differs" in error.value.conflicts[0]
    assert (path / "pyproject.toml").read_text() == PLAIN  # untouched
    assert workflow.read_text() == "name: mine\n"

    result = init_project(path, force=True)
    assert f"wrote {WORKFLOW_PATH}" in result.changes
    assert workflow.read_text() == render_for(path)


def test_no_workflow_option(tmp_path: Path) -> None:
    path = fresh(tmp_path)
    init_project(path, workflow=False)
    assert not (path / WORKFLOW_PATH).exists()


def cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_TOKEN")}
    env.update(NO_COLOR="1", COLUMNS="250")
    return run([sys.executable, "-m", "hatch_manta_release", "--root", str(path), *args], cwd=path, env=env,
               check=False)


def test_init_then_doctor_on_a_fresh_project(tmp_path: Path) -> None:
    """The adoption path: init, commit, tag; doctor is ok for everything that can be ok offline."""
    path = fresh(tmp_path)
    first = cli(path, "init")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "removed the static [project] version" in first.stdout and "git tag v0.3.1" in first.stdout
    assert (path / WORKFLOW_PATH).read_text() == render_for(path)
    again = cli(path, "init")
    assert again.returncode == 0 and "nothing to change" in again.stdout

    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "release with hatch-manta-release")
    git(path, "tag", "v0.3.1")
    assert hatchling_version(path).stdout.strip() == "0.3.1"  # the version source works

    findings = [record(f) for f in run_doctor(path, offline=True, environ={"PYPI_API_TOKEN": "pypi-" + "x" * 120})]
    assert {f["check"]: f["status"] for f in findings} == {
        "config": "ok", "pyproject": "ok", "git": "ok", "version": "ok", "token testpypi": "ok",
        "token pypi": "ok", "workflow": "ok", "trigger": "ok", "index": "skip",
    }, [f for f in findings if f["status"] != "ok"]

    shown = cli(path, "doctor", "--offline")
    assert shown.returncode == 0
    assert "warn token pypi" in shown.stdout  # no token in this shell: a warning, not a failure


def test_init_conflict_exit_code(tmp_path: Path) -> None:
    path = fresh(tmp_path, PLAIN.replace("[project]", '[build-system]\nrequires = ["flit_core"]\n'
                                         'build-backend = "flit_core.buildapi"\n\n[project]'))
    result = cli(path, "init")
    assert result.returncode == 1
    assert "conflict: [build-system] build-backend" in result.stderr
    assert "--force" in result.stderr
    assert not (path / WORKFLOW_PATH).exists()
