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
from hatch_manta_release.core.redaction import redact
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


def token_page(repository: Repository) -> str:
    if "test.pypi.org" in repository.upload_url:
        return "https://test.pypi.org/manage/account/token/"
    if "upload.pypi.org" in repository.upload_url:
        return "https://pypi.org/manage/account/token/"
    return f"the account settings of {repository.name}"


def _where(repository: Repository) -> str:
    return f"{repository.name} ({repository.upload_url})"


def _message(response: Response) -> str:
    """The index's message in one line: a JSON ``message``/``detail``, an HTML title, or the status.

    Redacted before it is cut: a token cut in half would no longer match its whole form."""
    text = redact(response.text.strip())
    if response.content_type.endswith("json"):
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("message", "detail", "error"):
                value = data.get(key)
                if isinstance(value, str):
                    return redact(value)
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


_EXISTS = re.compile(r"already exist|file exists|already been used|filename has|reuse")
_PROJECT_PROBLEM = re.compile(
    r"project-scoped|not allowed to upload|isn't allowed|is not allowed|does not exist|non-existent project|"
    r"cannot create new project|not the owner|new projects"
)


def from_response(response: Response, ctx: Context, filename: str) -> Failure:
    """The index's answer to an upload (or a read), as cause and fix; the answer itself in ``detail``."""
    status = response.status
    message = _message(response)
    lowered = message.lower() + " " + response.reason.lower()
    detail = f"{status} {response.reason}: {message}".strip()
    if status in (400, 409) and _EXISTS.search(lowered):
        return _exists(ctx, filename, status, detail)
    if status in (400, 401, 403) and _PROJECT_PROBLEM.search(lowered):
        return _project_problem(ctx, filename, status, detail)
    if status in (401, 403):
        return _auth_refused(ctx, response, detail)
    return _by_status(response, ctx, filename, message, detail)


def _exists(ctx: Context, filename: str, status: int, detail: str) -> Failure:
    return Failure(
        "exists",
        f"{filename}: {ctx.repository.name} already has a file of this name with other content, or had one "
        f"(an index never accepts a file name twice) ({status})",
        f"do not rebuild a published version: tag and release {next_versions(ctx.version)}",
        detail,
    )


def _project_problem(ctx: Context, filename: str, status: int, detail: str) -> Failure:
    repo = ctx.repository
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


def _auth_refused(ctx: Context, response: Response, detail: str) -> Failure:
    repo, status = ctx.repository, response.status
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


def _by_status(response: Response, ctx: Context, filename: str, message: str, detail: str) -> Failure:
    """Answers whose status alone says what happened: too large, a redirect, a server error, a rejection."""
    repo, status = ctx.repository, response.status
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
    """A network error (TLS, DNS, timeout, refused, reset) while talking to ``url``, as cause and fix."""
    host = urllib.parse.urlsplit(url).netloc or url
    if isinstance(error, ssl.SSLError):
        return _tls(error, host, url)
    if isinstance(error, socket.gaierror):
        return Failure(
            "dns",
            f"cannot resolve {host} ({error.strerror or error})",
            f"check the URLs of [tool.manta-release.repositories.{ctx.repository.name}] and the network "
            "(DNS, HTTPS_PROXY)",
            str(error),
        )
    return _connection(error, host, ctx.repository.name)


def _tls(error: ssl.SSLError, host: str, url: str) -> Failure:
    if isinstance(error, ssl.SSLCertVerificationError):
        return Failure(
            "tls",
            f"the TLS certificate of {host} could not be verified ({error.verify_message})",
            "check the URL; behind a proxy that re-signs TLS, point SSL_CERT_FILE at its CA bundle",
            str(error),
        )
    return Failure(
        "tls",
        f"TLS with {host} failed ({error.reason or error})",
        f"check that {url} is an https endpoint that speaks TLS (http:// for a plain local index)",
        str(error),
    )


def _connection(error: BaseException, host: str, repository: str) -> Failure:
    """Timeouts, refused and broken connections: worth a retry."""
    rerun = "re-run publish: files already on the index are skipped"
    if isinstance(error, TimeoutError) and "deadline" in str(error):  # publish/limits.py: the whole exchange
        cause = f"{host}: {error}"
        fix = f"check that {repository} answers (a proxy that holds connections?), or raise the deadline; {rerun}"
    elif isinstance(error, TimeoutError | socket.timeout):
        cause, fix = f"{host} did not answer in time", f"check that {repository} is reachable; {rerun}"
    elif isinstance(error, ConnectionRefusedError):
        cause = f"connection to {host} refused: {repository} is not listening"
        fix = f"check that {repository} is up and the URL is right; {rerun}"
    elif isinstance(error, ConnectionError | http.client.HTTPException | EOFError):
        cause = f"the connection to {host} broke ({type(error).__name__}: {error or 'closed'})"
        fix = f"check the network and that {repository} is up; {rerun}"
    else:
        cause = f"talking to {host} failed: {type(error).__name__}: {error}"
        fix = f"check the network and that {repository} is up; {rerun}"
        return Failure("connection", cause, fix, str(error), transient=isinstance(error, OSError))
    kind = "timeout" if isinstance(error, TimeoutError | socket.timeout) else "connection"
    return Failure(kind, cause, fix, str(error), transient=True)
