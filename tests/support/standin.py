"""A loopback HTTP stand-in in front of a real index: answers some requests itself, forwards the rest.

Used for what pypiserver cannot do: Trusted Publishing (GitHub's OIDC token endpoint and the index's
``/_/oidc/audience`` and ``/_/oidc/mint-token``), and transient failures (503s, dropped connections)
before forwarding to the real server.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# handler(method, path, headers, body) -> (status, headers, body), or None to forward upstream
Handler = Callable[[str, str, dict[str, str], bytes], "tuple[int, dict[str, str], bytes] | None"]


def json_answer(status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


def make_jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@dataclass
class StandIn:
    upstream: str | None  # "http://127.0.0.1:PORT" of the real index, or None
    handler: Handler | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StandIn:
        standin = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                standin.requests.append((self.command, self.path))
                answer = standin.handler(self.command, self.path, headers, body) if standin.handler else None
                if answer == "drop":
                    self.connection.close()  # the connection breaks without an answer
                    return
                if answer is None:
                    answer = standin.forward(self.command, self.path, headers, body)
                status, out_headers, out_body = answer
                self.send_response(status)
                for k, v in out_headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out_body)))
                self.end_headers()
                self.wfile.write(out_body)

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.upstream is None:
            return 404, {}, b"not found"
        keep = {k: v for k, v in headers.items() if k.lower() in ("authorization", "content-type", "accept")}
        req = urllib.request.Request(self.upstream + path, data=body or None, headers=keep, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, {"Content-Type": resp.headers.get("Content-Type", "")}, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, {"Content-Type": e.headers.get("Content-Type", "")}, e.read()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
