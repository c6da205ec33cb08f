"""Testing a built wheel as users get it: that very file installed into a fresh venv, the
``test-command`` run there from an empty folder, so the import is the installed wheel and not the
source tree. A failing install or test fails the build: there is no ``|| echo`` here."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hatch_manta_release.build.job import Job
from hatch_manta_release.build.steps import BuildError, Event
from hatch_manta_release.core.platforms import HOST_OS
from hatch_manta_release.core.redaction import child_env
from hatch_manta_release.core.version import VERSION_ENV


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def make_venv(venv: Path) -> Path:
    """A fresh virtual environment with pip; virtualenv when present (fast), else venv."""
    from importlib.util import find_spec

    if find_spec("virtualenv") is not None:
        cmd = [sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update", str(venv)]
    else:
        cmd = [sys.executable, "-m", "venv", str(venv)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, env=child_env())
    if result.returncode != 0:
        raise BuildError(f"could not create a virtual environment for testing: {result.stderr.strip()[-400:]}")
    return venv_python(venv)


def venv_env(venv: Path) -> dict[str, str]:
    """This environment without what would leak into the venv (and without the planned version)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "__PYVENV_LAUNCHER__")}
    env.pop(VERSION_ENV, None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = str(venv_python(venv).parent) + os.pathsep + env.get("PATH", "")
    return child_env(env)  # pip, the probe and the test command: no token variable


def verify_wheel(wheel: Path, job: Job) -> None:
    """Install ``wheel`` into a fresh venv, check it carries the planned version, run the test command."""
    with tempfile.TemporaryDirectory(prefix="manta-test-") as tmp:
        venv = Path(tmp) / "venv"
        what = f"Creating a fresh venv to test {wheel.name}"
        job.progress(Event("begin", what))
        try:
            python = make_venv(venv)
        finally:
            job.progress(Event("end", what))
        env = venv_env(venv)
        job.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", str(wheel),
                 *job.config.test_requires], f"Installing {wheel.name} into a fresh venv", cwd=Path(tmp), env=env,
                hint="the wheel (or a test requirement) does not install on this machine")
        _check_installed_version(python, env, Path(tmp), job)
        command = job.config.test_command_for(HOST_OS)
        if not command:
            job.emit("done", f"installed {wheel.name} into a fresh venv (no test-command configured)")
            return
        _run_test_command(wheel, command, env, Path(tmp), job)


def _check_installed_version(python: Path, env: dict[str, str], tmp: Path, job: Job) -> None:
    project, version = job.plan.project, job.plan.version
    probe = subprocess.run(
        [str(python), "-c", "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))", project],
        capture_output=True, text=True, env=env, cwd=tmp, check=False,
    )
    installed = probe.stdout.strip()
    if installed != version:
        raise BuildError(
            f"the fresh venv holds {project} {installed or '(nothing)'}, not {version}",
            "the wheel's metadata does not carry the planned version",
        )


def _run_test_command(wheel: Path, command: str, env: dict[str, str], tmp: Path, job: Job) -> None:
    root = str(job.root)
    command = command.replace("{project}", root).replace("{package}", root)
    work = tmp / "work"
    work.mkdir()
    job.emit("step", f"Testing the installed wheel: {command}")
    result = subprocess.run(command, shell=True, cwd=work, env=env, check=False)  # noqa: S602
    if result.returncode != 0:
        raise BuildError(
            f"the test command failed (exit {result.returncode}) against the installed {wheel.name}: {command}",
            "fix the failure above; a failing test fails the build, and the untested wheel is not put into dist/",
        )
    job.emit("done", f"tests passed against the installed {wheel.name}")
