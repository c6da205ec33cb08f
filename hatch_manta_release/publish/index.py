"""What an index already holds for a project, from its simple API.

PEP 691 JSON is asked for first (PyPI, TestPyPI, devpi serve it); an index that answers HTML
(pypiserver) is read from its PEP 503 links, whose ``#sha256=`` fragments carry the hashes. A 404
means the project is not on the index yet - but not a 404 from another host that an authenticated read
was redirected to: the credentials are not sent there (:mod:`.http`), so its answer says nothing about
what the index holds. This is one GET, so a re-run where every file is already there costs one request.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

from packaging.utils import canonicalize_name

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.publish import limits
from hatch_manta_release.publish.http import Response, request

ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


@dataclass(frozen=True)
class IndexFile:
    filename: str
    sha256: str | None  # None when the index publishes no hash for it
    url: str


class IndexReadError(MantaError):
    """The index answered the simple-API query with an unexpected status (``response``).

    Fix: check ``index-url`` of the repository (its simple API, read to skip files already
    published) and that the index is reachable from here.
    """

    def __init__(self, response: Response, hint: str = "") -> None:
        super().__init__(f"{response.url} answered {response.status} {response.reason}", hint)
        self.response = response
        self.hint = hint


def project_url(index_url: str, project: str) -> str:
    return index_url.rstrip("/") + "/" + canonicalize_name(project) + "/"


def existing_files(
    index_url: str,
    project: str,
    *,
    auth: tuple[str, str] | None = None,
    timeout: float = 30.0,
    withheld: str = "",
) -> dict[str, IndexFile]:
    """Files the index holds for ``project``, by file name. ``{}`` when the project is not there.

    ``auth`` is only sent when the index asks for it (a 401 on an anonymous read); ``withheld`` is the
    fix to give for a 401 when a credential exists but may not go to this host (:func:`.verify.index_auth`).
    """
    url = project_url(index_url, project)
    headers = {"Accept": ACCEPT, "Cache-Control": "no-cache"}
    response = get_with_retries(url, headers, timeout)
    if response.status == 401 and auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        response = get_with_retries(url, {**headers, "Authorization": f"Basic {token}"}, timeout)
        if response.auth_withheld_from is not None and response.status != 200:
            raise _withheld(response, url)
    if response.status == 401 and auth is None and withheld:
        raise IndexReadError(response, withheld)
    if response.status == 404:
        return {}
    if response.status != 200:
        raise IndexReadError(response)
    if response.content_type == "application/vnd.pypi.simple.v1+json" or response.body.lstrip().startswith(b"{"):
        return _from_json(response)
    return _from_html(response)


def get_with_retries(
    url: str, headers: dict[str, str], timeout: float, *, sleep: Callable[[float], None] = time.sleep
) -> Response:
    """A GET retried as uploads are (:data:`~.limits.RETRY_STATUSES`, network errors; ``Retry-After`` honoured)."""
    settings = limits.current()
    attempt = 0
    while True:
        attempt += 1
        try:
            response = request("GET", url, headers=headers, timeout=timeout)
        except limits.DeadlineExceeded:
            raise
        except OSError:
            if attempt > settings.retries or limits.run_over():
                raise
            sleep(limits.backoff(attempt, settings.retry_delay))
            continue
        if response.status not in limits.RETRY_STATUSES or attempt > settings.retries or limits.run_over():
            return response
        sleep(limits.backoff(attempt, settings.retry_delay, response.headers))


def _withheld(response: Response, url: str) -> IndexReadError:
    """The authenticated read of ``url`` was redirected to another host, which got no credentials and refused."""
    via = "" if response.url == response.auth_withheld_from else f" (by way of {response.auth_withheld_from})"
    reason = (
        f"{response.reason or 'refused'} from {response.url}, another host that {url} redirected the authenticated "
        f"read to{via}; the credentials were not sent there, so this says nothing about what the index holds"
    )
    return IndexReadError(
        dataclasses.replace(response, reason=reason),
        f"set index-url to the simple index that answers {url} itself, without redirecting to another host",
    )


class MalformedPage(ValueError):
    """A simple-index page that is not what PEP 691 describes; the message says what is wrong."""


def _from_json(response: Response) -> dict[str, IndexFile]:
    try:
        data = response.json()
    except RecursionError:
        raise MalformedPage("its JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise MalformedPage(f"invalid JSON ({str(e)[:80]})") from None
    if not isinstance(data, dict):
        raise MalformedPage(f"the JSON is {_kind(data)}, not an object with files")
    entries = data.get("files", [])
    if not isinstance(entries, list):
        raise MalformedPage(f'"files" is {_kind(entries)}, not a list')
    files: dict[str, IndexFile] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise MalformedPage(f"file entry {number} is {_kind(entry)}, not an object")
        name, url, hashes = entry.get("filename"), entry.get("url"), entry.get("hashes", {})
        if not isinstance(name, str) or not isinstance(url, str) or not name or not url:
            raise MalformedPage(f'file entry {number} has no string "filename" and "url"')
        if not isinstance(hashes, dict):
            raise MalformedPage(f'"hashes" of {_shown(name)} is {_kind(hashes)}, not a table')
        sha = hashes.get("sha256")
        if sha is not None and (not isinstance(sha, str) or not _SHA256.fullmatch(sha)):
            raise MalformedPage(f'"hashes"."sha256" of {_shown(name)} is not a hex string')
        files[name] = IndexFile(name, sha.lower() if sha else None, urllib.parse.urljoin(response.url, url))
    return files


_SHA256 = re.compile(r"[0-9A-Fa-f]{1,128}")


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _shown(name: str) -> str:
    """A name from the index, printable (a newline in it cannot start a workflow command)."""
    return repr(name[:120]) if not name.isprintable() else name[:120]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _from_html(response: Response) -> dict[str, IndexFile]:
    parser = _Links()
    parser.feed(response.text)
    files: dict[str, IndexFile] = {}
    for href, text in parser.links:
        url, _, fragment = href.partition("#")
        name = urllib.parse.unquote(url.rsplit("/", 1)[-1]) or text
        if not name:
            continue
        sha = None
        for part in fragment.split("&"):
            algo, _, value = part.partition("=")
            if algo == "sha256" and _SHA256.fullmatch(value):
                sha = value.lower()
        files[name] = IndexFile(name, sha, urllib.parse.urljoin(response.url, url))
    return files
