"""twine ``Repository`` objects (one requests session each) for one publish: one per thread, opened ahead.

Every upload thread keeps its own ``Repository`` for all its files, so each thread's files go out on
one kept-alive connection. A new connection to an HTTPS index costs two round trips (TCP, TLS) before
its first byte may leave; :meth:`Uploaders.warm` opens them ahead - the first one while the index
query runs, the parallel ones while the first file uploads - so no upload waits for a handshake
(measured through a 60 ms stand-in: one handshake, 0.12 s, off the first file and off the parallel
phase). The credential is given to a session only when a thread takes it (:meth:`Uploaders.authorize`
comes after the warm-up), and stays in this process: sessions are never handed to a child.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import threading
from typing import TYPE_CHECKING, Any

from hatch_manta_release.publish import limits

if TYPE_CHECKING:
    from twine.repository import Repository

    from hatch_manta_release.publish.upload import Credentials

quiet = threading.local()  # set while an upload runs: twine's "Uploading <file>" line is not printed
_setup_lock = threading.Lock()
CONNECT_TIMEOUT = 30.0  # a warm-up connect that takes longer is left to the upload itself


def _quiet_twine() -> None:
    """Once: twine's ``print("Uploading …")`` stays silent for our uploads, and its log records
    (username, "password: <hidden>", "Retry 1 of 1") reach only handlers the application configured."""
    import logging

    import twine.repository

    with _setup_lock:
        loud = twine.repository.print  # type: ignore[attr-defined]
        if getattr(loud, "manta_quiet", False):
            return

        def print_unless_quiet(*args: Any, **kwargs: Any) -> None:
            if not getattr(quiet, "on", False):
                loud(*args, **kwargs)

        print_unless_quiet.manta_quiet = True  # type: ignore[attr-defined]
        twine.repository.print = print_unless_quiet  # type: ignore[attr-defined]
        logging.getLogger("twine").addHandler(logging.NullHandler())


def _timeout_adapter(timeout: float) -> Any:
    """An adapter that sends with ``timeout`` (twine sends without one), never retries by itself, and
    reads at most :data:`~.limits.MAX_ERROR_BYTES` of the answer (an upload's answer is a short message)."""
    from requests.adapters import HTTPAdapter

    class TimeoutAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                **self.poolmanager.pool_classes_by_scheme,
                "https": _https_pool_class(),
            }

        def send(self, request: Any, stream: bool = False, timeout: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
            response = super().send(request, stream=True, timeout=timeout if timeout is not None else default, **kwargs)
            if not stream:
                body = limits.read_capped(response.raw.read, limits.MAX_ERROR_BYTES, "the answer", truncate=True)
                response._content = body
                response._content_consumed = True
                response.close()
            return response

    default = timeout
    return TimeoutAdapter()  # max_retries=0: one connection per attempt


@functools.cache  # one class for every session's pool
def _https_pool_class() -> Any:
    """urllib3's HTTPS pool, whose idle connections are not taken for closed ones because of TLS 1.3
    session tickets.

    Before reusing an idle connection urllib3 asks whether it has something to read, and takes a yes
    for the server's close. A TLS 1.3 server sends its session tickets after the handshake, so a
    connection opened ahead (:meth:`Uploaders.warm`) always had something to read and was thrown away
    for a new one (seen against a loopback TLS 1.3 server). Here the pending bytes are read: TLS's own
    records only - the connection is alive; the server's close, or data nobody asked for - it is not.
    """
    from urllib3.connection import HTTPSConnection
    from urllib3.connectionpool import HTTPSConnectionPool
    from urllib3.util.wait import wait_for_read

    class TicketAwareConnection(HTTPSConnection):
        @property
        def is_connected(self) -> bool:
            sock = self.sock
            if isinstance(sock, ssl.SSLSocket) and wait_for_read(sock, timeout=0.0):
                return _only_tls_records(sock)
            return bool(super().is_connected)

    class TicketAwarePool(HTTPSConnectionPool):
        ConnectionCls = TicketAwareConnection

    return TicketAwarePool


def _only_tls_records(sock: ssl.SSLSocket) -> bool:
    """Whether what an idle TLS connection has to read is only TLS's own records (it is then alive)."""
    timeout = sock.gettimeout()
    try:
        sock.setblocking(False)
        sock.recv(1)  # session tickets are handled inside; an idle connection expects no data
    except (ssl.SSLWantReadError, BlockingIOError):
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(timeout)
    return False  # the server closed it, or sent what nobody asked for


def _connect(adapter: Any, url: str, timeout: float) -> None:
    """Open one connection of ``adapter`` to ``url`` and leave it in the adapter's pool.

    Best effort: without a proxy, with a requests that can name the pool a request will use
    (``get_connection_with_tls_context``, requests 2.32); any failure is left for the upload itself to
    meet and explain. No request is sent. Only requests is needed, not twine: the connection opens while
    twine is still being imported.
    """
    import requests
    import requests.utils

    with requests.Session() as session:  # the settings twine's session will send with (same pool key)
        session.verify = _ca_file() or True
        settings = session.merge_environment_settings(url, {}, None, None, None)
    pool_for = getattr(adapter, "get_connection_with_tls_context", None)
    if pool_for is None or requests.utils.select_proxy(url, settings["proxies"]):
        return
    request = requests.Request("POST", url).prepare()
    pool = pool_for(request, settings["verify"], settings["proxies"], settings["cert"])
    conn = pool._get_conn()
    try:
        conn.timeout = min(timeout, CONNECT_TIMEOUT)
        conn.connect()
    except Exception:  # the upload will open its own connection, and explain what fails
        conn.close()
    finally:
        pool._put_conn(conn)


def _ca_file() -> str | None:
    """What the standard library's client honours (and the TLS messages advise); REQUESTS_CA_BUNDLE wins."""
    return os.environ.get("SSL_CERT_FILE")


class _Warm:
    """An adapter whose connection is being opened in a thread; ``ready`` is set when that is done."""

    def __init__(self, url: str, timeout: float) -> None:
        self.adapter = _timeout_adapter(timeout)
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, timeout), name="upload-connect", daemon=True)
        self._thread.start()

    def _run(self, url: str, timeout: float) -> None:
        try:
            with contextlib.suppress(Exception):  # best effort: the upload meets the failure itself
                _connect(self.adapter, url, timeout)
        finally:
            self.ready.set()


class Uploaders:
    """twine ``Repository`` objects for one credential: one per thread and upload URL; :meth:`close` closes all."""

    def __init__(self, credentials: Credentials | None = None) -> None:
        self._credentials = credentials
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Repository] = []
        self._warm: dict[tuple[str, float], list[_Warm]] = {}

    def __repr__(self) -> str:
        return f"Uploaders({self._credentials!r}, {len(self._all)} open)"

    def authorize(self, credentials: Credentials | None) -> None:
        """The credential every session gets when a thread takes it (sessions warmed before it have none)."""
        self._credentials = credentials

    def warm(self, url: str, timeout: float, count: int) -> None:
        """Open ``count`` more connections to ``url``, in threads, for the next sessions; returns at once."""
        for _ in range(count):
            warm = _Warm(url, timeout)
            with self._lock:
                self._warm.setdefault((url, timeout), []).append(warm)

    def get(self, url: str, timeout: float) -> Repository:
        """This thread's session for ``url``: its own, else a warmed one (once its connect is done), else a new one."""
        repositories: dict[tuple[str, float], Repository] = self._local.__dict__.setdefault("repositories", {})
        repository = repositories.get((url, timeout))
        if repository is None:
            repository = self._open(url, timeout, self._take_warm(url, timeout))
            self._authorize(repository)
            repositories[url, timeout] = repository
        return repository

    def _take_warm(self, url: str, timeout: float) -> Any:
        """A warmed adapter for ``url`` once its connect is done (None: none left)."""
        with self._lock:
            waiting = self._warm.get((url, timeout))
            warm = waiting.pop(0) if waiting else None
        if warm is None:
            return None
        warm.ready.wait(min(timeout, CONNECT_TIMEOUT))
        return warm.adapter

    def _open(self, url: str, timeout: float, adapter: Any = None) -> Repository:
        from twine.repository import Repository

        _quiet_twine()
        repository = Repository(url, None, None, disable_progress_bar=True)
        session = repository.session
        # twine's session retries at once (connections 5 times, TLS failures up to 10): here each attempt is
        # one connection, and the retries (with backoff) are upload_file's. twine's retries of GETs do not
        # matter: the upload only POSTs.
        adapter = adapter or _timeout_adapter(timeout)
        for scheme in ("http://", "https://"):
            session.mount(scheme, adapter)
        repository.set_certificate_authority(_ca_file())
        with self._lock:
            self._all.append(repository)
        return repository

    def _authorize(self, repository: Repository) -> None:
        """The session's auth, as twine sets it from a username and password (or the Trusted Publishing token)."""
        creds = self._credentials
        if creds is not None and creds.publisher is not None:
            repository.session.auth = creds.publisher.auth()  # a token still valid when each request is sent
        elif creds is not None and (creds.username or creds.password):
            repository.session.auth = (creds.username or "", creds.password or "")
        else:
            repository.session.auth = None

    def close(self) -> None:
        with self._lock:
            repositories, self._all = self._all, []
            unused, self._warm = [w for ws in self._warm.values() for w in ws], {}
        for repository in repositories:
            repository.close()
        for warm in unused:
            warm.adapter.close()
