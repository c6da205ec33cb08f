"""Sending the files ``decide`` chose, in its :class:`~.decide.UploadOrder`: a first file alone, the wheels in
parallel, then the sdist; the first failure stops new uploads, so a re-run finishes the release. How one
file is sent is the caller's ``send``."""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hatch_manta_release.dist.artifacts import Artifact
    from hatch_manta_release.publish.decide import UploadOrder
    from hatch_manta_release.publish.report import FileOutcome, Messages
    from hatch_manta_release.publish.upload import UploadResult

Send = Callable[["Artifact"], "UploadResult"]


def default_jobs(upload_url: str) -> int:
    """Parallel uploads: 8 to a remote index (uploads wait on the network; measured through a 60 ms,
    40 Mbit/s-per-connection stand-in: 40 wheels took 0.37 of twine's time at 4, 0.28 at 8); on a loopback index, which
    parses uploads on this machine's own CPUs, about half as many as there are CPUs (measured: 2 is fastest on 2
    cores against pypiserver, 4 is slower than 1). A folder index is written one file at a time."""
    parts = urllib.parse.urlsplit(upload_url)
    if parts.scheme == "file":
        return 1
    host = (parts.hostname or "").lower()
    if host in ("localhost", "::1") or host.startswith("127."):
        return max(1, min(4, (os.cpu_count() or 2) // 2 + 1))
    return 8


class Batch:
    """One publish's uploads: fills in each file's outcome, reports ``[n/total]`` progress."""

    def __init__(self, outcomes: Sequence[FileOutcome], send: Send, messages: Messages) -> None:
        self._by_name = {o.file.filename: o for o in outcomes}
        self._send = send
        self._messages = messages
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self, order: UploadOrder, jobs: int, warm: Callable[[int], None] | None = None) -> None:
        """Upload in ``order``: its first file alone, the other wheels with up to ``jobs`` threads, then the
        rest, only if every wheel landed. ``warm(n)`` is told, before the first upload, how many
        connections the parallel part will use (they open while the first file uploads)."""
        self._total = len(order.files)
        jobs = max(1, min(jobs, len(order.parallel) or 1))
        if warm is not None and jobs > 1:
            warm(jobs)
        if order.first is not None:
            self._one(order.first)
        if jobs == 1:
            for f in order.parallel:
                self._one(f)
        elif order.parallel:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="upload") as pool:
                list(pool.map(self._one, order.parallel))
        for f in order.last:  # the sdist last, and only when every wheel landed
            if self.stopped:
                self._by_name[f.filename].note = "not attempted: the sdist goes last, after every wheel"
                continue
            self._one(f)

    def _one(self, f: Artifact) -> None:
        outcome = self._by_name[f.filename]
        if self.stopped:
            outcome.note = "not attempted: an earlier upload failed"
            return
        result = self._send(f)
        outcome.attempts = result.attempts
        with self._lock:
            self._done += 1
            n = self._done
        if result.ok:
            outcome.status, outcome.note = "uploaded", result.note
            note = f" ({result.note})" if result.note else ""
            self._messages.info(f"[{n}/{self._total}] uploaded {f.filename}{note}")
            return
        outcome.status, outcome.failure = "failed", result.failure
        outcome.maybe_landed = result.maybe_landed
        self._stop.set()
        cause = result.failure.cause if result.failure else "failed"
        self._messages.info(f"[{n}/{self._total}] FAILED {f.filename}: {cause.removeprefix(f'{f.filename}: ')}")
