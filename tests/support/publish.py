"""Shared pieces of the publish tests (``tests/test_publish*.py``).

Two real pypiservers stand in for TestPyPI and PyPI, a sample project routes to them, and the
``publish`` runner fails the test if any issued token shows up in any output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.indexes import ISSUED_TOKENS, LocalIndex, repository_toml, start_indexes, write_wheel
from tests.support.projects import make_project, run

TEST_VAR = "TEST_PYPI_API_TOKEN"
PROD_VAR = "PYPI_API_TOKEN"


@dataclass
class Release:
    project: Path
    test: LocalIndex
    prod: LocalIndex
    name: str

    @property
    def dist(self) -> Path:
        return self.project / "dist"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "ACTIONS_", "TWINE_", "PIP_", TEST_VAR, PROD_VAR, "RUNNER_"))
        }
        env.update({TEST_VAR: self.test.password, PROD_VAR: self.prod.password, "NO_COLOR": "1", "COLUMNS": "250"})
        env.update(extra)
        return env


def assert_no_token(*texts: str) -> None:
    """No issued token in any text, except on ``::add-mask::`` lines (the runner consumes them)."""
    from tests.support.hostile import forms  # every form on the wire: literal, base64 of the pair, quoted, parts

    for text in texts:
        visible = "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))
        squashed = "".join(visible.split())  # a token split by wrapping is a leak too
        for token in ISSUED_TOKENS:
            assert token not in visible, "a token appeared in the output"
            # a token split by wrapping or shown in part is a leak too
            assert token[-24:] not in visible, "part of a token appeared in the output"
            for form in forms(token):
                assert form not in visible and form not in squashed, f"a token appeared in a form {form[:6]}…"


@pytest.fixture(autouse=False)
def no_token_in_test_output(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Import into a test module with ``pytestmark = pytest.mark.usefixtures(...)``: whatever the test
    process itself printed (in-process runs) is scanned for issued tokens at teardown."""
    yield
    captured = capsys.readouterr()
    assert_no_token(captured.out, captured.err)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without GitHub, pip, twine or token settings (a folder index needs none)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "ACTIONS_", "TWINE_", "PIP_", "UV_", TEST_VAR, PROD_VAR, "RUNNER_"))
    }
    env.update({"NO_COLOR": "1", "COLUMNS": "250"})
    env.update(extra)
    return env


def publish(release: Release, *args: str, env: dict[str, str] | None = None, rc: int | None = 0,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return publish_at(release.project, *args, env=env or release.env(), rc=rc, timeout=timeout)


def publish_at(project: Path, *args: str, env: dict[str, str] | None = None, rc: int | None = 0,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``manta-release publish`` in ``project`` (a child process); fails the test on a leaked token or ``rc``."""
    cmd = [sys.executable, "-m", "hatch_manta_release", "publish", *args]
    result = subprocess.run(cmd, cwd=project, env=env or clean_env(), capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert_no_token(result.stdout, result.stderr)
    if rc is not None:
        shown = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        assert result.returncode == rc, shown
    return result


def make_release(tmp_path: Path, tag: str, *, name: str = "sample-pkg", manta: str = "", test_extra: str = "",
                 prod_extra: str = "", start: bool = True) -> Release:
    test, prod = start_indexes(tmp_path, "testpypi", "pypi")
    config = (
        manta.strip() + "\n\n"
        + repository_toml("testpypi", test, TEST_VAR) + test_extra + "\n"
        + repository_toml("pypi", prod, PROD_VAR) + prod_extra
    )
    project = make_project(tmp_path / "project", name, manta=config, tag=tag)
    return Release(project, test, prod, name)


def build(release: Release | Path, *targets: str) -> list[str]:
    """A real build of the sample project (hatchling, with this checkout's version source)."""
    project = release if isinstance(release, Path) else release.project
    args = [arg for t in (targets or ("sdist", "wheel")) for arg in ("-t", t)]
    run([sys.executable, "-m", "hatchling", "build", *args], cwd=project)
    return sorted(p.name for p in (project / "dist").iterdir() if p.is_file())


def platform_wheels(release: Release, version: str, pythons: tuple[str, ...], size: int = 0) -> list[Path]:
    """manylinux wheels for each Python (synthetic contents, valid metadata), as cibuildwheel would name them."""
    paths = []
    for py in pythons:
        cp = "cp" + py.replace(".", "")
        tag = f"{cp}-{cp}-manylinux_2_17_x86_64.manylinux2014_x86_64"
        paths.append(write_wheel(release.dist, release.name, version, tag, size=size))
    return paths


def stop(release: Release) -> None:
    release.test.stop()
    release.prod.stop()


def commit_and_retag(project: Path) -> None:
    """Commit an edit of the sample project and move its tag onto that commit (still a clean release)."""
    from tests.support.projects import git

    tag = git(project, "describe", "--tags", "--exact-match", "HEAD")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "edit")
    git(project, "tag", "-f", tag)
