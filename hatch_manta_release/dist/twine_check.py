"""``twine check --strict`` over the files of ``dist/``: what PyPI will render, checked before upload.

twine runs in a child process (its import is heavy, and its output is the only interface it
promises); its per-file statuses are parsed back into findings.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence

from hatch_manta_release.core.findings import Finding
from hatch_manta_release.core.redaction import child_env
from hatch_manta_release.dist.artifacts import Artifact
from hatch_manta_release.dist.description import missing_description

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
Status = tuple[bool | None, list[str]]  # passed (True), failed (False) or not reached (None); twine's messages


def twine_check(artifacts: Sequence[Artifact]) -> list[Finding]:
    """``twine check --strict`` on every file; a finding for each file that fails.

    One twine run checks all files; twine stops at a file it cannot read at all
    (``InvalidDistribution``), so the files after it are checked by another run.
    """
    from importlib.util import find_spec

    if find_spec("twine") is None:
        return [Finding("error", f"twine is not installed in this environment ({sys.executable})",
                        "install the release extra (hatch run release:check does), or: pip install 'twine>=7'")]
    findings: list[Finding] = []
    remaining = list(artifacts)
    while remaining:
        result = _run_twine(remaining)
        if result.returncode == 0:
            break
        output = _ANSI.sub("", result.stdout)
        statuses = _parse_twine(output, remaining)
        failed = [(a, msgs) for a, (ok, msgs) in zip(remaining, statuses, strict=True) if ok is False]
        for artifact, msgs in failed:
            text = "; ".join(msgs) or "twine check failed"
            missing = missing_description(msgs)  # no README: a warning, every index takes it
            findings.append(Finding("warning", *missing, artifact.filename) if missing else Finding(
                "error", f"metadata rejected by twine check --strict: {text}", _twine_hint(text), artifact.filename))
        unchecked = [a for a, (ok, _) in zip(remaining, statuses, strict=True) if ok is None]
        if not failed or len(unchecked) == len(remaining):
            tail = " ".join(output.split())[-400:]
            findings.append(Finding("error", f"twine check --strict failed: {tail}"))
            break
        remaining = unchecked
    return findings


def _run_twine(artifacts: Sequence[Artifact]) -> subprocess.CompletedProcess[str]:
    # One stream, unbuffered: twine prints statuses on stdout and the warnings through logging on stderr.
    # TERM=dumb would make rich wrap at 80 columns, cutting long paths.
    env = child_env()  # no token variable reaches twine
    env.update(NO_COLOR="1", TERM="xterm", COLUMNS="4000", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    env.pop("FORCE_COLOR", None)
    cmd = [sys.executable, "-m", "twine", "--no-color", "check", "--strict", *(str(a.path) for a in artifacts)]
    return subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False, timeout=300
    )


def _parse_twine(output: str, artifacts: Sequence[Artifact]) -> list[Status]:
    """For each artifact: passed (True), failed (False) or not reached (None), with twine's messages."""
    by_path = {str(a.path): i for i, a in enumerate(artifacts)}
    states: list[Status] = [(None, []) for _ in artifacts]
    current: int | None = None
    for raw in output.splitlines():
        line = raw.strip()
        if line.startswith("Checking "):
            rest = line[len("Checking ") :]
            current = next((i for path, i in by_path.items() if rest.startswith(path + ":")), None)
            if current is not None:
                status = rest[len(str(artifacts[current].path)) + 1 :].strip()
                states[current], current = _file_status(status, str(artifacts[current].path), current)
            continue
        if current is None or states[current][0] is not False:
            continue
        messages = states[current][1]
        if line.startswith(("WARNING", "ERROR")):
            messages.append(line.split(None, 1)[1].strip() if " " in line else line)
        elif line and messages:
            messages[-1] += " " + line
    return states


def _file_status(status: str, path: str, index: int) -> tuple[Status, int | None]:
    """A ``Checking <path>: STATUS`` line; the index stays current while twine's messages for it follow."""
    if status.startswith("PASSED"):
        return (True, []), index
    if status.startswith("FAILED"):
        return (False, []), index
    if status.startswith("ERROR"):  # twine could not read the file and stopped
        message = status[len("ERROR") :].strip()
        return (False, [message.replace(f": {path}", "")]), None
    return (None, []), index


def _twine_hint(text: str) -> str | None:
    if "long_description" in text:
        return 'set readme = "README.md" in [project] (PyPI shows it as the project description)'
    return None
