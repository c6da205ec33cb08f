"""The publisher's parts: retries and lost answers (a stand-in in front of pypiserver), the simple-API
reader (PEP 691 JSON and HTML), error translation, token checks."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from hatch_manta_release.core.config import Repository
from hatch_manta_release.publish.credentials import token_warnings
from hatch_manta_release.publish.failures import Context, from_exception, from_response, next_versions
from hatch_manta_release.publish.http import Response
from hatch_manta_release.publish.index import existing_files
from hatch_manta_release.publish.upload import Credentials, upload_file
from tests.support.indexes import start_index, write_wheel
from tests.support.projects import make_project
from tests.support.publish import (
    PROD_VAR,
    Release,
    build,
    no_token_in_test_output,  # noqa: F401 - a fixture, used by name
    publish,
)
from tests.support.standin import StandIn

pytestmark = pytest.mark.usefixtures("no_token_in_test_output")

REPO = Repository("pypi", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/", PROD_VAR)
CTX = Context(REPO, "sample-pkg", "1.2.0", f"${PROD_VAR}")


@pytest.fixture
def index(tmp_path: Path):
    idx = start_index(tmp_path, "pypi")
    yield idx
    idx.stop()


def _flaky(index, fail: int, how: str):  # type: ignore[no-untyped-def]
    """A stand-in that spoils the first ``fail`` uploads: 503, a dropped connection, or a lost answer."""
    state = {"posts": 0}
    lock = threading.Lock()

    def handler(method, path, headers, body):  # type: ignore[no-untyped-def]
        if method != "POST":
            return None
        with lock:
            state["posts"] += 1
            n = state["posts"]
        if n > fail:
            return None
        if how == "503":
            return 503, {"Content-Type": "text/plain"}, b"Service Unavailable"
        if how == "drop":
            return "drop"
        # "lost": the upload reaches the index, the answer never comes back
        standin.forward(method, path, headers, body)
        return "drop"

    standin = StandIn(upstream=index.url.rstrip("/"), handler=handler).start()
    return standin, state


def _upload(index, standin, wheel: Path, retries: int = 3):  # type: ignore[no-untyped-def]
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    creds = Credentials("__token__", index.password, f"${PROD_VAR}")
    repo = Repository("pypi", standin.url + "/", standin.url + "/simple/", PROD_VAR)
    ctx = Context(repo, "sample-pkg", "1.2.0", f"${PROD_VAR}")

    def confirm(name: str):  # type: ignore[no-untyped-def]
        found = existing_files(repo.index_url, "sample-pkg").get(name)
        return found.sha256 if found else None

    return upload_file(wheel, sha, repo.upload_url, creds, ctx, retries=retries, retry_delay=0.01, confirm=confirm,
                       timeout=20)


@pytest.mark.parametrize("how", ["503", "drop"])
def test_transient_failures_are_retried(index, tmp_path: Path, how: str) -> None:
    standin, state = _flaky(index, 2, how)
    try:
        wheel = write_wheel(tmp_path / "dist", "sample-pkg", "1.2.0")
        result = _upload(index, standin, wheel)
        assert result.ok and result.attempts == 3 and state["posts"] == 3
        assert index.files() == [wheel.name]
    finally:
        standin.stop()


def test_a_lost_answer_is_confirmed_on_the_index(index, tmp_path: Path) -> None:
    standin, _ = _flaky(index, 1, "lost")
    try:
        wheel = write_wheel(tmp_path / "dist", "sample-pkg", "1.2.0")
        result = _upload(index, standin, wheel)
        # the retry is answered "file exists" (pypiserver: 400); the index shows the same sha256
        assert result.ok and result.attempts == 2
        assert result.note == "landed on an earlier attempt"
    finally:
        standin.stop()


def test_retries_give_up_with_the_cause(index, tmp_path: Path) -> None:
    standin, state = _flaky(index, 100, "503")
    try:
        wheel = write_wheel(tmp_path / "dist", "sample-pkg", "1.2.0")
        result = _upload(index, standin, wheel, retries=2)
        assert not result.ok and state["posts"] == 3 and result.failure is not None
        assert result.failure.kind == "server" and "503" in result.failure.cause
        assert "re-run publish later" in result.failure.fix
    finally:
        standin.stop()


def test_publish_through_a_flaky_index_with_the_cli(index, tmp_path: Path) -> None:
    standin, state = _flaky(index, 2, "503")
    try:
        manta = f"""
[tool.manta-release.repositories.pypi]
upload-url = "{standin.url}/"
index-url = "{standin.url}/simple/"
"""
        project = make_project(tmp_path / "project", "sample-pkg", manta=manta, tag="v1.2.0")
        release = Release(project, index, index, "sample-pkg")
        build(release)
        result = publish(release, "--retry-delay", "0.01", "--jobs", "1")
        assert "2 uploaded" in result.stdout and len(index.files()) == 2
        assert state["posts"] == 4
    finally:
        standin.stop()



def test_twine_uploader_errors_read_as_the_standard_librarys(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Uploads go through twine's Repository (requests): its errors are unwrapped to the socket error
    underneath, and twine prints nothing of its own ("Uploading …", retry warnings)."""
    from tests.support.indexes import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/legacy/"
    repo = Repository("pypi", url, url, PROD_VAR)
    ctx = Context(repo, "sample-pkg", "1.2.0", f"${PROD_VAR}")
    wheel = write_wheel(tmp_path / "dist", "sample-pkg", "1.2.0")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    creds = Credentials("__token__", "pypi-" + "y" * 40, f"${PROD_VAR}")
    result = upload_file(wheel, sha, url, creds, ctx, retries=1, retry_delay=0.01, timeout=5)
    assert not result.ok and result.attempts == 2 and not result.maybe_landed and result.failure is not None
    assert result.failure.cause == f"connection to 127.0.0.1:{port} refused: pypi is not listening"
    standin = StandIn(upstream=None, handler=lambda *_: (503, {"Content-Type": "text/plain"}, b"down")).start()
    try:
        result = upload_file(wheel, sha, standin.url + "/legacy/", creds, ctx, retries=0, timeout=5)
        assert result.failure is not None and result.failure.kind == "server"
    finally:
        standin.stop()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# ----------------------------------------------------------------------------- the simple API


def test_pep691_json_is_read(tmp_path: Path) -> None:
    page = {
        "meta": {"api-version": "1.1"},
        "name": "sample-pkg",
        "files": [
            {"filename": "sample_pkg-1.0-py3-none-any.whl", "url": "../../files/a.whl", "hashes": {"sha256": "AB12"}},
            {"filename": "sample_pkg-1.0.tar.gz", "url": "https://files.example/b.tar.gz", "hashes": {}},
        ],
    }
    seen = {}

    def handler(method, path, headers, body):  # type: ignore[no-untyped-def]
        seen["accept"] = headers.get("Accept", "")
        if path == "/simple/sample-pkg/":
            return 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"}, json.dumps(page).encode()
        return 404, {}, b""

    standin = StandIn(upstream=None, handler=handler).start()
    try:
        files = existing_files(standin.url + "/simple/", "Sample_Pkg")
        assert files["sample_pkg-1.0-py3-none-any.whl"].sha256 == "ab12"
        assert files["sample_pkg-1.0.tar.gz"].sha256 is None
        assert "application/vnd.pypi.simple.v1+json" in seen["accept"]
        assert existing_files(standin.url + "/simple/", "nothing-here") == {}
    finally:
        standin.stop()


def test_pypiserver_html_links_carry_sha256(index, tmp_path: Path) -> None:
    assert existing_files(index.simple_url, "sample-pkg") == {}
    wheel = write_wheel(tmp_path / "d", "sample-pkg", "1.0")
    (index.packages / wheel.name).write_bytes(wheel.read_bytes())
    files = existing_files(index.simple_url, "sample_pkg")
    assert files[wheel.name].sha256 == hashlib.sha256(wheel.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- translations


def _response(status: int, text: str, reason: str = "", content_type: str = "text/html") -> Response:
    return Response(status, reason, "https://upload.pypi.org/legacy/", text.encode(), {"content-type": content_type})


def test_bad_token_names_variable_repository_and_scoping() -> None:
    failure = from_response(_response(403, "Invalid or non-existent authentication information.", "Forbidden"),
                            CTX, "f.whl")
    assert failure.kind == "auth"
    assert "refused the token in $PYPI_API_TOKEN" in failure.cause and "pypi" in failure.cause
    assert "https://pypi.org/manage/account/token/" in failure.fix
    assert "account-wide only for its very first upload" in failure.fix
    assert "Invalid or non-existent" in failure.detail


def test_file_exists_says_what_to_release_instead() -> None:
    failure = from_response(_response(400, "File already exists. See https://pypi.org/help/#file-name-reuse",
                                      "Bad Request"), CTX, "sample_pkg-1.2.0.tar.gz")
    assert failure.kind == "exists" and "sample_pkg-1.2.0.tar.gz" in failure.cause
    assert "1.2.0.post1" in failure.fix
    reused = from_response(_response(400, "This filename has already been used, use a different version."), CTX, "f")
    assert reused.kind == "exists"


def test_project_scoped_token_on_a_missing_project() -> None:
    failure = from_response(
        _response(403, "Invalid API Token: project-scoped token is not valid for project: 'sample-pkg'"), CTX, "f")
    assert failure.kind == "project"
    assert "account-wide token in $PYPI_API_TOKEN" in failure.fix and "cannot create the project" in failure.fix


def test_server_errors_and_redirects() -> None:
    assert from_response(_response(502, "bad gateway", "Bad Gateway"), CTX, "f").transient
    redirect = Response(301, "Moved", "x", b"", {"location": "https://upload.pypi.org/legacy/"})
    assert "redirects" in from_response(redirect, CTX, "f").cause
    assert from_response(_response(413, "too big"), CTX, "f").kind == "too-large"
    body = json.dumps({"message": "Invalid value for classifiers"})
    json_message = _response(400, body, content_type="application/json")
    assert "Invalid value for classifiers" in from_response(json_message, CTX, "f").cause


def test_network_errors() -> None:
    import socket
    import ssl

    refused = from_exception(ConnectionRefusedError(111, "refused"), CTX, "https://upload.pypi.org/legacy/")
    assert refused.transient and "refused" in refused.cause
    dns = from_exception(socket.gaierror(-2, "Name or service not known"), CTX, "https://nowhere.invalid/")
    assert dns.kind == "dns" and not dns.transient
    cert = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cert.verify_message = "self-signed certificate"
    tls = from_exception(cert, CTX, "https://upload.pypi.org/legacy/")
    assert tls.kind == "tls" and "self-signed certificate" in tls.cause and "SSL_CERT_FILE" in tls.fix


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.2.0", "1.2.0.post1"), ("1.2.0.post1", "1.2.0.post2"), ("1.0.0rc1", "1.0.0rc2"), ("1.0.0.dev3", "1.0.0.dev4")],
)
def test_next_versions(version: str, expected: str) -> None:
    assert next_versions(version).startswith(expected)


def test_token_warnings_never_show_the_token() -> None:
    secret = "s3cr3t-value-0123456789"
    for raw in (secret, f" {secret}\n", f'"{secret}"', "pypi-short"):
        for message in token_warnings("MY_TOKEN", raw):
            assert "MY_TOKEN" in message
            assert secret not in message and "pypi-short" not in message
    good = "pypi-" + "A" * 150
    assert token_warnings("MY_TOKEN", good) == []


def test_credentials_repr_hides_the_password() -> None:
    creds = Credentials("__token__", "pypi-" + "x" * 80, "$PYPI_API_TOKEN")
    assert "xxxxxxxx" not in repr(creds) and "xxxxxxxx" not in str(creds)
