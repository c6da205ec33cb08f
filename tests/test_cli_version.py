"""``manta-release version``: the version, and with ``--explain`` the tag, the mapping and the channel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hatch_manta_release.cli.app import main
from hatch_manta_release.core.version import VERSION_ENV
from tests.support.projects import commit, git, make_project, run


@pytest.fixture(autouse=True)
def _no_version_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VERSION_ENV, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_only_the_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v0.2.0-beta.1")
    assert cli(capsys, "--root", str(project), "version") == (0, "0.2.0b1\n", "")


def test_explain_semver_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v0.1.0-test.1")
    code, out, err = cli(capsys, "--root", str(project), "version", "--explain")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "0.1.0.dev1",
        "tag:      v0.1.0-test.1",
        "mapping:  HEAD is tag v0.1.0-test.1; semver-style label 'test' -> 'dev': 0.1.0-test.1 -> 0.1.0.dev1 "
        "('0.1.0-test.1' itself is not a valid PEP 440 version)",
        "channel:  prerelease -> routes to testpypi",
        "release:  yes",
    ]


@pytest.mark.parametrize(
    ("tag", "version", "mapping", "channel"),
    [
        ("v1.4.5.2", "1.4.5.2", "PEP 440 version as tagged: 1.4.5.2", "final -> routes to pypi"),
        ("v1.5.0.dev0", "1.5.0.dev0", "PEP 440 version as tagged: 1.5.0.dev0", "prerelease -> routes to testpypi"),
        ("v1.0.0-1", "1.0.0.post1", "PEP 440 normal form of '1.0.0-1': 1.0.0.post1", "final -> routes to pypi"),
    ],
)
def test_explain_pep440_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str, version: str, mapping: str, channel: str
) -> None:
    project = make_project(tmp_path / "p", tag=tag)
    code, out, _ = cli(capsys, "--root", str(project), "version", "--explain")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == version
    assert lines[2] == f"mapping:  HEAD is tag {tag}; {mapping}"
    assert lines[3] == f"channel:  {channel}"


def test_explain_uses_the_configured_routes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manta = """
    [tool.manta-release.repositories.internal]
    upload-url = "https://pkgs.example.com/legacy/"
    index-url = "https://pkgs.example.com/simple/"
    [tool.manta-release.routes]
    prerelease = "internal"
    """
    project = make_project(tmp_path / "p", tag="v1.0.0rc1", manta=manta)
    _, out, _ = cli(capsys, "--root", str(project), "version", "--explain")
    assert "channel:  prerelease -> routes to internal" in out.splitlines()


def test_explain_development_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v1.5.0")
    commit(project, "one")
    sha = commit(project, "two")
    code, out, _ = cli(capsys, "--root", str(project), "version", "--explain")
    assert code == 0
    assert out.splitlines() == [
        f"1.5.1.dev2+g{sha}",
        "tag:      v1.5.0",
        "mapping:  2 commits past tag v1.5.0: development version above 1.5.0",
        "channel:  prerelease -> routes to testpypi",
        "release:  no (not a clean commit on a release tag)",
    ]


def test_explain_fallback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", manta='fallback-version = "0.0.0"')
    code, out, _ = cli(capsys, "--root", str(project), "version", "--explain")
    assert code == 0
    assert out.splitlines()[:3] == [
        "0.0.0",
        "tag:      (none)",
        "mapping:  no tag matching 'v[0-9]*' is reachable from HEAD: fallback-version 0.0.0",
    ]
    assert out.splitlines()[4] == "release:  no (not a clean commit on a release tag)"


def test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v1.5.0rc0")
    code, out, _ = cli(capsys, "--root", str(project), "version", "--json")
    assert code == 0
    assert json.loads(out) == {
        "version": "1.5.0rc0",
        "tag": "v1.5.0rc0",
        "source": "tag",
        "channel": "prerelease",
        "releasable": True,
        "explanation": "HEAD is tag v1.5.0rc0; PEP 440 version as tagged: 1.5.0rc0",
    }


def test_environment_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    monkeypatch.setenv(VERSION_ENV, "1.0.1rc1")
    code, out, _ = cli(capsys, "--root", str(project), "version", "--explain")
    assert code == 0
    assert out.splitlines()[:3] == [
        "1.0.1rc1",
        "tag:      (none)",
        f"mapping:  {VERSION_ENV}=1.0.1rc1 (set by the release build)",
    ]


def test_bad_tag_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v2.0.0-banana.1")
    code, out, err = cli(capsys, "--root", str(project), "version")
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == "error: tag 'v2.0.0-banana.1' has the unknown pre-release label 'banana'"
    assert lines[1].startswith("hint: accepted labels: a, alpha, b, beta, c, dev, post, pre, preview, rc, test ")
    assert "Traceback" not in err


def test_no_tag_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p")
    code, _, err = cli(capsys, "--root", str(project), "version")
    assert code == 1
    assert err.startswith("error: no tag matching 'v[0-9]*' is reachable from HEAD")


def test_outside_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "--root", str(tmp_path), "version")
    assert code == 2
    assert err.splitlines() == [
        f"error: no pyproject.toml in {tmp_path.resolve()}",
        "hint: run this from the project's root folder (the one holding pyproject.toml)",
    ]


def test_config_error_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0", manta='tag-prefx = "v"')
    code, _, err = cli(capsys, "--root", str(project), "version")
    assert code == 2
    assert "unknown key tag-prefx (did you mean 'tag-prefix'?)" in err


def test_config_error_keeps_the_table_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0", manta='tag-prefx = "v"')
    _, _, err = cli(capsys, "--root", str(project), "version")
    assert err.splitlines()[0] == "error: [tool.manta-release] unknown key tag-prefx (did you mean 'tag-prefix'?)"
    project = make_project(tmp_path / "q", tag="v2.0.0-banana.1")
    _, _, err = cli(capsys, "--root", str(project), "version")
    assert "(add more under [tool.manta-release.prerelease-labels]" in err


def test_console_script(tmp_path: Path) -> None:
    """The installed entry point, from the project folder (no --root), as a user runs it."""
    project = make_project(tmp_path / "p", tag="v1.5.0rc0")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTA_RELEASE_")}
    result = run([sys.executable, "-m", "hatch_manta_release", "version"], cwd=project, env=env)
    assert result.stdout == "1.5.0rc0\n"
    # and it agrees with hatchling's own view of the version
    hatchling = subprocess.run([sys.executable, "-m", "hatchling", "version"], cwd=project, env=env,
                               capture_output=True, text=True, check=True)
    assert hatchling.stdout.strip() == "1.5.0rc0"


def test_explain_numeric_suffix_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11: `v1.0.0-1` is a post-release (a final, routed to production); --explain says so."""
    project = make_project(tmp_path / "p", tag="v1.0.0-1")
    code, out, _ = cli(capsys, "--root", str(project), "version", "--explain")
    assert code == 0
    assert out.splitlines() == [
        "1.0.0.post1",
        "tag:      v1.0.0-1",
        "mapping:  HEAD is tag v1.0.0-1; PEP 440 normal form of '1.0.0-1': 1.0.0.post1",
        "channel:  final -> routes to pypi",
        "release:  yes",
        "note:     v1.0.0-1 is taken as the post-release 1.0.0.post1 (final); set numeric-suffix = \"rc\" "
        '(or "a", "b", "dev") in [tool.manta-release] to read -N tags as pre-releases',
    ]


def test_numeric_suffix_key_makes_it_a_prerelease(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", manta='numeric-suffix = "rc"', tag="v1.0.0-0")
    code, out, _ = cli(capsys, "--root", str(project), "version", "--json")
    assert code == 0
    details = json.loads(out)
    assert (details["version"], details["channel"]) == ("1.0.0rc0", "prerelease")
    assert details["explanation"] == (
        "HEAD is tag v1.0.0-0; numeric suffix -0 as 'rc' (numeric-suffix): 1.0.0-0 -> 1.0.0rc0"
    )
    assert details["note"].startswith("v1.0.0-0 is taken as the pre-release 1.0.0rc0 (prerelease)")


def test_skipped_tag_is_a_warning_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    commit(project)
    git(project, "tag", "v1.x")
    commit(project, "again")
    code, out, err = cli(capsys, "--root", str(project), "version")
    assert code == 0 and out.startswith("1.0.1.dev2+g")
    assert err == "warning: tag 'v1.x' is not a release version: skipped (the version comes from tag v1.0.0)\n"
