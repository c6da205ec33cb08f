"""A loopback HTTP server that misbehaves on purpose: echoes, hangs, trickles, floods, lies, redirects.

One small server for every hostile case of issue 10 (a real index does none of this on purpose, and
pypiserver cannot be made to): each path prefix is given a :data:`Behaviour`, and every request is
recorded (method, path, headers) so a test can assert what reached which host. Also: a scan for a
secret in every form it takes on the wire (the forms of ``tests/test_redaction.py``), and a sample
project whose repositories point here.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.indexes import write_sdist, write_wheel
from tests.support.loopback import Request, Respond, serve, shut, url_of
from tests.support.projects import make_project

Behaviour = Respond  # what a path prefix does with a request


# ----------------------------------------------------------------------------- behaviours


def answer(status: int, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Behaviour:
    data = body.encode() if isinstance(body, str) else body

    def behave(h: BaseHTTPRequestHandler, req: Request) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return behave


def json_page(data: Any) -> Behaviour:
    """A PEP 691 answer with ``data`` as its body (any JSON value, or raw bytes for broken JSON)."""
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return answer(200, body, {"Content-Type": "application/vnd.pypi.simple.v1+json"})


def echo(status: int) -> Behaviour:
    """An error page that shows the request back, Authorization included, wrapped at 40 columns as a
    careless proxy's HTML page might: the token literally and as base64 of ``__token__:<token>``."""

    def behave(h: BaseHTTPRequestHandler, req: Request) -> None:
        method, path, headers, _ = req
        lines = [f"{k}: {v}" for k, v in headers.items()]
        auth = headers.get("Authorization", "")
        wrapped = "\n".join(auth[i : i + 40] for i in range(0, len(auth), 40))
        decoded = ""
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode("utf-8", "replace")
        page = (
            f"<html><head><title>{status} Forbidden: you sent {auth}</title></head><body>"
            f"<pre>{method} {path}\n" + "\n".join(lines) + f"\n{wrapped}\ndecoded: {decoded}\n"
            f"quoted: {urllib.parse.quote(decoded, safe='')}</pre></body></html>"
        )
        answer(status, page, {"Content-Type": "text/html"})(h, req)

    return behave


def hang(h: BaseHTTPRequestHandler, req: Request) -> None:
    """Accept the request, never answer (until the server stops)."""
    server: Hostile = h.server.hostile  # type: ignore[attr-defined]
    server.stopping.wait(600)


def trickle(interval: float = 0.5) -> Behaviour:
    """Answer 200 and then one byte every ``interval`` seconds, forever: every read succeeds in time."""

    def behave(h: BaseHTTPRequestHandler, req: Request) -> None:
        server: Hostile = h.server.hostile  # type: ignore[attr-defined]
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(10**9))
        h.end_headers()
        try:
            while not server.stopping.wait(interval):
                h.wfile.write(b"<")
                h.wfile.flush()
        except OSError:
            pass

    return behave


def huge(size: int, content_type: str = "text/html", status: int = 200) -> Behaviour:
    """``size`` bytes of links (``<a href=x>x</a>`` repeated), sent as fast as the client reads."""

    def behave(h: BaseHTTPRequestHandler, req: Request) -> None:
        chunk = (b'<a href="/f/x.whl#sha256=' + b"0" * 64 + b'">x.whl</a>\n') * 2048
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        sent = 0
        try:
            while sent < size:
                part = chunk[: size - sent]
                h.wfile.write(part)
                sent += len(part)
        except OSError:
            pass

    return behave


def redirect(location: str, status: int = 302) -> Behaviour:
    return answer(status, b"", {"Location": location})


def sequence(*behaviours: Behaviour) -> Behaviour:
    """The first request gets the first behaviour, and so on; the last one repeats."""
    calls = [0]
    lock = threading.Lock()

    def behave(h: BaseHTTPRequestHandler, req: Request) -> None:
        with lock:
            n = calls[0]
            calls[0] += 1
        behaviours[min(n, len(behaviours) - 1)](h, req)

    return behave


# ----------------------------------------------------------------------------- the server


@dataclass
class Hostile:
    """``routes``: path prefix -> behaviour (longest prefix wins); anything else is a 404."""

    routes: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return url_of(self.server)

    def start(self) -> Hostile:
        def respond(h: BaseHTTPRequestHandler, request: Request) -> None:
            method, path, headers, _ = request
            self.requests.append((method, path, headers))
            prefixes = sorted((p for p in self.routes if path.startswith(p)), key=len, reverse=True)
            behave = self.routes[prefixes[0]] if prefixes else answer(404, b"not found")
            behave(h, request)

        self.server = serve(respond)
        self.server.hostile = self  # type: ignore[attr-defined]
        return self

    def stop(self) -> None:
        self.stopping.set()
        shut(self.server)
        self.server = None

    def __enter__(self) -> Hostile:
        return self.start() if self.server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def authorizations(self) -> list[str]:
        return [h.get("Authorization", "") for _, _, h in self.requests if h.get("Authorization")]


def closed_port() -> str:
    """An http URL on a loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# ----------------------------------------------------------------------------- secret scans


def forms(secret: str, user: str = "__token__") -> list[str]:
    """Every form of ``secret`` the scans look for (those of tests/test_redaction.py, and parts)."""
    pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
    parts = [secret[-24:], pair[-24:], secret[20:44], pair[40:64]]  # a cut token is a leak too
    return [
        *(p for p in parts if len(p) >= 16),  # (parts of a short password would match ordinary text)
        secret,
        pair,
        pair.rstrip("="),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    ]


def assert_clean(text: str, *secrets: str) -> None:
    """No secret in any form in ``text`` (also with all whitespace removed: wrapped across lines);
    ``::add-mask::`` lines are for the runner, which consumes them."""
    visible = "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))
    squashed = "".join(visible.split())
    for secret in secrets:
        for form in forms(secret):
            assert form not in visible and form not in squashed, f"a secret appeared in a form {form[:6]}…"


def assert_no_traceback(text: str) -> None:
    assert "Traceback" not in text and "Error:" not in text.replace("error:", ""), text[-2000:]


# ----------------------------------------------------------------------------- a project aimed at the server


def hostile_project(
    tmp_path: Path,
    upload_url: str,
    index_url: str,
    *,
    name: str = "sample-pkg",
    version: str = "1.0.0",
    repo_extra: str = "",
    wheel: bool = True,
) -> Path:
    """A tagged sample project whose production repository is ``upload_url``/``index_url`` (token in
    ``PYPI_API_TOKEN``), with a wheel and an sdist of ``version`` already in dist/ (no build needed)."""
    manta = (
        f'[tool.manta-release.repositories.pypi]\nupload-url = "{upload_url}"\nindex-url = "{index_url}"\n'
        f'token-env = "PYPI_API_TOKEN"\n{repo_extra}'
    )
    project = make_project(tmp_path / "project", name, manta=manta, tag=f"v{version}")
    if wheel:
        write_wheel(project / "dist", name, version)
    write_sdist(project / "dist", name, version)
    return project


def wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
