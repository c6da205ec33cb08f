"""End to end through hatch, as a user runs it: ``hatch run release:build`` then ``hatch run release:publish``,
a pre-release routed to the test index and a final release to production, each installed from there."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.projects import commit, git, run
from tests.support.publish import (
    assert_no_token,
    make_release,
    no_token_in_test_output,  # noqa: F401 - a fixture, used by name
    stop,
)

pytestmark = pytest.mark.usefixtures("no_token_in_test_output")


def _hatch(project: Path, env: dict[str, str], *args: str, check: bool = True):  # type: ignore[no-untyped-def]
    result = run([sys.executable, "-m", "hatch", *args], cwd=project, env=env, check=check, timeout=900)
    assert_no_token(result.stdout, result.stderr)
    return result


@pytest.mark.slow
def test_hatch_run_release_publish_routes_and_installs(tmp_path: Path) -> None:
    release = make_release(tmp_path, "v0.3.0-beta.1")
    try:
        from tests.support.projects import hatch_env

        env = hatch_env(tmp_path, release.env())
        Path(env["HATCH_CONFIG"]).touch()

        _hatch(release.project, env, "run", "release:build")
        beta = _hatch(release.project, env, "run", "release:publish")
        assert "published sample-pkg 0.3.0b1 to testpypi" in beta.stdout
        assert release.test.files() == ["sample_pkg-0.3.0b1-py3-none-any.whl", "sample_pkg-0.3.0b1.tar.gz"]
        assert release.prod.files() == []
        installed = release.test.install("sample-pkg==0.3.0b1", tmp_path / "beta", extra_index=release.prod)
        assert installed.returncode == 0, installed.stderr

        commit(release.project, "ready")
        git(release.project, "tag", "v0.3.0")
        _hatch(release.project, env, "run", "release:build", "--clean")
        final = _hatch(release.project, env, "run", "release:publish")
        assert "published sample-pkg 0.3.0 to pypi" in final.stdout
        assert release.prod.files() == ["sample_pkg-0.3.0-py3-none-any.whl", "sample_pkg-0.3.0.tar.gz"]
        again = _hatch(release.project, env, "run", "release:publish")
        assert "2 skipped" in again.stdout
        installed = release.prod.install("sample-pkg==0.3.0", tmp_path / "final")
        assert installed.returncode == 0, installed.stderr
    finally:
        stop(release)
