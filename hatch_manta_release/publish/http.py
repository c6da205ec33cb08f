"""A few lines of stdlib HTTP for the index query and Trusted Publishing (uploads go through twine).

A ``file://`` GET reads a folder index as a static web server would serve it (``index.json`` when
PEP 691 JSON is asked for and is there, else ``index.html``; 404 when absent), so the one index
reader reads a folder index and an index server alike.

Redirects are not followed for POSTs (a token exchange that is redirected goes to a wrong URL), nor
to anything but http(s). A redirect to another origin (scheme, host, port) drops ``Authorization``
(and ``Cookie``), as requests does: urllib's own handler copies every header to wherever the server
points, which would hand an upload token to another host. A response reached that way says so in
:attr:`Response.auth_withheld_from`. Answers of every status come back as :class:`Response` instead
of exceptions, and network errors (refused, reset, timeout, TLS, DNS) propagate as ``OSError``
subclasses for :mod:`.failures` to explain.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from hatch_manta_release.core.redaction import redact
from hatch_manta_release.publish import limits

USER_AGENT = "hatch-manta-release (publish)"


@dataclass
class Response:
    status: int
    reason: str
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # the URL of another origin that a redirect led to, where the request's credentials were not sent
    auth_withheld_from: str | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


# headers that carry credentials for the origin they were attached for, never for another one
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the port made explicit (``http://h`` and ``http://h:80`` are one)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a malformed port: an origin of its own, equal to no other
        port = -1
    return scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows GET redirects to http(s) URLs; credentials never cross to another origin. One per request."""

    def __init__(self) -> None:
        super().__init__()
        self.auth_withheld_from: str | None = None

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]  # noqa: PLR0917
        if req.get_method() == "POST":
            return None
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            return None  # not followed (urllib would follow ftp://): the 30x comes back as the answer
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            dropped = False
            for store in (new.headers, new.unredirected_hdrs):
                for name in [k for k in store if k.lower() in _CREDENTIAL_HEADERS]:
                    del store[name]
                    dropped = True
            if dropped:
                self.auth_withheld_from = newurl
        return new


def request(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
    max_bytes: int = limits.MAX_PAGE_BYTES,
) -> Response:
    """Send one request; any HTTP status is a :class:`Response`, network failures raise ``OSError``.

    Bounded (:mod:`.limits`): ``timeout`` per socket read, the request deadline (cut to what is left of
    the run's) for the whole exchange, ``max_bytes`` for a 2xx body (more raises
    :class:`~.limits.AnswerTooLarge`), :data:`~.limits.MAX_ERROR_BYTES` for any other (cut).
    """
    all_headers = {"User-Agent": USER_AGENT}
    all_headers.update(headers or {})
    if url.startswith("file:") and method == "GET":
        return read_folder(url, all_headers.get("Accept", ""))
    if not url.startswith(("http://", "https://")):
        raise ConnectionError(f"not an http(s) URL: {url}")
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310 - checked above
    seconds = limits.budget(grace=limits.READ_GRACE if method == "GET" else 0.0)
    return limits.call_with_deadline(
        lambda: _send(req, min(timeout, seconds), max_bytes), seconds, f"{method} {_shown(url)}"
    )


def _shown(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"  # the host and port, no userinfo


def _send(req: urllib.request.Request, timeout: float, max_bytes: int) -> Response:
    redirects = _Redirects()
    opener = urllib.request.build_opener(redirects)
    url = req.full_url
    try:
        with opener.open(req, timeout=timeout) as resp:
            return Response(
                status=resp.status,
                reason=resp.reason or "",
                url=resp.geturl(),
                body=limits.read_capped(resp.read, max_bytes, f"the answer of {_shown(resp.geturl())}"),
                headers={k.lower(): v for k, v in resp.headers.items()},
                auth_withheld_from=redirects.auth_withheld_from,
            )
    except urllib.error.HTTPError as e:
        try:
            body = limits.read_capped(e.read, limits.MAX_ERROR_BYTES, "an error page", truncate=True)
        except OSError:
            body = b""
        return Response(
            status=e.code,
            reason=redact(str(e.reason or ""))[:200],  # redacted before it is cut
            url=e.geturl() or url,  # where the answer came from, after any redirect
            body=body,
            headers={k.lower(): v for k, v in (e.headers or {}).items()},
            auth_withheld_from=redirects.auth_withheld_from,
        )
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, OSError):
            raise reason from None
        raise ConnectionError(str(reason)) from None
    except http.client.HTTPException as e:  # a malformed status line or headers: the server is broken
        raise ConnectionError(f"a malformed HTTP answer ({type(e).__name__})") from None


def read_folder(url: str, accept: str = "") -> Response:
    """GET of a ``file://`` URL, answered as a static web server answers: a folder gives its ``index.json``
    (when the client accepts PEP 691 JSON) or ``index.html``; what is not there is a 404."""
    import pathlib

    path = pathlib.Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    candidates = [path]
    if path.is_dir():
        names = ["index.json", "index.html"] if "application/vnd.pypi.simple.v1+json" in accept else ["index.html"]
        candidates = [path / name for name in names]
    for candidate in candidates:
        try:
            body = candidate.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            continue
        kind = "application/vnd.pypi.simple.v1+json" if candidate.suffix == ".json" else "text/html"
        return Response(200, "OK", url, body, {"content-type": kind})
    return Response(404, "Not Found", url, b"", {"content-type": "text/plain"})
