"""Platform wheels through cibuildwheel.

:func:`cibuildwheel_invocation` is a pure function: the exact command line and environment for one
OS, so tests and users can see them. The planned version is passed into cibuildwheel's containers,
so no wheel can carry another version; the project's own ``[tool.cibuildwheel]`` wins over what is
derived from ``[tool.manta-release]``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hatch_manta_release.build.job import Job
from hatch_manta_release.build.steps import BuildError, require_module
from hatch_manta_release.core.config import Config
from hatch_manta_release.core.platforms import Platform
from hatch_manta_release.core.project import ProjectInfo
from hatch_manta_release.core.redaction import child_env
from hatch_manta_release.core.version import VERSION_ENV


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
        pairs = {**config.environment_for(os_name), VERSION_ENV: version}
        env["CIBW_ENVIRONMENT"] = " ".join(f"{k}={_env_value(v)}" for k, v in pairs.items())
    if os_name == "linux":
        env["CIBW_ENVIRONMENT_PASS_LINUX"] = " ".join(_passed_to_linux(cibw, base_env))
    before = config.before_build.get(os_name)
    if before and free("before-build", f"CIBW_BEFORE_BUILD_{os_name.upper()}") and "CIBW_BEFORE_BUILD" not in base_env:
        env[f"CIBW_BEFORE_BUILD_{os_name.upper()}"] = before
    test_command = config.test_command_for(os_name)
    if test_command and free("test-command"):
        env["CIBW_TEST_COMMAND"] = test_command
    if config.test_requires and free("test-requires"):
        env["CIBW_TEST_REQUIRES"] = " ".join(shlex.quote(r) for r in config.test_requires)

    argv = [python, "-m", "cibuildwheel", "--platform", os_name, "--output-dir", str(output_dir), str(root)]
    return argv, env


def _passed_to_linux(cibw: Mapping[str, Any], base_env: Mapping[str, str]) -> list[str]:
    """The variables passed into Linux containers: the project's own list (its environment
    variable, else its ``environment-pass``), plus the planned version and ``SOURCE_DATE_EPOCH``
    (reproducible repairs, see ``build_env``)."""
    passed: list[str] = []
    if "CIBW_ENVIRONMENT_PASS_LINUX" in base_env:
        passed = base_env["CIBW_ENVIRONMENT_PASS_LINUX"].split()
    else:
        own = _cibw_option(cibw, "environment-pass", "linux")
        if own is not None:
            passed = own.split() if isinstance(own, str) else [str(x) for x in own]
    for name in (VERSION_ENV, "SOURCE_DATE_EPOCH"):
        if name not in passed:
            passed.append(name)
    return passed


def _cibw_option(cibw: Mapping[str, Any], key: str, os_name: str) -> Any:
    os_table = cibw.get(os_name)
    if isinstance(os_table, Mapping) and key in os_table:
        return os_table[key]
    return cibw.get(key)


def print_build_identifiers(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> list[str]:
    """What cibuildwheel would build with ``argv`` and ``env`` (``--print-build-identifiers``)."""
    cmd = [*argv, "--print-build-identifiers"]
    result = subprocess.run(
        cmd, cwd=cwd, env=child_env({**os.environ, **env}), capture_output=True, text=True, check=False, timeout=120
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
        result = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=30, check=False,
                                env=child_env())
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{engine} is installed but `{engine} info` did not answer ({e})"
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[:300]
        return f"{engine} is installed but not working: `{engine} info` failed: {detail}"
    return None


def cibuildwheel_wheels(job: Job, os_name: str, plats: tuple[Platform, ...]) -> list[Path]:
    """Run cibuildwheel for one OS into the dist folder; returns the wheels it wrote."""
    require_module("cibuildwheel", "cibuildwheel", "to build platform wheels (or use --builder native)")
    identifiers = [i for p in plats for i in job.plan.build_identifiers(p.name)]
    argv, extra = cibuildwheel_invocation(
        root=job.root, version=job.plan.version, os_name=os_name, platforms=plats, identifiers=identifiers,
        config=job.config, info=job.info, output_dir=job.dist,
    )
    selected = print_build_identifiers(argv, extra | {"PATH": job.env["PATH"]}, job.root)
    absent = [i for i in identifiers if i not in selected]
    if absent:
        job.emit(
            "note",
            "cibuildwheel will not build " + ", ".join(absent)
            + " (excluded by [tool.cibuildwheel] build/skip or requires-python); `check` will list them missing",
        )
    if not selected:
        raise BuildError(
            f"cibuildwheel selects no build for {', '.join(p.name for p in plats)}",
            "check python / platforms in [tool.manta-release] and build / skip in [tool.cibuildwheel]",
        )
    shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in extra.items() if k.startswith("CIBW_"))
    job.emit("step", f"cibuildwheel {os_name}: {len(selected)} build{'s' if len(selected) != 1 else ''}")
    job.emit("command", f"{shown} {' '.join(shlex.quote(a) for a in ['python', *argv[1:]])}")
    before = {p.name: p.stat().st_mtime_ns for p in job.dist.glob("*.whl")}
    job.run(argv, f"cibuildwheel ({os_name})", env={**job.env, **extra}, stream=True,
            hint="the failing build or test is in cibuildwheel's output above")
    made = sorted(p for p in job.dist.glob("*.whl") if before.get(p.name) != p.stat().st_mtime_ns)
    for wheel in made:
        job.emit("done", f"wheel {wheel.name}")
    return made
