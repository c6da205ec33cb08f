"""`manta-release build`: real builds of a pure-Python and a compiled sample project.

The compiled sample is built with the native builder (hatchling, then auditwheel to a manylinux
tag, then its test-command in a fresh venv). cibuildwheel cannot build Linux wheels here (no
container engine), so its integration is checked through the exact command line and environment
it is handed, and through ``cibuildwheel --print-build-identifiers`` run with them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hatch_manta_release.build.cibuildwheel import cibuildwheel_invocation, container_engine_problem
from hatch_manta_release.build.steps import BuildError, require_module
from hatch_manta_release.core.plan import plan_for
from hatch_manta_release.core.project import load_config, project_info
from tests.support.projects import commit, first_commit, hatch_env, make_project

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
CP = f"cp{sys.version_info.major}{sys.version_info.minor}"
THIS_PYTHON = f">={PY},<{sys.version_info.major}.{sys.version_info.minor + 1}"
ON_LINUX = sys.platform.startswith("linux")

ADD_TEST = (
    "python -c \"import sample; assert sample.add(2, 3) == 5; "
    "assert 'site-packages' in sample.__file__, sample.__file__\""  # the installed wheel, not the source tree
)


def sample(path: Path, *, manta: str, compiled: bool, tag: str | None = "v1.2.0", extra: str = "") -> Path:
    """A sample project with a readme (twine check --strict wants a description), committed and tagged."""
    project = make_project(path, compiled=compiled, manta=manta, extra_pyproject=extra, git_init=False)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('requires-python = ">=3.9"\n',
                                                       'requires-python = ">=3.9"\nreadme = "README.md"\n', 1))
    first_commit(project, tag=tag)
    return project


def cli(project: Path, *args: str, tmp: Path, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hatch_manta_release", "--root", str(project), *args],
        capture_output=True, text=True, env=env or hatch_env(tmp), check=False, timeout=600, cwd=cwd,
    )


def fresh_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", str(path)], check=True, capture_output=True)
    return path / "bin" / "python"


def files(dist: Path) -> list[str]:
    return sorted(p.name for p in dist.iterdir()) if dist.is_dir() else []


# ----------------------------------------------------------------------------- compiled, native builder


@pytest.fixture(scope="module")
def native_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("native")
    project = sample(
        tmp / "sample",
        compiled=True,
        manta=f'platforms = ["linux-x86_64"]\npython = "{THIS_PYTHON}"\ntest-command = {json.dumps(ADD_TEST)}\n'
              'before-build = { linux = "echo \\"built with $SAMPLE_FLAG\\" > before-build.so" }\n'
              'environment = { linux = { SAMPLE_FLAG = "linux-flag" } }',
    )
    return project, cli(project, "build", "--builder", "native", tmp=tmp)


@pytest.mark.skipif(not ON_LINUX, reason="the manylinux repair is Linux-only")
def test_native_build_makes_a_tested_manylinux_wheel(native_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project, result = native_build
    assert result.returncode == 0, result.stdout + result.stderr
    dist = project / "dist"
    names = files(dist)
    assert len(names) == 2, names
    sdist, wheel = sorted(names, key=lambda n: n.endswith(".whl"))
    assert sdist == "sample-1.2.0.tar.gz"
    assert wheel.startswith(f"sample-1.2.0-{CP}-{CP}-")
    assert "manylinux" in wheel and "linux_x86_64" not in wheel.replace("manylinux", "")
    # the build's own test ran against the installed wheel, and said so
    assert "auditwheel" in result.stderr or "repaired" in result.stderr
    assert "tests passed against the installed" in result.stderr
    # before-build for this OS ran in the project, with the configured (per-OS) environment (issue 14);
    # it writes a git-ignored file (*.so) so the sdist stays the same on a re-run
    assert "before-build (linux)" in result.stderr
    assert (project / "before-build.so").read_text().strip() == "built with linux-flag"
    # the summary table: name, size, sha256 prefix
    for name in names:
        assert name in result.stdout
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest()[:12] in result.stdout

    # the wheel from dist/ (pinned, nothing else can satisfy it) installs and works in a fresh venv
    python = fresh_venv(tmp_path / "venv")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--isolated", "--no-index", "--find-links", str(dist),
         "sample==1.2.0"], capture_output=True, text=True, check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    probe = subprocess.run(
        [str(python), "-c", "import sample, importlib.metadata as m; print(sample.add(2, 3), m.version('sample'), "
         "sample.__file__)"], capture_output=True, text=True, cwd=tmp_path, check=True,
    )
    five, version, location = probe.stdout.split()
    assert (five, version) == ("5", "1.2.0")
    assert str(tmp_path / "venv") in location

    # reproducible: a re-run (a re-run CI job) writes the same bytes, so publish can skip what is there
    again = cli(project, "build", "--builder", "native", "--dist-dir", str(tmp_path / "again"), tmp=tmp_path)
    assert again.returncode == 0, again.stderr
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (dist / name).read_bytes(), name


@pytest.mark.skipif(not ON_LINUX, reason="the manylinux repair is Linux-only")
def test_check_passes_on_the_native_build(native_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project, result = native_build
    assert result.returncode == 0, result.stderr
    check = cli(project, "check", tmp=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "2 files ready for pypi" in check.stderr


def test_failing_test_command_fails_the_build(tmp_path: Path) -> None:
    """The reference system's test step ended in `|| echo`: here a failing test fails the build."""
    project = sample(
        tmp_path / "sample", compiled=True,
        manta=f'platforms = ["linux-x86_64"]\npython = "{THIS_PYTHON}"\n'
              'test-command = "python -c \\"import sample, sys; sys.exit(3)\\""',
    )
    result = cli(project, "build", "--builder", "native", "--no-sdist", tmp=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    stderr = " ".join(result.stderr.split())
    assert "the test command failed (exit 3) against the installed sample-1.2.0" in stderr
    assert files(project / "dist") == []  # the untested wheel is not put into dist/


def test_native_builder_builds_only_this_machine(tmp_path: Path) -> None:
    project = sample(tmp_path / "sample", compiled=True, manta='platforms = ["linux-x86_64", "macos-arm64"]')
    result = cli(project, "build", "--builder", "native", "--platform", "macos-arm64", tmp=tmp_path)
    assert result.returncode == 1
    assert "the native builder builds for this machine only" in result.stderr
    assert not (project / "dist").exists()


# ----------------------------------------------------------------------------- pure Python


@pytest.fixture(scope="module")
def pure_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("pure")
    return sample(tmp / "sample", compiled=False,
                  manta="test-command = \"python -c 'import sample; assert sample.hello() == \\\"hello\\\"'\"")


def test_pure_project_builds_sdist_and_one_universal_wheel_without_cibuildwheel(pure_project: Path,
                                                                                 tmp_path: Path) -> None:
    result = cli(pure_project, "build", "--clean", tmp=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert files(pure_project / "dist") == ["sample-1.2.0-py3-none-any.whl", "sample-1.2.0.tar.gz"]
    assert "cibuildwheel" not in result.stderr
    assert "tests passed against the installed sample-1.2.0-py3-none-any.whl" in " ".join(result.stderr.split())
    check = cli(pure_project, "check", tmp=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_sdist_only_and_no_sdist(pure_project: Path, tmp_path: Path) -> None:
    dist = tmp_path / "out"
    # --dist-dir is relative to the working directory (dist-dir in the config, to the project)
    only = cli(pure_project, "build", "--sdist-only", "--dist-dir", "out", tmp=tmp_path, cwd=tmp_path)
    assert only.returncode == 0, only.stderr
    assert files(dist) == ["sample-1.2.0.tar.gz"]
    wheels = cli(pure_project, "build", "--no-sdist", "--clean", "--dist-dir", str(dist), tmp=tmp_path)
    assert wheels.returncode == 0, wheels.stderr
    assert files(dist) == ["sample-1.2.0-py3-none-any.whl"]
    both = cli(pure_project, "build", "--no-sdist", "--sdist-only", tmp=tmp_path)
    assert both.returncode == 1
    assert "exclude each other" in both.stderr


def test_every_build_carries_the_planned_version(tmp_path: Path) -> None:
    """Off the tag, the plan's development version is pinned into every build (and check refuses
    its +local part for PyPI)."""
    project = sample(tmp_path / "sample", compiled=False, manta="")
    sha = commit(project, "more")
    planned = f"1.2.1.dev1+g{sha}"
    assert plan_for(project).version == planned
    result = cli(project, "build", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files(project / "dist") == [f"sample-{planned}-py3-none-any.whl", f"sample-{planned}.tar.gz"]
    assert "(no test-command configured)" in result.stderr  # installed into a fresh venv all the same
    check = cli(project, "check", tmp=tmp_path)
    assert check.returncode == 1
    assert "pypi rejects local versions" in check.stderr
    assert "nothing will be published from this commit" in check.stderr

    # MANTA_RELEASE_VERSION (as a CI job sets it from the plan job) pins the build too
    env = hatch_env(tmp_path, {"MANTA_RELEASE_VERSION": "1.2.1rc1"})
    pinned = cli(project, "build", "--clean", "--sdist-only", tmp=tmp_path, env=env)
    assert pinned.returncode == 0, pinned.stderr
    assert files(project / "dist") == ["sample-1.2.1rc1.tar.gz"]


def test_stale_files_are_reported(pure_project: Path, tmp_path: Path) -> None:
    dist = tmp_path / "out"
    dist.mkdir()
    (dist / "sample-0.9.0.tar.gz").write_bytes(b"old")
    (dist / "other_project-0.9.0.tar.gz").write_bytes(b"not ours")
    result = cli(pure_project, "build", "--sdist-only", "--dist-dir", str(dist), tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "also holds files of other versions (sample-0.9.0.tar.gz)" in " ".join(result.stderr.split())
    # issue 13: removed (and said), so check sees this release only; another project's file is left alone
    assert "removed them" in " ".join(result.stderr.split())
    assert not (dist / "sample-0.9.0.tar.gz").exists() and (dist / "other_project-0.9.0.tar.gz").exists()


# ----------------------------------------------------------------------------- cibuildwheel


CIBW_MANTA = """\
platforms = ["linux-x86_64", "musllinux-x86_64", "macos-arm64", "windows-amd64"]
python = ">=3.11,<3.13"
test-command = "pytest {project}/tests"
test-requires = ["pytest>=8", "numpy"]
before-build = { linux = "make go", windows = "choco install golang" }
environment = { CGO_ENABLED = "1", GOFLAGS = "-trimpath -mod=vendor" }
"""


@pytest.fixture(scope="module")
def cibw_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample(tmp_path_factory.mktemp("cibw") / "sample", compiled=True, manta=CIBW_MANTA)


def invocation(project: Path, os_name: str, names: tuple[str, ...], base_env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    config = load_config(project)
    info = project_info(project)
    plan = plan_for(project)
    platforms = tuple(p for p in config.platforms if p.name in names)
    identifiers = [i for p in platforms for i in plan.build_identifiers(p.name)]
    return cibuildwheel_invocation(
        root=project, version=plan.version, os_name=os_name, platforms=platforms, identifiers=identifiers,
        config=config, info=info, output_dir=project / "dist", python="python", base_env=base_env or {},
    )


def test_cibuildwheel_command_and_environment(cibw_project: Path) -> None:
    argv, env = invocation(cibw_project, "linux", ("linux-x86_64", "musllinux-x86_64"))
    assert argv == ["python", "-m", "cibuildwheel", "--platform", "linux", "--output-dir",
                    str(cibw_project / "dist"), str(cibw_project)]
    assert env == {
        "MANTA_RELEASE_VERSION": "1.2.0",
        "CIBW_BUILD": "cp311-manylinux_x86_64 cp312-manylinux_x86_64 cp311-musllinux_x86_64 cp312-musllinux_x86_64",
        "CIBW_ARCHS": "x86_64",
        "CIBW_ENVIRONMENT": 'CGO_ENABLED=1 GOFLAGS="-trimpath -mod=vendor" MANTA_RELEASE_VERSION=1.2.0',
        "CIBW_ENVIRONMENT_PASS_LINUX": "MANTA_RELEASE_VERSION SOURCE_DATE_EPOCH",
        "CIBW_BEFORE_BUILD_LINUX": "make go",
        "CIBW_TEST_COMMAND": "pytest {project}/tests",  # as configured: no `|| echo`, a failure fails
        "CIBW_TEST_REQUIRES": "'pytest>=8' numpy",
    }
    argv, env = invocation(cibw_project, "macos", ("macos-arm64",))
    assert argv[3:5] == ["--platform", "macos"]
    assert env["CIBW_BUILD"] == "cp311-macosx_arm64 cp312-macosx_arm64"
    assert env["CIBW_ARCHS"] == "arm64"
    assert "CIBW_ENVIRONMENT_PASS_LINUX" not in env and "CIBW_BEFORE_BUILD_MACOS" not in env
    assert env["MANTA_RELEASE_VERSION"] == "1.2.0"  # macOS builds run on the host and inherit it
    _, env = invocation(cibw_project, "windows", ("windows-amd64",))
    assert env["CIBW_BEFORE_BUILD_WINDOWS"] == "choco install golang"
    assert env["CIBW_ARCHS"] == "AMD64"


def run_print_identifiers(project: Path, argv: list[str], env: dict[str, str]) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CIBW_", "MANTA_RELEASE_"))}
    result = subprocess.run(
        [sys.executable, *argv[1:], "--print-build-identifiers"], cwd=project, env={**clean, **env},
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.split()


def test_cibuildwheel_selects_exactly_the_planned_builds(cibw_project: Path) -> None:
    plan = plan_for(cibw_project)
    argv, env = invocation(cibw_project, "linux", ("linux-x86_64", "musllinux-x86_64"))
    assert run_print_identifiers(cibw_project, argv, env) == (
        plan.build_identifiers("linux-x86_64") + plan.build_identifiers("musllinux-x86_64")
    )
    argv, env = invocation(cibw_project, "macos", ("macos-arm64",))
    assert run_print_identifiers(cibw_project, argv, env) == ["cp311-macosx_arm64", "cp312-macosx_arm64"]
    argv, env = invocation(cibw_project, "windows", ("windows-amd64",))
    assert run_print_identifiers(cibw_project, argv, env) == ["cp311-win_amd64", "cp312-win_amd64"]


def test_the_projects_own_cibuildwheel_table_wins(tmp_path: Path) -> None:
    project = sample(tmp_path / "sample", compiled=True, manta=CIBW_MANTA, extra="""
        [tool.cibuildwheel]
        build = "cp312-*"
        test-command = "python -m mytests"
        environment = { FROM_PROJECT = "1" }
        environment-pass = ["SOME_TOKEN"]

        [tool.cibuildwheel.linux]
        before-build = "yum install -y golang"
        """)
    argv, env = invocation(project, "linux", ("linux-x86_64",))
    assert env == {
        "MANTA_RELEASE_VERSION": "1.2.0",
        "CIBW_ARCHS": "x86_64",
        # the project's own pass list is kept, and the version joins it
        "CIBW_ENVIRONMENT_PASS_LINUX": "SOME_TOKEN MANTA_RELEASE_VERSION SOURCE_DATE_EPOCH",
        "CIBW_TEST_REQUIRES": "'pytest>=8' numpy",
    }
    # the project's `build` (cp312-*), within the archs and platform handed over
    assert run_print_identifiers(project, argv, env) == ["cp312-manylinux_x86_64", "cp312-musllinux_x86_64"]
    # CIBW_* variables already set by the user win as well
    _, env = invocation(project, "linux", ("linux-x86_64",),
                        base_env={"CIBW_ARCHS_LINUX": "aarch64", "CIBW_TEST_REQUIRES": "pytest"})
    assert "CIBW_ARCHS" not in env and "CIBW_TEST_REQUIRES" not in env


@pytest.mark.skipif(not ON_LINUX, reason="Linux wheels need a container engine only on Linux hosts")
def test_no_container_engine_says_use_the_native_builder(cibw_project: Path, tmp_path: Path) -> None:
    info = project_info(cibw_project)
    if container_engine_problem(info) is None:
        pytest.skip("a container engine works here")
    result = cli(cibw_project, "build", "--platform", "linux", tmp=tmp_path)
    assert result.returncode == 1
    stderr = " ".join(result.stderr.split())
    assert "cibuildwheel builds Linux wheels inside manylinux containers" in stderr
    assert "--builder native" in stderr
    assert not (cibw_project / "dist").exists()  # failed before building anything


def test_container_engine_missing_from_path(cibw_project: Path, tmp_path: Path) -> None:
    info = project_info(cibw_project)
    problem = container_engine_problem(info, {"PATH": str(tmp_path)})
    assert problem == "no container engine: docker is not on PATH"
    (tmp_path / "podman").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "podman").chmod(0o755)
    assert "podman is, but cibuildwheel is set to use docker" in (
        container_engine_problem(info, {"PATH": str(tmp_path)}) or ""
    )
    broken = container_engine_problem(info, {"PATH": str(tmp_path), "CIBW_CONTAINER_ENGINE": "podman"})
    assert broken is not None and "podman is installed but not working" in broken


def test_platforms_other_hosts_build(cibw_project: Path, tmp_path: Path) -> None:
    if not ON_LINUX:
        pytest.skip("phrased for a Linux host")
    result = cli(cibw_project, "build", "--platform", "macos-arm64", tmp=tmp_path)
    assert result.returncode == 1
    assert "macOS wheels can only be built on macOS" in result.stderr
    assert "macos-15" in result.stderr  # the runner that can
    unknown = cli(cibw_project, "build", "--platform", "linux-aarch64", tmp=tmp_path)
    assert unknown.returncode == 1
    assert "not one of the configured platforms" in unknown.stderr


@pytest.mark.skipif(not ON_LINUX, reason="fakes a Linux container engine")
def test_cibuildwheel_is_run_with_the_planned_builds(cibw_project: Path, tmp_path: Path) -> None:
    """With an engine that answers `docker info` (a stand-in that fails everything else), the build
    gets as far as cibuildwheel itself, whose failure fails the build."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text('#!/bin/sh\n[ "$1" = info ] && exit 0\necho "no engine here" >&2\nexit 1\n')
    (fake / "docker").chmod(0o755)
    env = hatch_env(tmp_path)
    env["PATH"] = f"{fake}{os.pathsep}{env['PATH']}"
    result = cli(cibw_project, "build", "--platform", "linux", "--arch", "x86_64", "--no-sdist", tmp=tmp_path,
                 env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    stderr = " ".join(result.stderr.split())
    assert "cibuildwheel linux: 4 builds" in stderr
    assert ("CIBW_BUILD='cp311-manylinux_x86_64 cp312-manylinux_x86_64 cp311-musllinux_x86_64 "
            "cp312-musllinux_x86_64'") in stderr
    assert "CIBW_ENVIRONMENT_PASS_LINUX='MANTA_RELEASE_VERSION SOURCE_DATE_EPOCH'" in stderr
    assert "cibuildwheel (linux) failed" in stderr


def test_missing_tools_name_the_install() -> None:
    with pytest.raises(BuildError) as info:
        require_module("surely_not_installed_here", "surely-not-installed", "to test this")
    assert "surely-not-installed is not installed in this environment" in info.value.message
    assert "pip install surely-not-installed" in (info.value.hint or "")


def test_build_env_pins_the_version_and_applies_the_environment() -> None:
    from hatch_manta_release.build.steps import build_env

    env = build_env("1.2.0", {"CGO_ENABLED": "1", "GOPATH": "${HOME}/go", "PATH": "/opt/go/bin:$PATH",
                              "MANTA_RELEASE_VERSION": "9.9"}, base={"HOME": "/home/u", "PATH": "/usr/bin"},
                    source_date_epoch="1700000000")
    assert env["SOURCE_DATE_EPOCH"] == "1700000000"
    assert build_env("1", base={"SOURCE_DATE_EPOCH": "5"}, source_date_epoch="7")["SOURCE_DATE_EPOCH"] == "5"
    bindir = str(Path(sys.executable).parent)
    assert env["MANTA_RELEASE_VERSION"] == "1.2.0"  # nothing overrides the plan
    assert env["CGO_ENABLED"] == "1"
    assert env["GOPATH"] == "/home/u/go"
    assert env["PATH"] == f"/opt/go/bin:{bindir}{os.pathsep}/usr/bin"

