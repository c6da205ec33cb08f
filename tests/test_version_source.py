"""The version source for real: git repositories in a temp folder, `python -m hatchling version`,
`hatch version`, wheel builds, and a wheel built from the sdist without git."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from hatch_manta_release.core.project import load_config
from hatch_manta_release.core.version import VERSION_ENV, resolve_version
from tests.support.projects import (
    REPO_ROOT,
    build_plugin_wheel,
    commit,
    first_commit,
    git,
    hatch_env,
    make_project,
    run,
    use_plugin_requirement,
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTA_RELEASE_")}
    env.update(extra)
    return env


def hatchling(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "hatchling", *args], cwd=project, env=clean_env(**env), check=False)


def version_of(project: Path, **env: str) -> str:
    result = hatchling(project, "version", **env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.strip()


def clean_failure(result: subprocess.CompletedProcess[str]) -> str:
    """A user error through hatchling: exit 1, one message (cause and hint), no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.startswith("manta-release: "), result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 2, lines
    if len(lines) == 2:
        assert lines[1].startswith("  hint: ")
    return result.stderr


def today() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")


# The tags of the issue, and what `python -m hatchling version` prints for each.
ISSUE_TAGS = [
    ("v0.2.0-beta.1", "0.2.0b1"),
    ("v0.2.0-alpha.1", "0.2.0a1"),
    ("v0.2.0-rc.1", "0.2.0rc1"),
    ("v0.2.0-dev.3", "0.2.0.dev3"),
    ("v0.1.0-test.1", "0.1.0.dev1"),
    ("v1.5.0rc0", "1.5.0rc0"),
    ("v1.5.0.dev0", "1.5.0.dev0"),
    ("v1.4.5.2", "1.4.5.2"),
    ("v1.0.0-1", "1.0.0.post1"),
    ("v1.5.0", "1.5.0"),
]


@pytest.fixture(scope="module")
def tagged_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("tags") / "sample")


@pytest.mark.parametrize(("tag", "expected"), ISSUE_TAGS)
def test_hatchling_version_for_each_tag(tagged_project: Path, tag: str, expected: str) -> None:
    git(tagged_project, "tag", tag)
    try:
        assert version_of(tagged_project) == expected
    finally:
        git(tagged_project, "tag", "-d", tag)


def test_unknown_label_is_one_clean_message(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v2.0.0-banana.1")
    stderr = clean_failure(hatchling(project, "version"))
    assert stderr.splitlines()[0] == "manta-release: tag 'v2.0.0-banana.1' has the unknown pre-release label 'banana'"
    assert "hint: accepted labels: a, alpha, b, beta, c, dev, post, pre, preview, rc, test " in stderr


def test_configured_label(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v2.0.0-banana.1", manta='prerelease-labels = { banana = "b" }')
    assert version_of(project) == "2.0.0b1"


def test_local_version_tag_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0+build.5")
    stderr = clean_failure(hatchling(project, "version"))
    assert "tag 'v1.0.0+build.5' carries a local version label ('+build.5'), which package indexes refuse" in stderr


def test_invalid_tag(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0-beta.x")
    stderr = clean_failure(hatchling(project, "version"))
    assert "tag 'v1.0.0-beta.x' is not a release version" in stderr


def test_custom_tag_prefix_ignores_other_tags(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", manta='tag-prefix = "sample-v"', tag="sample-v3.1.0-rc.2")
    git(project, "tag", "v9.9.9")  # another project's tags in a monorepo
    assert version_of(project) == "3.1.0rc2"


def test_commits_after_a_tag_give_a_development_version(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.5.0")
    commit(project, "one")
    sha = commit(project, "two")
    assert version_of(project) == f"1.5.1.dev2+g{sha}"
    git(project, "tag", "v1.6.0rc1")
    assert version_of(project) == "1.6.0rc1"
    sha = commit(project, "three")
    assert version_of(project) == f"1.6.0rc2.dev1+g{sha}"


def test_dirty_tree_is_marked(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.5.0")
    sha = git(project, "rev-parse", "--short=7", "HEAD")
    (project / "untracked.txt").write_text("not part of the tree\n")
    assert version_of(project) == "1.5.0"  # untracked files do not make the tree dirty
    (project / "README.md").write_text("changed\n")
    assert version_of(project) == f"1.5.1.dev0+g{sha}.d{today()}"
    sha = commit(project, "more")
    (project / "README.md").write_text("changed again\n")
    assert version_of(project) == f"1.5.1.dev1+g{sha}.d{today()}"


def test_two_tags_on_one_commit_give_the_highest(tmp_path: Path) -> None:
    """A candidate promoted to final: annotated `v1.0.0rc1`, then `v1.0.0` on the same commit. git
    describe prefers the annotated tag; the release must be 1.0.0 (routed to PyPI), not rc1."""
    project = make_project(tmp_path / "p")
    git(project, "tag", "-a", "-m", "candidate", "v1.0.0rc1")
    assert version_of(project) == "1.0.0rc1"
    git(project, "tag", "v1.0.0")
    assert git(project, "describe", "--tags") == "v1.0.0rc1"
    assert version_of(project) == "1.0.0"
    resolved = resolve_version(project, load_config(project))
    assert resolved.tag is not None and resolved.tag.tag == "v1.0.0"
    assert resolved.channel == "final" and resolved.is_release


def test_a_bad_second_tag_on_head_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """Issue 11 reverses the old rule (a bad tag beside a good one on HEAD failed the build): it
    never blocks now, and the warning names it."""
    project = make_project(tmp_path / "p", tag="v1.0.0")
    git(project, "tag", "v1.0.1-banana.1")
    result = hatchling(project, "version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.0.0"
    assert (
        "manta-release: warning: tag 'v1.0.1-banana.1' has the unknown pre-release label 'banana': "
        "skipped (the version comes from tag v1.0.0)"
    ) in result.stderr


def test_no_tag_is_an_error_not_zero(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    sha = git(project, "rev-parse", "--short=7", "HEAD")
    stderr = clean_failure(hatchling(project, "version"))
    assert stderr.splitlines() == [
        f"manta-release: no tag matching 'v[0-9]*' is reachable from HEAD ({sha}), so the version is unknown",
        "  hint: tag a release (git tag v0.1.0), run `git fetch --tags` if the tags are on the remote, "
        'or set fallback-version = "0.0.0" in [tool.hatch.version]',
    ]


@pytest.mark.parametrize(
    ("table", "expected"), [("[tool.hatch.version]", "0.0.0"), ("[tool.manta-release]", "0.1.0a0")]
)
def test_no_tag_with_a_fallback_version(tmp_path: Path, table: str, expected: str) -> None:
    project = make_project(tmp_path / "p")
    path = project / "pyproject.toml"
    path.write_text(path.read_text().replace(f"{table}\n", f'{table}\nfallback-version = "{expected}"\n', 1))
    git(project, "commit", "-qam", "fallback")
    assert version_of(project) == expected
    resolved = resolve_version(project, load_config(project))
    assert resolved.source == "fallback" and not resolved.is_release


def test_tags_with_another_prefix_are_explained(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="1.2.0")
    stderr = clean_failure(hatchling(project, "version"))
    assert "the nearest tag, '1.2.0', is not the tag prefix 'v' followed by a version" in stderr
    assert 'tag-prefix = "" for tags like 1.2.3' in stderr


def test_shallow_clone_is_explained(tmp_path: Path) -> None:
    origin = make_project(tmp_path / "origin", tag="v1.0.0")
    commit(origin, "after the tag")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "main", origin.resolve().as_uri(), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    stderr = clean_failure(hatchling(clone, "version"))
    assert "and this clone is shallow" in stderr
    assert "set `fetch-depth: 0` on actions/checkout" in stderr
    assert "git fetch --tags --unshallow" in stderr

    # a fallback version must not hide a shallow clone (never silently 0.0.0)
    path = clone / "pyproject.toml"
    table = "[tool.manta-release]\n"
    path.write_text(path.read_text().replace(table, f'{table}fallback-version = "0.0.0"\n'))
    assert "and this clone is shallow" in clean_failure(hatchling(clone, "version"))
    git(clone, "checkout", "-q", "--", "pyproject.toml")

    # the fix the message gives works
    git(clone, "fetch", "-q", "--tags", "--unshallow")
    sha = git(clone, "rev-parse", "--short=7", "HEAD")
    assert version_of(clone) == f"1.0.1.dev1+g{sha}"


def test_shallow_clone_of_the_tagged_commit_works(tmp_path: Path) -> None:
    """What a tag-triggered CI job checks out with the default fetch-depth: 1."""
    origin = make_project(tmp_path / "origin", tag="v1.0.0rc1")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "v1.0.0rc1", origin.resolve().as_uri(), str(clone))
    assert version_of(clone) == "1.0.0rc1"


def test_clone_without_tags_is_explained(tmp_path: Path) -> None:
    origin = make_project(tmp_path / "origin", tag="v1.0.0")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-tags", origin.resolve().as_uri(), str(clone))
    stderr = clean_failure(hatchling(clone, "version"))
    assert "no tag matching 'v[0-9]*' is reachable from HEAD" in stderr
    assert "run `git fetch --tags` if the tags are on the remote" in stderr
    git(clone, "fetch", "-q", "--tags")
    assert version_of(clone) == "1.0.0"


def test_not_a_git_checkout(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", git_init=False)
    stderr = clean_failure(hatchling(project, "version", GIT_CEILING_DIRECTORIES=str(tmp_path)))
    assert "is not a git checkout, so there is no tag to read the version from" in stderr
    assert 'set fallback-version = "0.0.0"' in stderr


def test_fallback_version_outside_git_and_before_the_first_commit(tmp_path: Path) -> None:
    """A download without .git (Download ZIP, git archive, a Docker COPY) or a fresh `git init`:
    fallback-version applies there, as hatch-vcs users expect."""
    fallback = '[tool.hatch.version]\nfallback-version = "0.0.0"\n'
    project = make_project(tmp_path / "p", git_init=False)
    text = (project / "pyproject.toml").read_text().replace('[tool.hatch.version]\n', fallback)
    (project / "pyproject.toml").write_text(text)
    assert version_of(project, GIT_CEILING_DIRECTORIES=str(tmp_path)) == "0.0.0"
    git(project, "init", "-q")
    assert version_of(project) == "0.0.0"


def test_repository_without_commits(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", git_init=False)
    git(project, "init", "-q")
    assert "has no commits yet" in clean_failure(hatchling(project, "version"))


def test_version_from_the_environment(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    assert version_of(project, **{VERSION_ENV: "1.0.0rc3"}) == "1.0.0rc3"
    stderr = clean_failure(hatchling(project, "version", **{VERSION_ENV: "1.0-banana"}))
    assert f"{VERSION_ENV}='1.0-banana' is not a PEP 440 version" in stderr


def test_config_error_is_one_clean_message(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0", manta='tag-prefx = "v"')
    stderr = clean_failure(hatchling(project, "version"))
    assert stderr.splitlines()[0] == (
        "manta-release: [tool.manta-release] unknown key tag-prefx (did you mean 'tag-prefix'?)"
    )
    assert stderr.splitlines()[1].startswith("  hint: allowed keys: tag-prefix, platforms, ")

    project = make_project(tmp_path / "q", tag="v1.0.0", manta='[tool.manta-release.routes]\nfinal = "pypy"')
    stderr = clean_failure(hatchling(project, "version"))
    assert stderr.strip() == (
        'manta-release: [tool.manta-release] routes.final = "pypy": expected a defined repository: local, pypi, '
        "testpypi (did you mean 'pypi'?)"
    )


def test_setting_the_version_is_refused_cleanly(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    result = hatchling(project, "version", "2.0.0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "the version comes from git tags and cannot be set in a file; tag the commit instead (git tag v2.0.0)" in (
        result.stderr
    )


# ----------------------------------------------------------------------------- builds

VERSION_FILE_HOOK = """
[tool.hatch.build.hooks.manta-release]
version-file = "sample/_version.py"
"""


def test_wheel_build_and_version_file(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", extra_pyproject=VERSION_FILE_HOOK)
    (project / ".gitignore").write_text("dist/\nsample/_version.py\n")
    git(project, "commit", "-qam", "ignore the version file")
    git(project, "tag", "v0.2.0-beta.1")
    result = hatchling(project, "build", "-t", "wheel")
    assert result.returncode == 0, result.stderr
    wheel = project / "dist" / "sample-0.2.0b1-py3-none-any.whl"
    assert wheel.is_file(), list((project / "dist").iterdir())
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read("sample/_version.py").decode()
        metadata = zf.read("sample-0.2.0b1.dist-info/METADATA").decode()
    assert "__version__ = version = '0.2.0b1'" in text
    assert "__version_tuple__ = version_tuple = (0, 2, 0, 'b1')" in text
    assert "Version: 0.2.0b1" in metadata.splitlines()
    assert git(project, "status", "--porcelain") == ""  # the written file is ignored, the tree stays clean


@pytest.mark.parametrize(("value", "shown"), [("3", "3"), ('"../_version.py"', '"../_version.py"'),
                                             ('"/tmp/_version.py"', '"/tmp/_version.py"'), ('""', '""')])
def test_bad_version_file_is_one_clean_message(tmp_path: Path, value: str, shown: str) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0",
                           extra_pyproject=f"[tool.hatch.build.hooks.manta-release]\nversion-file = {value}\n")
    result = hatchling(project, "build", "-t", "wheel")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"manta-release: [tool.hatch.build.hooks.manta-release] version-file = {shown}: expected a .py path "
        'inside the project, relative to its root, such as "src/pkg/_version.py"'
    )
    assert not (tmp_path / "_version.py").exists()


def test_version_file_path_is_normalised(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.4.5.2",
                           extra_pyproject='[tool.hatch.build.hooks.manta-release]\nversion-file = "./sample/_v.py"\n')
    result = hatchling(project, "build", "-t", "wheel")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(project / "dist" / "sample-1.4.5.2-py3-none-any.whl") as zf:
        assert "__version_tuple__ = version_tuple = (1, 4, 5, 2)" in zf.read("sample/_v.py").decode()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give the checkout away")
def test_checkout_owned_by_another_user(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    subprocess.run(["chown", "-R", "65534", str(project)], check=True)
    stderr = clean_failure(hatchling(project, "version", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1"))
    assert f"git refuses to read {project.resolve()}: the checkout belongs to another user" in stderr
    assert f"git config --global --add safe.directory {project.resolve()}" in stderr


@pytest.fixture(scope="session")
def plugin_requirement(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``hatch-manta-release @ file:///…whl``: a wheel of this checkout, built once per session, for
    build environments that install the sample's build-system requires (hatch, ``python -m build``)."""
    wheel = build_plugin_wheel(tmp_path_factory.mktemp("plugin-wheel"))
    return f"hatch-manta-release @ {wheel.as_uri()}"


@pytest.mark.slow
def test_hatch_version(tmp_path: Path, plugin_requirement: str) -> None:
    """The real `hatch version`: hatch creates its build environment, installs the sample's
    build-system requires (this checkout's wheel) and runs the version source there."""
    project = make_project(tmp_path / "p")
    use_plugin_requirement(project, plugin_requirement, collector=False)
    git(project, "commit", "-qam", "use the local plugin")
    git(project, "tag", "v0.2.0-beta.1")
    env = hatch_env(tmp_path)
    result = run(["hatch", "version"], cwd=project, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.2.0b1"

    git(project, "tag", "-d", "v0.2.0-beta.1")
    git(project, "tag", "v2.0.0-banana.1")
    result = run(["hatch", "version"], cwd=project, env=env, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "manta-release: tag 'v2.0.0-banana.1' has the unknown pre-release label 'banana'" in result.stderr


@pytest.mark.slow
def test_sdist_then_wheel_without_git(tmp_path: Path, plugin_requirement: str) -> None:
    """`python -m build --sdist` in the git checkout; then a wheel from the unpacked sdist with no
    .git and no git on PATH: the version comes from PKG-INFO."""
    project = make_project(tmp_path / "p", extra_pyproject=VERSION_FILE_HOOK)
    use_plugin_requirement(project, plugin_requirement)
    (project / ".gitignore").write_text("dist/\nsample/_version.py\n")
    git(project, "commit", "-qam", "release setup")
    git(project, "tag", "v1.5.0rc0")
    sdist_dir = tmp_path / "sdist"
    run([sys.executable, "-m", "build", "--sdist", "--outdir", str(sdist_dir), str(project)], cwd=project,
        env=clean_env())
    sdist = sdist_dir / "sample-1.5.0rc0.tar.gz"
    assert sdist.is_file(), list(sdist_dir.iterdir())

    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist) as tf:
        tf.extractall(unpacked, filter="data")
    source = unpacked / "sample-1.5.0rc0"
    assert not (source / ".git").exists()
    assert "Version: 1.5.0rc0" in (source / "PKG-INFO").read_text().splitlines()

    env = clean_env(GIT_CEILING_DIRECTORIES=str(tmp_path), PATH=str(Path(sys.executable).parent))
    assert shutil.which("git", path=env["PATH"]) is None
    wheel_dir = tmp_path / "wheel"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(wheel_dir), str(source)], cwd=source, env=env)
    wheel = wheel_dir / "sample-1.5.0rc0-py3-none-any.whl"
    assert wheel.is_file(), list(wheel_dir.iterdir())
    with zipfile.ZipFile(wheel) as zf:
        assert "__version__ = version = '1.5.0rc0'" in zf.read("sample/_version.py").decode()


@pytest.mark.skipif(not (REPO_ROOT / ".git").exists(), reason="not a git checkout (an sdist of this project)")
def test_this_project_versions_itself_with_its_own_code() -> None:
    """pyproject.toml's `code` source runs _self_version.py, which runs what adopters' builds run."""
    before = resolve_version(REPO_ROOT, load_config(REPO_ROOT)).version
    result = hatchling(REPO_ROOT, "version")
    assert result.returncode == 0, result.stderr
    after = resolve_version(REPO_ROOT, load_config(REPO_ROOT)).version
    assert Version(result.stdout.strip()) in (before, after)  # others may commit to this checkout meanwhile


# ----------------------------------------------------------------------------- issue 11: never backwards


def head(project: Path) -> str:
    return git(project, "rev-parse", "--short=7", "HEAD")


@pytest.mark.parametrize(
    ("tags", "on_head", "one_later"),
    [
        ((("v0.9.0",), ("v1.0.0",)), "1.0.0", "1.0.1.dev1"),  # git describe picks v0.9.0 past HEAD
        ((("-a", "v1.0.0rc1", "-m", "rc"), ("v1.0.0",)), "1.0.0", "1.0.1.dev1"),  # annotated rc wins describe
        ((("v1.0.0-beta.3",), ("v1.0.0-rc.1",)), "1.0.0rc1", "1.0.0rc2.dev1"),
        ((("v1.2.3",), ("v1",)), "1.2.3", "1.2.4.dev1"),  # a floating major tag
    ],
)
def test_several_tags_on_one_commit_base_on_the_highest(
    tmp_path: Path, tags: tuple[tuple[str, ...], ...], on_head: str, one_later: str
) -> None:
    project = make_project(tmp_path / "p")
    for args in tags:
        git(project, "tag", *args)
    assert version_of(project) == on_head
    commit(project)
    assert version_of(project) == f"{one_later}+g{head(project)}"


@pytest.mark.parametrize("bad", ["v1.0.0+build.1", "v1.0.0-foo.1"])
def test_a_bad_tag_beside_a_good_one_on_head_never_blocks(tmp_path: Path, bad: str) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    git(project, "tag", bad)
    result = hatchling(project, "version")
    assert (result.returncode, result.stdout.strip()) == (0, "1.0.0"), result.stderr
    assert f"manta-release: warning: tag {bad!r} " in result.stderr
    assert "skipped (the version comes from tag v1.0.0)" in result.stderr


@pytest.mark.parametrize(("bad", "why"), [("v2-docs", "has the unknown pre-release label 'docs'"),
                                          ("v1.x", "is not a release version")])
def test_a_prefix_matching_tag_that_is_no_version_is_skipped(tmp_path: Path, bad: str, why: str) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    commit(project, "one")
    git(project, "tag", bad)
    commit(project, "two")
    result = hatchling(project, "version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"1.0.1.dev2+g{head(project)}"
    assert result.stderr == (
        f"manta-release: warning: tag {bad!r} {why}: skipped (the version comes from tag v1.0.0)\n"
    )


def test_a_tag_that_is_no_version_alone_on_head_is_still_the_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    commit(project)
    git(project, "tag", "v2-docs")
    assert "manta-release: tag 'v2-docs' has the unknown pre-release label 'docs'" in clean_failure(
        hatchling(project, "version")
    )


def test_only_tags_that_are_no_version_in_history(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v2-docs")
    commit(project)
    stderr = clean_failure(hatchling(project, "version"))
    assert f"no tag matching 'v[0-9]*' reachable from HEAD ({head(project)}) is a release version " \
           "(skipped: v2-docs)" in stderr


def test_a_higher_tag_on_another_branch_is_not_the_base(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    git(project, "checkout", "-q", "-b", "maint")
    git(project, "checkout", "-q", "-")
    commit(project, "main")
    git(project, "tag", "v2.0.0")
    git(project, "checkout", "-q", "maint")
    commit(project, "fix")
    assert version_of(project) == f"1.0.1.dev1+g{head(project)}"


def test_a_higher_tag_further_back_is_the_base(tmp_path: Path) -> None:
    """A merged branch's tag nearer than the highest one: describe picks the nearer."""
    project = make_project(tmp_path / "p", tag="v2.0.0")
    git(project, "checkout", "-q", "-b", "old")
    commit(project, "old", filename="OLD.txt")
    git(project, "tag", "v1.9.9")  # a late maintenance release, merged back
    git(project, "checkout", "-q", "-")
    for n in range(3):
        commit(project, f"main{n}")
    git(project, "merge", "-q", "--no-edit", "old")
    distance = int(git(project, "rev-list", "--count", "v2.0.0..HEAD"))
    assert version_of(project) == f"2.0.1.dev{distance}+g{head(project)}"


def test_dev_release_tags_the_next_dev_release_sorts_above(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0-dev.1")
    commit(project, "one")
    commit(project, "two")
    version = version_of(project)
    assert version == f"1.0.0.dev1+2.g{head(project)}"
    assert Version("1.0.0.dev1") < Version(version) < Version("1.0.0.dev2")


def test_post_release_tags_the_next_post_release_sorts_above(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0.post1")
    commit(project)
    version = version_of(project)
    assert version == f"1.0.0.post2.dev1+g{head(project)}"
    assert Version("1.0.0.post1") < Version(version) < Version("1.0.0.post2")


def test_numeric_suffix_as_prerelease(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", manta='numeric-suffix = "rc"', tag="v1.0.0-1")
    assert version_of(project) == "1.0.0rc1"
    resolved = resolve_version(project, load_config(project))
    assert resolved.channel == "prerelease"
    assert resolved.tag is not None and "pre-release 1.0.0rc1" in resolved.tag.note


def test_safe_directory_hint_names_the_top_level(tmp_path: Path) -> None:
    top = tmp_path / "repo"
    project = make_project(top / "python", git_init=False)
    first_commit(top, tag="v1.0.0")
    # git's own switch for its safe.directory tests: behave as if another user owned the checkout.
    stderr = clean_failure(hatchling(project, "version", GIT_TEST_ASSUME_DIFFERENT_OWNER="1"))
    assert f"git config --global --add safe.directory {top.resolve()}`" in stderr
    assert str(project.resolve()) not in stderr


def _archive(project: Path, dest: Path) -> Path:
    data = run(["git", "archive", "--format=tar", "HEAD"], cwd=project).stdout
    dest.mkdir()
    subprocess.run(["tar", "-x", "-C", str(dest)], input=data.encode("latin-1"), check=True)
    return dest


def test_git_archive_of_a_tag_reads_git_archival(tmp_path: Path) -> None:
    from hatch_manta_release.core.archive import write_archival_files

    project = make_project(tmp_path / "p", tag="v1.0.0")
    assert write_archival_files(project, "v") == [".git_archival.txt", ".gitattributes"]
    assert write_archival_files(project, "v") == []  # idempotent
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "archival")
    git(project, "tag", "v1.0.1")
    assert version_of(_archive(project, tmp_path / "tagged")) == "1.0.1"
    commit(project, "one")
    commit(project, "two")
    assert version_of(_archive(project, tmp_path / "past")) == f"1.0.2.dev2+g{head(project)}"


def test_git_archive_with_hatch_vcs_template_uses_ref_names(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v0.9.0")
    (project / ".git_archival.txt").write_text(
        "node: $Format:%H$\nnode-date: $Format:%cI$\n"
        "describe-name: $Format:%(describe:tags=true,match=*[0-9]*)$\nref-names: $Format:%D$\n"
    )
    (project / ".gitattributes").write_text(".git_archival.txt  export-subst\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "archival")
    git(project, "tag", "v1.0.0rc1")
    git(project, "tag", "v1.0.0")  # two tags on the archived commit: ref-names lists both
    assert version_of(_archive(project, tmp_path / "x")) == "1.0.0"


def test_checkout_template_of_git_archival_is_ignored(tmp_path: Path) -> None:
    from hatch_manta_release.core.archive import read_archival, write_archival_files

    project = make_project(tmp_path / "p", tag="v1.0.0")
    write_archival_files(project, "v")
    assert read_archival(project, "v") is None  # $Format:…$ not filled in: a checkout, not an archive


def test_unpacked_sdist_answers_from_pkg_info(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v1.2.0rc1")
    run([sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(tmp_path / "dist")],
        cwd=project, env=clean_env())
    with tarfile.open(next((tmp_path / "dist").glob("*.tar.gz"))) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    unpacked = next((tmp_path / "unpacked").iterdir())
    assert version_of(unpacked) == "1.2.0rc1"


def _count_git_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    from hatch_manta_release.core import git as git_module

    calls: list[tuple[str, ...]] = []
    real = git_module.run_git

    def counting(root: str | Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return real(root, *args, timeout=timeout)

    monkeypatch.setattr(git_module, "run_git", counting)
    return calls


def test_common_case_asks_git_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """describe + one listing of the tag refs; history is walked only when a tag could be higher."""
    project = make_project(tmp_path / "p", tag="v1.0.0")
    commit(project, "one")
    git(project, "tag", "v1.1.0")
    commit(project, "two")
    monkeypatch.delenv(VERSION_ENV, raising=False)
    calls = _count_git_calls(monkeypatch)
    assert str(resolve_version(project, load_config(project)).version).startswith("1.1.1.dev1+g")
    assert [c[0] for c in calls] == ["describe", "for-each-ref"]
