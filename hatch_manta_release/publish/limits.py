"""Bounds on what one publish may cost: time per request and per run, bytes per answer, waits.

``--timeout`` bounds one socket read; a server that accepts and never answers, or trickles a byte
every few seconds, is bounded only by a deadline on the whole request (``--request-deadline``) and
one on the whole run (``--run-deadline``; the default fits in the generated publish job's
``timeout-minutes: 30``). Every answer is read up to a size cap (an index page, an error body), and a
``Retry-After`` of a 429/503 is honoured up to :data:`MAX_RETRY_AFTER` seconds.

Process-wide on purpose: the uploads run in worker threads, and one run's budget covers them all.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

MiB = 1024 * 1024
MAX_PAGE_BYTES = 32 * MiB  # a simple-index page (PyPI's largest project pages are a few MiB)
MAX_ERROR_BYTES = 64 * 1024  # the body of an error answer: only its first line is ever shown
MAX_RETRY_AFTER = 60.0  # seconds: a longer Retry-After is cut to this
REQUEST_DEADLINE = 600.0  # seconds for one request, connection to last byte
RUN_DEADLINE = 1500.0  # seconds for the whole publish: 25 of the publish job's 30 minutes
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# seconds a read of the index still gets once the run's deadline has passed: the last query that says
# which files landed (a stopped publish always names them)
READ_GRACE = 15.0


@dataclass(frozen=True)
class Limits:
    request_deadline: float = REQUEST_DEADLINE
    run_deadline: float = RUN_DEADLINE
    retries: int = 3
    retry_delay: float = 1.0


class DeadlineExceeded(TimeoutError):
    """A request or the whole run took longer than its deadline."""


class AnswerTooLarge(ValueError):
    """An answer larger than the cap for its kind."""


class _State:
    """The current run's limits and the monotonic time its budget ends (None: no run started)."""

    limits = Limits()
    run_ends: float | None = None


_lock = threading.Lock()


def start_run(options: Any = None) -> Limits:
    """Begin a run's budget, from a :class:`~.report.PublishOptions` (or anything with the same fields)."""
    limits = Limits(
        request_deadline=float(getattr(options, "request_deadline", REQUEST_DEADLINE)),
        run_deadline=float(getattr(options, "run_deadline", RUN_DEADLINE)),
        retries=int(getattr(options, "retries", 3)),
        retry_delay=float(getattr(options, "retry_delay", 1.0)),
    )
    with _lock:
        _State.limits = limits
        _State.run_ends = time.monotonic() + limits.run_deadline
    return limits


def current() -> Limits:
    return _State.limits


def run_over() -> bool:
    """True once the run's deadline has passed: nothing more is retried."""
    ends = _State.run_ends
    return ends is not None and time.monotonic() >= ends


def budget(grace: float = 0.0) -> float:
    """Seconds the next request may take: its own deadline, cut to what is left of the run's (but at
    least ``grace``, for a read that reports what a stopped run did)."""
    limits, ends = _State.limits, _State.run_ends
    if ends is None:
        return limits.request_deadline
    left = max(ends - time.monotonic(), grace)
    if left <= 0:
        raise DeadlineExceeded(
            f"the publish run passed its deadline of {limits.run_deadline:.0f} s (--run-deadline)"
        )
    return min(limits.request_deadline, left)


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    """``fn()``, or :class:`DeadlineExceeded` after ``seconds``: a request that never completes is abandoned.

    The abandoned call runs on in a daemon thread until its socket times out (``--timeout``); its
    answer, if one ever comes, is dropped.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e

    worker = threading.Thread(target=target, name=f"manta-request {what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlineExceeded(f"{what} got no complete answer within {seconds:.0f} s (--request-deadline)")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def read_capped(read: Callable[[int], bytes], cap: int, what: str, *, truncate: bool = False) -> bytes:
    """Read at most ``cap`` bytes with ``read(n)``; more is :class:`AnswerTooLarge` (or cut, with ``truncate``)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = read(min(256 * 1024, cap + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            if truncate:
                return b"".join(chunks)[:cap]
            raise AnswerTooLarge(f"{what} is larger than {cap // MiB or cap} {'MiB' if cap >= MiB else 'bytes'}")


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date), cut to :data:`MAX_RETRY_AFTER`."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def backoff(attempt: int, delay: float, headers: Mapping[str, str] | None = None) -> float:
    """The wait before attempt ``attempt + 1``: the server's ``Retry-After`` if it gave one, else exponential."""
    asked = retry_after(headers) if headers else None
    return asked if asked is not None else delay * (2 ** (attempt - 1))
