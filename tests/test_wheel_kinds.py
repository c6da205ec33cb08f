"""`wheel = "pure" | "cpython" | "abi3" | "platform"`, `sdist`, per-OS `environment` and
`test-command`, and the Pythons the plan leaves out (issue 14).

The pure decisions (config, expected wheels, build identifiers, check's counting and sdist warning,
the cibuildwheel environment) are unit tests. The slow tests adopt a compiled sample with
configuration only (no build hook of its own: before-build compiles it, the plugin's build hook
writes the tag) and build it with the native builder: each kind's wheel installs from dist/ into
a fresh venv and loads its compiled part. cibuildwheel itself runs in tests/test_cibuildwheel_podman.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from hatch_manta_release.build.cibuildwheel import cibuildwheel_invocation
from hatch_manta_release.core.config import parse_config
from hatch_manta_release.core.errors import ConfigError
from hatch_manta_release.core.plan import Plan, expected_wheels, plan_for, sdist_filename, sdist_problem
from hatch_manta_release.core.project import load_project
from hatch_manta_release.core.tags import channel_of
from hatch_manta_release.dist.artifacts import read_dist
from hatch_manta_release.dist.check import check_dist
from tests.support.indexes import write_sdist, write_wheel
from tests.support.projects import hatch_env, installs_and_loads, make_config_only_project

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
CP = f"cp{sys.version_info.major}{sys.version_info.minor}"
THIS_PYTHON = f">={PY},<{sys.version_info.major}.{sys.version_info.minor + 1}"
ON_LINUX = sys.platform.startswith("linux")


def config(**table):  # type: ignore[no-untyped-def]
    return parse_config({k.replace("_", "-"): v for k, v in table.items()}, project_name="cpkg")


def plan(kind: str, platforms: tuple[str, ...] = ("linux-x86_64", "macos-arm64"), python: str = ">=3.9,<3.12",
         **table) -> Plan:  # type: ignore[no-untyped-def]
    cfg = config(wheel=kind, platforms=list(platforms), python=python, **table)
    return Plan(
        project="cpkg", version="2.0.0", tag="v2.0.0", channel=channel_of(Version("2.0.0")), publish=True,
        reason="test", repository=cfg.repository("pypi"), pure_python=kind == "pure", dist_dir="dist",
        sdist=sdist_filename("cpkg", "2.0.0"), wheels=expected_wheels(cfg, kind), platforms=cfg.platforms,
        pythons=cfg.pythons, wheel_kind=kind, sdist_expected=cfg.sdist, sdist_problem=sdist_problem(cfg, kind),
    )


# ----------------------------------------------------------------------------- config


def test_wheel_and_sdist_keys() -> None:
    assert config().wheel is None and config().sdist is True
    assert config(wheel="platform", sdist=False).wheel == "platform"
    assert config(wheel="platform", sdist=False).sdist is False
    with pytest.raises(ConfigError) as bad:
        config(wheel="platfrom")
    assert str(bad.value.message) == ('[tool.manta-release] wheel = "platfrom": expected one of: pure, cpython, '
                                      "abi3, platform (did you mean 'platform'?)")
    with pytest.raises(ConfigError) as contradiction:
        config(wheel="platform", pure_python=True)
    assert "pure-python = true contradicts wheel = \"platform\"" in contradiction.value.message
    with pytest.raises(ConfigError) as not_bool:
        config(sdist="no")
    assert not_bool.value.message == '[tool.manta-release] sdist = "no": expected true or false'


def test_per_os_environment_and_test_command() -> None:
    cfg = config(environment={"COMMON": "1", "linux": {"CC": "gcc"}, "windows": {"CC": "cl"}},
                 test_command={"linux": "pytest", "macos": "pytest -x"})
    assert cfg.environment_for("linux") == {"COMMON": "1", "CC": "gcc"}
    assert cfg.environment_for("macos") == {"COMMON": "1"}
    assert cfg.test_command_for("macos") == "pytest -x"
    assert cfg.test_command_for("windows") is None
    assert config(test_command="pytest").test_command_for("windows") == "pytest"
    with pytest.raises(ConfigError) as unknown:
        config(test_command={"linxu": "pytest"})
    assert "unknown key test-command.linxu (did you mean 'linux'?)" in unknown.value.message
    with pytest.raises(ConfigError) as bad_var:
        config(environment={"linux": {"1X": "y"}})
    assert 'environment has the key "1X"' in bad_var.value.message
    with pytest.raises(ConfigError) as not_a_table:
        config(environment={"CC": ["gcc"]})
    assert "environment.CC = ['gcc']: expected a string" in not_a_table.value.message


def test_pythons_cibuildwheel_does_not_build_are_named() -> None:
    left_out = config(python=">=3.8,<3.17").pythons_left_out
    assert set(left_out) == {"3.8", "3.16"}
    assert "no longer builds" in left_out["3.8"]
    assert 'enable = ["cpython-prerelease"]' in left_out["3.16"]
    assert "3.8" not in config(python=">=3.8,<3.17").pythons
    # an open range admits every future CPython: nothing to say about pre-releases
    assert config(python=">=3.9").pythons_left_out == {}


# ----------------------------------------------------------------------------- plan and check


def test_platform_kind_expects_one_py3_none_wheel_per_platform_tested_on_every_python() -> None:
    p = plan("platform")
    assert [(w.platform, w.python, w.kind) for w in p.wheels] == [
        ("linux-x86_64", None, "platform"), ("macos-arm64", None, "platform")]
    assert p.build_identifiers("linux-x86_64") == [
        "cp39-manylinux_x86_64", "cp310-manylinux_x86_64", "cp311-manylinux_x86_64"]
    assert p.build_matrix()[0]["build"] == "cp39-manylinux_x86_64 cp310-manylinux_x86_64 cp311-manylinux_x86_64"
    linux = p.wheels[0]
    assert linux.matches("cpkg-2.0.0-py3-none-manylinux1_x86_64.manylinux_2_5_x86_64.whl")
    assert not linux.matches("cpkg-2.0.0-cp311-cp311-manylinux_2_17_x86_64.whl")
    assert not linux.matches("cpkg-2.0.0-py3-none-any.whl")
    assert p.wheels_in_words() == "2 py3-none wheels (one per platform, tested on 3 Python versions)"


def test_abi3_kind_expects_one_wheel_per_platform_from_the_lowest_python() -> None:
    p = plan("abi3")
    assert [(w.platform, w.python) for w in p.wheels] == [("linux-x86_64", "3.9"), ("macos-arm64", "3.9")]
    assert p.build_identifiers("macos-arm64") == ["cp39-macosx_arm64", "cp310-macosx_arm64", "cp311-macosx_arm64"]
    assert p.wheels[1].matches("cpkg-2.0.0-cp39-abi3-macosx_11_0_arm64.whl")
    assert not p.wheels[1].matches("cpkg-2.0.0-cp311-abi3-macosx_11_0_arm64.whl")  # would not install on 3.9
    assert not p.wheels[1].matches("cpkg-2.0.0-cp39-cp39-macosx_11_0_arm64.whl")


def test_cpython_kind_is_todays_default() -> None:
    assert plan("cpython").wheels == expected_wheels(config(platforms=["linux-x86_64", "macos-arm64"],
                                                            python=">=3.9,<3.12"), False)


def test_check_counts_py3_none_platform_wheels(tmp_path: Path) -> None:
    p = plan("platform", sdist=False)
    write_wheel(tmp_path, "cpkg", "2.0.0", "py3-none-manylinux1_x86_64.manylinux_2_5_x86_64")
    write_wheel(tmp_path, "cpkg", "2.0.0", "py3-none-macosx_11_0_arm64")
    report = check_dist(p, read_dist(tmp_path), metadata=False)
    assert report.missing == []
    assert [f for f in report.findings if f.level != "info"] == []
    # one platform missing is named as the platform's py3-none wheel
    (tmp_path / "cpkg-2.0.0-py3-none-macosx_11_0_arm64.whl").unlink()
    missing = check_dist(p, read_dist(tmp_path), metadata=False)
    assert missing.missing == ["the macos-arm64 py3-none wheel (cp39-macosx_arm64)"]


def test_check_warns_when_the_sdist_cannot_build_the_library(tmp_path: Path) -> None:
    p = plan("platform", platforms=("linux-x86_64",), before_build="make lib")
    write_wheel(tmp_path, "cpkg", "2.0.0", "py3-none-manylinux_2_17_x86_64")
    write_sdist(tmp_path, "cpkg", "2.0.0")
    (warning,) = [f for f in check_dist(p, read_dist(tmp_path), metadata=False).findings if f.level == "warning"]
    assert warning.subject == "cpkg-2.0.0.tar.gz"
    assert "before-build, which pip does not run when it builds this sdist" in warning.message
    assert "sdist = false" in (warning.hint or "") and "artifacts" in (warning.hint or "")
    # sdist = false: no warning, and no sdist is expected
    (tmp_path / "cpkg-2.0.0.tar.gz").unlink()
    quiet = check_dist(plan("platform", platforms=("linux-x86_64",), before_build="make lib", sdist=False),
                       read_dist(tmp_path), metadata=False)
    assert quiet.missing == [] and not [f for f in quiet.findings if f.level != "info"]


def test_cibuildwheel_gets_the_os_environment_and_test_command(tmp_path: Path) -> None:
    project = make_config_only_project(
        tmp_path / "sample", "platform",
        manta='platforms = ["linux-x86_64", "macos-arm64"]\n'
              'environment = { COMMON = "1", linux = { CC = "gcc" }, macos = { CC = "clang" } }',
        test_command='{ macos = "pytest", linux = "python -c \'import sample\'" }',
    )
    loaded = load_project(project)
    p = plan_for(project)
    for os_name, cc, test in (("linux", "gcc", "python -c"), ("macos", "clang", "pytest")):
        platforms = tuple(x for x in loaded.config.platforms if x.os == os_name)
        _, env = cibuildwheel_invocation(
            root=project, version=p.version, os_name=os_name, platforms=platforms,
            identifiers=p.build_identifiers(platforms[0].name), config=loaded.config, info=loaded.info,
            output_dir=project / "dist", python="python", base_env={},
        )
        assert env["CIBW_ENVIRONMENT"] == f"COMMON=1 CC={cc} MANTA_RELEASE_VERSION=1.2.0"
        assert env["CIBW_TEST_COMMAND"].startswith(test)


# ----------------------------------------------------------------------------- configuration only, built


def cli(project: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hatch_manta_release", "--root", str(project), *args],
                          capture_output=True, text=True, env=hatch_env(tmp), check=False, timeout=600)


@pytest.mark.slow
@pytest.mark.skipif(not ON_LINUX, reason="the manylinux repair is Linux-only")
@pytest.mark.parametrize(("kind", "tag"), [("platform", "py3-none-manylinux"), ("cpython", f"{CP}-{CP}-manylinux"),
                                           ("abi3", f"{CP}-abi3-manylinux")])
def test_compiled_sample_adopts_with_configuration_only(kind: str, tag: str, tmp_path: Path) -> None:
    project = make_config_only_project(
        tmp_path / "sample", kind, manta=f'platforms = ["linux-x86_64"]\npython = "{THIS_PYTHON}"\nsdist = false')
    assert not (project / "hatch_build.py").exists()
    built = cli(project, "build", "--builder", "native", tmp=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "before-build (linux)" in built.stderr
    assert "tests passed against the installed" in built.stderr
    (wheel,) = sorted((project / "dist").iterdir())  # sdist = false: the wheel alone
    assert wheel.name.startswith(f"sample-1.2.0-{tag}"), wheel.name
    assert "linux_x86_64" not in wheel.name.replace("manylinux", "")
    compiled = [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".so")]
    assert compiled == (["sample/libadder.so"] if kind == "platform" else compiled) and compiled
    checked = cli(project, "check", "--json", tmp=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["ok"] is True
    installs_and_loads(project / "dist", tmp_path / "venv")


@pytest.mark.slow
@pytest.mark.skipif(not ON_LINUX, reason="the manylinux repair is Linux-only")
def test_platform_wheel_without_its_library_is_reported_as_such(tmp_path: Path) -> None:
    project = make_config_only_project(tmp_path / "sample", "platform", before_build=False,
                                       manta=f'platforms = ["linux-x86_64"]\npython = "{THIS_PYTHON}"')
    built = cli(project, "build", "--builder", "native", "--no-sdist", tmp=tmp_path)
    assert built.returncode == 1, built.stdout + built.stderr
    stderr = " ".join(built.stderr.split())
    assert ("the wheel holds no compiled file: did before-build run? is the library git-ignored without "
            "`artifacts`?") in stderr
    assert "auditwheel" not in stderr and "Traceback" not in stderr
