"""Whether ``dist/`` is the release the plan describes, and whether the index will take it.

:func:`check_dist` compares what :func:`~hatch_manta_release.dist.artifacts.read_dist` read with a
:class:`~hatch_manta_release.core.plan.Plan`:

* metadata valid (``twine check --strict``: what PyPI renders), and the metadata's name and version
  agree with the file name;
* every file carries the planned version (a stale file from another build, a ``.dev`` build on a
  final tag, a ``+local`` version that PyPI refuses);
* no wheel tag the target index rejects (``linux_x86_64`` on PyPI-like indexes: repair with
  auditwheel first);
* completeness: every expected wheel (and the sdist) is there, else the list of what is missing;
  ``allow_missing`` turns that list into warnings for a deliberate partial release, and a slice of
  the plan's platforms (a CI matrix job, chosen with :func:`select_platforms`) checks only that slice.

The result is data (:class:`CheckReport` of :class:`~hatch_manta_release.core.findings.Finding`);
the CLI renders it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.findings import Finding, Level
from hatch_manta_release.core.invocation import command_form
from hatch_manta_release.core.names import canonical_name
from hatch_manta_release.dist.artifacts import Artifact, read_metadata

if TYPE_CHECKING:
    from hatch_manta_release.core.plan import ExpectedWheel, Plan
    from hatch_manta_release.core.platforms import Platform

# Architectures users and tools spell differently.
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}


# ----------------------------------------------------------------------------- slices of the plan


def select_platforms(
    platforms: Sequence[Platform], platform: str | None = None, arch: str | None = None
) -> tuple[Platform, ...]:
    """The slice of ``platforms`` that ``--platform`` / ``--arch`` select.

    ``platform`` is an OS (``linux``, ``macos``, ``windows``) or a configured platform name
    (``macos-arm64``); ``arch`` filters by architecture (``x86_64`` = ``amd64``, ``arm64`` =
    ``aarch64``). Selecting nothing is an error that lists what is configured.
    """
    configured = ", ".join(p.name for p in platforms)
    selected = list(platforms)
    if platform:
        wanted = platform.lower()
        if wanted in ("linux", "macos", "windows"):
            selected = [p for p in selected if p.os == wanted]
        else:
            selected = [p for p in selected if p.name == wanted]
            if not selected:
                from hatch_manta_release.core.platforms import KNOWN_PLATFORMS

                known = wanted in KNOWN_PLATFORMS
                raise MantaError(
                    f"--platform {platform}: "
                    + ("not one of the configured platforms" if known else "not a platform name"),
                    f"configured platforms: {configured}; an OS (linux, macos, windows) selects all of its platforms"
                    + ("; add it to platforms in [tool.manta-release]" if known else ""),
                )
    if arch:
        wanted_arch = _norm_arch(arch)
        selected = [p for p in selected if _norm_arch(p.arch) == wanted_arch]
    if not selected:
        chosen = " ".join(f"{k} {v}" for k, v in (("--platform", platform), ("--arch", arch)) if v)
        raise MantaError(
            f"{chosen} selects none of the configured platforms",
            f"configured platforms: {configured}",
        )
    return tuple(selected)


def _norm_arch(arch: str) -> str:
    arch = arch.lower()
    return _ARCH_ALIASES.get(arch, arch)


# ----------------------------------------------------------------------------- the report


@dataclass
class CheckReport:
    """The outcome of :func:`check_dist`; a finding's ``subject`` is the file (None: the whole folder)."""

    artifacts: list[Artifact]
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what a complete release (or slice) lacks, in words
    expected: dict[str, str] = field(default_factory=dict)  # file name -> what of the plan it provides
    allow_missing: bool = False
    platforms: tuple[str, ...] = ()  # the slice checked; all of the plan's when not sliced

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def for_file(self, filename: str) -> list[Finding]:
        return [f for f in self.findings if f.subject == filename]

    def raise_for_errors(self) -> None:
        """Raise a :class:`CheckFailed` naming the first problems, if there is any."""
        if self.ok:
            return
        errors = self.errors
        first = "; ".join(f"{f.subject + ': ' if f.subject else ''}{f.message}" for f in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        hint = next((f.hint for f in errors if f.hint), None)
        raise CheckFailed(f"dist/ is not ready to publish: {first}{more}", hint)


class CheckFailed(MantaError):
    """``dist/`` does not hold the release the plan describes.

    Fix: rebuild what the message lists (``hatch run release:build``) or download every
    platform's artifacts into ``dist/``; ``--allow-missing`` makes a partial release deliberate.
    """


# ----------------------------------------------------------------------------- the checks


def check_dist(
    plan: Plan,
    artifacts: Sequence[Artifact],
    *,
    platforms: Iterable[Platform | str] | None = None,
    allow_missing: bool = False,
    require_sdist: bool | None = None,
    metadata: bool = True,
) -> CheckReport:
    """Check ``artifacts`` (from :func:`~hatch_manta_release.dist.artifacts.read_dist`) against ``plan``.

    ``platforms`` restricts completeness to a slice (platform objects or names); by default the
    whole plan. ``require_sdist`` defaults to True for the whole plan and False for a slice (a
    matrix job builds wheels only). ``metadata=False`` skips ``twine check`` (the slow part).
    """
    report = CheckReport(artifacts=list(artifacts), allow_missing=allow_missing)
    if platforms is None:
        report.platforms = tuple(p.name for p in plan.platforms)
    else:
        report.platforms = tuple(p if isinstance(p, str) else p.name for p in platforms)
    if not artifacts:
        build_first = f"build first: `{command_form('build')}`"
        report.findings.append(Finding("error", "no wheels or sdists in dist/", build_first))
    usable: list[Artifact] = []
    for artifact in artifacts:
        found, counts = _file_findings(plan, artifact)
        report.findings.extend(found)
        if counts:
            usable.append(artifact)
    if metadata and artifacts:
        report.findings.extend(_metadata_findings(artifacts))
    _completeness(plan, usable, report, require_sdist=platforms is None if require_sdist is None else require_sdist)
    return report


def _file_findings(plan: Plan, artifact: Artifact) -> tuple[list[Finding], bool]:
    """What is wrong with one file on its own (its name, project, version, wheel tags), and whether it
    counts towards completeness (not when it is another project's or another version's)."""
    name = artifact.filename
    if artifact.invalid:
        hint = None
        if "-" in name.rsplit(".", 2)[0] and artifact.kind == "wheel":
            hint = "a version with a hyphen (1.4.5.1-dev2) makes an invalid wheel name; build with a PEP 440 version"
        return [Finding("error", artifact.invalid, hint, name)], False
    if canonical_name(artifact.project) != canonical_name(plan.project):
        return [Finding("error", f"belongs to project {artifact.project}, not {plan.project}",
                        "remove it from dist/: publish uploads every file there", name)], False
    findings = _version_findings(plan, artifact)
    if artifact.kind == "wheel":
        findings.extend(_tag_findings(plan, artifact))
    return findings, Version(artifact.version) == Version(plan.version)


def _version_findings(plan: Plan, artifact: Artifact) -> list[Finding]:
    name, version = artifact.filename, Version(artifact.version)
    findings = []
    if version != Version(plan.version):
        if plan.channel == "final" and plan.tag and version.is_devrelease:
            findings.append(Finding(
                "error", f"a development build ({artifact.version}) on final tag {plan.tag}",
                "it was built from a checkout that was not exactly on the tag (a shallow clone, or tags "
                f"not fetched); rebuild with `{command_form('build')}`, which pins every build to the plan",
                name,
            ))
        else:
            findings.append(Finding(
                "error", f"carries version {artifact.version}, the plan says {plan.version}",
                f"remove stale files (`{command_form('build --clean')}`) and rebuild; every build must use "
                "the planned version",
                name,
            ))
    if version.local is not None and not plan.repository.dev_versions:  # a dev-versions folder takes them
        pypi_like, index = plan.repository.is_pypi_like, plan.repository.name
        findings.append(Finding(
            "error" if pypi_like else "warning",
            f"local version {artifact.version} (+{version.local})"
            + (f": {index} rejects local versions" if pypi_like else ""),
            "build from a commit exactly on a release tag, with tags fetched (fetch-depth: 0)",
            name,
        ))
    return findings


def _tag_findings(plan: Plan, artifact: Artifact) -> list[Finding]:
    bare_linux = [t for t in artifact.platform_tags if t.startswith("linux_")]
    if not bare_linux:
        return []
    pypi_like, index = plan.repository.is_pypi_like, plan.repository.name
    return [Finding(
        "error" if pypi_like else "warning",
        f"wheel tag {bare_linux[0]}"
        + (f": {index} rejects linux_* wheels" if pypi_like else " is not portable (not manylinux)"),
        "repair it to a manylinux tag with auditwheel (cibuildwheel does this; so does "
        f"`{command_form('build --builder native')}`)",
        artifact.filename,
    )]


def _metadata_findings(artifacts: Sequence[Artifact]) -> list[Finding]:
    """The metadata inside each file agrees with its name, and ``twine check --strict`` passes."""
    from hatch_manta_release.dist.twine_check import twine_check

    findings = []
    for artifact in artifacts:
        if artifact.invalid:
            continue
        meta = read_metadata(artifact)
        if meta is None:
            where = "*.dist-info/METADATA" if artifact.kind == "wheel" else "PKG-INFO"
            findings.append(Finding("error", f"no {where} inside: not a usable distribution", None, artifact.filename))
            continue
        meta_version = meta.get("Version", "")
        try:
            same = Version(meta_version) == Version(artifact.version)
        except InvalidVersion:
            same = False
        if not same:
            findings.append(Finding(
                "error", f"metadata says version {meta_version or '(none)'}, the file name says {artifact.version}",
                "the file was renamed or edited after the build; rebuild it", artifact.filename,
            ))
        meta_name = meta.get("Name", "")
        if canonical_name(meta_name) != canonical_name(artifact.project):
            findings.append(Finding(
                "error", f"metadata says name {meta_name or '(none)'}, the file name says {artifact.project}",
                None, artifact.filename,
            ))
    findings.extend(twine_check([a for a in artifacts if not a.invalid]))
    return findings


# ----------------------------------------------------------------------------- completeness


def _completeness(plan: Plan, usable: list[Artifact], report: CheckReport, *, require_sdist: bool) -> None:
    """Every expected file of the slice is there (else ``report.missing``), and no wheel is unaccounted for."""
    wheels = [a for a in usable if a.kind == "wheel"]
    sdists = [a for a in usable if a.kind == "sdist"]
    for s in sdists:
        report.expected[s.filename] = "the sdist"
        if plan.sdist_problem:
            report.findings.append(Finding(
                "warning", plan.sdist_problem,
                "set sdist = false in [tool.manta-release] to ship wheels only, or build the library in a hatch "
                "build hook and list it in hatch's artifacts so the sdist can build it",
                s.filename,
            ))
    if not sdists and require_sdist and plan.sdist_expected:
        report.missing.append(f"the sdist {plan.sdist}")
    absent = _expected_wheels(plan, wheels, report)
    for w in wheels:
        if any(e.matches_tags(w.tags) for e in plan.wheels):
            report.expected.setdefault(w.filename, "a wheel of the plan")
        else:
            report.findings.append(_unexpected_wheel(plan, w))
    if report.missing:
        report.findings.append(_missing_finding(plan, absent, report))


def _expected_wheels(plan: Plan, wheels: list[Artifact], report: CheckReport) -> dict[str, list[str]]:
    """Match the slice's expected wheels with the files; returns the absent ones (platform -> Pythons)."""
    in_slice = [w for w in plan.wheels if w.platform is None or w.platform in report.platforms]
    absent: dict[str, list[str]] = {}
    provides: dict[str, list[ExpectedWheel]] = {}  # wheel file name -> the expectations it satisfies
    for expected in in_slice:
        found = [w for w in wheels if expected.matches_tags(w.tags)]
        for w in found:
            provides.setdefault(w.filename, []).append(expected)
        if not found:
            report.missing.append(_describe(expected))
            absent.setdefault(expected.platform or "py3-none-any", []).append(expected.python or "")
    for filename, satisfied in provides.items():
        report.expected.setdefault(filename, _describe_all(satisfied))
    return absent


def _unexpected_wheel(plan: Plan, wheel: Artifact) -> Finding:
    """A wheel that no expectation of the whole plan accounts for."""
    if wheel.is_pure and not plan.pure_python:
        return Finding(
            "error",
            "a py3-none-any wheel, but the project has compiled parts: it would install on every platform "
            "without its native library",
            'set wheel = "platform", "cpython" or "abi3" in [tool.manta-release] with an empty '
            "[tool.hatch.build.hooks.manta-release] table, or mark it in your own build hook "
            '(build_data["pure_python"] = False, build_data["infer_tag"] = True), or set pure-python = true',
            wheel.filename,
        )
    if _free_threaded(wheel):
        return Finding("warning", "not a wheel the plan expects (a free-threaded build: the plan counts regular "
                       "CPython wheels only)", None, wheel.filename)
    return Finding("warning", "not a wheel the plan expects (its platform or Python is not configured)",
                   None, wheel.filename)


def _missing_finding(plan: Plan, absent: dict[str, list[str]], report: CheckReport) -> Finding:
    level: Level = "warning" if report.allow_missing else "error"
    count = len(report.missing)
    names = report.platforms
    what = "the release" if len(names) == len(plan.platforms) else f"the slice {', '.join(names)}"
    return Finding(
        level,
        f"{count} artifact{'s' if count != 1 else ''} of {what} missing: " + _summarise(plan, absent, report),
        None
        if report.allow_missing
        else "build them (each platform on its own runner), or pass --allow-missing for a deliberate partial release",
    )


def _describe(wheel: ExpectedWheel) -> str:
    if wheel.platform is None:
        return "the py3-none-any wheel"
    if wheel.kind == "platform":
        return f"the {wheel.platform} py3-none wheel ({wheel.identifier})"
    if wheel.kind == "abi3":
        return f"the {wheel.platform} abi3 wheel for CPython {wheel.python} and later ({wheel.identifier})"
    return f"{wheel.platform} CPython {wheel.python} wheel ({wheel.identifier})"


def _describe_all(wheels: Sequence[ExpectedWheel]) -> str:
    """What one wheel provides: one expectation, or (an ``abi3`` or ``universal2`` wheel) several."""
    if len(wheels) == 1:
        return _describe(wheels[0])
    by_platform: dict[str, list[ExpectedWheel]] = {}
    for wheel in wheels:
        by_platform.setdefault(wheel.platform or "py3-none-any", []).append(wheel)
    parts = []
    for platform, group in by_platform.items():
        if len(group) == 1:
            parts.append(_describe(group[0]))
        else:
            pythons = ", ".join(w.python or "" for w in group)
            identifiers = ", ".join(w.identifier or "" for w in group)
            parts.append(f"{platform} CPython {pythons} wheels ({identifiers})")
    return "; ".join(parts)


def _free_threaded(wheel: Artifact) -> bool:
    """Whether every CPython tag of ``wheel`` is a free-threaded ABI (``cp313t``)."""
    abis = [tag.split("-")[1] for tag in wheel.tags if tag.startswith("cp")]
    return bool(abis) and all(re.fullmatch(r"cp\d+t", abi) for abi in abis)


def _summarise(plan: Plan, absent: dict[str, list[str]], report: CheckReport) -> str:
    parts = [f"the sdist {plan.sdist}"] if any(m.startswith("the sdist") for m in report.missing) else []
    for platform, pythons in absent.items():
        if platform == "py3-none-any":
            parts.append("the py3-none-any wheel")
        elif plan.wheel_kind in ("abi3", "platform"):
            parts.append(f"{platform} (its {plan.wheel_kind} wheel)")
        elif len(pythons) == len(plan.pythons):
            parts.append(f"{platform} (every Python)")
        else:
            parts.append(f"{platform} (CPython {', '.join(pythons)})")
    return "; ".join(parts)
