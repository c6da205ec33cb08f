"""A network stand-in: an HTTP proxy on 127.0.0.1 that makes a local index look like one across the internet.

The local pypiserver answers in a millisecond over loopback, so the publishing figures measured
against it only show CPU time. Real uploads cross a network with a round trip of tens of
milliseconds and a bounded bandwidth per TCP connection. This proxy sits in front of the index and
imposes both, per client connection, on a simple model (``Link``):

- **Connection set-up**: a new client connection is usable ``handshake_rtts`` round trips after it
  was accepted (default 2: the TCP handshake and a TLS 1.3 handshake, as to an HTTPS index). The
  client's first request cannot leave before then.
- **Each request**: its bytes leave at ``mbit`` Mbit/s (the per-connection cap, one FIFO link per
  direction per connection) and arrive half a round trip after they left; the index then handles
  it for real (its own time on this machine's CPUs), and the answer comes back the same way.
- **Connection reuse, as a real index offers it**: the proxy speaks HTTP/1.1 keep-alive to the
  client even though pypiserver's wsgiref server closes every connection (HTTP/1.0): each request
  goes to the index on a fresh loopback connection (free), while the client's connection, and the
  handshake it paid for, stays open until the client closes it. So a client that reuses its
  connections gains what it would gain against PyPI.

Not modelled: TCP slow start (a fresh connection ramps up over several round trips on a real
network, so reuse is worth *more* there than here), loss, a shared cap across connections (the
runner's total uplink; ``total_mbit`` can add one), DNS, and request pipelining (no client here
pipelines). Chunked request bodies are de-chunked and forwarded with a ``Content-Length``, as a
front end would (the wsgiref server reads only ``Content-Length`` bodies).

Bounded: it listens on 127.0.0.1 only, every read and every upstream exchange has a timeout, idle
client connections are closed after ``idle_timeout`` and the proxy stops by itself after
``max_seconds`` even if nobody stops it.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

MAX_HEAD = 64 * 1024
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Link:
    """The network the proxy imposes: round trip (s), per-connection bandwidth (Mbit/s), handshake round trips."""

    rtt: float = 0.060
    mbit: float = 40.0
    handshake_rtts: int = 2
    total_mbit: float | None = None  # a cap shared by all connections (None: none)

    @property
    def bytes_per_second(self) -> float:
        return self.mbit * 1e6 / 8

    def transfer(self, nbytes: int) -> float:
        """Seconds for ``nbytes`` to leave one connection at the cap (without the propagation delay)."""
        return nbytes / self.bytes_per_second

    def describe(self) -> str:
        total = f", {self.total_mbit:g} Mbit/s in total" if self.total_mbit else ""
        return (
            f"{self.rtt * 1000:g} ms RTT, {self.mbit:g} Mbit/s per connection{total}, "
            f"{self.handshake_rtts} RTT per new connection"
        )


@dataclass
class Exchange:
    """One request through the proxy, for the figures' accounting."""

    connection: int
    method: str
    path: str
    status: int
    up_bytes: int
    down_bytes: int
    first_on_connection: bool
    accepted: float = 0.0  # time.monotonic() of the connection's accept, the request's first bytes, the answer
    received: float = 0.0
    answered: float = 0.0


@dataclass
class Stats:
    connections: int = 0
    exchanges: list[Exchange] = field(default_factory=list)
    client_cpu: float | None = None  # CPU seconds (user + system) of the client's process, set by the figure

    def summary(self) -> str:
        posts = sum(1 for e in self.exchanges if e.method == "POST")
        gets = sum(1 for e in self.exchanges if e.method == "GET")
        cpu = "" if self.client_cpu is None else f", client CPU {self.client_cpu:.2f}s"
        return f"{self.connections} conn, {posts} POST, {gets} GET{cpu}"


class _Shared:
    """The optional cap shared by every connection: one more FIFO per direction (whole messages, in turn)."""

    def __init__(self, link: Link) -> None:
        self.rate = link.total_mbit * 1e6 / 8 if link.total_mbit else None
        self.free = {"up": 0.0, "down": 0.0}

    def depart(self, direction: str, start: float, nbytes: int) -> float:
        """When a message ready at ``start`` may begin to leave; it then holds the shared link for its bytes."""
        if self.rate is None:
            return start
        begin = max(start, self.free[direction])
        self.free[direction] = begin + nbytes / self.rate
        return begin


class WanProxy:
    """``WanProxy(upstream_port, Link()).start()``; ``url`` is the proxy; ``stop()`` (or ``max_seconds``) ends it."""

    def __init__(
        self,
        upstream_port: int,
        link: Link | None = None,
        *,
        max_seconds: float = 1800.0,
        idle_timeout: float = 60.0,
        upstream_timeout: float = 120.0,
    ) -> None:
        self.upstream_port = upstream_port
        self.link = link or Link()
        self.max_seconds = max_seconds
        self.idle_timeout = idle_timeout
        self.upstream_timeout = upstream_timeout
        self.stats = Stats()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._shared = _Shared(self.link)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def reset_stats(self) -> Stats:
        old, self.stats = self.stats, Stats()
        return old

    # ------------------------------------------------------------------ life cycle

    def start(self) -> WanProxy:
        self._thread = threading.Thread(target=self._run, name="wan-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"the network stand-in did not start: {self._error}")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and not self._stopped.is_set():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> WanProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            server = loop.run_until_complete(asyncio.start_server(self._client, LOOPBACK, 0, limit=MAX_HEAD))
            self.port = server.sockets[0].getsockname()[1]
            loop.call_later(self.max_seconds, loop.stop)  # stops by itself, whatever happens to the caller
            self._ready.set()
            loop.run_forever()
            server.close()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        except BaseException as e:  # reported to start()
            self._error = e
            self._ready.set()
        finally:
            self._stopped.set()
            loop.close()

    # ------------------------------------------------------------------ one client connection

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        link = self.link
        self.stats.connections += 1
        conn = self.stats.connections
        accepted = loop.time()  # the event loop's clock is time.monotonic()
        ready = accepted + link.handshake_rtts * link.rtt  # handshakes done: the first byte may leave
        free = {"up": ready, "down": 0.0}  # when each direction of this connection's link is free again
        first = True
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
                except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
                    return
                started = loop.time()
                method, path, version, headers = _parse_head(head)
                body = await asyncio.wait_for(_read_body(reader, headers), self.upstream_timeout)
                request = _forward_head(method, path, headers, len(body)) + body
                arrival = self._schedule(free, "up", started, len(request))
                await _sleep_until(loop, arrival)
                response, status = await self._exchange(request)
                close = _wants_close(version, headers)
                response = _client_response(response, method, close)
                await _sleep_until(loop, self._schedule(free, "down", loop.time(), len(response)))
                self.stats.exchanges.append(
                    Exchange(
                        conn, method, path, status, len(request), len(response), first, accepted, started, loop.time()
                    )
                )
                writer.write(response)
                await writer.drain()
                first = False
                if close:
                    return
        except (ConnectionError, asyncio.TimeoutError, ValueError):
            return
        finally:
            writer.close()

    def _schedule(self, free: dict[str, float], direction: str, start: float, nbytes: int) -> float:
        """When ``nbytes`` that the sender started writing at ``start`` have all reached the other end."""
        begin = self._shared.depart(direction, max(start, free[direction]), nbytes)
        rate = self.link.bytes_per_second
        if self._shared.rate is not None:
            rate = min(rate, self._shared.rate)
        free[direction] = begin + nbytes / rate
        return free[direction] + self.link.rtt / 2

    async def _exchange(self, request: bytes) -> tuple[bytes, int]:
        """The request to the index on a fresh loopback connection; its whole answer (it closes after it)."""
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(LOOPBACK, self.upstream_port, limit=MAX_HEAD), self.upstream_timeout
        )
        try:
            up_writer.write(request)
            await up_writer.drain()
            response = await asyncio.wait_for(up_reader.read(), self.upstream_timeout)
        finally:
            up_writer.close()
        status_line = response.split(b"\r\n", 1)[0].split()
        status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
        return response, status


async def _sleep_until(loop: asyncio.AbstractEventLoop, when: float) -> None:
    delay = when - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


def _parse_head(head: bytes) -> tuple[str, str, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise ValueError(f"not an HTTP request line: {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return parts[0], parts[1], parts[2], headers


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _wants_close(version: str, headers: list[tuple[str, str]]) -> bool:
    connection = (_header(headers, "connection") or "").lower()
    return "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> bytes:
    if "chunked" in (_header(headers, "transfer-encoding") or "").lower():
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(_header(headers, "content-length") or 0)
    return await reader.readexactly(length) if length else b""


_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te", "upgrade"}


def _forward_head(method: str, path: str, headers: list[tuple[str, str]], length: int) -> bytes:
    kept = [(k, v) for k, v in headers if k.lower() not in _HOP]
    if length or method in ("POST", "PUT"):
        kept.append(("Content-Length", str(length)))
    kept.append(("Connection", "close"))
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in kept]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _client_response(response: bytes, method: str, close: bool) -> bytes:
    """The index's HTTP/1.0 answer (closed after it) as an HTTP/1.1 keep-alive answer with a Content-Length."""
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("the index closed the connection without a complete answer")
    lines = head.decode("latin-1").split("\r\n")
    _, _, rest = lines[0].partition(" ")
    headers = []
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = value.strip()
        if name.strip().lower() not in _HOP:
            headers.append(line)
    if method != "HEAD" or length is None:
        length = str(len(body))
    headers += [f"Content-Length: {length}", "Connection: " + ("close" if close else "keep-alive")]
    return ("\r\n".join([f"HTTP/1.1 {rest}", *headers]) + "\r\n\r\n").encode("latin-1") + body


# ----------------------------------------------------------------------------- what the proxy implies

# Bytes an upload sends besides the file (request line, headers, the multipart form's metadata fields)
# and what an answer takes: measured through the proxy (twine and ours send 1.3-1.6 KiB of form and
# headers; the answers are a few hundred bytes). Small against a 1 MiB wheel either way.
REQUEST_OVERHEAD = 1536
RESPONSE_BYTES = 256


def request_time(link: Link, up_bytes: int, down_bytes: int = RESPONSE_BYTES) -> float:
    """One request on an open connection: the bytes out at the cap, a round trip, the answer back at the cap."""
    return link.rtt + link.transfer(up_bytes) + link.transfer(down_bytes)


def uploads_floor(link: Link, sizes: list[int], connections: int) -> float:
    """The least time the proxy allows for uploading files of ``sizes`` bytes over ``connections`` connections.

    Every connection pays its handshake once, in parallel; then each carries its share of the files
    one after the other (longest first onto the least loaded connection, which is optimal here: the
    files are of near-equal size). Nothing of the client's or the index's own time is counted.
    """
    loads = [0.0] * max(1, min(connections, len(sizes)))
    for size in sorted(sizes, reverse=True):
        i = loads.index(min(loads))
        loads[i] += request_time(link, size + REQUEST_OVERHEAD)
    return link.handshake_rtts * link.rtt + max(loads)


def query_floor(link: Link, page_bytes: int) -> float:
    """One simple-index query on a new connection: the handshake, a round trip, the page at the cap."""
    return link.handshake_rtts * link.rtt + request_time(link, 512, page_bytes)
