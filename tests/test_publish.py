"""``manta-release publish`` against two real pypiservers standing in for TestPyPI and PyPI.

Every run goes through :func:`tests.support.publish.publish`, which fails the test if any issued
token appears in its stdout or stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.indexes import free_port, new_token, start_index, write_sdist, write_wheel
from tests.support.projects import commit
from tests.support.publish import (
    PROD_VAR,
    TEST_VAR,
    assert_no_token,
    build,
    commit_and_retag,
    make_release,
    no_token_in_test_output,  # noqa: F401 - a fixture, used by name
    platform_wheels,
    publish,
    stop,
)

pytestmark = pytest.mark.usefixtures("no_token_in_test_output")


@pytest.fixture
def rc_release(tmp_path: Path):
    release = make_release(tmp_path, "v1.0.0-rc.1")
    yield release
    stop(release)


@pytest.fixture
def final_release(tmp_path: Path):
    release = make_release(tmp_path, "v2.0.0")
    yield release
    stop(release)


@pytest.mark.slow
def test_prerelease_goes_to_the_test_index_only_and_installs(rc_release, tmp_path: Path) -> None:
    built = build(rc_release)
    assert built == ["sample_pkg-1.0.0rc1-py3-none-any.whl", "sample_pkg-1.0.0rc1.tar.gz"]
    result = publish(rc_release)
    assert rc_release.test.files() == built
    assert rc_release.prod.files() == []
    out = result.stdout
    assert "published sample-pkg 1.0.0rc1 to testpypi" in out
    assert out.count("  uploaded ") == 2
    for name in built:
        assert f"sha256:{rc_release.test.sha256(name)}" in out
    # the install command for a test release: test index for the package, production for the rest
    expected = (
        f"pip install --index-url {rc_release.test.simple_url} --extra-index-url {rc_release.prod.simple_url} "
        "sample-pkg==1.0.0rc1"
    )
    assert f"install: {expected}" in out
    installed = rc_release.test.install("sample-pkg==1.0.0rc1", tmp_path / "site", extra_index=rc_release.prod)
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "site" / "sample_pkg" / "__init__.py").exists()
    assert "credentials: the token in $TEST_PYPI_API_TOKEN" in result.stderr


@pytest.mark.slow
def test_final_goes_to_production_and_a_rerun_skips_everything(final_release, tmp_path: Path) -> None:
    built = build(final_release)
    first = publish(final_release)
    assert final_release.prod.files() == built
    assert final_release.test.files() == []
    assert f"install: pip install --index-url {final_release.prod.simple_url} sample-pkg==2.0.0" in first.stdout
    mtimes = {p.name: p.stat().st_mtime_ns for p in final_release.prod.packages.iterdir()}

    again = publish(final_release)
    assert "2 skipped" in again.stdout and "  uploaded " not in again.stdout
    assert again.stdout.count("identical file already on pypi") == 2
    assert "nothing to upload" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in final_release.prod.packages.iterdir()} == mtimes

    installed = final_release.prod.install("sample-pkg==2.0.0", tmp_path / "site")
    assert installed.returncode == 0, installed.stderr


def test_repository_override_is_announced(rc_release) -> None:
    build(rc_release)
    result = publish(rc_release, "--repository", "pypi")
    assert rc_release.prod.files() and not rc_release.test.files()
    assert "publishing to pypi because of --repository (the route for a pre-release is testpypi)" in (
        result.stderr
    )


@pytest.mark.slow
def test_untagged_or_dirty_never_publishes(rc_release) -> None:
    build(rc_release)
    readme = rc_release.project / "README.md"
    readme.write_text(readme.read_text() + "uncommitted\n")  # dirty, on the tag
    dirty = publish(rc_release, rc=1)
    assert "is not published" in dirty.stderr and "uncommitted changes" in dirty.stderr
    commit(rc_release.project, "after the tag")
    result = publish(rc_release, rc=1)
    assert "is not published" in result.stderr and "release tag" in result.stderr
    # not with --repository either
    assert publish(rc_release, "--repository", "pypi", rc=1).returncode == 1
    # a dry run shows everything a real publish would do, and why it would stop
    dry = publish(rc_release, "--dry-run")
    assert "a real publish would stop:" in dry.stdout and "is not published: not a clean commit" in dry.stdout
    assert rc_release.test.files() == [] and rc_release.prod.files() == []
    assert rc_release.test.files() == [] and rc_release.prod.files() == []


def test_dry_run_uploads_nothing(rc_release) -> None:
    build(rc_release)
    result = publish(rc_release, "--dry-run")
    assert "dry run: would publish sample-pkg 1.0.0rc1 to testpypi" in result.stdout
    assert result.stdout.count("would upload") >= 2
    assert rc_release.test.files() == []


# "wheels go before the sdist" (with --jobs 4) is tests/test_publish_decide.py::test_the_sdist_goes_after_every_wheel:
# the order is the batch's decision, no server needed.


# ----------------------------------------------------------------------------- check before publishing


@pytest.fixture
def platform_release(tmp_path: Path):
    manta = 'platforms = ["linux-x86_64"]\npython = ">=3.11,<3.14"\npure-python = false'
    release = make_release(tmp_path, "v3.1.0", manta=manta)
    yield release
    stop(release)


def test_incomplete_dist_is_refused_unless_allowed(platform_release) -> None:
    build(platform_release, "sdist")
    platform_wheels(platform_release, "3.1.0", ("3.11", "3.12"))  # 3.13 is missing
    refused = publish(platform_release, rc=1)
    assert "missing" in refused.stderr and "3.13" in refused.stderr
    assert "--allow-missing" in refused.stderr
    assert platform_release.prod.files() == []

    allowed = publish(platform_release, "--allow-missing")
    assert "warning" in allowed.stderr and "3.13" in allowed.stderr
    assert len(platform_release.prod.files()) == 3


@pytest.mark.slow
def test_a_wrong_version_is_refused(platform_release) -> None:
    build(platform_release, "sdist")
    platform_wheels(platform_release, "3.1.0", ("3.11", "3.12", "3.13"))
    write_wheel(platform_release.dist, "sample-pkg", "3.0.9", "cp312-cp312-manylinux_2_17_x86_64")
    refused = publish(platform_release, rc=1)
    assert "3.0.9" in refused.stderr and "3.1.0" in refused.stderr
    assert platform_release.prod.files() == []
    # --no-check: only this version's files are uploaded
    publish(platform_release, "--no-check")
    assert len(platform_release.prod.files()) == 4
    assert not any("3.0.9" in f for f in platform_release.prod.files())


# ----------------------------------------------------------------------------- interrupted uploads


@pytest.mark.slow
def test_server_killed_mid_upload_then_rerun_completes(platform_release, tmp_path: Path) -> None:
    index = platform_release.prod
    build(platform_release, "sdist")
    platform_wheels(platform_release, "3.1.0", ("3.11", "3.12", "3.13"), size=1_500_000)
    killed = threading.Event()

    sizes = {p.name: p.stat().st_size for p in platform_release.dist.iterdir()}

    def complete_files() -> list[str]:
        out = []
        for name in index.files():
            try:
                if (index.packages / name).stat().st_size == sizes.get(name):
                    out.append(name)
            except FileNotFoundError:
                pass
        return out

    def kill_after_first_complete_file() -> None:
        # pypiserver writes in place: killing it while it writes leaves a truncated file (which a re-run
        # would rightly call a conflict). Kill it as soon as the first file is whole: its answer, or the
        # next upload, is cut off.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if complete_files():
                index.kill()
                killed.set()
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=kill_after_first_complete_file, daemon=True)
    watcher.start()
    first = publish(platform_release, "--jobs", "1", "--retries", "1", "--retry-delay", "0.05", rc=1)
    watcher.join(timeout=60)
    assert killed.is_set()
    landed = index.files()
    assert 1 <= len(landed) < 4
    assert "sample_pkg-3.1.0.tar.gz" not in landed  # the sdist goes last
    err = first.stderr
    assert "error: connection to 127.0.0.1" in err and "refused: pypi is not listening" in err
    confirmed, _, rest = err.partition(" files are on pypi")
    _, _, not_there = rest.partition("not there:")
    assert "sample_pkg-3.1.0.tar.gz" in not_there
    for name in landed:  # each file that landed is reported as landed, or as "maybe" (its answer was lost)
        assert name in confirmed.split("\n")[-1] + rest.split("not there:")[0]
        assert name not in not_there
    assert "re-run publish" in err

    index.start()  # the same port and package folder
    second = publish(platform_release, "--jobs", "1")
    assert len(index.files()) == 4
    assert second.stdout.count("identical file already on pypi") == len(landed)
    assert second.stdout.count("  uploaded ") == 4 - len(landed)
    for path in platform_release.dist.iterdir():
        assert index.sha256(path.name) == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- conflicts


def test_changed_file_on_production_stops_everything(final_release) -> None:
    built = build(final_release)
    wheel = final_release.dist / built[0]
    sdist = final_release.dist / built[1]
    hidden = sdist.rename(sdist.with_suffix(".hidden"))
    publish(final_release, "--allow-missing")
    assert final_release.prod.files() == [wheel.name]
    published_sha = final_release.prod.sha256(wheel.name)

    hidden.rename(sdist)
    write_wheel(final_release.dist, "sample-pkg", "2.0.0", payload=b"# rebuilt differently\n")
    result = publish(final_release, rc=1)
    assert f"pypi already has {wheel.name} with different content: nothing was uploaded" in result.stderr
    assert "2.0.0.post1" in result.stderr  # what to do instead
    assert "CONFLICT" in result.stdout
    assert final_release.prod.files() == [wheel.name]  # the sdist was not uploaded
    assert final_release.prod.sha256(wheel.name) == published_sha


def test_changed_file_on_a_skip_existing_repository_is_a_loud_warning(rc_release) -> None:
    built = build(rc_release)
    wheel = rc_release.dist / built[0]
    sdist = rc_release.dist / built[1]
    hidden = sdist.rename(sdist.with_suffix(".hidden"))
    publish(rc_release, "--allow-missing")
    published_sha = rc_release.test.sha256(wheel.name)

    hidden.rename(sdist)
    write_wheel(rc_release.dist, "sample-pkg", "1.0.0rc1", payload=b"# rebuilt differently\n")
    result = publish(rc_release)
    assert "warning:" in result.stderr and "DIFFERENT content" in result.stderr and "skip-existing" in result.stderr
    assert "1.0.0rc2" in result.stderr
    assert sorted(rc_release.test.files()) == sorted(built)
    assert rc_release.test.sha256(wheel.name) == published_sha


# ----------------------------------------------------------------------------- credentials


def test_wrong_token_names_the_variable_never_the_token(rc_release) -> None:
    build(rc_release)
    wrong = new_token()
    result = publish(rc_release, env=rc_release.env(**{TEST_VAR: wrong}), rc=1)
    err = result.stderr
    assert f"refused the token in ${TEST_VAR}" in err
    assert "testpypi" in err and "403" in err
    assert "scoped to sample-pkg once the project exists" in err and "separate tokens" in err
    assert wrong not in result.stdout + err
    assert rc_release.test.files() == []
    verbose = publish(rc_release, "--verbose", env=rc_release.env(**{TEST_VAR: wrong}), rc=1)
    assert "index said: 403" in verbose.stderr + verbose.stdout


def test_missing_token_is_named(rc_release) -> None:
    build(rc_release)
    env = rc_release.env()
    del env[TEST_VAR]
    result = publish(rc_release, env=env, rc=1)
    assert f"{TEST_VAR} is not set: no token to upload to testpypi" in result.stderr
    empty = publish(rc_release, env=rc_release.env(**{TEST_VAR: ""}), rc=1)
    assert f"{TEST_VAR} is empty" in empty.stderr and "secret that does not exist" in empty.stderr
    # a dry run reports it and goes on
    dry = publish(rc_release, "--dry-run", env=env)
    assert "a real publish would stop here" in dry.stderr


def test_odd_token_gets_a_warning_without_the_token(tmp_path: Path) -> None:
    odd = "hunter2-local-password"
    from tests.support.indexes import ISSUED_TOKENS

    ISSUED_TOKENS.append(odd)
    release = make_release(tmp_path, "v1.0.0")
    try:
        release.prod.stop()
        release.prod.password = odd
        release.prod.write_htpasswd()
        release.prod.start()
        build(release)
        result = publish(release, env=release.env(**{PROD_VAR: f" {odd}\n"}))
        assert f"{PROD_VAR} has leading or trailing whitespace" in result.stderr
        assert f"{PROD_VAR} does not look like a PyPI API token" in result.stderr
        assert len(release.prod.files()) == 2
    finally:
        stop(release)


def test_github_actions_summary_and_mask(rc_release, tmp_path: Path) -> None:
    build(rc_release)
    summary = tmp_path / "step-summary.md"
    env = rc_release.env(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    result = publish(rc_release, env=env)
    assert f"::add-mask::{rc_release.test.password}" in result.stdout.splitlines()
    text = summary.read_text()
    assert "### Published: sample-pkg 1.0.0rc1 → testpypi" in text
    assert "| `sample_pkg-1.0.0rc1.tar.gz` |" in text
    assert rc_release.test.sha256("sample_pkg-1.0.0rc1.tar.gz") in text
    assert f"--extra-index-url {rc_release.prod.simple_url}" in text
    assert_no_token(text)


# ----------------------------------------------------------------------------- network errors


def test_tls_error_on_a_plain_http_index(tmp_path: Path) -> None:
    release = make_release(tmp_path, "v1.0.0")
    try:
        port = release.prod.port
        pyproject = release.project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace(f"http://127.0.0.1:{port}/", f"https://127.0.0.1:{port}/"))
        commit_and_retag(release.project)
        build(release)
        result = publish(release, rc=1)
        assert f"TLS with 127.0.0.1:{port} failed" in result.stderr
        assert "hint:" in result.stderr and "http:// for a plain local index" in result.stderr
    finally:
        stop(release)


def test_unreachable_index(tmp_path: Path) -> None:
    release = make_release(tmp_path, "v1.0.0")
    try:
        release.prod.stop()
        build(release)
        result = publish(release, rc=1)
        assert f"connection to 127.0.0.1:{release.prod.port} refused: pypi is not listening" in result.stderr
    finally:
        stop(release)


# ----------------------------------------------------------------------------- tokens never leave this process


def test_no_child_process_gets_the_token(rc_release, monkeypatch, capsys) -> None:
    """Run publish in-process and record every child process: no argv (and no environment) holds the token."""
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.publish import PublishOptions
    from hatch_manta_release.publish import publish as publish_in_process

    build(rc_release)
    children: list[tuple[list[str], dict[str, str] | None]] = []
    real_init = subprocess.Popen.__init__

    def recording_init(self, args, *a, **kw):  # type: ignore[no-untyped-def]
        children.append(([str(x) for x in (args if isinstance(args, list | tuple) else [args])], kw.get("env")))
        return real_init(self, args, *a, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording_init)
    env = rc_release.env()
    report = publish_in_process(load_project(rc_release.project), PublishOptions(), environ=env)
    assert report.ok and report.count("uploaded") == 2
    token = rc_release.test.password
    assert children, "expected git calls at least"
    for argv, child_env in children:
        assert not any(token in arg for arg in argv), argv
        assert child_env is None or token not in json.dumps(child_env)
    captured = capsys.readouterr()
    assert_no_token(captured.out, captured.err)
    assert token not in repr(report)


def test_index_helper_restarts_on_the_same_port(tmp_path: Path) -> None:
    index = start_index(tmp_path, "solo", port=free_port())
    try:
        write_sdist(tmp_path / "d", "x", "1.0")
        port = index.port
        index.stop()
        index.start()
        assert index.port == port and index.running
    finally:
        index.stop()


def test_environment_is_clean_of_tokens() -> None:
    # The suite's own environment never holds an issued token (they only go to child environments).
    assert_no_token("\n".join(f"{k}={v}" for k, v in os.environ.items()))


# ------------------------------------------------------------------------ messages in the user's terms (issue 13 §7)


def test_every_file_conflicting_is_not_published(rc_release) -> None:
    built = build(rc_release)
    publish(rc_release)
    for name in built:  # rebuilt differently: every file now differs from the index's copy
        (rc_release.dist / name).unlink()
    write_wheel(rc_release.dist, "sample-pkg", "1.0.0rc1", payload=b"# rebuilt differently\n")
    write_sdist(rc_release.dist, "sample-pkg", "1.0.0rc1", payload=b"# rebuilt differently\n")
    result = publish(rc_release)
    assert "published " not in result.stdout
    assert "nothing new uploaded: sample-pkg 1.0.0rc1 to testpypi" in result.stdout
    assert "2 file(s) already there with different content, kept by the index (skip-existing = true" in result.stdout


def test_a_rerun_says_nothing_new_was_uploaded(final_release) -> None:
    build(final_release)
    publish(final_release)
    again = publish(final_release)
    assert "published " not in again.stdout
    assert "nothing new uploaded: sample-pkg 2.0.0 to pypi" in again.stdout and "2 identical file(s)" in again.stdout


def test_not_a_release_hint_uses_the_tag_prefix_and_the_command_form(tmp_path: Path) -> None:
    release = make_release(tmp_path, "1.0.0", manta='tag-prefix = ""')
    try:
        build(release)
        commit(release.project, "after the tag")
        plain = publish(release, rc=1)
        assert "git tag 1.2.3 && git push origin 1.2.3" in plain.stderr and "git tag v1.2.3" not in plain.stderr
        assert "`manta-release plan` shows the decision" in plain.stderr
        in_env = publish(release, env=release.env(HATCH_ENV_ACTIVE="release"), rc=1)
        assert "`hatch run release:plan` shows the decision" in in_env.stderr
    finally:
        stop(release)


def test_pre_release_is_spelled_one_way(rc_release) -> None:
    build(rc_release)
    result = publish(rc_release, "--dry-run")
    assert "(pre-release, tag v1.0.0-rc.1)" in result.stderr
    assert "prerelease" not in result.stdout + result.stderr
