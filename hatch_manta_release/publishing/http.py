"""A few lines of stdlib HTTP for the index query and Trusted Publishing (uploads go through twine).

Redirects are not followed for POSTs (a token exchange that is redirected goes to a wrong URL),
answers of every status come back as :class:`Response` instead of exceptions, and network errors
(refused, reset, timeout, TLS, DNS) propagate as ``OSError`` subclasses for
:mod:`.failures` to explain.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "hatch-manta-release (publish)"


@dataclass
class Response:
    status: int
    reason: str
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]  # noqa: PLR0917
        if req.get_method() == "POST":
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_NoRedirect())


def request(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Response:
    """Send one request; any HTTP status is a :class:`Response`, network failures raise ``OSError``."""
    all_headers = {"User-Agent": USER_AGENT}
    all_headers.update(headers or {})
    if not url.startswith(("http://", "https://")):
        raise ConnectionError(f"not an http(s) URL: {url}")
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310 - checked above
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return Response(
                status=resp.status,
                reason=resp.reason or "",
                url=resp.geturl(),
                body=resp.read(),
                headers={k.lower(): v for k, v in resp.headers.items()},
            )
    except urllib.error.HTTPError as e:
        try:
            body = e.read()
        except OSError:
            body = b""
        return Response(
            status=e.code,
            reason=str(e.reason or ""),
            url=url,
            body=body,
            headers={k.lower(): v for k, v in (e.headers or {}).items()},
        )
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, OSError):
            raise reason from None
        raise ConnectionError(str(reason)) from None
