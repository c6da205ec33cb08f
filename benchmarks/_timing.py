"""Interleaved timing (A B A B ...) so that drift of the machine touches every side alike."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class Skip(Exception):
    """A figure that cannot run here (a missing tool, no server): printed as ``NAME skipped (reason)``."""


@dataclass
class Case:
    """One side of a comparison: ``prepare`` (untimed) then ``measure`` (timed).

    A ``measure`` that returns a float reports its own figure (seconds), which replaces the wall time.
    """

    measure: Callable[[], object]
    prepare: Callable[[], object] | None = None
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def interleaved(cases: dict[str, Case], runs: int, warmup: int = 1) -> dict[str, Case]:
    """Run every case ``warmup`` times untimed, then ``runs`` rounds of every case in turn."""
    for round_ in range(warmup + runs):
        for case in cases.values():
            if case.prepare is not None:
                case.prepare()
            start = time.perf_counter()
            value = case.measure()
            elapsed = time.perf_counter() - start
            if isinstance(value, float):
                elapsed = value
            if round_ >= warmup:
                case.times.append(elapsed)
    return cases


def run(cmd: list[str], cwd: Path | str | None = None, env: dict[str, str] | None = None,
        timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


PYCACHE = Path(__file__).resolve().parent / ".work" / "pycache"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment every measured command gets: nothing from the caller that changes a version or an upload.

    Bytecode is cached for every module alike (in ``.work/pycache``, written by the warm-up run), as
    after a ``pip install``: with ``PYTHONDONTWRITEBYTECODE`` set, an editable checkout's modules would
    be compiled from source on every run while the other side's came precompiled from site-packages.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MANTA_RELEASE_", "SETUPTOOLS_SCM_", "HATCH_", "PIP_", "TWINE_", "GIT_", "VIRTUAL_ENV"))
        and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPATH", "PYTHONHOME")
    }
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C", NO_COLOR="1", TERM="dumb")
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.update(extra)
    return env


def fmt(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f}ms"
    return f"{seconds:.2f}s"


def figure(name: str, ours: float, theirs: float, *extra: str) -> str:
    ratio = ours / theirs if theirs else float("inf")
    tail = (" " + " ".join(extra)) if extra else ""
    return f"{name} ours={fmt(ours)} theirs={fmt(theirs)} ratio={ratio:.2f}{tail}"
