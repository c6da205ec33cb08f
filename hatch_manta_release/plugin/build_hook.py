"""The plugin's build hook: the wheel's tag from ``wheel`` in ``[tool.manta-release]``, and an
optional version file, as hatch-vcs users expect.

Enabled by ``[tool.hatch.build.hooks.manta-release]`` (an empty table will do):

* ``wheel = "cpython" | "abi3" | "platform"`` makes hatchling write a platform wheel without a
  hook of the project's own: hatchling marks a wheel platform-specific only through a build hook.
  ``cpython``: hatchling's inferred ``cpXY-cpXY-<platform>``; ``abi3``: ``cpXY-abi3-<platform>``
  for the lowest configured Python; ``platform``: ``py3-none-<platform>`` (a library loaded with
  ctypes or cffi works on every Python). ``pure`` (or no ``wheel``) leaves hatchling's default.
* ``version-file = "src/pkg/_version.py"`` writes ``__version__`` and ``__version_tuple__`` at
  build time and ships the file even when it is ignored by git (as it should be).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TEMPLATE = '''\
"""Written by hatch-manta-release at build time from the release tag; do not edit or commit."""

__version__ = version = {version!r}
__version_tuple__ = version_tuple = {version_tuple!r}
'''


class MantaReleaseBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "manta-release"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version != "editable":
            self._set_wheel_tag(build_data)
        self._write_version_file(build_data)

    def _set_wheel_tag(self, build_data: dict[str, Any]) -> None:
        """The tag ``wheel`` asks for (a project hook's own explicit ``tag`` is left alone)."""
        from hatch_manta_release.core.errors import MantaError
        from hatch_manta_release.core.project import load_project

        try:
            config = load_project(self.root).config
        except MantaError as e:  # SystemExit: hatchling would wrap an exception in a traceback
            raise SystemExit(f"manta-release: {e.message}" + (f" ({e.hint})" if e.hint else "")) from None
        if config.wheel in (None, "pure") or "tag" in build_data:
            return
        build_data["pure_python"] = False
        if config.wheel == "cpython":
            build_data["infer_tag"] = True
            return
        platform = self._platform_tag()
        if config.wheel == "platform":
            build_data["tag"] = f"py3-none-{platform}"
        else:  # abi3: the stable ABI of the lowest Python the release builds for
            lowest = config.pythons[0].replace(".", "") if config.pythons else ""
            build_data["tag"] = f"cp{lowest}-abi3-{platform}"

    def _platform_tag(self) -> str:
        """This interpreter's platform tag, as hatchling infers it (``linux_x86_64``, which
        auditwheel repairs to manylinux; on macOS with hatchling's deployment-target handling)."""
        import sys

        from packaging.tags import sys_tags

        tag = next(t for t in sys_tags() if "manylinux" not in t.platform and "musllinux" not in t.platform)
        if sys.platform == "darwin":
            from hatchling.builders.macos import process_macos_plat_tag

            compat = bool(getattr(self.build_config, "macos_max_compat", False))
            return str(process_macos_plat_tag(tag.platform, compat=compat))
        return tag.platform

    def _write_version_file(self, build_data: dict[str, Any]) -> None:
        relative = self.config.get("version-file")
        if relative is None:
            return
        posix = PurePosixPath(relative.replace("\\", "/")) if isinstance(relative, str) else None
        if posix is None or not relative or posix.is_absolute() or ".." in posix.parts or posix.suffix != ".py":
            # SystemExit, not an exception: hatchling would wrap an exception in a traceback.
            shown = f'"{relative}"' if isinstance(relative, str) else repr(relative)
            raise SystemExit(
                f"manta-release: [tool.hatch.build.hooks.manta-release] version-file = {shown}: expected a "
                '.py path inside the project, relative to its root, such as "src/pkg/_version.py"'
            )
        relative = posix.as_posix()  # "./pkg/_version.py" -> "pkg/_version.py"
        from packaging.version import Version

        parsed = Version(self.metadata.version)
        parts: list[int | str] = list(parsed.release)
        if parsed.pre:
            parts.append(f"{parsed.pre[0]}{parsed.pre[1]}")
        if parsed.post is not None:
            parts.append(f"post{parsed.post}")
        if parsed.dev is not None:
            parts.append(f"dev{parsed.dev}")
        if parsed.local:
            parts.append(parsed.local)
        path = Path(self.root, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = TEMPLATE.format(version=self.metadata.version, version_tuple=tuple(parts))
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        build_data.setdefault("artifacts", []).append(f"/{relative}")
