"""Build the release into the dist folder: the sdist, then the wheels, every one at the planned
version and tested in a fresh venv (see :mod:`.venvs`).

* sdist and a pure-Python project's one ``py3-none-any`` wheel: the standard frontend (:mod:`.frontend`);
* compiled parts: platform wheels through cibuildwheel (:mod:`.cibuildwheel`), or the native builder
  (:mod:`.native`): the host interpreter's wheel, repaired to a manylinux tag by auditwheel on Linux.

Every build runs with ``MANTA_RELEASE_VERSION`` set to the planned version. This module decides
what to build and in which order; it prints nothing and returns a :class:`BuildReport`.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

from hatch_manta_release.build.cibuildwheel import cibuildwheel_wheels, container_engine_problem
from hatch_manta_release.build.frontend import move, pure_wheel, sdist
from hatch_manta_release.build.job import BuildOptions, BuildReport, Job
from hatch_manta_release.build.native import native_wheel
from hatch_manta_release.build.steps import Progress, build_env, ignore
from hatch_manta_release.build.venvs import verify_wheel
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.git import commit_epoch
from hatch_manta_release.core.plan import Plan, make_plan
from hatch_manta_release.core.platforms import HOST_OS, OS_LABEL, Platform, host_platform
from hatch_manta_release.core.project import Project

__all__ = ["BuildOptions", "BuildReport", "run_build"]

CibuildwheelRuns = list[tuple[str, tuple[Platform, ...]]]  # (os, its platforms)


def run_build(project: Project, opts: BuildOptions, progress: Progress = ignore) -> BuildReport:
    """Build what ``opts`` asks for; raises a :class:`MantaError` that says how to fix a failure."""
    from hatch_manta_release.dist.check import select_platforms

    root = project.root.resolve()
    plan = make_plan(project)
    report = BuildReport()
    dist = opts.dist_dir if opts.dist_dir.is_absolute() else root / opts.dist_dir
    env = build_env(plan.version, project.config.environment_for(HOST_OS), source_date_epoch=commit_epoch(root))
    job = Job(project, opts, plan, dist, env, report, progress)

    selected = select_platforms(plan.platforms, opts.platform, opts.arch)
    with tempfile.TemporaryDirectory(prefix="manta-reuse-") as tmp:
        reused = _reuse(job, selected, Path(tmp)) if opts.wheels else None
        _build(job, selected, reused)
    _remove_stale(job)
    return report


def _build(job: Job, selected: tuple[Platform, ...], reused: list[Path] | None) -> None:
    """The sdist, then the wheels: built, or (``reused``) the base release's re-versioned wheels, tested."""
    opts, plan, project, report, dist = job.opts, job.plan, job.project, job.report, job.dist
    build_wheels = opts.wheels and reused is None
    runs: CibuildwheelRuns = []
    if build_wheels and not plan.pure_python:
        if opts.builder == "native":
            _check_native(job, selected)
        else:
            runs = _cibuildwheel_runs(job, selected)

    job.emit("step", f"Building {plan.project} {plan.version}" + (" (pure Python)" if plan.pure_python else "")
             + f" into {_shown(dist, job.root)}")
    _prepare(dist, clean=opts.clean)
    if opts.sdist and project.config.sdist:
        report.produced += sdist(job)
    elif opts.sdist and not opts.wheels:
        report.notes.append("sdist = false in [tool.manta-release]: the release ships wheels only, no sdist is built")
    if reused is not None:
        report.produced += _test_reused(job, reused)
    elif opts.wheels:
        report.produced += _wheels(job, runs)


def _reuse(job: Job, selected: tuple[Platform, ...], work: Path) -> list[Path] | None:
    """``reuse = true``: the base release's wheels re-versioned into ``work`` (None: build as usual, and
    the note says why). A ``--platform``/``--arch`` slice takes the wheels of its platforms only."""
    from hatch_manta_release.build.reuse import reuse_for_build

    if not job.config.reuse:
        return None
    names = {p.name for p in selected}
    plan = dataclasses.replace(job.plan, wheels=tuple(w for w in job.plan.wheels
                                                      if w.platform is None or w.platform in names))
    job.emit("step", f"Looking for the base release's wheels to re-version to {plan.version} (reuse = true)")
    result = reuse_for_build(job.project, plan, work / "wheels", environ=os.environ, work=work / "fetched")
    job.report.notes.append(result.reason)
    if not result.ok:
        return None
    for note in result.notes:
        job.emit("done", f"re-versioned {note}")
    return result.produced


def _test_reused(job: Job, wheels: list[Path]) -> list[Path]:
    """Each re-versioned wheel this machine can install is tested as a built one (a fresh venv, the
    planned version, the test-command), then moved into the dist folder; the others are said."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    here = set(sys_tags())
    untested = []
    for wheel in wheels:
        if here & set(parse_wheel_filename(wheel.name)[3]):
            verify_wheel(wheel, job)
        else:
            untested.append(wheel.name)
    if untested:
        job.report.notes.append(
            f"not tested here (built for another platform or Python; their base wheels were tested when "
            f"built): {', '.join(untested)}"
        )
    return [move(w, job.dist) for w in wheels]


def _wheels(job: Job, runs: CibuildwheelRuns) -> list[Path]:
    if job.plan.pure_python:
        return pure_wheel(job)
    if job.opts.builder == "native":
        return native_wheel(job)
    return [wheel for os_name, plats in runs for wheel in cibuildwheel_wheels(job, os_name, plats)]


def _check_native(job: Job, selected: tuple[Platform, ...]) -> None:
    """The native builder builds this machine's platform only: refuse a slice it cannot build."""
    opts, plan = job.opts, job.plan
    host = host_platform()
    sliced = bool(opts.platform or opts.arch)
    if sliced and (host is None or host not in selected):
        raise MantaError(
            f"the native builder builds for this machine only ({host.name if host else 'unknown'}), "
            f"not {', '.join(p.name for p in selected)}",
            "run it on a runner of that platform, or use the cibuildwheel builder",
        )
    if not sliced and host is not None and host not in plan.platforms:
        job.report.notes.append(
            f"this machine's platform {host.name} is not in platforms "
            f"({', '.join(p.name for p in plan.platforms)}): its wheel is not part of the plan"
        )


def _cibuildwheel_runs(job: Job, selected: tuple[Platform, ...]) -> CibuildwheelRuns:
    """One cibuildwheel run per OS this machine can build (Linux through containers); the others
    are noted as built on their own runners, or refused when asked for by ``--platform``."""
    by_os: dict[str, list[Platform]] = {}
    for p in selected:
        by_os.setdefault(p.os, []).append(p)
    runs: CibuildwheelRuns = []
    for os_name, plats in by_os.items():
        if os_name in (HOST_OS, "linux"):
            runs.append((os_name, tuple(plats)))
            continue
        if job.opts.platform:
            raise MantaError(
                f"{OS_LABEL[os_name]} wheels can only be built on {OS_LABEL[os_name]}, "
                f"and this machine runs {OS_LABEL[HOST_OS]}",
                f"build them on a {plats[0].runner} runner (the release workflow's matrix does)",
            )
        job.report.notes.append(
            f"{', '.join(p.name for p in plats)}: built on their own runners "
            f"(`manta-release build --platform {plats[0].name}` there)"
        )
    if any(os_name == "linux" for os_name, _ in runs):
        problem = container_engine_problem(job.info)
        if problem:
            raise MantaError(
                f"cibuildwheel builds Linux wheels inside manylinux containers, and {problem}",
                "start Docker (or Podman, with container-engine = \"podman\" in [tool.cibuildwheel]), or "
                "build this machine's wheel only with `manta-release build --builder native` "
                "(hatchling + auditwheel, tested in a fresh venv)",
            )
    return runs


def _prepare(dist: Path, *, clean: bool) -> None:
    """The dist folder, emptied of wheels and sdists first with ``--clean``."""
    if clean and dist.is_dir():
        for path in dist.iterdir():
            if path.is_file() and path.name.endswith((".whl", ".tar.gz", ".zip")):
                path.unlink()
    dist.mkdir(parents=True, exist_ok=True)


def _remove_stale(job: Job) -> None:
    """Files of this project at other versions in the dist folder: ``check`` and ``publish`` would
    refuse or skip them, and a CI artifact would carry them. Remove them, and say which."""
    from hatch_manta_release.core.names import canonical_name
    from hatch_manta_release.dist.artifacts import read_artifact

    plan: Plan = job.plan
    ours = canonical_name(plan.project)
    stale = []
    for path in sorted(job.dist.iterdir()):
        if path.is_file() and path.name.endswith((".whl", ".tar.gz")) and path not in job.report.produced:
            art = read_artifact(path)
            if art.version and art.version != plan.version and canonical_name(art.project) == ours:
                path.unlink()
                stale.append(path.name)
    if stale:
        job.report.notes.append(
            f"{_shown(job.dist, job.root.resolve())} also holds files of other versions ({', '.join(stale[:4])}"
            f"{', …' if len(stale) > 4 else ''}): removed them, so check and publish see this release only"
        )


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) + "/"
    except ValueError:
        return str(path)
