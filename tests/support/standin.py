"""A loopback HTTP stand-in in front of a real index: answers some requests itself, forwards the rest.

Used for what pypiserver cannot do: Trusted Publishing (GitHub's OIDC token endpoint and the index's
``/_/oidc/audience`` and ``/_/oidc/mint-token``), and transient failures (503s, dropped connections)
before forwarding to the real server.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.loopback import Request, serve, shut, url_of, write_answer

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
        return url_of(self.server)

    def start(self) -> StandIn:
        def respond(h: BaseHTTPRequestHandler, request: Request) -> None:
            method, path, headers, body = request
            self.requests.append((method, path))
            answer = self.handler(method, path, headers, body) if self.handler else None
            if answer == "drop":
                h.connection.close()  # the connection breaks without an answer
                return
            if answer is None:
                answer = self.forward(method, path, headers, body)
            write_answer(h, *answer)

        self.server = serve(respond)
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
        shut(self.server)
        self.server = None
