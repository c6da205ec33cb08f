"""Builds through the standard frontend (``python -m build``): the sdist, and the pure-Python wheel.

Isolation: when every ``[build-system] requires`` is already installed next to this interpreter
(the release environment always holds hatchling and this plugin), builds run without isolation:
offline, fast, and with the very plugin that made the plan. Otherwise ``build`` makes its usual
isolated environment from the index.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hatch_manta_release.build.job import Job
from hatch_manta_release.build.steps import require_module
from hatch_manta_release.build.venvs import verify_wheel
from hatch_manta_release.core.project import ProjectInfo


def build_requirements_missing(info: ProjectInfo) -> list[str]:
    """The ``[build-system] requires`` not installed next to this interpreter."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    requires = info.raw.get("build-system", {}).get("requires", ["setuptools"])
    missing = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            missing.append(text)
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            missing.append(text)
            continue
        if req.url is None and req.specifier and not req.specifier.contains(installed, prereleases=True):
            missing.append(f"{text} (installed: {installed})")
    return missing


def build_with_frontend(job: Job, targets: Sequence[str], out: Path, what: str) -> list[Path]:
    """``python -m build`` for ``targets`` ("sdist", "wheel") into ``out``; returns the new files."""
    require_module("build", "build", "to build the sdist and wheels")
    out.mkdir(parents=True, exist_ok=True)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    cmd = [sys.executable, "-m", "build", *(f"--{t}" for t in targets), "--outdir", str(out)]
    missing = build_requirements_missing(job.info)
    if not missing:
        cmd += ["--no-isolation", "--skip-dependency-check"]
    elif not job.isolation_noted:
        job.emit(
            "note",
            f"build requirements not installed here ({', '.join(missing)}): building in an isolated "
            "environment from the package index",
        )
        job.isolation_noted = True
    cmd.append(str(job.root))
    job.run(cmd, what)
    return sorted(p for p in out.iterdir() if p.is_file() and before.get(p.name) != p.stat().st_mtime_ns)


def sdist(job: Job) -> list[Path]:
    made = build_with_frontend(job, ["sdist"], job.dist, "Building the sdist")
    for path in made:
        job.emit("done", f"sdist {path.name}")
    return made


def pure_wheel(job: Job) -> list[Path]:
    """The one ``py3-none-any`` wheel, tested in a fresh venv."""
    with tempfile.TemporaryDirectory(prefix="manta-wheel-") as tmp:
        made = build_with_frontend(job, ["wheel"], Path(tmp), "Building the wheel")
        wheels = [p for p in made if p.name.endswith(".whl")]
        for wheel in wheels:
            if not wheel.name.endswith("-none-any.whl"):
                job.emit(
                    "note",
                    f"{wheel.name} is platform-specific, but the project is configured as pure Python "
                    "(set pure-python = false in [tool.manta-release] to build platform wheels)",
                )
        for wheel in wheels:
            job.emit("done", f"wheel {wheel.name}")
            verify_wheel(wheel, job)
        return [move(w, job.dist) for w in wheels]


def move(path: Path, folder: Path) -> Path:
    """``path`` into ``folder``, replacing a file of the same name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target.unlink()
    shutil.move(str(path), target)
    return target
