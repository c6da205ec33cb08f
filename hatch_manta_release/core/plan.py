"""The single release decision, made once and read by build, check, publish and the workflow.

A plan says: which tag and version HEAD is, its channel, whether it may be published at all (only
a clean commit on a release tag may), which repository it routes to, the GitHub environment, and
the artifacts a complete release consists of (the sdist plus one wheel per platform and Python, as
cibuildwheel build identifiers; one ``py3-none-any`` wheel for a pure-Python project).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion

from hatch_manta_release.core.config import Config, Repository
from hatch_manta_release.core.github_run import pushed_branch
from hatch_manta_release.core.names import filename_part
from hatch_manta_release.core.platforms import Platform, build_identifiers
from hatch_manta_release.core.project import Project, ProjectInfo, load_project
from hatch_manta_release.core.version import VERSION_ENV, ResolvedVersion, resolve_version


@dataclass(frozen=True)
class ExpectedWheel:
    """One wheel a complete release must contain.

    ``tag_pattern`` is matched against each of a wheel's tags, expanded from its file name
    (``cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64`` is two tags): the wheel satisfies
    the expectation when one of them matches in full. For CPython X.Y on a platform that is
    ``cpXY-cpXY`` (not the free-threaded ``cpXYt``) or a stable-ABI ``cpAB-abi3`` with A.B <= X.Y,
    on one of the platform's tags; for the pure-Python wheel, ``py3-none-any``.
    """

    platform: str | None  # None for the pure-Python wheel
    python: str | None  # "3.12" (the lowest for abi3); None for the pure-Python and py3-none-<platform> wheels
    identifier: str | None  # cibuildwheel build identifier, "cp312-manylinux_x86_64"
    tag_pattern: str  # regex over one expanded wheel tag ("cp312-cp312-manylinux_2_17_x86_64"), matched in full
    # Every cibuildwheel build that makes or tests this wheel: abi3 and py3-none-<platform> wheels are
    # built once per platform and tested on each Python; empty: ``identifier`` alone.
    builds: tuple[str, ...] = ()
    kind: str = "cpython"  # the wheel key's kind: pure, cpython, abi3, platform

    def matches(self, filename: str) -> bool:
        """Whether the wheel file ``filename`` satisfies this expectation (False for a non-wheel name)."""
        try:
            tags = parse_wheel_filename(filename)[3]
        except (InvalidWheelFilename, InvalidVersion):
            return False
        return self.matches_tags(str(tag) for tag in tags)

    def matches_tags(self, tags: Iterable[str]) -> bool:
        """Whether one of ``tags`` (expanded, ``interpreter-abi-platform``) satisfies this expectation."""
        pattern = re.compile(self.tag_pattern)
        return any(pattern.fullmatch(tag) for tag in tags)


@dataclass(frozen=True)
class Plan:
    """What this commit would release, and where."""

    project: str
    version: str
    tag: str | None
    channel: str  # "prerelease" or "final"
    publish: bool  # only a clean commit exactly on a release tag publishes (any build to a dev-versions repository)
    reason: str  # why (not) publishing, in words
    repository: Repository
    pure_python: bool
    dist_dir: str
    sdist: str  # expected sdist file name (when sdist_expected)
    wheels: tuple[ExpectedWheel, ...] = field(default_factory=tuple)
    platforms: tuple[Platform, ...] = field(default_factory=tuple)
    pythons: tuple[str, ...] = field(default_factory=tuple)
    resolved: ResolvedVersion | None = None
    routed_repository: str | None = None  # what the route says; differs from repository.name after --repository
    wheel_kind: str = "cpython"  # pure, cpython, abi3, platform (the wheel key, or detected)
    sdist_expected: bool = True  # sdist = false: the release ships wheels only
    pythons_left_out: tuple[tuple[str, str], ...] = ()  # (CPython, why the plan does not count it)
    sdist_problem: str | None = None  # why the sdist would build a wheel without the compiled files

    @property
    def repository_overridden(self) -> bool:
        """True when ``--repository`` chose a repository other than the route's."""
        return self.routed_repository is not None and self.routed_repository != self.repository.name

    @property
    def override_note(self) -> str | None:
        """The words that say ``--repository`` overrode the route (also the end of ``reason``)."""
        if not self.repository_overridden:
            return None
        route = "pre-release" if self.channel == "prerelease" else "final"
        return (
            f"repository {self.repository.name} chosen with --repository "
            f"(the {route} route says {self.routed_repository})"
        )

    @property
    def environment(self) -> str | None:
        return self.repository.environment

    @property
    def environment_url(self) -> str | None:
        return self.repository.project_page(self.project, self.version)

    def build_identifiers(self, platform: str | None = None) -> list[str]:
        """cibuildwheel's builds for ``platform`` (or all): one per expected wheel, or for an abi3 or
        py3-none-<platform> wheel every Python it is tested on."""
        return [
            build
            for w in self.wheels
            if w.identifier and (platform is None or w.platform == platform)
            for build in (w.builds or (w.identifier,))
        ]

    def build_matrix(self) -> list[dict[str, str]]:
        """One entry per platform to build wheels for (empty for a pure-Python project, whose one
        wheel is built with the sdist): a GitHub Actions matrix ``include`` list."""
        return [
            {
                "platform": p.name,
                "os": p.os,
                "arch": p.arch,
                "runner": p.runner,
                "artifact": p.artifact_name,
                "build": " ".join(self.build_identifiers(p.name)),
            }
            for p in self.platforms
            if not self.pure_python
        ]

    def wheels_in_words(self) -> str:
        if self.pure_python:
            return "one pure-Python wheel (py3-none-any)"
        platforms, pythons = len(self.platforms), len(self.pythons)
        if self.wheel_kind in ("abi3", "platform"):
            tag = f"cp{self.pythons[0].replace('.', '')}-abi3" if self.wheel_kind == "abi3" else "py3-none"
            return (
                f"{len(self.wheels)} {tag} wheel{'s' if len(self.wheels) != 1 else ''} (one per platform, "
                f"tested on {pythons} Python version{'s' if pythons != 1 else ''})"
            )
        return (
            f"{len(self.wheels)} wheels ({platforms} platform{'s' if platforms != 1 else ''} "
            f"x {pythons} Python version{'s' if pythons != 1 else ''})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "tag": self.tag,
            "channel": self.channel,
            "publish": self.publish,
            "reason": self.reason,
            "repository": self.repository.name,
            "routed-repository": self.routed_repository or self.repository.name,
            "repository-overridden": self.repository_overridden,
            "upload-url": self.repository.upload_url,
            "index-url": self.repository.index_url,
            "skip-existing": self.repository.skip_existing,
            "environment": self.environment,
            "environment-url": self.environment_url,
            "pure-python": self.pure_python,
            "wheel": self.wheel_kind,
            "dist-dir": self.dist_dir,
            "artifacts": {
                "sdist": self.sdist,
                "wheels": [
                    {
                        "platform": w.platform,
                        "python": w.python,
                        "identifier": w.identifier,
                        # known in advance only for the pure-Python wheel (platform tags vary)
                        "filename": None if w.identifier else pure_wheel_filename(self.project, self.version),
                    }
                    for w in self.wheels
                ],
            },
            "platforms": [p.name for p in self.platforms],
            "pythons": list(self.pythons),
            "pythons-left-out": dict(self.pythons_left_out),
            "sdist-expected": self.sdist_expected,
            "build-matrix": self.build_matrix(),
            "version-source": self.resolved.source if self.resolved else None,
            "explanation": self.resolved.explanation if self.resolved else None,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def github_outputs(self) -> dict[str, str]:
        """``key=value`` pairs for ``$GITHUB_OUTPUT``; the workflow's later jobs read these.

        Every value is one line; lists and tables are compact JSON (``fromJSON()`` in the workflow).
        ``build-matrix`` is ``{"include": [...]}`` with one entry per platform (see
        :meth:`build_matrix`), ready for ``strategy.matrix``.
        """
        return {
            "project": self.project,
            "version": self.version,
            "tag": self.tag or "",
            "channel": self.channel,
            "publish": "true" if self.publish else "false",
            "repository": self.repository.name,
            "upload-url": self.repository.upload_url,
            "index-url": self.repository.index_url,
            "environment": self.environment or "",
            "environment-url": self.environment_url or "",
            "pure-python": "true" if self.pure_python else "false",
            "platforms": json.dumps([p.name for p in self.platforms], separators=(",", ":")),
            "sdist": self.sdist,
            "build-matrix": json.dumps({"include": self.build_matrix()}, separators=(",", ":")),
        }


def channel_name(channel: str) -> str:
    """The channel in words: "pre-release" (one spelling everywhere) or "final"."""
    return "pre-release" if channel == "prerelease" else "final"


def sdist_filename(project: str, version: str) -> str:
    """The sdist name PEP 625 prescribes (normalised name, underscores)."""
    return f"{filename_part(project)}-{version}.tar.gz"


def pure_wheel_filename(project: str, version: str) -> str:
    """The name of a pure-Python project's one wheel."""
    return f"{filename_part(project)}-{version}-py3-none-any.whl"



def is_pure_python(info: ProjectInfo, config: Config) -> bool:
    """Whether the project builds one ``py3-none-any`` wheel (no cibuildwheel needed).

    An explicit ``wheel`` kind or ``pure-python`` wins; otherwise a project with a hatch build hook (other than ours
    or hatch-vcs's), a non-hatchling backend or its own ``[tool.cibuildwheel]`` table is treated
    as having compiled parts.
    """
    if config.wheel is not None:
        return config.wheel == "pure"
    if config.pure_python is not None:
        return config.pure_python
    backend = info.raw.get("build-system", {}).get("build-backend", "")
    return not (info.has_build_hooks or info.cibuildwheel or (backend and backend != "hatchling.build"))


def wheel_kind(info: ProjectInfo, config: Config) -> str:
    """The kind of wheels the project ships: the ``wheel`` key, else ``pure`` or ``cpython`` as
    ``pure-python`` (or its detection, :func:`is_pure_python`) says."""
    if config.wheel is not None:
        return config.wheel
    return "pure" if is_pure_python(info, config) else "cpython"


def expected_wheels(config: Config, pure: bool | str) -> tuple[ExpectedWheel, ...]:
    """The wheels of a complete release; ``pure`` is a wheel kind (True/False: pure/cpython)."""
    kind = pure if isinstance(pure, str) else "pure" if pure else "cpython"
    if kind == "pure":
        return (ExpectedWheel(None, None, None, PURE_WHEEL_TAG, kind="pure"),)
    wheels = []
    for platform in config.platforms:
        platform_tags = platform_tag_pattern(platform)
        identifiers = build_identifiers(platform, config.pythons)
        if kind == "cpython":
            for python, identifier in zip(config.pythons, identifiers, strict=True):
                pattern = f"{cpython_tag_pattern(python)}-{platform_tags}"
                wheels.append(ExpectedWheel(platform.name, python, identifier, pattern))
        elif kind == "abi3":
            lowest = config.pythons[0]
            pattern = f"{abi3_tag_pattern(lowest)}-{platform_tags}"
            wheels.append(ExpectedWheel(platform.name, lowest, identifiers[0], pattern, tuple(identifiers), "abi3"))
        else:  # platform: py3-none-<platform>, built once, tested on every Python
            pattern = f"py3-none-{platform_tags}"
            wheels.append(ExpectedWheel(platform.name, None, identifiers[0], pattern, tuple(identifiers), "platform"))
    return tuple(wheels)


def sdist_problem(config: Config, kind: str) -> str | None:
    """Why installing from the sdist would give a wheel without its compiled files, or None.

    A platform project whose compiled part is made by ``before-build`` (the reference system's Go
    library) builds it in cibuildwheel and ``manta-release build`` only: pip building the sdist runs
    hatchling alone, and the wheel it makes installs "successfully" without the library."""
    if kind == "pure" or not config.sdist or not config.before_build:
        return None
    return (
        "its compiled files are made by before-build, which pip does not run when it builds this sdist: "
        "an install from the sdist would get a wheel without them"
    )


def abi3_tag_pattern(python: str) -> str:
    """A regex over ``interpreter-abi`` of a stable-ABI wheel every CPython from ``python`` on
    installs: ``cpAB-abi3`` with 3.2 <= A.B <= ``python``."""
    minor = int(python.split(".")[1])
    return f"cp3(?:{'|'.join(str(m) for m in range(minor, 1, -1))})-abi3"


PURE_WHEEL_TAG = "py3-none-any"


def cpython_tag_pattern(python: str) -> str:
    """A regex over a tag's ``interpreter-abi`` part that CPython ``python`` ("3.12") installs.

    ``cp312-cp312``, or the stable ABI of the same or an older 3.x (``cp32-abi3`` .. ``cp312-abi3``).
    Not the free-threaded ``cp312t`` ABI: that is a separate build, never the regular wheel.
    """
    major, minor = (int(part) for part in python.split(".")[:2])
    cp = f"cp{major}{minor}"
    if major != 3 or minor < 2:  # the stable ABI starts at CPython 3.2
        return f"{cp}-{cp}"
    minors = "|".join(str(m) for m in range(minor, 1, -1))
    return f"(?:{cp}-{cp}|cp3(?:{minors})-abi3)"


def platform_tag_pattern(platform: Platform) -> str:
    """A regex over one platform tag of a wheel built for ``platform``.

    Linux: the platform's policy family (``manylinux`` or ``musllinux``; the legacy ``manylinux1``,
    ``manylinux2010``, ``manylinux2014`` aliases included) on its architecture; macOS: any
    deployment target, on its architecture or ``universal2``; Windows: ``win_amd64``/``win_arm64``.
    """
    if platform.os == "linux":
        return rf"{re.escape(platform.wheel_tag_prefix)}[_0-9]*_{re.escape(platform.arch.lower())}"
    if platform.os == "macos":
        return rf"macosx_\d+_\d+_(?:{re.escape(platform.arch.lower())}|universal2)"
    return re.escape(platform.identifier_suffix.lower())


def plan_for(root: str | Path = ".", *, repository: str | None = None) -> Plan:
    """:func:`make_plan` for the project at ``root``."""
    return make_plan(load_project(root), repository=repository)


def make_plan(project: Project, *, repository: str | None = None) -> Plan:
    """Decide the release of ``project``; ``repository`` overrides the route."""
    config, info, root = project.config, project.info, project.root
    if repository:
        config.repository(repository)  # an unknown name fails before any git work
    resolved = resolve_version(root, config)
    routed = config.routes.for_channel(resolved.channel)
    repo = config.repository(repository or routed)
    publish = resolved.is_release or repo.dev_versions
    if resolved.is_release:
        kind = "pre-release" if resolved.channel == "prerelease" else "final release"
        reason = f"{resolved.tag.tag if resolved.tag else f'version {resolved.version}'} is a {kind}"
        if resolved.tag and resolved.tag.note:
            reason += f"; {resolved.tag.note}"  # `v1.0.0-1`: say which reading routed it
    elif repo.dev_versions:
        reason = (f"{resolved.version} is a development build ({resolved.explanation}); {repo.name} takes "
                  "development versions (dev-versions = true)")
    elif resolved.source == "fallback":
        reason = "no release tag: a build only, nothing is published"
    elif resolved.source == "environment":
        reason = (f"the version is forced by {VERSION_ENV}={resolved.version}, not read from a release tag: "
                  f"a build only, nothing is published (unset {VERSION_ENV} to release from the tag)")
    else:
        reason = f"not a clean commit on a release tag ({resolved.explanation}): a build only, nothing is published"
    branch = pushed_branch()
    if resolved.is_release and branch is not None:
        publish = False
        reason += f", but this run was started by a push of branch {branch}: the run of the tag's own push publishes it"
    kind = wheel_kind(info, config)
    pure = kind == "pure"
    version = str(resolved.version)
    plan = Plan(
        project=info.name,
        version=version,
        tag=resolved.tag.tag if resolved.tag and resolved.is_release else None,
        channel=resolved.channel,
        publish=publish,
        reason=reason,
        repository=repo,
        pure_python=pure,
        dist_dir=config.dist_dir,
        sdist=sdist_filename(info.name, version),
        wheels=expected_wheels(config, kind),
        platforms=config.platforms,
        pythons=config.pythons,
        resolved=resolved,
        routed_repository=routed,
        wheel_kind=kind,
        sdist_expected=config.sdist,
        pythons_left_out=tuple(config.pythons_left_out.items()),
        sdist_problem=sdist_problem(config, kind),
    )
    if plan.override_note:
        plan = replace(plan, reason=f"{reason}; {plan.override_note}")
    return plan
