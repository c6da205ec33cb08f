"""The HTTP server under every loopback stand-in of the tests (hostile, standin, github_standin).

One request at a time is read whole - method, path, headers, body - and handed to the stand-in's
``respond`` with the handler that answers it; the server listens on a free 127.0.0.1 port, in a
daemon thread, speaks HTTP/1.0 (a connection per request) and logs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
Respond = Callable[[BaseHTTPRequestHandler, Request], None]


def serve(respond: Respond, methods: Iterable[str] = ("GET", "POST")) -> ThreadingHTTPServer:
    """A started server that gives every request of ``methods`` to ``respond``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            respond(self, (self.command, self.path, dict(self.headers.items()), body))

    for method in methods:
        setattr(Handler, f"do_{method}", Handler._handle)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def write_answer(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    """The whole answer, with its Content-Length."""
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def shut(server: ThreadingHTTPServer | None) -> None:
    """Stop serving and close the port (nothing to do for None)."""
    if server is not None:
        server.shutdown()
        server.server_close()
