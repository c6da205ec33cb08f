"""Index answers and network errors, translated into one line of cause and one line of fix.

The index's own answer (what ``twine upload`` would print) is kept in ``detail`` and shown with
``--verbose``. Nothing here ever sees the token: a credential is named by the variable it came
from, or as "the token minted by Trusted Publishing".
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

from hatch_manta_release.core.config import Repository
from hatch_manta_release.publish.http import Response

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Context:
    """What a message needs to name: the repository, the project, where the credential came from."""

    repository: Repository
    project: str
    version: str
    credential: str  # "$PYPI_API_TOKEN" or "the token minted by Trusted Publishing"
    trusted_publishing: bool = False


@dataclass(frozen=True)
class Failure:
    kind: str  # auth | project | exists | rejected | too-large | redirect | server | tls | dns | connection | timeout
    cause: str
    fix: str
    detail: str = ""
    transient: bool = False

    def lines(self, verbose: bool = False) -> list[str]:
        out = [self.cause, f"fix: {self.fix}"]
        if verbose and self.detail:
            out.append(f"index said: {self.detail}")
        return out


def token_page(repository: Repository) -> str:
    if "test.pypi.org" in repository.upload_url:
        return "https://test.pypi.org/manage/account/token/"
    if "upload.pypi.org" in repository.upload_url:
        return "https://pypi.org/manage/account/token/"
    return f"the account settings of {repository.name}"


def _where(repository: Repository) -> str:
    return f"{repository.name} ({repository.upload_url})"


def _message(response: Response) -> str:
    """The index's message in one line: a JSON ``message``/``detail``, an HTML title, or the status."""
    text = response.text.strip()
    if response.content_type.endswith("json"):
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("message", "detail", "error"):
                if isinstance(data.get(key), str):
                    return data[key]
    if "<" in text:
        pre = re.search(r"<pre>(.*?)</pre>", text, re.S | re.I)
        title = re.search(r"<title>(.*?)</title>", text, re.S | re.I)
        if pre and pre.group(1).strip() not in ("", "None"):
            text = pre.group(1)
        elif title:
            text = title.group(1)
        else:
            text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:300] or f"{response.status} {response.reason}".strip()


def next_versions(version: str) -> str:
    """What to release instead of a version whose file names are taken."""
    from packaging.version import InvalidVersion, Version

    try:
        v = Version(version)
    except InvalidVersion:
        return "a new version"
    base = v.base_version
    if v.dev is not None:
        pre = f"{v.pre[0]}{v.pre[1]}" if v.pre else ""
        return f"{base}{pre}.dev{v.dev + 1}"
    if v.pre is not None:
        return f"{base}{v.pre[0]}{v.pre[1] + 1} (the next pre-release)"
    post = (v.post or 0) + 1
    return f"{base}.post{post} (a post-release) or the next version"


def from_response(response: Response, ctx: Context, filename: str) -> Failure:
    status = response.status
    message = _message(response)
    lowered = message.lower() + " " + response.reason.lower()
    detail = f"{status} {response.reason}: {message}".strip()
    repo = ctx.repository
    if status in (400, 409) and re.search(r"already exist|file exists|already been used|filename has|reuse", lowered):
        return Failure(
            "exists",
            f"{filename}: {repo.name} already has a file of this name with other content, or had one "
            f"(an index never accepts a file name twice) ({status})",
            f"do not rebuild a published version: tag and release {next_versions(ctx.version)}",
            detail,
        )
    project_problem = re.search(
        r"project-scoped|not allowed to upload|isn't allowed|is not allowed|does not exist|non-existent project|"
        r"cannot create new project|not the owner|new projects",
        lowered,
    )
    if status in (400, 401, 403) and project_problem:
        if ctx.trusted_publishing:
            fix = (
                f"register a (pending) Trusted Publisher for {ctx.project} on {repo.name}: Trusted Publishing can "
                "only create a project through a pending publisher"
            )
        else:
            fix = (
                f"the first upload of {ctx.project} to {repo.name} needs an account-wide token in {ctx.credential} "
                "(a project-scoped token cannot create the project); once it exists, replace it with a token "
                f"scoped to {ctx.project}"
            )
        return Failure(
            "project",
            f"{repo.name} refused {filename}: {ctx.project} does not exist there or {ctx.credential} may not "
            f"upload to it ({status})",
            fix,
            detail,
        )
    if status in (401, 403):
        if ctx.trusted_publishing:
            return Failure(
                "auth",
                f"{_where(repo)} refused the token minted by Trusted Publishing ({status} {response.reason})",
                f"check the Trusted Publisher registered for {ctx.project} on {repo.name} (owner, repository, "
                "workflow file name, environment)",
                detail,
            )
        return Failure(
            "auth",
            f"{_where(repo)} refused the token in {ctx.credential} ({status} {response.reason}): it is invalid, "
            "expired, or scoped to another project",
            f"create a token at {token_page(repo)} and store it as {ctx.credential}: scoped to {ctx.project} once "
            "the project exists (account-wide only for its very first upload, then replace it); use separate "
            "tokens for the test and production indexes",
            detail,
        )
    if status == 413:
        return Failure(
            "too-large",
            f"{filename} is larger than {repo.name} accepts (413)",
            "make the file smaller, or ask the index for a larger limit (PyPI: https://pypi.org/help/#file-size-limit)",
            detail,
        )
    if 300 <= status < 400:
        location = response.headers.get("location", "another URL")
        return Failure(
            "redirect",
            f"the upload URL {repo.upload_url} redirects ({status}) to {location}",
            f"set upload-url in [tool.manta-release.repositories.{repo.name}] to the upload endpoint itself "
            "(PyPI's is https://upload.pypi.org/legacy/)",
            detail,
        )
    if status in TRANSIENT_STATUSES:
        return Failure(
            "server",
            f"{_where(repo)} failed with {status} {response.reason} (a server-side error)",
            "re-run publish later: files already on the index are skipped",
            detail,
            transient=True,
        )
    return Failure(
        "rejected",
        f"{repo.name} rejected {filename}: {message} ({status})",
        "run `manta-release check` and fix what the index names (its metadata rules can be stricter than twine's)",
        detail,
    )


def from_exception(error: BaseException, ctx: Context, url: str) -> Failure:
    host = urllib.parse.urlsplit(url).netloc or url
    repo = ctx.repository
    rerun = "re-run publish: files already on the index are skipped"
    if isinstance(error, ssl.SSLCertVerificationError):
        return Failure(
            "tls",
            f"the TLS certificate of {host} could not be verified ({error.verify_message})",
            "check the URL; behind a proxy that re-signs TLS, point SSL_CERT_FILE at its CA bundle",
            str(error),
        )
    if isinstance(error, ssl.SSLError):
        return Failure(
            "tls",
            f"TLS with {host} failed ({error.reason or error})",
            f"check that {url} is an https endpoint that speaks TLS (http:// for a plain local index)",
            str(error),
        )
    if isinstance(error, socket.gaierror):
        return Failure(
            "dns",
            f"cannot resolve {host} ({error.strerror or error})",
            f"check the URLs of [tool.manta-release.repositories.{repo.name}] and the network (DNS, HTTPS_PROXY)",
            str(error),
        )
    if isinstance(error, TimeoutError | socket.timeout):
        return Failure(
            "timeout",
            f"{host} did not answer in time",
            f"check that {repo.name} is reachable; {rerun}",
            str(error),
            transient=True,
        )
    if isinstance(error, ConnectionRefusedError):
        return Failure(
            "connection",
            f"connection to {host} refused: {repo.name} is not listening",
            f"check that {repo.name} is up and the URL is right; {rerun}",
            str(error),
            transient=True,
        )
    if isinstance(error, ConnectionError | http.client.HTTPException | EOFError):
        return Failure(
            "connection",
            f"the connection to {host} broke ({type(error).__name__}: {error or 'closed'})",
            f"check the network and that {repo.name} is up; {rerun}",
            str(error),
            transient=True,
        )
    return Failure(
        "connection",
        f"talking to {host} failed: {type(error).__name__}: {error}",
        f"check the network and that {repo.name} is up; {rerun}",
        str(error),
        transient=isinstance(error, OSError),
    )
