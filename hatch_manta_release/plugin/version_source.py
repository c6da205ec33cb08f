"""The hatchling version source: ``[tool.hatch.version] source = "manta-release"``.

It runs on every build and every install of every adopting project, so it imports only hatchling's
interface, the standard library and ``packaging`` (never hatch, twine, click or rich), and asks git
once in the common case.
"""

from __future__ import annotations

from hatchling.version.source.plugin.interface import VersionSourceInterface


class MantaReleaseVersionSource(VersionSourceInterface):
    """Derives the version from the nearest release tag of HEAD."""

    PLUGIN_NAME = "manta-release"

    def get_version_data(self) -> dict[str, str]:
        import sys

        from hatch_manta_release.core.errors import MantaError
        from hatch_manta_release.core.project import load_config
        from hatch_manta_release.core.version import resolve_version

        try:
            config = load_config(self.root, for_version_source=True)
            resolved = resolve_version(self.root, config)
        except MantaError as e:
            # A user mistake (bad tag, shallow clone, malformed config): hatchling wraps any
            # Exception into a traceback, but lets SystemExit through, which prints just the
            # message and fails the build, `hatch version` or `pip install` cleanly.
            raise SystemExit(f"manta-release: {e}") from None
        for warning in resolved.warnings:
            # Skipped tags (matching the prefix, but no version): on stderr, so the version on
            # stdout (`hatchling version`) stays the only thing a script reads.
            print(f"manta-release: warning: {warning}", file=sys.stderr)
        return {"version": str(resolved.version)}

    def set_version(self, version: str, version_data: dict[str, str]) -> None:
        raise SystemExit(
            "manta-release: the version comes from git tags and cannot be set in a file; "
            f"tag the commit instead (git tag v{version})"
        )
