"""Issue 10: no secret in any output, bounded time and memory, one-line errors for hostile input.

Each "Found" case of the issue, reproduced against real loopback servers (tests/support/hostile.py:
echoing, hanging, trickling, huge, malformed, redirecting) or with the real CLI in a child process;
every captured output, step summary and child environment is scanned for the token in every form
it takes on the wire (literal, base64 of ``__token__:<token>``, percent-encoded, wrapped).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hatch_manta_release.core import redaction
from hatch_manta_release.core.config import parse_config
from hatch_manta_release.core.errors import ConfigError, MantaError
from hatch_manta_release.publish import limits
from hatch_manta_release.publish.http import Response
from hatch_manta_release.publish.index import MalformedPage, _from_json, existing_files, get_with_retries
from tests.support.hostile import (
    Hostile,
    answer,
    assert_clean,
    assert_no_traceback,
    echo,
    hang,
    hostile_project,
    huge,
    json_page,
    redirect,
    sequence,
    trickle,
)
from tests.support.indexes import new_token, write_wheel

PAGE_PATH = "/simple/sample-pkg/"


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    redaction.forget_all()
    limits.start_run(None)
    yield
    redaction.forget_all()


@pytest.fixture
def token() -> str:
    return new_token()


def run_cli(project: Path, *args: str, token: str, tmp_path: Path, extra_env: dict[str, str] | None = None,
            timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], str]:
    """The real CLI in a child process, as on GitHub Actions (step summary, masks); returns it and the summary."""
    summary = tmp_path / "summary.md"
    summary.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONS_", "PYPI_", "TEST_PYPI"))}
    env.update({"PYPI_API_TOKEN": token, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
                "NO_COLOR": "1", "COLUMNS": "250", **(extra_env or {})})
    result = subprocess.run([sys.executable, "-m", "hatch_manta_release", *args], cwd=project, env=env,
                            capture_output=True, text=True, timeout=timeout, check=False)
    text = summary.read_text()
    assert_clean(result.stdout + result.stderr + text, token)
    assert_no_traceback(result.stdout + result.stderr)
    return result, text


def publish_args(*extra: str) -> list[str]:
    return ["publish", "--retries", "0", "--retry-delay", "0", "--verbose", *extra]


# ----------------------------------------------------------------------------- secrets


def test_an_index_that_echoes_the_token_shows_none_of_it(tmp_path: Path, token: str) -> None:
    """Found: the index's error page (403, echoing Authorization literally and as base64, wrapped) went into
    the cause, the step summary and --verbose. Now every form is masked."""
    with Hostile({"/legacy/": echo(403), "/simple/": answer(404)}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        result, summary = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1 and "sample_pkg" in summary  # the summary was written, and is clean
        assert server.authorizations(), "the upload carried no credential: the echo proved nothing"
        assert "index said:" in result.stdout + result.stderr  # --verbose showed the index's answer
        assert "error:" in result.stderr


def test_an_index_that_echoes_on_the_query_shows_none_of_it(tmp_path: Path, token: str) -> None:
    with Hostile({"/simple/": sequence(answer(401), echo(500))}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1 and "cannot read what pypi holds" in result.stderr


@pytest.mark.parametrize(
    ("key", "url"),
    [("upload-url", "https://user:s3cretpass@upload.example/legacy/"), ("index-url", "https://tok3nvalue@idx.example/simple/")],
)
def test_credentials_in_a_url_are_refused_at_config_time(key: str, url: str) -> None:
    """Found: printed by plan, publish, doctor and the summary; "cannot resolve user:secret@host" in the query."""
    repo = {"upload-url": "https://up.example/legacy/", "index-url": "https://up.example/simple/", key: url}
    with pytest.raises(ConfigError) as info:
        parse_config({"repositories": {"corp": repo}})
    error = info.value
    assert f"repositories.corp.{key}" in error.message and "must not hold credentials" in error.message
    assert "s3cretpass" not in error.message + (error.hint or "") and "tok3nvalue" not in error.message
    assert "token-env" in (error.hint or "")


def test_the_token_goes_to_another_index_host_only_when_the_repository_says_so(tmp_path: Path, token: str) -> None:
    """Found: an index-url on another host than upload-url got the token when it answered 401."""
    for index_auth in (False, True):
        where = tmp_path / str(index_auth)
        with Hostile({"/legacy/": answer(200)}) as upload, Hostile({"/simple/": answer(401)}) as other:
            extra = "index-auth = true\n" if index_auth else ""
            project = hostile_project(where, upload.url + "/legacy/", other.url + "/simple/", repo_extra=extra)
            result, _ = run_cli(project, *publish_args(), token=token, tmp_path=where)
            assert result.returncode == 1
            assert other.requests
            if index_auth:
                assert other.authorizations(), "index-auth = true: the index gets the token"
            else:
                assert not other.authorizations()
                assert "index-auth = true" in result.stderr


def test_a_redirect_to_an_echoing_host_gets_no_credential(tmp_path: Path, token: str) -> None:
    """The index (same origin as the upload URL) asks for the token, then redirects the authenticated read
    to another host whose page echoes the request: that host sees no Authorization, the output no token."""
    with Hostile({"/simple/": echo(403)}) as elsewhere, Hostile({"/legacy/": answer(200)}) as index:
        index.routes["/simple/"] = sequence(answer(401), redirect(elsewhere.url + "/simple/sample-pkg/"))
        project = hostile_project(tmp_path, index.url + "/legacy/", index.url + "/simple/")
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1 and "credentials were not sent there" in result.stderr
        assert elsewhere.requests and not elsewhere.authorizations()
        assert index.authorizations(), "the same-origin index got the token"


def test_git_never_sees_the_token_variable(tmp_path: Path, token: str) -> None:
    """Found: git during publish (and its hooks, aliases, credential helpers) inherited token-env."""
    from hatch_manta_release.core.config import default_repositories
    from hatch_manta_release.core.git import run_git
    from hatch_manta_release.publish.credentials import resolve_credentials

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    os.environ["PYPI_API_TOKEN"] = token
    os.environ["SOME_COPY"] = f"prefix {token}"
    try:
        resolve_credentials(default_repositories()["pypi"], "p", "1.0", os.environ, warn=print, info=print)
        shown = run_git(tmp_path, "-c", "alias.showenv=!env", "showenv").stdout
    finally:
        del os.environ["PYPI_API_TOKEN"], os.environ["SOME_COPY"]
    assert "PATH=" in shown
    assert "PYPI_API_TOKEN" not in shown and "SOME_COPY" not in shown
    assert_clean(shown, token)


@pytest.mark.parametrize(
    ("value", "says"),
    [("pypi-AgEIcHlwaS5vcmcfirstline\nsecondlinesecret", "line break"), ("pypi-AgEIcHlwaS5vcmc€uro12345", "latin-1")],
)
def test_a_token_that_cannot_be_sent_is_one_line(tmp_path: Path, value: str, says: str) -> None:
    """Found: a newline inside was masked only up to the newline; a non-latin-1 character ended in a
    UnicodeEncodeError traceback."""
    with Hostile({"/simple/": answer(404), "/legacy/": answer(200)}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        result, _ = run_cli(project, *publish_args(), token=value, tmp_path=tmp_path)
        assert result.returncode == 1 and says in result.stderr and "PYPI_API_TOKEN" in result.stderr
        shown = [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith("::add-mask::")]
        for part in value.split("\n"):
            assert part not in "\n".join(shown)
        assert not [r for r in server.requests if r[0] == "POST"]


# ----------------------------------------------------------------------------- hostile dist files and pages


def test_a_truncated_wheel_is_one_line_and_nothing_is_uploaded(tmp_path: Path, token: str) -> None:
    """Found: BadZipFile traceback."""
    with Hostile({"/simple/": answer(404), "/legacy/": answer(200)}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        wheel = next((project / "dist").glob("*.whl"))
        wheel.write_bytes(wheel.read_bytes()[:200])
        result, _ = run_cli(project, *publish_args("--no-check"), token=token, tmp_path=tmp_path)
        assert result.returncode == 1
        assert "not a readable archive" in result.stderr and wheel.name in result.stderr
        assert not [r for r in server.requests if r[0] == "POST"]


def test_a_wheel_whose_metadata_names_another_release_is_refused(tmp_path: Path, token: str) -> None:
    """Found: publish checked names only; a wheel whose METADATA names another project/version was uploaded."""
    with Hostile({"/simple/": answer(404), "/legacy/": answer(200)}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/", wheel=False)
        other = write_wheel(tmp_path / "other", "evil-pkg", "6.6.6")
        (project / "dist" / "sample_pkg-1.0.0-py3-none-any.whl").write_bytes(other.read_bytes())
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1 and "METADATA says evil-pkg 6.6.6, not sample-pkg 1.0.0" in result.stderr
        assert not [r for r in server.requests if r[0] == "POST"]


def test_a_symlink_in_dist_is_refused(tmp_path: Path, token: str) -> None:
    """Found: a symlink in dist/ uploaded its target from outside dist/."""
    with Hostile({"/simple/": answer(404), "/legacy/": answer(200)}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/", wheel=False)
        outside = write_wheel(tmp_path / "outside", "sample-pkg", "1.0.0")
        (project / "dist" / outside.name).symlink_to(outside)
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1 and "symbolic link" in result.stderr
        assert not [r for r in server.requests if r[0] == "POST"]


MALFORMED = {
    "a list": [1, 2],
    "null": None,
    "files not a list": {"files": {"a": 1}},
    "entry without url": {"files": [{"filename": "a.whl"}]},
    "hashes not a table": {"files": [{"filename": "a.whl", "url": "a.whl", "hashes": ["x"]}]},
    "non-string hash": {"files": [{"filename": "a.whl", "url": "a.whl", "hashes": {"sha256": 12}}]},
    "non-string url": {"files": [{"filename": "a.whl", "url": ["x"]}]},
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "not JSON": b"{nope",
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_a_malformed_pep691_page_is_one_line(case: str) -> None:
    """Found: each of these ended in a traceback (AttributeError, TypeError, KeyError, RecursionError)."""
    with Hostile({PAGE_PATH: json_page(MALFORMED[case])}) as server, pytest.raises(MalformedPage) as info:
        existing_files(server.url + "/simple/", "sample-pkg", timeout=5)
    assert "\n" not in str(info.value)


def test_a_malformed_page_through_the_cli(tmp_path: Path, token: str) -> None:
    with Hostile({PAGE_PATH: json_page({"files": None}), "/legacy/": answer(200)}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1
        assert 'not a simple index page ("files" is null, not a list)' in result.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
            st.sampled_from(["files", "filename", "url", "hashes", "sha256", "x"]), inner, max_size=4
        ),
        max_leaves=20,
    )
)
def test_fuzz_the_index_parser(data: Any) -> None:
    response = Response(200, "OK", "http://127.0.0.1/simple/p/", json.dumps(data).encode(),
                        {"content-type": "application/vnd.pypi.simple.v1+json"})
    try:
        files = _from_json(response)
    except MalformedPage as e:
        assert "\n" not in str(e)
    else:
        assert all(isinstance(f.url, str) and (f.sha256 is None or isinstance(f.sha256, str)) for f in files.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=4000))
def test_fuzz_the_dist_reader(tmp_path: Path, noise: bytes, cut: int) -> None:
    """A wheel with bytes changed or cut off: read, checked and verified without a traceback."""
    from hatch_manta_release.dist.artifacts import read_artifact, read_metadata
    from hatch_manta_release.publish.verify import verify_files

    folder = tmp_path / f"d{abs(hash((noise, cut))) % 10**8}"
    wheel = write_wheel(folder, "sample-pkg", "1.0.0")
    data = wheel.read_bytes()
    wheel.write_bytes(data[:cut] + noise + data[cut + len(noise):])
    artifact = read_artifact(wheel)
    read_metadata(artifact)
    try:
        verify_files([artifact], folder, "sample-pkg", "1.0.0")
    except MantaError as e:
        assert "\n" not in e.message


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["tag-prefix", "dist-dir", "env-name", "repositories", "routes", "platforms", "python"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=30),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                st.sampled_from(["pypi", "corp", "upload-url", "index-url", "token-env", "index-auth", "final"]),
                inner, max_size=3,
            ),
            max_leaves=10,
        ).filter(lambda v: v is not None),
        max_size=4,
    )
)
def test_fuzz_the_config_parser(table: dict[str, Any]) -> None:
    try:
        parse_config(table)
    except ConfigError as e:
        assert "\n" not in e.message and "Traceback" not in e.message


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"tag-prefix": "v\0"}, "control characters"),
        ({"tag-prefix": "v" * 200_000}, "at most 100 characters"),
        ({"env-name": "release\n"}, "env-name"),
        ({"repositories": {"pypi": {"token-env": "X\n"}}}, "token-env"),
        ({"repositories": {"corp\n": {"upload-url": "https://a/", "index-url": "https://a/s/"}}}, "repository name"),
        ({"dist-dir": "../../.."}, "dist-dir"),
        ({"dist-dir": "${{ github.token }}"}, "dist-dir"),
        ({"dist-dir": "/tmp/dist"}, "dist-dir"),
        ({"repositories": {"pypi": {"environment": "prod\n"}}}, "environment"),
        ({"repositories": {"pypi": {"index-auth": "yes"}}}, "index-auth"),
    ],
)
def test_config_that_reaches_yaml_or_a_shell_is_strict(table: dict[str, Any], says: str) -> None:
    """Found: "release\\n", "X\\n" and a repository name with a newline were accepted (re.match with $);
    dist-dir landed verbatim in `with: path:`; tag-prefix with a NUL or 200,000 characters was a traceback."""
    with pytest.raises(ConfigError) as info:
        parse_config(table)
    assert says in info.value.message and "\n" not in info.value.message and len(info.value.message) < 400


def test_a_nested_dist_dir_is_still_fine() -> None:
    assert parse_config({"dist-dir": "build/dist/"}).dist_dir == "build/dist"


@pytest.mark.parametrize(
    ("pyproject", "says"),
    [
        ('[project]\nname = "p"\ndynamic = "version"\n', "[project] dynamic must be a list"),
        ('[project]\nname = "p"\nrequires-python = 3.9\n', "[project] requires-python must be a string"),
        ('tool = "x"\n[project]\nname = "p"\n', "[tool] must be a table"),
        ('[project]\nname = "p"\n[tool]\ncibuildwheel = 1\n', "[tool.cibuildwheel] must be a table"),
    ],
)
def test_project_tables_of_the_wrong_type_are_one_line(tmp_path: Path, pyproject: str, says: str) -> None:
    from hatch_manta_release.core.project import load_project

    (tmp_path / "pyproject.toml").write_text(pyproject)
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert says in info.value.message


# ----------------------------------------------------------------------------- time and memory


@pytest.mark.slow
def test_a_server_that_never_answers_is_given_up_on(tmp_path: Path, token: str) -> None:
    """Found: a server that accepts and never answers held an upload 4 x 300 s with defaults."""
    with Hostile({"/simple/": answer(404), "/legacy/": hang}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        started = time.monotonic()
        result, _ = run_cli(project, "publish", "--retries", "1", "--retry-delay", "0", "--request-deadline", "2",
                            token=token, tmp_path=tmp_path)
        took = time.monotonic() - started
        assert result.returncode == 1 and "--request-deadline" in result.stderr + result.stdout
        assert took < 30, took


@pytest.mark.slow
def test_a_trickling_index_is_bounded_by_the_run_deadline(tmp_path: Path, token: str) -> None:
    """Found: one that trickles a byte every few seconds held it as long as it liked (every read in time)."""
    with Hostile({"/simple/": trickle(0.2), "/legacy/": answer(200)}) as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        started = time.monotonic()
        result, _ = run_cli(project, "publish", "--retries", "0", "--run-deadline", "3", token=token,
                            tmp_path=tmp_path)
        assert result.returncode == 1 and "deadline" in result.stderr
        assert time.monotonic() - started < 30


def test_a_huge_index_page_is_capped() -> None:
    """Found: a 1 GiB index page took ~2 GiB of memory; 50 MiB of links over a minute."""
    with Hostile({PAGE_PATH: huge(1024**3)}) as server:
        started = time.monotonic()
        with pytest.raises(limits.AnswerTooLarge) as info:
            existing_files(server.url + "/simple/", "sample-pkg", timeout=10)
        assert "larger than 32 MiB" in str(info.value)
        assert time.monotonic() - started < 20


def test_a_huge_error_body_is_cut() -> None:
    with Hostile({PAGE_PATH: huge(200 * 1024**2, status=500)}) as server:
        limits.start_run(limits.Limits(retries=0))
        response = get_with_retries(server.url + PAGE_PATH, {}, 10)
        assert response.status == 500 and len(response.body) == limits.MAX_ERROR_BYTES


def test_retry_after_is_honoured_and_the_index_query_is_retried() -> None:
    """Found: Retry-After on 429/503 was ignored; a single 503 on the index query failed the run."""
    page = {"files": []}
    waits: list[float] = []
    with Hostile({PAGE_PATH: sequence(answer(503, "busy", {"Retry-After": "7"}),
                                      answer(429, "slow", {"Retry-After": "100000"}), json_page(page))}) as server:
        limits.start_run(limits.Limits(retries=3, retry_delay=0.01))
        response = get_with_retries(server.url + PAGE_PATH, {}, 5, sleep=waits.append)
    assert response.status == 200 and waits == [7.0, limits.MAX_RETRY_AFTER]


def test_retry_after_as_a_date() -> None:
    headers = {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert limits.retry_after(headers, now=1445412480 - 5) == 5.0
    assert limits.retry_after({"retry-after": "soon"}) is None
    assert limits.backoff(3, 1.0) == 4.0


# ----------------------------------------------------------------------------- what publish trusts


def _listing_without_hash(name: str) -> dict[str, Any]:
    return {"files": [{"filename": name, "url": f"/files/{name}", "hashes": {}}]}


def test_a_file_listed_without_a_hash_is_downloaded_and_compared(tmp_path: Path, token: str) -> None:
    """Found: a file listed without any hash counted as identical and was skipped."""
    with Hostile() as server:
        project = hostile_project(tmp_path, server.url + "/legacy/", server.url + "/simple/")
        wheel = next((project / "dist").glob("*.whl"))
        other = write_wheel(tmp_path / "other", "sample-pkg", "1.0.0", payload=b"different")
        server.routes.update({
            PAGE_PATH: json_page(_listing_without_hash(wheel.name)),
            f"/files/{wheel.name}": answer(200, other.read_bytes()),
            "/legacy/": answer(200),
        })
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1 and "different content" in result.stderr
        assert not [r for r in server.requests if r[0] == "POST"]
        # the same bytes: identical, skipped
        server.routes[f"/files/{wheel.name}"] = answer(200, wheel.read_bytes())
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "skipped" in result.stdout
        # cannot be fetched: refused, never assumed identical
        server.routes[f"/files/{wheel.name}"] = answer(404)
        result, _ = run_cli(project, *publish_args(), token=token, tmp_path=tmp_path)
        assert result.returncode == 1 and "without a sha256" in result.stderr


def test_a_name_with_a_newline_cannot_inject_a_workflow_command(capsys: pytest.CaptureFixture[str]) -> None:
    """Found: a file name like ``x\\n::error::…`` printed raw and started a workflow command."""
    from rich.console import Console

    from hatch_manta_release.cli.output import Output

    out = Output(Console(file=sys.stdout, no_color=True, width=200), Console(file=sys.stderr, no_color=True, width=200))
    os.environ["GITHUB_ACTIONS"] = "true"
    try:
        out.display_warning("x.whl\n::error::pwned", hint="y\n::error::pwned too")
        out.display_error("x.whl\r\n::error::pwned")
        out.display_info("a diff\n::error::pwned")
        out.display("result\n ::error::pwned")
    finally:
        del os.environ["GITHUB_ACTIONS"]
    captured = capsys.readouterr()
    for line in (captured.out + captured.err).splitlines():
        assert not line.lstrip().startswith("::error"), line


# ----------------------------------------------------------------------------- child processes of build and check

SITECUSTOMIZE = """
import os, sys
log = os.environ.get("MANTA_CHILD_LOG")
if log:
    token = open(os.environ["MANTA_SCAN_FILE"]).read()
    values = "\\n".join(os.environ.values())
    with open(log, "a") as f:
        f.write(f"{os.getpid()} {int('PYPI_API_TOKEN' in os.environ)} {int(bool(token) and token in values)} "
                f"{' '.join(sys.argv)[:80]!r}\\n")
"""


@pytest.mark.slow
def test_no_child_of_build_or_check_inherits_the_token(tmp_path: Path, token: str) -> None:
    """Found: `twine check`, `python -m build`, pip and the PEP 517 hooks all saw the token-env variables.

    Every Python process started below the CLI runs a sitecustomize that records whether it can see the
    token (by name or by value); the test command dumps its whole environment with `env`.
    """
    from tests.support.projects import make_project

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "children.log"
    dump = tmp_path / "test-command-env.txt"
    project = make_project(tmp_path / "project", "sample-pkg", tag="v1.0.0",
                           manta=f'test-command = "env > {dump}"',
                           extra_pyproject="")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('requires-python = ">=3.9"',
                                                       'requires-python = ">=3.9"\nreadme = "README.md"'))
    subprocess.run(["git", "commit", "-qam", "readme"], cwd=project, check=True)
    subprocess.run(["git", "tag", "-f", "v1.0.0"], cwd=project, check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PYPI_"))}
    scan = tmp_path / "token.txt"
    scan.write_text(token)
    env.update({"PYPI_API_TOKEN": token, "ALSO_THE_TOKEN": token, "MANTA_CHILD_LOG": str(log),
                "MANTA_SCAN_FILE": str(scan), "PYTHONPATH": str(site), "NO_COLOR": "1"})
    tops: set[int] = set()  # the CLI processes themselves hold the token, as they must
    for command in (["build"], ["check"]):
        proc = subprocess.Popen([sys.executable, "-m", "hatch_manta_release", *command], cwd=project, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate(timeout=600)
        tops.add(proc.pid)
        assert proc.returncode == 0, out + err
        assert_clean(out + err, token)
        records = [line.split(" ", 3) for line in log.read_text().splitlines()]
        children = [r for r in records if int(r[0]) not in tops]
        assert children, "no child process ran Python: the scan proved nothing"
        leaking = [r[3] for r in children if r[1] != "0" or r[2] != "0"]
        assert not leaking, f"children that saw the token: {leaking}"
    shown = dump.read_text()
    assert "PATH=" in shown and "PYPI_API_TOKEN" not in shown and "ALSO_THE_TOKEN" not in shown
    assert_clean(shown, token)


def test_add_mask_passes_the_redaction_point(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    """The runner must be told the real secret, or it masks "***"; every other line is redacted."""
    import io

    from hatch_manta_release.github.actions import add_mask

    raw = io.StringIO()
    monkeypatch.setattr(sys, "stdout", redaction.RedactingStream(raw))
    redaction.register_secret(token)
    add_mask(token, {"GITHUB_ACTIONS": "true"})
    print(f"echoed: {token}")
    assert raw.getvalue().splitlines() == [f"::add-mask::{token}", "echoed: ***"]
