"""A small client for the few GitHub REST endpoints the release needs (standard library only).

Why not a GitHub SDK: six endpoints, and every failure must come back as one line of cause and one
of fix that names ``$GITHUB_TOKEN`` and never shows it. Every request has a timeout; redirects are
followed only to the same origin (a renamed repository answers 301 to ``/repositories/<id>/…``),
so the token never travels to another host. The token is registered with
:mod:`hatch_manta_release.core.redaction` when it is read, and any text that came from a response
passes through its ``redact`` before it reaches a message.
"""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.redaction import redact, register_secret

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "hatch-manta-release (github-release)"
TOKEN_VAR = "GITHUB_TOKEN"  # noqa: S105 - the name of the variable, not a token
_REDIRECTS = (301, 302, 307, 308)


class GitHubError(MantaError):
    """`github-release` could not make or finish the GitHub Release: GITHUB_REPOSITORY or
    GITHUB_TOKEN is not set, GitHub refused the request (401 token, 403 without `contents: write`,
    404 repository, 422 validation, rate limit), could not be reached, stored an asset with another
    sha256, or the published release already has an asset of that name with different content or
    is immutable. The message names the request and the status, never the token.

    Fix: do what the hint says (pass `GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` to the step and
    give that job `permissions: contents: write`; push the tag), then re-run the job: the release
    is found again, assets already there with the same sha256 are kept, and it is finished.
    """


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    url: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Target:
    """Where the REST calls go: the API root, the ``owner/name`` repository and the token (never shown)."""

    api_url: str
    repository: str
    token: str = field(repr=False)

    @property
    def repo_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/repos/{self.repository}"


def target_from_env(environ: Mapping[str, str]) -> Target:
    """``$GITHUB_API_URL`` (default api.github.com), ``$GITHUB_REPOSITORY`` and ``$GITHUB_TOKEN``, checked."""
    repository = environ.get("GITHUB_REPOSITORY", "").strip()
    if repository.count("/") != 1 or not all(repository.split("/")):
        shown = f"is {repository!r}" if repository else "is not set"
        raise GitHubError(
            f"GITHUB_REPOSITORY {shown}: the GitHub repository (owner/name) of the release is unknown",
            "GitHub Actions sets it; elsewhere export GITHUB_REPOSITORY=owner/name",
        )
    token = environ.get(TOKEN_VAR, "").strip()
    if not token:
        raise GitHubError(
            f"{TOKEN_VAR} is not set: no token to create the GitHub Release with",
            f"pass it to the step: `env: {TOKEN_VAR}: ${{{{ secrets.GITHUB_TOKEN }}}}` with "
            "`permissions: contents: write` on the job",
        )
    register_secret(token, users=("x-access-token",), variable=TOKEN_VAR)  # hidden from every output from here on
    api_url = environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    if not api_url.startswith(("https://", "http://")):
        raise GitHubError(f"GITHUB_API_URL = {api_url!r} is not an http(s) URL",
                          f"unset it (the default is {DEFAULT_API_URL}) or set the API root of your GitHub server")
    return Target(api_url.rstrip("/"), repository, token)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]  # noqa: PLR0917
        return None  # answered as is; GitHubAPI.request follows same-origin redirects itself


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class GitHubAPI:
    """JSON requests and asset uploads against one :class:`Target`."""

    def __init__(self, target: Target, *, timeout: float = 60.0, upload_timeout: float = 600.0) -> None:
        self.target = target
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def __repr__(self) -> str:
        return f"GitHubAPI({self.target.api_url!r}, {self.target.repository!r})"

    def url(self, path: str) -> str:
        """``path`` under the repository (``/releases``), or an absolute URL as it is."""
        return path if path.startswith(("http://", "https://")) else self.target.repo_url + path

    def request(self, method: str, path: str, *, payload: Any = None, data: bytes | None = None,
                content_type: str | None = None, timeout: float | None = None,
                accept: str = "application/vnd.github+json") -> ApiResponse:
        """One request (same-origin redirects followed); network failures raise :class:`GitHubError`."""
        url = self.url(path)
        headers = self._headers(accept)
        if payload is not None:
            data, content_type = json.dumps(payload).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        for _ in range(4):
            response = self._send(method, url, data, headers, timeout or self.timeout)
            location = response.headers.get("location", "")
            if response.status not in _REDIRECTS or not location:
                return response
            new = urllib.parse.urljoin(url, location)
            if _origin(new) != _origin(url):
                return response  # never follow with the token to another host
            url = new
        return response

    def _headers(self, accept: str) -> dict[str, str]:
        return {
            "Accept": accept,
            "Authorization": f"Bearer {self.target.token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }

    def upload(self, upload_url: str, path: Path, name: str) -> ApiResponse:
        """POST a file to a release's ``upload_url`` (its ``{?name,label}`` template expanded)."""
        base = upload_url.split("{", 1)[0]
        url = f"{base}?{urllib.parse.urlencode({'name': name})}"
        return self.request("POST", url, data=path.read_bytes(), content_type="application/octet-stream",
                            timeout=self.upload_timeout)

    def download(self, asset_url: str) -> bytes:
        """An asset's bytes through the API (private repositories too). GitHub answers with a redirect to
        its storage host, which is fetched without the token (it is signed for that one download)."""
        headers = self._headers("application/octet-stream")
        response = self._send("GET", self.url(asset_url), None, headers, self.timeout)  # no redirect followed
        location = response.headers.get("location", "")
        if response.status in _REDIRECTS and location:
            plain = urllib.request.Request(urllib.parse.urljoin(asset_url, location),  # noqa: S310 - http(s) only
                                           headers={"User-Agent": USER_AGENT})
            if not plain.full_url.startswith(("http://", "https://")):
                raise GitHubError(f"GitHub redirected the download of {asset_url} to {plain.full_url}")
            with urllib.request.urlopen(plain, timeout=self.upload_timeout) as resp:  # noqa: S310
                return bytes(resp.read())
        if response.status != 200:
            raise explain(response, f"download {asset_url}", self.target)
        return response.body

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
              timeout: float) -> ApiResponse:
        if not url.startswith(("http://", "https://")):
            raise GitHubError(f"not an http(s) URL: {url}", "check GITHUB_API_URL")
        req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - checked above
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return ApiResponse(resp.status, _lower(resp.headers), resp.read(), url)
        except urllib.error.HTTPError as e:
            try:
                body = e.read()
            except OSError:
                body = b""
            return ApiResponse(e.code, _lower(e.headers or {}), body, url)
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise GitHubError(
                f"cannot reach GitHub's API at {self._where(url)}: {redact(str(reason))}",
                "check GITHUB_API_URL and the network; re-run the job (a re-run finishes the release)",
            ) from None

    def _where(self, url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


# ----------------------------------------------------------------------------- failures, explained


def github_message(response: ApiResponse) -> str:
    """GitHub's ``message`` and each validation error's code, field and message, in one line."""
    data = response.json()
    if not isinstance(data, dict):
        return f"{response.status}"
    text = str(data.get("message") or response.status)
    details = []
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            parts = [str(error[k]) for k in ("resource", "field", "code", "message") if error.get(k)]
            details.append(" ".join(parts))
        elif isinstance(error, str):
            details.append(error)
    return f"{text} ({'; '.join(details)})" if details else text


def rate_limit_reset(response: ApiResponse) -> str | None:
    """When an exhausted rate limit resets, in words; None when this is not a rate-limit answer."""
    headers = response.headers
    if response.status not in (403, 429):
        return None
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        moment = datetime.datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), tz=datetime.timezone.utc)
        return f"until {moment:%Y-%m-%d %H:%M:%S} UTC"
    if headers.get("retry-after", "").isdigit():
        return f"for {headers['retry-after']} seconds (a secondary rate limit)"
    if response.status == 429 or "rate limit" in github_message(response).lower():
        return "for a while (GitHub gave no reset time)"
    return None


def explain(response: ApiResponse, action: str, target: Target) -> GitHubError:
    """A refused request as cause and fix: ``action`` says what was being done ("create the release")."""
    said = redact(github_message(response))
    repo = target.repository
    reset = rate_limit_reset(response)
    if reset is not None:
        return GitHubError(
            f"GitHub's API rate limit is exhausted {reset}: could not {action} ({response.status} {said})",
            "re-run the job after that time; a re-run keeps what was done and finishes the release",
        )
    if response.status == 401:
        return GitHubError(
            f"GitHub refused ${TOKEN_VAR} (401 {said}) trying to {action} in {repo}",
            f"pass the job's token: `env: {TOKEN_VAR}: ${{{{ secrets.GITHUB_TOKEN }}}}`; a personal token may "
            "have expired or been revoked",
        )
    if response.status == 403:
        return GitHubError(
            f"${TOKEN_VAR} may not {action} in {repo} (403 {said}): it lacks `contents: write`",
            "add `permissions: contents: write` to the job that runs github-release (only that job); "
            "a fine-grained token needs Contents: read and write on this repository",
        )
    if response.status == 404:
        return GitHubError(
            f"GitHub answered 404 ({said}) trying to {action}: repository {repo} does not exist at "
            f"{target.api_url}, or ${TOKEN_VAR} cannot see it",
            "check GITHUB_REPOSITORY (owner/name) and GITHUB_API_URL; a token of another repository cannot "
            "see a private one",
        )
    if response.status == 422:
        return GitHubError(
            f"GitHub refused to {action} in {repo} (422 validation failed: {said})",
            "a tag_name error means the tag is not pushed (git push origin <tag>); an asset name error means "
            "an asset of that name exists (re-run: it is compared by sha256)",
        )
    return GitHubError(
        f"GitHub answered {response.status} ({said}) trying to {action} in {repo}",
        "re-run the job (a re-run keeps what was done); if it persists, see https://www.githubstatus.com",
    )
