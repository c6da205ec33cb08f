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
from tests.support.projects import first_commit, git, hatchling_version, run

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
    first_commit(path)
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


# ----------------------------------------------------------------------------- migrating (issue 13 §5)

# platformdirs' own layout: dotted keys under [tool.hatch], the vcs hook writing a version file.
HATCH_VCS = """\
[build-system]
build-backend = "hatchling.build"
requires = ["hatch-vcs>=0.4", "hatchling>=1.27"]

[project]
name = "vcsdemo"
readme = "README.md"
dynamic = ["version"]

[tool.hatch]
build.hooks.vcs.version-file = "src/vcsdemo/version.py"
version.source = "vcs"
version.fallback-version = "0.0.0"

[tool.hatch.version.raw-options]
local_scheme = "no-local-version"

[tool.ruff]
line-length = 120
"""


def test_a_hatch_vcs_project_migrates_without_force() -> None:
    new, result = update_pyproject(HATCH_VCS)
    assert not result.conflicts
    data = adopted(new)
    hatch = data["tool"]["hatch"]
    assert hatch["version"] == {"source": "manta-release", "fallback-version": "0.0.0"}
    assert hatch["build"]["hooks"] == {"manta-release": {"version-file": "src/vcsdemo/version.py"}}
    assert data["build-system"]["requires"] == ["hatchling>=1.27", "hatch-manta-release"]
    assert data["tool"]["ruff"] == {"line-length": 120}
    said = " ".join(result.changes + result.notes)
    assert "removed raw-options" in said and "local_scheme" in said
    assert "moved version-file" in said and 'kept fallback-version = "0.0.0"' in said
    assert 'removed "hatch-vcs>=0.4"' in said
    assert "build.hooks.manta-release.version-file" in new  # dotted keys stay dotted
    twice, again = update_pyproject(new)
    assert twice == new and not again.changes


def test_hatch_vcs_with_tables_and_a_metadata_hook() -> None:
    text = """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "demo"
dynamic = ["version", "urls"]

[tool.hatch.version]
source = "vcs"
tag-pattern = '^release-(?P<version>\\d.*)$'

[tool.hatch.build.hooks.vcs]
version-file = "demo/_version.py"
template = "v = {version!r}"

[tool.hatch.metadata.hooks.vcs]
urls = { source = "https://example.invalid/{commit_hash}" }
"""
    new, result = update_pyproject(text)
    data = adopted(new)
    assert data["tool"]["hatch"]["version"] == {"source": "manta-release"}
    assert data["tool"]["manta-release"] == {"tag-prefix": "release-"}
    assert data["tool"]["hatch"]["build"]["hooks"] == {"manta-release": {"version-file": "demo/_version.py"}}
    assert "hatch-vcs" in data["build-system"]["requires"]  # the metadata hook still needs it
    said = " ".join(result.changes + result.notes)
    assert "replaced tag-pattern" in said and "template is not carried" in said
    assert "[tool.hatch.metadata.hooks.vcs] still uses hatch-vcs" in said


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [("^v(?P<version>.*)$", "v"), ("v(?P<version>.+)", "v"), ("^(?P<version>.*)$", ""),
     ("^pkg\\.v(?P<version>[0-9].*)(?:\\+.*)?$", "pkg.v")],
)
def test_tag_patterns_that_are_a_prefix(pattern: str, prefix: str) -> None:
    from hatch_manta_release.adopt.migrate import prefix_from_pattern

    assert prefix_from_pattern(pattern) == prefix


def test_a_tag_pattern_that_is_no_prefix_is_a_clear_error() -> None:
    pattern = 'version.tag-pattern = "^(v|V)(?P<version>.*)$"'
    text = HATCH_VCS.replace('version.source = "vcs"', f'version.source = "vcs"\n{pattern}')
    with pytest.raises(ConfigError) as error:
        update_pyproject(text)
    assert "tag-pattern = '^(v|V)(?P<version>.*)$' is not a fixed tag prefix" in error.value.message
    assert "set tag-prefix in [tool.manta-release]" in (error.value.hint or "")


def dated_tags(path: Path, tags: list[tuple[str, int]]) -> None:
    """Commit and tag in order, each commit a day later (tags sort by date as in a real history)."""
    for n, (tag, commits) in enumerate(tags):
        for i in range(commits):
            stamp = f"{1_600_000_000 + (n * 100 + i) * 86_400} +0000"
            env = dict(os.environ, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
            (path / "CHANGES").open("a").write(f"{tag} {i}\n")
            subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@e.invalid",
                            "commit", "-qam", f"{tag} {i}"], env=env, check=True)
            if i == commits - 1 and tag:
                git(path, "tag", tag)


def vcs_project(tmp_path: Path, name: str, text: str = HATCH_VCS) -> Path:
    path = fresh(tmp_path / name, text.replace("vcsdemo", "demo_pkg"))
    (path / "CHANGES").write_text("")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "changes")
    # 30 commits after an ancient v2.0.0a3, then 4.11.1 .. 4.11.3 and two commits past it
    dated_tags(path, [("v2.0.0a3", 1), ("", 30), ("4.11.1", 1), ("4.11.2", 1), ("4.11.3", 1), ("", 2)])
    return path


def test_the_tag_prefix_comes_from_the_existing_tags(tmp_path: Path) -> None:
    """Found: init kept the default "v" on a project tagged 4.11.3, so v2.0.0a3 made the version 2.0.0a4.devN,
    and it advised `git tag v0.1.0`."""
    path = vcs_project(tmp_path, "p")
    first = cli(path, "init")
    assert first.returncode == 0, first.stdout + first.stderr
    assert 'set tag-prefix = "" in [tool.manta-release] (detected from the existing tags: 4.11.3, 4.11.2, ' \
           "4.11.1; 1 tag of another prefix will be ignored (v2.0.0a3))" in first.stdout
    assert "`git tag 4.11.4 && git push origin 4.11.4`" in first.stdout
    text = (path / "pyproject.toml").read_text()
    assert adopted(text)["tool"]["manta-release"] == {"tag-prefix": ""}
    # Found on platformdirs: `tag-prefix = ""` was followed by the commented default `# tag-prefix = "v"`.
    assert "# tag-prefix" not in text and "# platforms = [" in text


@pytest.mark.slow
def test_the_migrated_version_matches_hatch_vcs_on_the_same_commits(tmp_path: Path) -> None:
    """The same history, once with hatch-vcs and once migrated: the same versions (hatch-vcs's
    raw-options drop the local part; ours keeps +g<sha> on development builds, which init says)."""
    reference = vcs_project(tmp_path, "ref")
    scratch = vcs_project(tmp_path, "scratch")
    init_project(scratch, workflow=False)
    migrated = vcs_project(tmp_path, "mig", (scratch / "pyproject.toml").read_text())
    for rev in ("4.11.3", "4.11.2", "4.11.1", "main"):
        versions = []
        for repo in (reference, migrated):
            git(repo, "checkout", "-q", rev)
            versions.append(hatchling_version(repo).stdout.strip())
        assert versions[0] == versions[1].split("+")[0], (rev, versions)
    assert versions[0] == "4.11.4.dev2"


def test_setuptools_leftovers_are_listed(tmp_path: Path) -> None:
    """Found: init --force on a setuptools project left setup.py, [tool.setuptools*] and setuptools in requires
    behind without a word."""
    text = """\
[build-system]
requires = ["setuptools>=61", "wheel", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "demo-pkg"
version = "1.4.5"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools_scm]
"""
    path = fresh(tmp_path, text)
    (path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (path / "MANIFEST.in").write_text("include README.md\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "setuptools")
    git(path, "tag", "v1.4.4")
    result = init_project(path, force=True)
    warnings = "\n".join(result.warnings)
    for expected in ('remove "setuptools>=61" from [build-system] requires', 'remove "wheel"',
                     'remove "setuptools-scm>=8"', "remove [tool.setuptools]", "remove [tool.setuptools_scm]",
                     "setup.py is a setuptools leftover", "MANIFEST.in is a setuptools leftover"):
        assert expected in warnings, expected
    assert result.first_tag == "1.4.5"  # the static version is above the highest tag (v1.4.4): tag it


OLD_RELEASE = """\
name: Release
on:
  push:
    tags: ["*"]
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pipx run build
      - name: Publish to PyPI
        uses: pypa/gh-action-pypi-publish@release/v1
      - name: By hand
        run: |
          pip install twine
          twine upload --skip-existing dist/*
"""


def test_another_workflow_publishing_on_the_same_tags_is_named(tmp_path: Path) -> None:
    """Found: init wrote release.yml beside a release.yaml that also publishes on the same tags."""
    path = vcs_project(tmp_path, "p")
    old = path / ".github" / "workflows" / "release.yaml"
    old.parent.mkdir(parents=True)
    old.write_text(OLD_RELEASE)
    (old.parent / "ci.yml").write_text("on:\n  pull_request:\njobs:\n  t:\n    runs-on: x\n    steps:\n"
                                       "      - run: uv publish\n")  # not on tags: not named
    result = cli(path, "init")
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert ("warning: .github/workflows/release.yaml also publishes when a release tag such as 1.2.0 is pushed"
            in said)
    assert ("release.yaml line 12 (uses: pypa/gh-action-pypi-publish@release/v1), "
            "release.yaml line 16 (twine upload --skip-existing dist/*)") in said
    assert "ci.yml" not in said
    assert (path / WORKFLOW_PATH).exists()


def test_git_archive_option_writes_the_archival_files(tmp_path: Path) -> None:
    """issue 11: init can write .git_archival.txt and the .gitattributes line (git archive / Download ZIP)."""
    path = fresh(tmp_path)
    result = init_project(path, workflow=False, git_archive=True)
    assert any(c.startswith("wrote .git_archival.txt") for c in result.changes)
    assert any(c.startswith("wrote .gitattributes") for c in result.changes)
    assert "$Format:" in (path / ".git_archival.txt").read_text()
    assert ".git_archival.txt" in (path / ".gitattributes").read_text()
    again = init_project(path, workflow=False, git_archive=True)
    assert not any(c.startswith("wrote .git") for c in again.changes)  # idempotent
