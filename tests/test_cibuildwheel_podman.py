"""cibuildwheel for real on Linux: ``hatch run release:build`` with the default builder, under podman.

No container registry is reachable here, so the manylinux image is a local stand-in made by
``.ci/manylinux-standin`` (debootstrap, this machine's CPython as ``/opt/python/cpXY-cpXY``,
cached in /var/cache/manta-ci; ``.ci/run`` installs podman and debootstrap from Debian and makes
it). The samples adopt with configuration only; cibuildwheel runs before-build, builds, repairs
with auditwheel and tests each wheel in its container, and ``check`` counts the result. When
podman cannot run here the tests skip and say why; nothing else in the suite depends on them.

Test-only settings, through the environment as a CI runner would set them: the engine and image
(``CIBW_CONTAINER_ENGINE``, ``CIBW_MANYLINUX_X86_64_IMAGE``), podman's ``CONTAINERS_CONF`` (runc,
lowered ulimits), and ``CIBW_DEPENDENCY_VERSIONS=latest``, because the offline image's wheelhouse
holds the latest virtualenv, not the version cibuildwheel pins.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.projects import (
    REPO_ROOT,
    build_plugin_wheel,
    hatch_env,
    installs_and_loads,
    make_config_only_project,
    run,
)

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
CP = f"cp{sys.version_info.major}{sys.version_info.minor}"
THIS_PYTHON = f">={PY},<{sys.version_info.major}.{sys.version_info.minor + 1}"
CACHE = Path(os.environ.get("MANTA_CI_CACHE", "/var/cache/manta-ci"))

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"),
                                                   reason="cibuildwheel's containers run on Linux hosts")]


@pytest.fixture(scope="module")
def standin() -> dict[str, str]:
    """The environment that points cibuildwheel at podman and the stand-in image (or a skip saying why)."""
    for tool in ("podman", "debootstrap"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (.ci/run installs it with apt-get)")
    made = subprocess.run(["bash", str(REPO_ROOT / ".ci" / "manylinux-standin")], capture_output=True, text=True,
                          check=False, timeout=1200)
    if made.returncode != 0:
        pytest.skip(f"the stand-in manylinux image could not be made: {made.stderr.strip()[-600:]}")
    image = made.stdout.strip().splitlines()[-1]
    env = {"CONTAINERS_CONF": str(CACHE / "containers.conf"), "CIBW_CONTAINER_ENGINE": "podman",
           "CIBW_MANYLINUX_X86_64_IMAGE": image, "CIBW_DEPENDENCY_VERSIONS": "latest"}
    probe = subprocess.run(["podman", "run", "--rm", image, "/opt/python/" + f"{CP}-{CP}/bin/python", "-V"],
                           capture_output=True, text=True, check=False, timeout=300, env={**os.environ, **env})
    if probe.returncode != 0:
        pytest.skip(f"podman cannot run a container here: {' '.join(probe.stderr.split())[-600:]}")
    return env


@pytest.fixture(scope="module")
def plugin_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_plugin_wheel(tmp_path_factory.mktemp("plugin"))


def adopt(path: Path, kind: str, plugin_wheel: Path, manta: str = "") -> Path:
    """A configuration-only compiled sample whose container build installs this checkout's plugin
    from the project's (git-ignored) wheelhouse, copied into the container with the project."""
    project = make_config_only_project(
        path, kind, plugin=f"hatch-manta-release @ file:///project/wheelhouse/{plugin_wheel.name}",
        manta=f'platforms = ["linux-x86_64"]\npython = "{THIS_PYTHON}"\n{manta}',
    )
    (project / "wheelhouse").mkdir()
    shutil.copy2(plugin_wheel, project / "wheelhouse")
    return project


def hatch_run(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "hatch", "run", *args], cwd=project, env=env, check=False, timeout=1200)


@pytest.mark.parametrize(("kind", "tag", "manta"), [
    ("platform", "py3-none-manylinux", "sdist = false"),  # a ctypes library: one wheel per platform
    ("cpython", f"{CP}-{CP}-manylinux", ""),  # a C extension, and its sdist
])
def test_hatch_run_release_build_with_cibuildwheel(  # type: ignore[no-untyped-def]
    kind: str, tag: str, manta: str, standin, plugin_wheel: Path, tmp_path: Path,
) -> None:
    project = adopt(tmp_path / "sample", kind, plugin_wheel, manta)
    env = hatch_env(tmp_path / "hatch", standin)
    built = hatch_run(project, env, "release:build")
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-8000:]
    # cibuildwheel ran every stage in the container: before-build, build, auditwheel, the test command
    for stage in ("Running before_build...", "Repairing wheel...", "Testing wheel...", "1 wheel produced"):
        assert stage in output, stage
    wheels = sorted(p.name for p in (project / "dist").glob("*.whl"))
    assert len(wheels) == 1 and wheels[0].startswith(f"sample-1.2.0-{tag}"), wheels
    assert "linux_x86_64" not in wheels[0].replace("manylinux", "")  # repaired
    sdists = sorted(p.name for p in (project / "dist").glob("*.tar.gz"))
    assert sdists == ([] if "sdist = false" in manta else ["sample-1.2.0.tar.gz"])

    checked = hatch_run(project, env, "release:check", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] is True, report
    if sdists:  # its extension is compiled by before-build, which pip does not run for the sdist
        assert "pip does not run when it builds this sdist" in checked.stdout
    installs_and_loads(project / "dist", tmp_path / "venv")
