#!/usr/bin/env python
"""Benchmarks of hatch-manta-release against the tools it replaces; see benchmarks/README.md.

    python benchmarks/run.py            # the full run (a few minutes)
    python benchmarks/run.py --quick    # a smoke run (under a minute): smaller repository, fewer runs
    python benchmarks/run.py --only version-source --only plan

One line per figure: ``NAME ours=… theirs=… ratio=…`` (ratio = ours/theirs, medians of interleaved
runs), or ``NAME skipped (reason)`` when a part cannot run here. A failure of our own code (a wrong
version, a failed publish) is an error: the run stops with a traceback and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
WORK = HERE / ".work"
for _path in (str(HERE), str(REPO_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import _envs  # noqa: E402
import _publish  # noqa: E402
import _publish_wan  # noqa: E402
import _repo  # noqa: E402
from _timing import Case, Skip, clean_env, figure, fmt, interleaved, run  # noqa: E402


@dataclass(frozen=True)
class Settings:
    quick: bool
    commits: int
    tags: int
    runs: int  # rounds for the fast figures (version source, imports, plan)
    publish_runs: int
    pythons: tuple[str, ...]  # wheels: 8 platforms x these CPythons
    wheel_size: int  # bytes of random payload per wheel
    wan_runs: int = 3  # rounds for the figures through the network stand-in


FULL = Settings(
    quick=False, commits=5000, tags=500, runs=21, publish_runs=5,
    pythons=("3.9", "3.10", "3.11", "3.12", "3.13"), wheel_size=1 << 20, wan_runs=3,
)
QUICK = Settings(
    quick=True, commits=500, tags=50, runs=5, publish_runs=1, pythons=("3.13",), wheel_size=1 << 18, wan_runs=1,
)

ADOPTION = """\
[tool.manta-release]
platforms = ["linux-x86_64", "macos-x86_64", "macos-arm64", "windows-amd64"]
python = ">=3.9"
test-command = "python -c 'import benchpkg'"
"""


def pyproject(version_lines: str, extra: str = "") -> str:
    return f"""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "benchpkg"
requires-python = ">=3.9"
{version_lines}
{extra}"""


OURS_PYPROJECT = pyproject('dynamic = ["version"]\n\n[tool.hatch.version]\nsource = "manta-release"\n', ADOPTION)
THEIRS_PYPROJECT = pyproject('dynamic = ["version"]\n\n[tool.hatch.version]\nsource = "vcs"\n')
FLOOR_PYPROJECT = pyproject('version = "1.2.3"\n')
NULL_PYPROJECT = pyproject('dynamic = ["version"]\n\n[tool.hatch.version]\nsource = "bench-null"\n')


# ----------------------------------------------------------------------------- shared setup


class Lab:
    """What several figures share, made once: the repository and the three build environments."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._repo: _repo.Repo | None = None
        self._envs: dict[str, Path] = {}
        self._wan: _publish_wan.WanLab | None = None

    def wan(self) -> _publish_wan.WanLab:
        """The index behind the network stand-in, shared by the figures through it (closed by :meth:`close`)."""
        if self._wan is None:
            self._wan = _publish_wan.make_lab(self.settings, WORK)
        return self._wan

    def close(self) -> None:
        if self._wan is not None:
            self._wan.close()
            self._wan = None

    @property
    def repo(self) -> _repo.Repo:
        if self._repo is None:
            if shutil.which("git") is None:
                raise Skip("git is not installed")
            self._repo = _repo.ensure_repo(WORK, self.settings.commits, self.settings.tags, past=30)
        return self._repo

    def env(self, side: str) -> Path:
        """The python of an isolated build environment: ``ours``, ``theirs`` (hatch-vcs), ``floor``
        (hatchling alone) or ``null`` (hatchling and a third-party version source that returns a constant)."""
        if side not in self._envs:
            roots = {
                "ours": ["hatchling", "hatch-manta-release"],
                "theirs": ["hatchling", "hatch-vcs"],
                "floor": ["hatchling"],
                "null": ["hatchling"],
            }[side]
            files = _envs.NULL_PLUGIN if side == "null" else None
            try:
                self._envs[side] = _envs.ensure_env(WORK, side, roots, files)
            except RuntimeError as e:
                raise Skip(str(e)) from None
        return self._envs[side]

    def write_pyproject(self, text: str) -> Callable[[], None]:
        path = self.repo.path / "pyproject.toml"

        def write() -> None:
            path.write_text(text)

        return write


def hatchling_version(python: Path, cwd: Path, **env: str) -> str:
    return run([str(python), "-m", "hatchling", "version"], cwd=cwd, env=clean_env(**env)).stdout.strip()


# ----------------------------------------------------------------------------- version source


def bench_version_source(lab: Lab) -> list[str]:
    repo = lab.repo
    ours_py, theirs_py, floor_py, null_py = lab.env("ours"), lab.env("theirs"), lab.env("floor"), lab.env("null")
    cwd = repo.path
    outputs: dict[str, str] = {}

    def measure(side: str, python: Path) -> Callable[[], None]:
        def go() -> None:
            outputs[side] = hatchling_version(python, cwd)

        return go

    # Our version source is the one measured: it answers a sentinel from its own environment variable,
    # and its version of HEAD is exactly the expected one.
    lab.write_pyproject(OURS_PYPROJECT)()
    sentinel = hatchling_version(ours_py, cwd, MANTA_RELEASE_VERSION="9.8.7")
    if sentinel != "9.8.7":
        raise RuntimeError(f"`hatchling version` in the ours environment did not use manta-release: {sentinel!r}")

    cases = {
        "ours": Case(measure("ours", ours_py), lab.write_pyproject(OURS_PYPROJECT)),
        "theirs": Case(measure("theirs", theirs_py), lab.write_pyproject(THEIRS_PYPROJECT)),
        "floor": Case(measure("floor", floor_py), lab.write_pyproject(FLOOR_PYPROJECT)),
        "null": Case(measure("null", null_py), lab.write_pyproject(NULL_PYPROJECT)),
    }
    interleaved(cases, lab.settings.runs)
    expected = repo.expected_dev_version()
    if outputs["ours"] != expected:
        raise RuntimeError(f"manta-release gave {outputs['ours']!r} for HEAD, expected {expected!r}")
    public = expected.split("+")[0] + "+g"
    if not outputs["theirs"].startswith(public):
        raise RuntimeError(f"hatch-vcs gave {outputs['theirs']!r}, expected {public}<sha>")
    if outputs["floor"] != "1.2.3" or outputs["null"] != "1.2.3":
        raise RuntimeError(f"the floors gave {outputs['floor']!r} and {outputs['null']!r}, expected 1.2.3")
    ours, theirs, floor, null = (cases[k].median for k in ("ours", "theirs", "floor", "null"))
    # What each version source adds on top of what any third-party version source costs in hatchling.
    added = (ours - null) / (theirs - null) if theirs > null else float("inf")
    return [
        figure(
            "version-source",
            ours,
            theirs,
            f"floor={fmt(floor)}",
            f"plugin-floor={fmt(null)}",
            f"added-ratio={added:.2f}",
            f"[{repo.commits} commits, {repo.tags} tags, HEAD {repo.past} past {repo.last_tag}:",
            f"ours {outputs['ours']}, theirs {outputs['theirs']}]",
        )
    ]


# ----------------------------------------------------------------------------- imports

# What hatchling has imported by the time it asks a version source for the version: the marginal
# import cost of a version source is what it imports on top of this.
PRELOAD = (
    "import importlib.metadata, hatchling.cli, hatchling.metadata.core, hatchling.plugin.manager, "
    "hatchling.version.source.plugin.interface"
)
MARK = "@@bench-mark@@"


def import_program(module: str, cls: str, call: bool) -> str:
    body = f"from {module} import {cls}\n"
    if call:
        # The version sources import their real machinery lazily, when asked for the version.
        body += f"print({cls}('.', {{}}).get_version_data()['version'])\n"
    return f"{PRELOAD}\nimport sys\nsys.stderr.write('{MARK}\\n')\nsys.stderr.flush()\n{body}"


def imported_after_mark(stderr: str) -> float:
    """Seconds of import time (the ``self`` column summed) of the modules imported after the mark."""
    _, _, after = stderr.partition(MARK)
    total_us = 0
    for line in after.splitlines():
        if line.startswith("import time:") and "|" in line:
            first = line.split(":", 1)[1].split("|")[0].strip()
            if first.isdigit():
                total_us += int(first)
    return total_us / 1e6


def bench_imports(lab: Lab) -> list[str]:
    repo = lab.repo
    sides = {
        "ours": (
            lab.env("ours"), "hatch_manta_release.plugin.version_source", "MantaReleaseVersionSource", OURS_PYPROJECT
        ),
        "theirs": (lab.env("theirs"), "hatch_vcs.version_source", "VCSVersionSource", THEIRS_PYPROJECT),
    }
    cases: dict[str, Case] = {}
    for call in (False, True):
        for side, (python, module, cls, text) in sides.items():
            key = f"{side}-{'version' if call else 'module'}"
            cmd = [str(python), "-X", "importtime", "-c", import_program(module, cls, call)]

            def go(cmd: list[str] = cmd) -> float:  # the figure is the import time, not the wall time
                return imported_after_mark(run(cmd, cwd=repo.path, env=clean_env()).stderr)

            cases[key] = Case(go, lab.write_pyproject(text))
    interleaved(cases, lab.settings.runs)
    return [
        figure(
            "version-source-import",
            cases["ours-version"].median,
            cases["theirs-version"].median,
            f"module-only: ours={fmt(cases['ours-module'].median)} theirs={fmt(cases['theirs-module'].median)}",
            "[-X importtime, self times summed over what the version source imports, on top of hatchling]",
        )
    ]


# ----------------------------------------------------------------------------- plan


def manta_release_cmd() -> list[str]:
    script = Path(sys.executable).parent / "manta-release"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "hatch_manta_release"]


def bench_plan(lab: Lab) -> list[str]:
    repo = lab.repo
    theirs_py = lab.env("theirs")
    cmd = [*manta_release_cmd(), "plan", "--json"]
    lab.write_pyproject(OURS_PYPROJECT)()
    probe = run(cmd, cwd=repo.path, env=clean_env(), check=False)
    if probe.returncode != 0 and "No such command" in probe.stderr + probe.stdout:
        raise Skip("`manta-release plan` does not exist in this version")
    plans: list[dict] = []

    def ours() -> None:
        plans.append(json.loads(run(cmd, cwd=repo.path, env=clean_env()).stdout))

    def theirs() -> None:
        hatchling_version(theirs_py, repo.path)

    cases = {
        "ours": Case(ours, lab.write_pyproject(OURS_PYPROJECT)),
        "theirs": Case(theirs, lab.write_pyproject(THEIRS_PYPROJECT)),
    }
    interleaved(cases, lab.settings.runs)
    expected = repo.expected_dev_version()
    if plans[-1].get("version") != expected:
        raise RuntimeError(f"the plan says version {plans[-1].get('version')!r}, expected {expected!r}")
    return [
        figure(
            "plan",
            cases["ours"].median,
            cases["theirs"].median,
            "[ours: `manta-release plan --json` (config, version, route, artifacts);",
            "theirs: hatch-vcs `python -m hatchling version` alone]",
        )
    ]


# ----------------------------------------------------------------------------- main


def machine() -> str:
    """Date, CPUs, CPU model, Python, git and the versions compared (for docs/performance.md)."""
    import datetime
    import importlib.metadata as md
    import platform

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for dist in ("hatchling", "hatch-vcs", "setuptools-scm", "twine", "pypiserver"):
        try:
            versions.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    git = run(["git", "--version"], check=False).stdout.strip() if shutil.which("git") else "no git"
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = f"load {os.getloadavg()[0]:.2f}; " if hasattr(os, "getloadavg") else ""
    return (
        f"# {when}; {os.cpu_count()} CPUs ({model}); {load}Python {platform.python_version()}; {git}; "
        + ", ".join(versions)
    )


FIGURES: dict[str, Callable[[Lab], list[str]]] = {
    "version-source": bench_version_source,
    "version-source-import": bench_imports,
    "publish-40": lambda lab: _publish.bench_publish(lab.settings, WORK, republish=False),
    "republish-40": lambda lab: _publish.bench_publish(lab.settings, WORK, republish=True),
    "plan": bench_plan,
    "wan-check": lambda lab: [_publish_wan.bench_proxy_check(lab.wan())],
    "publish-40-wan": lambda lab: [_publish_wan.bench_publish_wan(lab.wan())],
    "republish-40-wan": lambda lab: [_publish_wan.bench_republish_wan(lab.wan())],
    "publish-1-wan": lambda lab: [_publish_wan.bench_publish_one_wan(lab.wan())],
    # on request only (--only): ours at --jobs 1, 2, 4, 8, 16 through the stand-in, with twine (a few minutes)
    "publish-40-wan-jobs": lambda lab: _publish_wan.bench_jobs_wan(lab.wan()),
    # on request only: where one run of each side spends its time, read from the stand-in's timestamps
    "wan-timeline": lambda lab: _publish_wan.bench_timeline_wan(lab.wan()),
    # on request only: ours with prototypes of changes to the publisher (applied at run time, from outside)
    "wan-variants": lambda lab: _publish_wan.bench_variants_wan(lab.wan()),
}
ON_REQUEST = ("publish-40-wan-jobs", "wan-timeline", "wan-variants")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run under a minute (smaller, fewer runs)")
    parser.add_argument("--only", action="append", choices=list(FIGURES), help="run only this figure (repeatable)")
    parser.add_argument("--runs", type=int, help="rounds for the fast figures (default: 21, quick: 5)")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.runs:
        settings = Settings(**{**settings.__dict__, "runs": args.runs})
    WORK.mkdir(parents=True, exist_ok=True)
    # A run stopped with SIGTERM (a CI timeout, `kill`) still stops the index servers it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    lab = Lab(settings)
    print(machine(), file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        for name in args.only or [n for n in FIGURES if n not in ON_REQUEST]:
            began = time.perf_counter()
            try:
                lines = FIGURES[name](lab)
            except Skip as e:
                lines = [f"{name} skipped ({e})"]
            for line in lines:
                print(line, flush=True)
            print(f"# {name}: {time.perf_counter() - began:.1f}s", file=sys.stderr, flush=True)
    finally:
        lab.close()
    load = f" (load {os.getloadavg()[0]:.2f} at the end)" if hasattr(os, "getloadavg") else ""
    print(f"# {'quick' if settings.quick else 'full'} run: {time.perf_counter() - start:.1f}s{load}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
