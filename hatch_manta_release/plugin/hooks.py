"""Plugin registration (entry point group ``hatch``).

hatchling imports this module on every build of every project that has this package installed,
so nothing heavy is imported here: each hook imports its class only when called, and the
environment collector (which needs hatch itself) is only ever asked for by hatch.
"""

from __future__ import annotations

from hatchling.plugin import hookimpl


@hookimpl
def hatch_register_version_source():  # type: ignore[no-untyped-def]
    from hatch_manta_release.plugin.version_source import MantaReleaseVersionSource

    return MantaReleaseVersionSource


@hookimpl
def hatch_register_build_hook():  # type: ignore[no-untyped-def]
    from hatch_manta_release.plugin.build_hook import MantaReleaseBuildHook

    return MantaReleaseBuildHook


@hookimpl
def hatch_register_environment_collector():  # type: ignore[no-untyped-def]
    from hatch_manta_release.plugin.collector import MantaReleaseEnvironmentCollector

    return MantaReleaseEnvironmentCollector
