"""Credentials never follow a redirect to another origin.

urllib's redirect handler copies every request header to wherever a ``Location`` points, so an index
that answers an authenticated simple-API read with a 302 to another host would hand that host the
upload token. Two real loopback servers on different ports (two origins) stand in for the index and
the other host; the other host records every header it is sent.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from hatch_manta_release.publish.http import origin, request
from hatch_manta_release.publish.index import IndexReadError, existing_files
from tests.support.indexes import new_token
from tests.support.publish import (
    build,
    commit_and_retag,
    make_release,
    no_token_in_test_output,  # noqa: F401 - a fixture, used by name
    publish,
    stop,
)
from tests.support.standin import StandIn

pytestmark = pytest.mark.usefixtures("no_token_in_test_output")

PAGE = {
    "meta": {"api-version": "1.1"},
    "name": "sample-pkg",
    "files": [{"filename": "sample_pkg-1.0-py3-none-any.whl", "url": "/f/a.whl", "hashes": {"sha256": "AB12"}}],
}
JSON = {"Content-Type": "application/vnd.pypi.simple.v1+json"}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Other:
    """The other origin: records the headers of every request, answers ``answer``."""

    def __init__(self, answer: tuple[int, dict[str, str], bytes]) -> None:
        self.answer = answer
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.standin = StandIn(upstream=None, handler=self._handle).start()

    def _handle(self, method, path, headers, body):  # type: ignore[no-untyped-def]
        self.seen.append((path, dict(headers)))
        return self.answer

    def assert_no_credentials(self, *secrets: str) -> None:
        assert self.seen, "the redirect was not followed to the other origin"
        for _, headers in self.seen:
            names = {k.lower() for k in headers}
            assert not names & {"authorization", "cookie"}, f"credentials sent to the other origin: {sorted(names)}"
            for secret in secrets:
                assert all(secret not in v for v in headers.values()), "a secret reached the other origin"


class Index:
    """The index: anonymous reads get 401; an authenticated read of the project page is redirected."""

    def __init__(self, auth: str, location: str | None) -> None:
        self.auth = auth
        self.location = location  # where an authenticated read of /simple/sample-pkg/ is sent
        self.seen: list[tuple[str, str | None]] = []
        self.standin = StandIn(upstream=None, handler=self._handle).start()

    @property
    def url(self) -> str:
        return self.standin.url

    def _handle(self, method, path, headers, body):  # type: ignore[no-untyped-def]
        given = headers.get("Authorization")
        self.seen.append((path, given))
        if given != self.auth:
            return 401, {"WWW-Authenticate": 'Basic realm="index"'}, b"authenticate"
        if path == "/simple/sample-pkg/" and self.location:
            return 302, {"Location": self.location}, b""
        if path in ("/simple/sample-pkg/", "/moved/simple/sample-pkg/"):
            return 200, JSON, json.dumps(PAGE).encode()
        return 404, {}, b"not here"


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture
def servers(token: str):  # type: ignore[no-untyped-def]
    started: list[StandIn] = []

    def make(location_on_other: str | None, answer: tuple[int, dict[str, str], bytes]) -> tuple[Index, Other]:
        other = Other(answer)
        index = Index(_basic("__token__", token), None)
        if location_on_other is not None:
            index.location = other.standin.url + location_on_other
        started.extend([other.standin, index.standin])
        return index, other

    yield make
    for s in started:
        s.stop()


def test_the_two_stand_ins_are_two_origins(servers) -> None:  # type: ignore[no-untyped-def]
    index, other = servers(None, (404, {}, b""))
    assert origin(index.url) != origin(other.standin.url)
    assert origin("http://Example.org/a") == origin("http://example.org:80/b")
    assert origin("https://example.org/") == origin("https://example.org:443/")
    assert origin("http://example.org/") != origin("https://example.org/")


def test_a_cross_origin_404_is_an_error_and_never_gets_the_token(servers, token: str) -> None:  # type: ignore[no-untyped-def]
    index, other = servers("/simple/sample-pkg/", (404, {}, b"no such project"))
    with pytest.raises(IndexReadError) as caught:
        existing_files(index.url + "/simple/", "sample-pkg", auth=("__token__", token), timeout=10)
    other.assert_no_credentials(token, _basic("__token__", token))
    assert (("/simple/sample-pkg/", _basic("__token__", token))) in index.seen  # the index itself did get it
    error = caught.value
    assert error.response.status == 404
    message = str(error)
    assert other.standin.url + "/simple/sample-pkg/" in message  # where the 404 came from
    assert index.url + "/simple/sample-pkg/" in message and "credentials were not sent there" in message
    assert "set index-url" in error.hint
    assert token not in message


@pytest.mark.parametrize("status", [401, 403])
def test_a_cross_origin_refusal_says_why(servers, token: str, status: int) -> None:  # type: ignore[no-untyped-def]
    index, other = servers("/simple/sample-pkg/", (status, {}, b"who are you"))
    with pytest.raises(IndexReadError) as caught:
        existing_files(index.url + "/simple/", "sample-pkg", auth=("__token__", token), timeout=10)
    other.assert_no_credentials(token)
    assert caught.value.response.status == status and "credentials were not sent there" in str(caught.value)


def test_a_public_page_on_another_origin_is_read_without_the_token(servers, token: str) -> None:  # type: ignore[no-untyped-def]
    index, other = servers("/simple/sample-pkg/", (200, JSON, json.dumps(PAGE).encode()))
    files = existing_files(index.url + "/simple/", "sample-pkg", auth=("__token__", token), timeout=10)
    assert files["sample_pkg-1.0-py3-none-any.whl"].sha256 == "ab12"
    assert files["sample_pkg-1.0-py3-none-any.whl"].url == other.standin.url + "/f/a.whl"
    other.assert_no_credentials(token)


def test_the_token_does_not_come_back_after_a_round_trip(servers, token: str) -> None:  # type: ignore[no-untyped-def]
    """index -> other -> index: once dropped, the token is not attached again on the way back."""
    index, other = servers("/simple/sample-pkg/", (302, {}, b""))
    other.answer = (302, {"Location": index.url + "/back/simple/sample-pkg/"}, b"")
    with pytest.raises(IndexReadError):
        existing_files(index.url + "/simple/", "sample-pkg", auth=("__token__", token), timeout=10)
    other.assert_no_credentials(token)
    assert ("/back/simple/sample-pkg/", None) in index.seen


def test_same_origin_redirects_keep_the_token(servers, token: str) -> None:  # type: ignore[no-untyped-def]
    index, _ = servers(None, (404, {}, b""))
    index.location = "/moved/simple/sample-pkg/"  # relative: the same origin
    files = existing_files(index.url + "/simple/", "sample-pkg", auth=("__token__", token), timeout=10)
    assert set(files) == {"sample_pkg-1.0-py3-none-any.whl"}
    assert ("/moved/simple/sample-pkg/", _basic("__token__", token)) in index.seen
    # an absolute Location on the same origin is the same
    index.location = index.url + "/moved/simple/sample-pkg/"
    assert set(existing_files(index.url + "/simple/", "sample-pkg", auth=("__token__", token), timeout=10)) == set(
        files
    )
    # and a same-origin 404 (with the token) still means "not on the index"
    index.location = "/moved/simple/nothing-here/"
    assert existing_files(index.url + "/simple/", "sample-pkg", auth=("__token__", token), timeout=10) == {}


def test_a_trailing_slash_redirect_on_the_same_origin() -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(method, path, headers, body):  # type: ignore[no-untyped-def]
        seen.append((path, headers.get("Authorization")))
        if path == "/simple/x":
            return 301, {"Location": "/simple/x/"}, b""
        return 200, {"Content-Type": "text/html"}, b"<a href='x-1.0.tar.gz#sha256=AA'>x-1.0.tar.gz</a>"

    standin = StandIn(upstream=None, handler=handler).start()
    try:
        response = request("GET", standin.url + "/simple/x", headers={"Authorization": "Basic c2VjcmV0"}, timeout=10)
        assert response.status == 200 and response.url == standin.url + "/simple/x/"
        assert response.auth_withheld_from is None
        assert seen == [("/simple/x", "Basic c2VjcmV0"), ("/simple/x/", "Basic c2VjcmV0")]
    finally:
        standin.stop()


def test_a_bearer_token_to_github_is_not_forwarded_either(token: str) -> None:
    """oidc.py sends GitHub's request token as ``Authorization: bearer`` through the same helper."""
    other = Other((200, {"Content-Type": "application/json"}, b'{"value": "x"}'))
    github = StandIn(upstream=None, handler=lambda *_: (302, {"Location": other.standin.url + "/token"}, b"")).start()
    try:
        response = request("GET", github.url + "/token?audience=a", headers={"Authorization": f"bearer {token}"})
        assert response.status == 200 and response.auth_withheld_from == other.standin.url + "/token"
        other.assert_no_credentials(token)
    finally:
        github.stop()
        other.standin.stop()


def test_a_redirect_to_a_non_http_url_is_not_followed() -> None:
    standin = StandIn(upstream=None, handler=lambda *_: (302, {"Location": "ftp://127.0.0.1/x"}, b"")).start()
    try:
        response = request("GET", standin.url + "/simple/x/", headers={"Authorization": "Basic c2VjcmV0"}, timeout=10)
        assert response.status == 302 and response.headers["location"] == "ftp://127.0.0.1/x"
    finally:
        standin.stop()


def test_publish_stops_instead_of_skipping_the_conflict_check(tmp_path: Path) -> None:
    """End to end: production's index-url asks for the token, then redirects to another host that says 404.

    Read as "nothing there", publish would skip its check for files already on the index; it stops instead,
    names both URLs, and the other host never sees the token.
    """
    release = make_release(tmp_path, "v2.0.0")
    other = Other((404, {}, b"no such project"))
    index = Index(_basic("__token__", release.prod.password), other.standin.url + "/simple/sample-pkg/")
    try:
        pyproject = release.project / "pyproject.toml"
        old = f'index-url = "{release.prod.simple_url}"'
        assert old in pyproject.read_text()
        # index-auth = true: this index is another origin than the upload URL, and is to get the token
        pyproject.write_text(
            pyproject.read_text().replace(old, f'index-url = "{index.url}/simple/"\nindex-auth = true')
        )
        commit_and_retag(release.project)
        build(release)
        result = publish(release, rc=1)
        other.assert_no_credentials(release.prod.password)
        assert other.standin.url + "/simple/sample-pkg/" in result.stderr
        assert "credentials were not sent there" in result.stderr and "index-url" in result.stderr
        assert release.prod.files() == []  # nothing was uploaded
    finally:
        index.standin.stop()
        other.standin.stop()
        stop(release)
