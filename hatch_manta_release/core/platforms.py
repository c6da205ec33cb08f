"""The platforms a release can target, and what each means to cibuildwheel and GitHub Actions.

A platform name is ``<os>-<arch>`` as users say it (``macos-arm64``); cibuildwheel wants an OS for
``--platform``, an architecture for ``--archs`` and build identifiers (``cp312-macosx_arm64``);
the workflow wants a runner that can build *and test* that platform natively (cross-built macOS
wheels cannot be tested on the runner that built them, which the reference system learnt).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """One build target."""

    name: str
    os: str  # cibuildwheel's --platform: linux, macos, windows
    arch: str  # cibuildwheel's --archs value
    identifier_suffix: str  # cibuildwheel build identifier after "cpXY-"
    runner: str  # GitHub-hosted runner that builds and tests it natively
    wheel_tag_prefix: str  # what the platform tag of a wheel built for it starts with

    @property
    def artifact_name(self) -> str:
        return f"wheels-{self.name}"


KNOWN_PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("linux-x86_64", "linux", "x86_64", "manylinux_x86_64", "ubuntu-latest", "manylinux"),
        Platform("linux-aarch64", "linux", "aarch64", "manylinux_aarch64", "ubuntu-24.04-arm", "manylinux"),
        Platform("musllinux-x86_64", "linux", "x86_64", "musllinux_x86_64", "ubuntu-latest", "musllinux"),
        Platform(
            "musllinux-aarch64", "linux", "aarch64", "musllinux_aarch64", "ubuntu-24.04-arm", "musllinux"
        ),
        Platform("macos-x86_64", "macos", "x86_64", "macosx_x86_64", "macos-15-intel", "macosx"),
        Platform("macos-arm64", "macos", "arm64", "macosx_arm64", "macos-15", "macosx"),
        Platform("windows-amd64", "windows", "AMD64", "win_amd64", "windows-latest", "win_amd64"),
        Platform("windows-arm64", "windows", "ARM64", "win_arm64", "windows-11-arm", "win_arm64"),
    )
}

DEFAULT_PLATFORMS: tuple[str, ...] = ("linux-x86_64", "macos-x86_64", "macos-arm64", "windows-amd64")

# CPython minor versions cibuildwheel can build; filtered by the project's `python` specifier.
# The CPythons cibuildwheel 4.x builds (3.8 is gone; 3.15 is in); pyproject.toml pins its major
# version so a plan never expects a wheel the builder cannot make.
KNOWN_PYTHONS: tuple[str, ...] = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15")


def build_identifiers(platform: Platform, pythons: tuple[str, ...]) -> list[str]:
    """cibuildwheel build identifiers (``cp312-manylinux_x86_64``) for one platform."""
    return [f"cp{py.replace('.', '')}-{platform.identifier_suffix}" for py in pythons]


def host_platform() -> Platform | None:
    """The platform this machine builds natively (for the native builder and local runs)."""
    import platform as _platform
    import sys

    machine = _platform.machine().lower()
    if sys.platform.startswith("linux"):
        arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
        return KNOWN_PLATFORMS.get(f"linux-{arch}")
    if sys.platform == "darwin":
        return KNOWN_PLATFORMS.get("macos-arm64" if machine == "arm64" else "macos-x86_64")
    if sys.platform == "win32":
        return KNOWN_PLATFORMS.get("windows-arm64" if machine == "arm64" else "windows-amd64")
    return None


OS_LABEL: dict[str, str] = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}

# cibuildwheel's name (``--platform``) for the OS this machine runs.
HOST_OS: str = "linux" if sys.platform.startswith("linux") else "macos" if sys.platform == "darwin" else "windows"
