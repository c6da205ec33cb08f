"""Upload one file through twine's own uploader (the legacy upload API), with retries.

twine does the work as ``twine upload`` does it: :class:`twine.package.PackageFile` reads the metadata
and the digests (and refuses what twine refuses), and :meth:`twine.repository.Repository.upload`
builds the multipart form and POSTs it (no redirects followed). It runs in this process, in the
calling thread, one ``Repository`` (one requests session) per thread: the credential is the
session's auth in this process only. No child process, no command line, no environment variable of
anything else ever holds the token.

Transient failures (connection refused or reset, timeouts, 429, 5xx) are retried here, with
exponential backoff; twine's own immediate re-POST on a 5xx and urllib3's immediate reconnects are
turned off so that every attempt is one of ours. An upload whose answer was lost may have landed:
when the retry is answered "file exists", the index is asked for the file's sha256, and an
identical file counts as uploaded.

requests' and urllib3's exceptions are unwrapped to the socket or TLS error underneath, so
:mod:`.failures` explains them as it explains the standard library's.
"""

from __future__ import annotations

import ssl
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.publish import limits
from hatch_manta_release.publish.failures import Context, Failure, from_exception, from_response
from hatch_manta_release.publish.http import Response
from hatch_manta_release.publish.sessions import Uploaders, quiet
from hatch_manta_release.publish.verify import shown

if TYPE_CHECKING:
    from twine.package import PackageFile
    from twine.repository import Repository

    from hatch_manta_release.core.config import Repository as IndexConfig
    from hatch_manta_release.dist.artifacts import Artifact
    from hatch_manta_release.publish.attest import Attested
    from hatch_manta_release.publish.report import PublishOptions
    from hatch_manta_release.publish.trusted import TrustedPublisher


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    source: str  # "$PYPI_API_TOKEN", "the token minted by Trusted Publishing", "no credentials"
    trusted_publishing: bool = False
    # Trusted Publishing: mints the upload token and re-mints it before it expires (the session's auth)
    publisher: TrustedPublisher | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:  # never show the password, even in a traceback's locals
        return f"Credentials(username={self.username!r}, source={self.source!r})"


@dataclass
class UploadResult:
    filename: str
    ok: bool
    attempts: int
    note: str = ""  # "landed on an earlier attempt" etc.
    failure: Failure | None = None
    maybe_landed: bool = False  # an attempt lost its answer after sending: the file may be on the index


class FormError(MantaError):
    """twine refused to read the file (broken metadata, unsupported Metadata-Version).

    Fix: rebuild the file (``manta-release build``) and run ``manta-release check``; twine 7 or
    later reads the Metadata-Version 2.5 that hatchling 1.30 writes.
    """


def read_package(path: Path) -> PackageFile:
    """twine's view of ``path``: the metadata and digests of the upload form."""
    from twine import exceptions as twine_exceptions
    from twine.package import PackageFile

    try:
        package = PackageFile.from_filename(str(path), comment=None)
        package.metadata_dictionary()
    except (twine_exceptions.TwineException, ValueError, zipfile.BadZipFile, tarfile.TarError, EOFError, OSError,
            zlib.error, RuntimeError) as e:
        raise FormError(
            f"{shown(path.name)}: twine cannot read it: {shown(str(e))[:200]}",
            "rebuild the file (`manta-release build`) and run `manta-release check`",
        ) from e
    return package


# ----------------------------------------------------------------------------- errors


def _is_wrapper(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] in ("requests", "urllib3")


def network_error(error: BaseException) -> BaseException:
    """The socket or TLS error under requests' and urllib3's wrappers: what the standard library raises.

    ``requests.ConnectionError(MaxRetryError(reason=NewConnectionError(...)))`` caused by
    ``ConnectionRefusedError`` gives the ``ConnectionRefusedError``; a wrapper with nothing underneath
    becomes ``TimeoutError``, ``ssl.SSLError`` or ``ConnectionError`` with its message.
    """
    current: BaseException = error
    seen: set[int] = set()
    while _is_wrapper(current) and id(current) not in seen:
        seen.add(id(current))
        reason = getattr(current, "reason", None)
        inner = reason if isinstance(reason, BaseException) else None
        if inner is None:
            inner = next((a for a in current.args if isinstance(a, BaseException)), None)
        if inner is None:
            inner = current.__cause__ or current.__context__
        if inner is None:
            break
        current = inner
    if not _is_wrapper(current):
        return current
    import requests.exceptions
    import urllib3.exceptions

    message = str(current)
    if isinstance(error, requests.exceptions.Timeout) or isinstance(current, urllib3.exceptions.TimeoutError):
        return TimeoutError(message)
    if isinstance(error, requests.exceptions.SSLError) or isinstance(current, urllib3.exceptions.SSLError):
        return ssl.SSLError(message)
    return ConnectionError(message)


def _as_response(resp: Any) -> Response:
    """requests' answer in the shape :mod:`.failures` reads."""
    return Response(
        status=resp.status_code,
        reason=resp.reason or "",
        url=resp.url or "",
        body=resp.content or b"",
        headers={k.lower(): v for k, v in resp.headers.items()},
    )


# ----------------------------------------------------------------------------- one file


def upload_file(
    path: Path,
    sha256: str,
    url: str,
    credentials: Credentials | None,
    ctx: Context,
    *,
    retries: int = 3,
    retry_delay: float = 1.0,
    timeout: float = 300.0,
    confirm: Callable[[str], str | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    uploaders: Uploaders | None = None,
    attested: Attested | None = None,
) -> UploadResult:
    """Upload ``path``; ``confirm(filename)`` returns the index's sha256 for it (or None).

    ``uploaders`` (made for ``credentials``) keeps one twine ``Repository`` per thread across calls;
    without it one is opened for this file and closed after it.
    """
    try:
        package = read_package(path)
    except FormError as e:
        return UploadResult(path.name, False, 0, failure=Failure("rejected", e.message, e.hint or ""))
    if attested:
        from hatch_manta_release.publish.attest import attach

        attach(package, attested)
    own = uploaders is None
    if uploaders is None:
        uploaders = Uploaders(credentials)
    try:
        return _upload(
            package, path.name, sha256, url, uploaders.get(url, timeout), ctx, retries, retry_delay, confirm, sleep
        )
    finally:
        if own:
            uploaders.close()


def _upload(  # noqa: PLR0917
    package: PackageFile,
    filename: str,
    sha256: str,
    url: str,
    repository: Repository,
    ctx: Context,
    retries: int,
    retry_delay: float,
    confirm: Callable[[str], str | None] | None,
    sleep: Callable[[float], None],
) -> UploadResult:
    attempt = 0
    retried_after_loss = maybe_landed = False
    while True:
        attempt += 1
        failure: Failure
        response: Response | None = None
        try:
            response = _post_within_deadline(repository, package, url, filename)
        except OSError as e:  # requests' exceptions are OSErrors too
            error = network_error(e)
            failure = from_exception(error, ctx, url)
            retried_after_loss = True
            if not isinstance(error, ConnectionRefusedError):
                maybe_landed = True
        else:
            if response.status in {200, 201}:
                note = f"on attempt {attempt}" if attempt > 1 else ""
                return UploadResult(filename, True, attempt, note=note)
            failure = from_response(response, ctx, filename)
            if failure.kind == "exists" and confirm is not None:
                # Identical content already there: an earlier attempt (ours, or a parallel run) landed.
                try:
                    on_index = confirm(filename)
                except Exception:  # a failed confirmation keeps the original answer
                    on_index = None
                if on_index is not None and on_index == sha256:
                    note = "landed on an earlier attempt" if retried_after_loss else "already on the index (identical)"
                    return UploadResult(filename, True, attempt, note=note)
            if failure.transient:
                retried_after_loss = maybe_landed = True
        if not failure.transient or attempt > retries or limits.run_over():
            return UploadResult(filename, False, attempt, failure=failure, maybe_landed=maybe_landed)
        sleep(limits.backoff(attempt, retry_delay, response.headers if response is not None else None))


def _post_within_deadline(repository: Repository, package: PackageFile, url: str, filename: str) -> Response:
    """One attempt, bounded by the request deadline (cut to what is left of the run's)."""
    if not url.startswith(("http://", "https://")):
        raise ConnectionError(f"not an http(s) URL: {url}")
    seconds = limits.budget()
    return limits.call_with_deadline(lambda: _post(repository, package), seconds, f"the upload of {filename}")


def _post(repository: Repository, package: PackageFile) -> Response:
    """One POST of the upload form (run in the deadline's worker thread, where twine stays quiet too)."""
    quiet.on = True
    try:
        # max_redirects=1: one POST (twine would re-POST a 5xx at once); redirects are not followed.
        return _as_response(repository.upload(package, max_redirects=1))
    finally:
        quiet.on = False


# ----------------------------------------------------------------------------- the sender publish uses


class HttpSender:
    """Sends the files of one publish to an index's upload URL, one twine ``Repository`` per thread
    (``uploaders``: sessions opened ahead, :mod:`.sessions`)."""

    def __init__(
        self,
        repository: IndexConfig,
        credentials: Credentials | None,
        ctx: Context,
        options: PublishOptions,
        *,
        confirm: Callable[[str], str | None] | None = None,
        attested: Mapping[str, Attested] | None = None,
        uploaders: Uploaders | None = None,
    ) -> None:
        try:
            import twine.repository  # noqa: F401 - uploads every file; fail here, not in every thread
        except ImportError:
            from hatch_manta_release.publish.report import PublishError

            raise PublishError(
                "twine is not installed: it uploads the files",
                "install hatch-manta-release[release] (the release environment of `hatch run release:publish` "
                "has it)",
            ) from None
        self._repository = repository
        self._credentials = credentials
        self._ctx = ctx
        self._options = options
        self._confirm = confirm
        self._attested = attested or {}
        self._uploaders = uploaders or Uploaders()
        self._uploaders.authorize(credentials)

    def warm(self, count: int) -> None:
        """Open ``count`` more connections to the upload URL now, for the threads that will upload."""
        self._uploaders.warm(self._repository.upload_url, self._options.timeout, count)

    def send(self, file: Artifact) -> UploadResult:
        options = self._options
        return upload_file(
            file.path,
            file.sha256,
            self._repository.upload_url,
            self._credentials,
            self._ctx,
            retries=options.retries,
            retry_delay=options.retry_delay,
            timeout=options.timeout,
            confirm=self._confirm,
            uploaders=self._uploaders,
            attested=self._attested.get(file.filename),
        )

    def close(self) -> None:
        self._uploaders.close()
