"""The release plan: routing, publish decision, expected artifacts, and the `plan` command's outputs.

Real git repositories; the command runs as a real `manta-release` process (python -m), so exit codes
and the no-traceback error path are the ones users see.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from hatch_manta_release.core.errors import ConfigError
from hatch_manta_release.core.plan import plan_for
from hatch_manta_release.github.actions import format_outputs as format_github_outputs
from tests.support.projects import commit, git, make_project, run

COMPILED_MANTA = """
platforms = ["linux-x86_64", "macos-arm64", "windows-amd64"]
python = ">=3.12,<3.15"
"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MANTA_RELEASE_"))}
    env.update(NO_COLOR="1", COLUMNS="200", TERM="dumb")
    env.update(extra)
    return env


def manta(project: Path, *args: str, env: dict[str, str] | None = None, check: bool = True):
    return run([sys.executable, "-m", "hatch_manta_release", "--root", str(project), *args], cwd=project,
               env=env or clean_env(), check=check)


@pytest.fixture(autouse=True)
def _no_ambient_release_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "MANTA_RELEASE_")):
            monkeypatch.delenv(key)


# ----------------------------------------------------------------------------- routing


def test_final_tag_routes_to_pypi(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", name="my-pkg", tag="v1.2.0")
    plan = plan_for(project)
    assert (plan.version, plan.tag, plan.channel, plan.publish) == ("1.2.0", "v1.2.0", "final", True)
    assert plan.repository.name == "pypi"
    assert plan.repository.upload_url == "https://upload.pypi.org/legacy/"
    assert plan.environment == "pypi"
    assert plan.environment_url == "https://pypi.org/project/my-pkg/1.2.0/"
    assert not plan.repository_overridden
    assert plan.sdist == "my_pkg-1.2.0.tar.gz"

    data = json.loads(manta(project, "plan", "--json").stdout)
    assert data["repository"] == "pypi"
    assert data["routed-repository"] == "pypi"
    assert data["upload-url"] == "https://upload.pypi.org/legacy/"
    assert data["publish"] is True
    assert data["channel"] == "final"
    assert data["environment"] == "pypi"
    assert data["artifacts"]["sdist"] == "my_pkg-1.2.0.tar.gz"


@pytest.mark.parametrize(
    ("tag", "version"),
    [("v2.0.0rc1", "2.0.0rc1"), ("v0.2.0-beta.1", "0.2.0b1"), ("v1.5.0.dev0", "1.5.0.dev0")],
)
def test_prerelease_tag_routes_to_testpypi(tmp_path: Path, tag: str, version: str) -> None:
    plan = plan_for(make_project(tmp_path / "p", tag=tag))
    assert (plan.version, plan.tag, plan.channel, plan.publish) == (version, tag, "prerelease", True)
    assert plan.repository.name == "testpypi"
    assert plan.repository.upload_url == "https://test.pypi.org/legacy/"
    assert plan.repository.skip_existing is True
    assert plan.environment == "testpypi"
    assert "pre-release" in plan.reason


def test_routes_follow_config(tmp_path: Path) -> None:
    manta_table = """
    [tool.manta-release.repositories.staging]
    upload-url = "https://staging.example.invalid/legacy/"
    index-url = "https://staging.example.invalid/simple/"
    environment = "staging"

    [tool.manta-release.routes]
    prerelease = "staging"
    """
    plan = plan_for(make_project(tmp_path / "p", manta=manta_table, tag="v1.0.0a1"))
    assert plan.repository.name == "staging"
    assert plan.environment == "staging"
    assert plan.environment_url is None  # not a PyPI-like index: no project page known


def test_untagged_commit_plans_a_build_only(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.2.0")
    sha = commit(project)
    plan = plan_for(project)
    assert plan.publish is False
    assert plan.tag is None
    assert plan.version.endswith(f"+g{sha}")
    assert "nothing is published" in plan.reason
    assert "1 commit past tag v1.2.0" in plan.reason

    outputs = plan.github_outputs()
    assert outputs["publish"] == "false"
    assert outputs["tag"] == ""


def test_dirty_tree_on_tag_is_not_published(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.2.0")
    (project / "README.md").write_text("changed\n")
    plan = plan_for(project)
    assert plan.publish is False
    assert "uncommitted changes" in plan.reason


def test_no_tag_at_all_with_fallback_version(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", extra_pyproject="")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'source = "manta-release"', 'source = "manta-release"\nfallback-version = "0.0.0"'))
    plan = plan_for(project)
    assert (plan.version, plan.publish, plan.tag) == ("0.0.0", False, None)
    assert plan.reason == "no release tag: a build only, nothing is published"


# ----------------------------------------------------------------------------- artifacts


def test_pure_project_expects_sdist_and_one_universal_wheel(tmp_path: Path) -> None:
    plan = plan_for(make_project(tmp_path / "p", name="pure-thing", tag="v1.0.0"))
    assert plan.pure_python is True
    assert len(plan.wheels) == 1
    assert plan.wheels[0].identifier is None
    assert plan.wheels[0].matches("pure_thing-1.0.0-py3-none-any.whl")
    assert plan.build_identifiers() == []
    assert plan.build_matrix() == []
    data = plan.to_dict()
    assert data["artifacts"]["sdist"] == "pure_thing-1.0.0.tar.gz"
    assert data["artifacts"]["wheels"][0]["filename"] == "pure_thing-1.0.0-py3-none-any.whl"
    assert json.loads(plan.github_outputs()["build-matrix"]) == {"include": []}


def test_compiled_project_expects_a_wheel_per_platform_and_python(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", name="native-thing", compiled=True, manta=COMPILED_MANTA, tag="v3.1.0")
    plan = plan_for(project)
    assert plan.pure_python is False
    assert plan.pythons == ("3.12", "3.13", "3.14")
    assert plan.build_identifiers() == [
        "cp312-manylinux_x86_64", "cp313-manylinux_x86_64", "cp314-manylinux_x86_64",
        "cp312-macosx_arm64", "cp313-macosx_arm64", "cp314-macosx_arm64",
        "cp312-win_amd64", "cp313-win_amd64", "cp314-win_amd64",
    ]
    assert plan.build_identifiers("macos-arm64") == ["cp312-macosx_arm64", "cp313-macosx_arm64", "cp314-macosx_arm64"]
    by_id = {w.identifier: w for w in plan.wheels}
    assert by_id["cp312-manylinux_x86_64"].matches(
        "native_thing-3.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    assert by_id["cp313-macosx_arm64"].matches("native_thing-3.1.0-cp313-cp313-macosx_11_0_arm64.whl")
    assert by_id["cp314-win_amd64"].matches("native_thing-3.1.0-cp314-cp314-win_amd64.whl")
    assert not by_id["cp312-win_amd64"].matches("native_thing-3.1.0-cp313-cp313-win_amd64.whl")

    matrix = plan.build_matrix()
    assert [m["platform"] for m in matrix] == ["linux-x86_64", "macos-arm64", "windows-amd64"]
    assert matrix[0] == {
        "platform": "linux-x86_64", "os": "linux", "arch": "x86_64", "runner": "ubuntu-latest",
        "artifact": "wheels-linux-x86_64",
        "build": "cp312-manylinux_x86_64 cp313-manylinux_x86_64 cp314-manylinux_x86_64",
    }
    data = json.loads(manta(project, "plan", "--json").stdout)
    assert data["pure-python"] is False
    assert [w["identifier"] for w in data["artifacts"]["wheels"]] == plan.build_identifiers()
    assert data["build-matrix"] == matrix


# ----------------------------------------------------------------------------- --repository


def test_repository_override_is_applied_and_said(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.2.0")
    plan = plan_for(project, repository="testpypi")
    assert plan.repository.name == "testpypi"
    assert plan.routed_repository == "pypi"
    assert plan.repository_overridden
    assert plan.publish is True
    assert plan.reason == (
        "v1.2.0 is a final release; repository testpypi chosen with --repository (the final route says pypi)"
    )
    # Naming the routed repository is not an override.
    assert not plan_for(project, repository="pypi").repository_overridden

    human = manta(project, "plan", "--repository", "testpypi").stdout
    assert "chosen with --repository; the final route says pypi" in human
    data = json.loads(manta(project, "plan", "-r", "testpypi", "--json").stdout)
    assert (data["repository"], data["routed-repository"], data["repository-overridden"]) == ("testpypi", "pypi", True)
    assert data["upload-url"] == "https://test.pypi.org/legacy/"


def test_unknown_repository_is_a_clean_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.2.0")
    with pytest.raises(ConfigError, match="unknown repository 'pypj'"):
        plan_for(project, repository="pypj")
    result = manta(project, "plan", "--repository", "pypj", check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error: unknown repository 'pypj'" in result.stderr
    assert "defined repositories: local, pypi, testpypi (did you mean 'pypi'?)" in result.stderr
    assert result.stdout == ""


# ----------------------------------------------------------------------------- outputs


def test_human_output_is_a_readable_summary(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", name="native-thing", compiled=True, manta=COMPILED_MANTA, tag="v3.1.0rc2")
    out = manta(project, "plan").stdout
    assert "Release plan for native-thing" in out
    assert "3.1.0rc2 (from tag v3.1.0rc2)" in out
    assert "pre-release" in out
    assert "testpypi (the pre-release route)" in out
    assert "https://test.pypi.org/legacy/" in out
    assert "token from $TEST_PYPI_API_TOKEN" in out
    assert "Expected artifacts in dist/: 10 files" in out
    assert "native_thing-3.1.0rc2.tar.gz" in out
    assert "cp312-macosx_arm64 cp313-macosx_arm64 cp314-macosx_arm64" in out
    assert "macos-15" in out


def test_github_output_appends_key_value_lines(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v2.0.0rc1")
    output = tmp_path / "github_output"
    output.write_text("earlier=kept\n")
    summary = tmp_path / "step_summary"
    env = clean_env(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    result = manta(project, "plan", "--github-output", env=env)
    assert "Release plan for sample" in result.stdout  # the summary is still shown in the log
    assert "outputs to $GITHUB_OUTPUT" in result.stderr

    lines = output.read_text().splitlines()
    assert lines[0] == "earlier=kept"
    values = dict(line.split("=", 1) for line in lines[1:])
    assert values["version"] == "2.0.0rc1"
    assert values["tag"] == "v2.0.0rc1"
    assert values["channel"] == "prerelease"
    assert values["publish"] == "true"
    assert values["repository"] == "testpypi"
    assert values["environment"] == "testpypi"
    assert values["upload-url"] == "https://test.pypi.org/legacy/"
    assert values["pure-python"] == "true"
    assert json.loads(values["platforms"]) == ["linux-x86_64", "macos-x86_64", "macos-arm64", "windows-amd64"]
    assert "### Release plan: sample 2.0.0rc1" in summary.read_text()

    # --json and --github-output together: JSON alone on stdout, outputs appended again.
    result = manta(project, "plan", "--github-output", "--json", env=env)
    assert json.loads(result.stdout)["version"] == "2.0.0rc1"
    assert output.read_text().count("version=2.0.0rc1") == 2


def test_github_output_unset_fails_clearly(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    result = manta(project, "plan", "--github-output", check=False)
    assert result.returncode == 1
    assert "GITHUB_OUTPUT is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""

    result = manta(project, "plan", "--github-output", env=clean_env(GITHUB_OUTPUT=str(tmp_path / "no" / "file")),
                   check=False)
    assert result.returncode == 1
    assert "cannot append to $GITHUB_OUTPUT" in result.stderr
    assert "Traceback" not in result.stderr


def test_multiline_output_values_use_a_delimiter() -> None:
    text = format_github_outputs({"one": "a", "two": "line 1\nline 2"})
    lines = text.splitlines()
    assert lines[0] == "one=a"
    assert lines[1].startswith("two<<ghadelimiter_")
    delimiter = lines[1].split("<<", 1)[1]
    assert lines[2:] == ["line 1", "line 2", delimiter]


def test_plan_says_which_tags_it_skipped(tmp_path: Path) -> None:
    """issue 11: a prefix-matching tag that is no version is skipped by plan too, with the warning on
    stderr (stdout stays JSON)."""
    from tests.support.projects import git

    project = make_project(tmp_path / "p", tag="v1.0.0")
    commit(project, "one")
    git(project, "tag", "v2-docs")
    commit(project, "two")
    result = manta(project, "plan", "--json")
    assert json.loads(result.stdout)["version"].startswith("1.0.1.dev2")
    assert "warning: tag 'v2-docs' has the unknown pre-release label 'docs': skipped" in " ".join(result.stderr.split())


# ----------------------------------------------------------------------------- github-release and reuse (issue 12)


def outputs_of(project: Path, tmp_path: Path, name: str) -> dict[str, str]:
    output = tmp_path / name
    manta(project, "plan", "--github-output", env=clean_env(GITHUB_OUTPUT=str(output)))
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


def test_github_release_and_reuse_outputs(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", manta="reuse = true", tag="v1.0.0")
    values = outputs_of(project, tmp_path, "final")
    assert (values["github-release"], values["reuse"], values["reuse-base"]) == ("true", "false", "")

    commit(project, "docs", filename="README.md")  # not in the wheel
    git(project, "tag", "v1.0.1rc1")
    values = outputs_of(project, tmp_path, "rc1")
    assert (values["github-release"], values["reuse"], values["reuse-base"]) == ("false", "true", "v1.0.0")
    human = manta(project, "plan").stdout
    assert "Reuse" in human and "yes: nothing that goes into the wheels changed since v1.0.0" in human
    as_json = json.loads(manta(project, "plan", "--json").stdout)
    assert (as_json["reuse"], as_json["reuse-base"]) == (True, "v1.0.0")

    commit(project, "code", filename="sample/more.py")  # Python code: no reuse, and why
    git(project, "tag", "v1.0.1rc2")
    values = outputs_of(project, tmp_path, "rc2")
    assert (values["reuse"], values["reuse-base"]) == ("false", "v1.0.0")
    human = " ".join(manta(project, "plan").stdout.split())
    assert "no: 1 file(s) that go into the wheels changed since v1.0.0 (sample/more.py): building" in human


def test_outputs_without_reuse_configured(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", manta='[tool.manta-release.github-release]\nwhen = "always"',
                           tag="v1.0.0rc1")
    values = outputs_of(project, tmp_path, "out")
    assert (values["github-release"], values["reuse"], values["reuse-base"]) == ("true", "false", "")
    assert "Reuse" not in manta(project, "plan").stdout
    assert "reuse" not in json.loads(manta(project, "plan", "--json").stdout)
