"""The publishing figures across a simulated network: ``publish-40-wan``, ``republish-40-wan``, ``publish-1-wan``.

The same files and the same local pypiserver as ``publish-40`` (:mod:`_publish`), reached through
the network stand-in (:mod:`_wan`: 60 ms round trip, 40 Mbit/s per connection, 2 round trips to
open a connection, keep-alive as a real index offers it). Side by side in one run, interleaved:

- **ours**: ``manta-release publish`` with the number of parallel uploads it picks for a remote index
  (``default_jobs`` of a non-loopback URL; the stand-in's own URL is on 127.0.0.1, for which it would
  pick the loopback number instead);
- **twine**: ``twine upload`` 7 (for ``republish``: its skip-existing as twine <= 6.0 ran it, see
  :mod:`_publish`);
- **uv**: ``uv publish`` when ``uv`` is installed (``--check-url`` on republish, its way to skip files
  already there).

Each line also prints the floor the proxy implies (:func:`_wan.uploads_floor`, :func:`_wan.query_floor`:
network time only, nothing of any client's or the index's own work) and what each side sent through
it (connections, POSTs, GETs) in its last run.
"""

from __future__ import annotations

import http.client
import os
import queue
import resource
import shutil
import sys
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _publish
import _wan
import _wheels
from _timing import Case, clean_env, figure, fmt, interleaved, run

WAN_NAMES = ("publish-40-wan", "republish-40-wan", "publish-1-wan")


@dataclass
class _Endpoint:
    """What :func:`_publish._project` needs of an index: its upload and simple URLs (here the proxy's)."""

    upload_url: str
    simple_url: str


def _runner(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> Callable[[], None]:
    """A measured side: the command, which must succeed."""

    def go() -> None:
        run(cmd, cwd=cwd, env=env, timeout=600)

    return go


def uv_command() -> list[str] | None:
    """``uv`` next to this interpreter, else on PATH; None when it is not installed."""
    local = Path(sys.executable).parent / "uv"
    if local.exists():
        return [str(local)]
    found = shutil.which("uv")
    return [found] if found else None


def remote_jobs() -> int:
    """The parallel uploads our publisher picks for an index that is not on this machine."""
    from hatch_manta_release.publish.batch import default_jobs

    return int(default_jobs("https://upload.pypi.org/legacy/"))


class WanLab:
    """One index, one proxy and the projects, made once for the three figures of a run."""

    def __init__(self, settings: Any, work: Path, link: _wan.Link) -> None:
        start_index = _publish.index_starter()
        self.settings = settings
        self.work = work / "wan"
        self.files = _wheels.ensure_dist(
            work / f"dist-{'-'.join(settings.pythons)}-{settings.wheel_size}", settings.pythons, settings.wheel_size
        )
        shutil.rmtree(self.work / "indexes", ignore_errors=True)
        self.index = start_index(self.work / "indexes", "bench")
        try:
            self.proxy = _wan.WanProxy(self.index.port, link, max_seconds=1800).start()
        except BaseException:
            self.index.stop()
            raise
        self.endpoint = _Endpoint(self.proxy.url, self.proxy.url + "simple/")
        self.uv = uv_command()
        self.jobs = remote_jobs()

    def close(self) -> None:
        self.proxy.stop()
        self.index.stop()

    # ------------------------------------------------------------------ the sides

    def project(self, name: str, files: list[Path]) -> Path:
        return _publish._project(self.work / name, self.endpoint, files, self.settings.pythons)

    def ours(self, project: Path, *extra: str) -> Callable[[], None]:
        cmd = [*_publish._manta_release(), "--root", str(project), "publish", *extra]
        env = clean_env(**{_publish.TOKEN_ENV: self.index.password})
        return _runner(cmd, env, project)

    def twine(self, files: list[Path], *, skip_existing: bool = False, check: bool = True) -> Callable[[], None]:
        args = ["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", self.proxy.url]
        args += map(str, files)
        if skip_existing:
            cmd = [sys.executable, "-c", _publish.TWINE_SKIP_EXISTING, *args, "--skip-existing"]
        else:
            cmd = [sys.executable, "-m", "twine", *args]
        env = clean_env(TWINE_USERNAME=self.index.username, TWINE_PASSWORD=self.index.password)

        def go() -> None:
            result = run(cmd, env=env, timeout=600, check=check)
            if not check and result.returncode == 0:
                raise RuntimeError("twine upload of files the index holds succeeded: the index does not refuse")

        return go

    def uv_publish(self, files: list[Path], *, check_url: bool = False) -> Callable[[], None] | None:
        if self.uv is None:
            return None
        check = ["--check-url", self.endpoint.simple_url] if check_url else []
        cmd = [*self.uv, "publish", "--publish-url", self.proxy.url, *check, *map(str, files)]
        env = clean_env(UV_PUBLISH_USERNAME=self.index.username, UV_PUBLISH_PASSWORD=self.index.password)
        env.update(UV_NO_PROGRESS="1", UV_OFFLINE="0", UV_CACHE_DIR=str(self.work / "uv-cache"))
        return _runner(cmd, env)

    # ------------------------------------------------------------------ the index's state

    def expect(self, files: list[Path]) -> Callable[[], None]:
        expected = {f.name: _publish._sha256(f) for f in files}

        def check() -> None:
            held = {n: self.index.sha256(n) for n in self.index.files()}
            if held != expected:
                missing = sorted(set(expected) - set(held))
                raise RuntimeError(f"the index does not hold exactly the files published (missing {missing})")

        return check

    def empty(self) -> None:
        for f in self.index.packages.iterdir():
            f.unlink()
        self.proxy.reset_stats()

    def full(self, files: list[Path]) -> Callable[[], None]:
        def fill() -> None:
            present = set(self.index.files())
            for f in files:
                if f.name not in present:
                    shutil.copyfile(f, self.index.packages / f.name)
            self.proxy.reset_stats()

        return fill


def _side(
    lab: WanLab,
    measure: Callable[[], None],
    prepare: Callable[[], None],
    check: Callable[[], None],
    net: dict[str, _wan.Stats],
    key: str,
) -> Case:
    """A case whose run is checked against the index afterwards and whose traffic is kept in ``net`` (last run)."""

    def go() -> None:
        before = _children_cpu()
        measure()
        lab.proxy.stats.client_cpu = _children_cpu() - before
        net[key] = lab.proxy.stats
        check()

    return Case(go, prepare)


def _children_cpu() -> float:
    """CPU seconds of this process's finished children: the client just run (the index is still running)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _line(name: str, cases: dict[str, Case], net: dict[str, _wan.Stats], floors: list[str], what: str) -> str:
    extra = []
    if "uv" in cases:
        extra.append(f"uv={fmt(cases['uv'].median)} uv-ratio={cases['ours'].median / cases['uv'].median:.2f}")
    extra += floors
    for key in ("ours", "theirs", "uv"):
        if key in net:
            extra.append(f"{key}-net=({net[key].summary()})")
    return figure(name, cases["ours"].median, cases["theirs"].median, *extra, what)


def bare_client(lab: WanLab, files: list[Path], jobs: int) -> Callable[[], float]:
    """A client with nothing of its own to do: what the stand-in and this index allow on this machine.

    In this process, before the clock starts: every upload form built in memory, ``jobs`` + 1
    connections opened and their handshakes waited out. Timed: the files in ours' order (the first
    wheel alone, the other wheels over ``jobs`` connections, the sdist last), nothing else. Unlike the
    floors, this counts the index's own work and the stand-in's, on the CPUs the client shares with them.
    """
    parts = urllib.parse.urlsplit(lab.proxy.url)
    auth = _publish.basic_auth(lab.index.username, lab.index.password)
    wheels = [f for f in files if f.name.endswith(".whl")]
    rest = [f for f in files if not f.name.endswith(".whl")]

    def go() -> float:
        forms = {f: _publish.upload_form(f) for f in files}
        conns = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=120) for _ in range(jobs + 1)]
        try:
            for conn in conns:
                conn.connect()
            time.sleep(lab.proxy.link.handshake_rtts * lab.proxy.link.rtt + 0.05)
            todo = queue.SimpleQueue[Path]()
            for f in wheels[1:]:
                todo.put(f)

            def drain(conn: http.client.HTTPConnection) -> None:
                while True:
                    try:
                        f = todo.get_nowait()
                    except queue.Empty:
                        return
                    _publish.post_form(conn, "/", forms[f], auth, f.name)

            started = time.perf_counter()
            _publish.post_form(conns[0], "/", forms[wheels[0]], auth, wheels[0].name)
            with ThreadPoolExecutor(jobs) as pool:
                list(pool.map(drain, conns[1:]))
            for f in rest:
                _publish.post_form(conns[0], "/", forms[f], auth, f.name)
            return time.perf_counter() - started
        finally:
            for conn in conns:
                conn.close()

    return go


def _checked(measure: Callable[[], float], check: Callable[[], None]) -> Callable[[], float]:
    def go() -> float:
        seconds = measure()
        check()
        return seconds

    return go


def bench_publish_wan(lab: WanLab) -> str:
    files, link, jobs = lab.files, lab.proxy.link, lab.jobs
    project = lab.project("publish-project", files)
    check, net = lab.expect(files), dict[str, _wan.Stats]()
    cases = {
        "ours": _side(lab, lab.ours(project, "--jobs", str(jobs)), lab.empty, check, net, "ours"),
        "theirs": _side(lab, lab.twine(files), lab.empty, check, net, "theirs"),
        "bare": Case(_checked(bare_client(lab, files, jobs), check), lab.empty),
    }
    uv = lab.uv_publish(files)
    if uv is not None:
        cases["uv"] = _side(lab, uv, lab.empty, check, net, "uv")
    interleaved(cases, lab.settings.wan_runs)
    sizes = [f.stat().st_size for f in files]
    floor, ours, bare = _wan.uploads_floor(link, sizes, jobs), cases["ours"].median, cases["bare"].median
    floors = [
        f"floor-j{jobs}={fmt(floor)}",
        f"floor-1conn={fmt(_wan.uploads_floor(link, sizes, 1))}",
        f"of-floor={ours / floor:.2f}",
        f"bare-j{jobs}={fmt(bare)}",
        f"bare-of-floor={bare / floor:.2f}",
        f"of-bare={ours / bare:.2f}",
    ]
    wheels = len(files) - 1
    what = (
        f"[{wheels} wheels of {lab.settings.wheel_size // 1024} KiB + sdist through {link.describe()}; "
        f"ours: --jobs {jobs} (its remote default); floors: network time alone; bare: a client with no work "
        "of its own (connections open, forms in memory, ours' order), so with the index's and the stand-in's]"
    )
    return _line("publish-40-wan", cases, net, floors, what)


def bench_republish_wan(lab: WanLab) -> str:
    files, link = lab.files, lab.proxy.link
    project = lab.project("publish-project", files)
    check, net = lab.expect(files), dict[str, _wan.Stats]()
    stamps: dict[str, int] = {}
    fill = lab.full(files)

    def full() -> None:
        fill()
        stamps.clear()
        stamps.update({p.name: p.stat().st_mtime_ns for p in lab.index.packages.iterdir()})

    def untouched() -> None:
        check()
        if {p.name: p.stat().st_mtime_ns for p in lab.index.packages.iterdir()} != stamps:
            raise RuntimeError("republish-40-wan: ours wrote files on the index again")

    cases = {
        "ours": _side(lab, lab.ours(project, "--jobs", str(lab.jobs)), full, untouched, net, "ours"),
        "theirs": _side(lab, lab.twine(files, skip_existing=True), full, check, net, "theirs"),
        "twine-fails": Case(lab.twine(files, check=False), full),
    }
    uv = lab.uv_publish(files, check_url=True)
    if uv is not None:
        cases["uv"] = _side(lab, uv, full, check, net, "uv")
    interleaved(cases, lab.settings.wan_runs)
    page = [e.down_bytes for e in net["ours"].exchanges if e.method == "GET"] or [4096]
    floors = [
        f"floor={fmt(_wan.query_floor(link, max(page)))}",
        f"twine-fails-after={fmt(cases['twine-fails'].median)}",
    ]
    what = (
        f"[all {len(files) - 1} wheels + sdist already there, through the stand-in; theirs: twine --skip-existing "
        "as twine <= 6.0 ran it; uv: --check-url; floor: one index query on a new connection]"
    )
    return _line("republish-40-wan", cases, net, floors, what)


def bench_publish_one_wan(lab: WanLab) -> str:
    one = lab.files[:1]  # one wheel: the fixed cost of a publish
    project = lab.project("publish-1-project", one)
    check, net = lab.expect(one), dict[str, _wan.Stats]()
    cases = {
        "ours": _side(lab, lab.ours(project, "--allow-missing"), lab.empty, check, net, "ours"),
        "theirs": _side(lab, lab.twine(one), lab.empty, check, net, "theirs"),
    }
    uv = lab.uv_publish(one)
    if uv is not None:
        cases["uv"] = _side(lab, uv, lab.empty, check, net, "uv")
    interleaved(cases, lab.settings.wan_runs)
    floor = _wan.uploads_floor(lab.proxy.link, [one[0].stat().st_size], 1)
    what = (
        f"[one wheel of {lab.settings.wheel_size // 1024} KiB; ours: --allow-missing; "
        "floor: one upload on a new connection]"
    )
    return _line("publish-1-wan", cases, net, [f"floor={fmt(floor)}"], what)


def bench_proxy_check(lab: WanLab) -> str:
    """The stand-in itself: a bare upload through it takes what the model predicts (the index's own time added)."""
    f = lab.files[0]
    link = lab.proxy.link
    direct: list[float] = []
    through: list[float] = []
    predicted: list[float] = []
    for _ in range(3):
        for url, times in ((lab.index.upload_url, direct), (lab.proxy.url, through)):
            lab.empty()
            start = time.perf_counter()
            _publish.raw_upload(url, lab.index.username, lab.index.password, [f])
            times.append(time.perf_counter() - start)
        sent = lab.proxy.stats.exchanges[-1]
        network = link.handshake_rtts * link.rtt + _wan.request_time(link, sent.up_bytes, sent.down_bytes)
        predicted.append(network + direct[-1])
    lab.empty()
    med = sorted(range(3), key=lambda i: through[i])[1]
    error = through[med] / predicted[med] - 1
    # Far off the model: the stand-in is broken. Somewhat off: the machine is busy (the proxy's timers and
    # the index wait for a CPU), which a figure must say rather than stop a CI run for.
    if abs(error) > 0.5:
        raise RuntimeError(f"the network stand-in is off its model by {error:+.0%}: fix _wan.py before reading figures")
    busy = " (more than 25% off: the machine is busy, read the -wan figures with care)" if abs(error) > 0.25 else ""
    return (
        f"wan-check measured={fmt(through[med])} predicted={fmt(predicted[med])} error={error:+.1%}{busy} "
        f"direct={fmt(direct[med])} [one bare POST of {f.stat().st_size // 1024} KiB on a new connection through "
        f"{link.describe()}; predicted = {link.handshake_rtts} RTT handshake + 1 RTT + bytes at the cap + the index's "
        "own time measured directly]"
    )


def bench_jobs_wan(lab: WanLab, jobs_list: tuple[int, ...] = (1, 2, 4, 8, 16)) -> list[str]:
    """``publish-40-wan`` of ours at several ``--jobs``: what the number of parallel uploads moves."""
    files, link = lab.files, lab.proxy.link
    project = lab.project("publish-project", files)
    check, net = lab.expect(files), dict[str, _wan.Stats]()
    cases = {
        f"j{j}": _side(lab, lab.ours(project, "--jobs", str(j)), lab.empty, check, net, f"j{j}") for j in jobs_list
    }
    cases |= {f"bare{j}": Case(_checked(bare_client(lab, files, j), check), lab.empty) for j in jobs_list}
    cases["twine"] = _side(lab, lab.twine(files), lab.empty, check, net, "twine")
    interleaved(cases, lab.settings.wan_runs)
    sizes = [f.stat().st_size for f in files]
    twine = cases["twine"].median
    lines = []
    for j in jobs_list:
        t, bare = cases[f"j{j}"].median, cases[f"bare{j}"].median
        floor = _wan.uploads_floor(link, sizes, j)
        lines.append(
            f"publish-40-wan-jobs --jobs {j}: ours={fmt(t)} twine={fmt(twine)} ratio={t / twine:.2f} "
            f"floor-j{j}={fmt(floor)} of-floor={t / floor:.2f} bare-j{j}={fmt(bare)} bare-of-floor={bare / floor:.2f} "
            f"of-bare={t / bare:.2f} net=({net[f'j{j}'].summary()})"
        )
    return lines


def make_lab(settings: Any, work: Path) -> WanLab:
    """The lab with the stand-in's defaults, or those of BENCH_WAN_RTT_MS, BENCH_WAN_MBIT, BENCH_WAN_HANDSHAKE_RTTS."""
    link = _wan.Link(
        rtt=float(os.environ.get("BENCH_WAN_RTT_MS", "60")) / 1000,
        mbit=float(os.environ.get("BENCH_WAN_MBIT", "40")),
        handshake_rtts=int(os.environ.get("BENCH_WAN_HANDSHAKE_RTTS", "2")),
    )
    return WanLab(settings, work, link)


def _phases(stats: _wan.Stats, started: float, ended: float) -> str:
    """Where one run's time went, read from the proxy's timestamps of its requests."""
    ex = sorted(stats.exchanges, key=lambda e: e.received)
    if not ex:
        return f"total={fmt(ended - started)} (no request)"
    gets = [e for e in ex if e.method == "GET"]
    posts = [e for e in ex if e.method == "POST"]
    parts = [f"total={fmt(ended - started)}", f"before-first-request={fmt(min(e.accepted for e in ex) - started)}"]
    if gets:
        parts.append(f"query={fmt(gets[0].answered - gets[0].accepted)}")
    if gets and posts:  # from the request's first bytes: a connection opened ahead was accepted long before
        parts.append(f"query-to-first-post={fmt(posts[0].received - gets[0].answered)}")
    if posts:
        first = posts[0]
        parts.append(f"first-post={fmt(first.answered - first.received)}")
        parallel = [e for e in posts[1:] if e.received < first.answered]
        if not parallel and len(posts) > 1:
            parts.append(f"rest={fmt(posts[-1].answered - first.answered)}")
        parts.append(f"after-last-answer={fmt(ended - max(e.answered for e in ex))}")
        busy = sum(e.answered - e.received for e in posts)
        span = max(e.answered for e in posts) - min(e.accepted for e in posts)
        parts.append(f"mean-uploads-in-flight={busy / span:.1f}")
    return " ".join(parts)


def bench_timeline_wan(lab: WanLab) -> list[str]:
    """One run of each side through the stand-in, its time split by what the proxy saw (after one warm-up)."""
    files = lab.files
    project = lab.project("publish-project", files)
    one_project = lab.project("publish-1-project", files[:1])
    sides = {
        f"publish-40 ours --jobs {lab.jobs}": (lab.ours(project, "--jobs", str(lab.jobs)), lab.empty),
        "publish-40 twine": (lab.twine(files), lab.empty),
        f"republish-40 ours --jobs {lab.jobs}": (lab.ours(project, "--jobs", str(lab.jobs)), lab.full(files)),
        "publish-1 ours": (lab.ours(one_project, "--allow-missing"), lab.empty),
        "publish-1 twine": (lab.twine(files[:1]), lab.empty),
    }
    uv = lab.uv_publish(files[:1])
    if uv is not None:
        sides["publish-1 uv"] = (uv, lab.empty)
    lines = []
    for label, (measure, prepare) in sides.items():
        for _ in range(2):  # a warm-up, then the run read
            prepare()
            cpu = time.process_time()  # this process does nothing else meanwhile: the stand-in's own CPU time
            started = time.monotonic()
            measure()
            ended = time.monotonic()
            cpu = time.process_time() - cpu
        phases = _phases(lab.proxy.stats, started, ended)
        lines.append(f"wan-timeline {label}: {phases} stand-in-cpu={fmt(cpu)}")
    return lines


# ----------------------------------------------------------------------------- prototypes of changes
#
# What a change to the publisher would move, measured before anyone makes it: the real
# ``manta-release publish``, started through a small wrapper that changes one thing at run time
# (hatch_manta_release/publish/ itself is not touched). Each is the least code that shows the
# effect, not the way to write it in the publisher.

_WRAPPER_HEAD = """\
import sys, threading, tomllib
from pathlib import Path
root = Path(sys.argv[sys.argv.index('--root') + 1])
data = tomllib.loads((root / 'pyproject.toml').read_text())
index_url = data['tool']['manta-release']['repositories']['bench']['index-url']
project = data['project']['name']
"""

# The index query started at once, in a thread, while the start-up (plan, reading and hashing dist/,
# the check, importing twine) runs; the publisher's own query then takes its answer.
_PREFETCH = """\
import requests
from requests.adapters import HTTPAdapter
session = requests.Session()
adapter = HTTPAdapter(max_retries=0)
session.mount('http://', adapter)
found = {}
def fetch():
    try:
        found['r'] = session.get(index_url.rstrip('/') + '/' + project + '/', timeout=60,
                                 headers={'Accept': 'text/html', 'Cache-Control': 'no-cache'})
    except BaseException as e:
        found['e'] = e
worker = threading.Thread(target=fetch, daemon=True)
worker.start()
import hatch_manta_release.publish.index as index_mod
import hatch_manta_release.publish.run as run_mod
from hatch_manta_release.publish.http import Response
original = run_mod.existing_files
first = [True]
def existing_files(*args, **kwargs):
    if not first[0]:
        return original(*args, **kwargs)
    first[0] = False
    worker.join()
    if 'e' in found:
        raise found['e']
    r = found['r']
    if r.status_code == 404:
        return {}
    response = Response(r.status_code, r.reason or '', r.url, r.content, {k.lower(): v for k, v in r.headers.items()})
    return index_mod._from_html(response)
run_mod.existing_files = existing_files
"""

# The first upload reuses the query's connection (same host, as on TestPyPI, devpi, pypiserver).
_REUSE = """\
import hatch_manta_release.publish.sessions as upload_mod
original_open = upload_mod.Uploaders._open
opened = [False]
def _open(self, url, timeout, *rest):
    repository = original_open(self, url, timeout, *rest)
    if not opened[0] and threading.current_thread() is threading.main_thread():
        opened[0] = True
        repository.session.mount('http://', adapter)
    return repository
upload_mod.Uploaders._open = _open
"""

_WRAPPER_TAIL = """\
from hatch_manta_release.cli.main import main
sys.argv = ['manta-release', *sys.argv[1:]]
main()
"""

VARIANTS = {
    "prefetch": _WRAPPER_HEAD + _PREFETCH + _WRAPPER_TAIL,
    "prefetch+reuse": _WRAPPER_HEAD + _PREFETCH + _REUSE + _WRAPPER_TAIL,
}


def _variant(lab: WanLab, project: Path, program: str | None, *extra: str) -> Callable[[], None]:
    if program is None:
        return lab.ours(project, *extra)
    cmd = [sys.executable, "-c", program, "--root", str(project), "publish", *extra]
    env = clean_env(**{_publish.TOKEN_ENV: lab.index.password})
    return _runner(cmd, env, project)


def bench_variants_wan(lab: WanLab) -> list[str]:
    """Ours as it is and with prototypes of changes, through the stand-in, beside twine."""
    files = lab.files
    project = lab.project("publish-project", files)
    one = lab.project("publish-1-project", files[:1])
    lines = []
    for name, proj, sel, extra in (
        ("publish-40-wan", project, files, ("--jobs", str(lab.jobs))),
        ("publish-1-wan", one, files[:1], ("--allow-missing",)),
    ):
        check, net = lab.expect(sel), dict[str, _wan.Stats]()
        cases = {"as-is": _side(lab, _variant(lab, proj, None, *extra), lab.empty, check, net, "as-is")}
        for key, program in VARIANTS.items():
            cases[key] = _side(lab, _variant(lab, proj, program, *extra), lab.empty, check, net, key)
        if name == "publish-40-wan":
            j8 = ("--jobs", "8")
            cases["jobs8"] = _side(lab, _variant(lab, proj, None, *j8), lab.empty, check, net, "jobs8")
            program = VARIANTS["prefetch+reuse"]
            cases["jobs8+prefetch+reuse"] = _side(
                lab, _variant(lab, proj, program, *j8), lab.empty, check, net, "jobs8+prefetch+reuse"
            )
        cases["twine"] = _side(lab, lab.twine(sel), lab.empty, check, net, "twine")
        interleaved(cases, lab.settings.wan_runs)
        twine = cases["twine"].median
        for key, case in cases.items():
            if key != "twine":
                lines.append(
                    f"wan-variants {name} {key}: ours={fmt(case.median)} twine={fmt(twine)} "
                    f"ratio={case.median / twine:.2f} net=({net[key].summary()})"
                )
    return lines
