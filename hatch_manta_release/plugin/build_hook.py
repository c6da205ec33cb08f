"""Optional build hook writing a version file, as hatch-vcs users expect.

``[tool.hatch.build.hooks.manta-release] version-file = "src/pkg/_version.py"`` writes
``__version__`` and ``__version_tuple__`` at build time and ships the file even when it is ignored
by git (as it should be).
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


class MantaReleaseBuildHook(BuildHookInterface[Any]):
    PLUGIN_NAME = "manta-release"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
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
        path = Path(self.root, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = version_file_text(self.metadata.version)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        build_data.setdefault("artifacts", []).append(f"/{relative}")


def version_file_text(version: str) -> str:
    """The version file for ``version`` (also what build/reuse.py rewrites in a re-versioned wheel)."""
    from packaging.version import Version

    parsed = Version(version)
    parts: list[int | str] = list(parsed.release)
    if parsed.pre:
        parts.append(f"{parsed.pre[0]}{parsed.pre[1]}")
    if parsed.post is not None:
        parts.append(f"post{parsed.post}")
    if parsed.dev is not None:
        parts.append(f"dev{parsed.dev}")
    if parsed.local:
        parts.append(parsed.local)
    return TEMPLATE.format(version=version, version_tuple=tuple(parts))
