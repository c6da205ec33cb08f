"""Upload sessions opened ahead (:mod:`hatch_manta_release.publish.sessions`), against a real loopback
HTTP/1.1 server that counts the connections it accepts and what each carried.

What only a server shows: a warmed connection is opened before any request and then carries the
upload (no second connection); the credential reaches the server although the connection was opened
before it was known; a proxy in the environment, or an index that refuses, makes the warm-up open
nothing or raise nothing; closing the sessions closes a connection nobody used.
"""

from __future__ import annotations

import base64
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from hatch_manta_release.publish.sessions import Uploaders
from hatch_manta_release.publish.upload import Credentials
from tests.support.hostile import closed_port, wait_for
from tests.support.loopback import shut


class CountingServer:
    """HTTP/1.1 with keep-alive on 127.0.0.1: ``connections`` accepted, ``requests`` as (connection, auth)."""

    def __init__(self, tls: ssl.SSLContext | None = None, *, close_first: bool = False) -> None:
        self.connections = 0
        self.closed = 0
        self.requests: list[tuple[int, str]] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with lock:
                    outer.connections += 1
                    self.number = outer.connections

            def finish(self) -> None:
                super().finish()
                with lock:
                    outer.closed += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                if close_first and self.number == 1:
                    return  # an index that closes an idle connection (finish() closes it)
                super().handle()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    outer.requests.append((self.number, self.headers.get("Authorization", "")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:  # the TLS handshake happens at accept, as an HTTPS index's does
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://localhost:{self.server.server_address[1]}/legacy/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        shut(self.server)


@pytest.fixture
def server() -> Iterator[CountingServer]:
    s = CountingServer()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_a_warmed_connection_opens_before_any_request_and_then_carries_the_upload(server: CountingServer) -> None:
    uploaders = Uploaders()
    try:
        uploaders.warm(server.url, 30, 1)
        assert wait_for(lambda: server.connections == 1, 5)
        assert server.requests == []  # a connection, no request
        password = "pypi-" + "S3cr3t" * 15
        uploaders.authorize(Credentials("__token__", password, "$PYPI_API_TOKEN"))  # known only now
        session = uploaders.get(server.url, 30).session
        assert session.post(server.url, data=b"x" * 1000).status_code == 200
        assert session.post(server.url, data=b"y").status_code == 200
        basic = "Basic " + base64.b64encode(f"__token__:{password}".encode()).decode()
        assert server.requests == [(1, basic), (1, basic)]  # both on the warmed connection
        assert server.connections == 1
    finally:
        uploaders.close()


def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ca_variable: str) -> ssl.SSLContext:
    """A server certificate for localhost from a new CA, which the client trusts through ``ca_variable`` alone."""
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(tls)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests prefers the last two
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(ca_variable, str(tmp_path / "ca.pem"))
    return tls


@pytest.mark.parametrize("ca_variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_over_https_the_warmed_connection_is_the_one_the_upload_uses(
    ca_variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TLS settings the upload sends with (a CA from either variable) name the same pool as the warm-up's."""
    server = CountingServer(tls_server(tmp_path, monkeypatch, ca_variable))
    uploaders = Uploaders()
    try:
        uploaders.warm(server.url, 30, 1)
        assert wait_for(lambda: server.connections == 1, 5)
        time.sleep(0.3)  # the server's session tickets have arrived: the idle connection has bytes to read
        session = uploaders.get(server.url, 30).session
        assert session.post(server.url, data=b"x").status_code == 200
        assert session.post(server.url, data=b"y").status_code == 200
        assert server.requests == [(1, ""), (1, "")] and server.connections == 1
    finally:
        uploaders.close()
        server.stop()


def test_over_https_a_warmed_connection_the_index_closed_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = CountingServer(tls_server(tmp_path, monkeypatch, "SSL_CERT_FILE"), close_first=True)
    uploaders = Uploaders()
    try:
        uploaders.warm(server.url, 30, 1)
        assert wait_for(lambda: server.closed == 1, 5)  # opened ahead, then closed by the index
        time.sleep(0.3)
        assert uploaders.get(server.url, 30).session.post(server.url, data=b"x").status_code == 200
        assert server.requests == [(2, "")]  # on a new connection, without an error
    finally:
        uploaders.close()
        server.stop()


def test_each_thread_takes_its_own_warmed_connection(server: CountingServer) -> None:
    uploaders = Uploaders(None)
    try:
        uploaders.warm(server.url, 30, 3)
        assert wait_for(lambda: server.connections == 3, 5)

        def upload() -> None:
            uploaders.get(server.url, 30).session.post(server.url, data=b"z")

        threads = [threading.Thread(target=upload) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(n for n, _ in server.requests) == [1, 2, 3] and server.connections == 3
        assert {auth for _, auth in server.requests} == {""}  # no credential: no Authorization header
    finally:
        uploaders.close()


def test_closing_closes_a_warmed_connection_nobody_used(server: CountingServer) -> None:
    uploaders = Uploaders()
    uploaders.warm(server.url, 30, 2)
    assert wait_for(lambda: server.connections == 2, 5)
    uploaders.get(server.url, 30)  # one taken (not used), one left waiting
    uploaders.close()
    assert wait_for(lambda: server.closed == 2, 5)


def test_a_proxy_in_the_environment_means_no_warm_up(server: CountingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9/")
    uploaders = Uploaders()
    try:
        uploaders.warm(server.url, 30, 1)
        uploaders.get(server.url, 30)  # waits for the warm-up to finish: it opened nothing
        assert server.connections == 0
    finally:
        uploaders.close()


def test_an_index_that_refuses_makes_the_warm_up_raise_nothing() -> None:
    url = closed_port()
    uploaders = Uploaders()
    try:
        uploaders.warm(url, 30, 1)
        session = uploaders.get(url, 30).session  # the warm-up's failure is not raised here
        with pytest.raises(OSError):  # the upload meets it, and publish explains it (test_publish_failures)
            session.post(url, data=b"x", timeout=5)
    finally:
        uploaders.close()

