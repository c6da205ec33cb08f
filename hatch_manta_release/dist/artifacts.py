"""What is in ``dist/``, and whether it is the release the plan describes.

:func:`read_dist` reads every distribution in a folder (name, version, wheel tags, size, sha256);
:func:`check_dist` compares them with a :class:`~hatch_manta_release.core.plan.Plan`:

* metadata valid (``twine check --strict``: what PyPI renders), and the metadata's name and version
  agree with the file name;
* every file carries the planned version (a stale file from another build, a ``.dev`` build on a
  final tag, a ``+local`` version that PyPI refuses);
* no wheel tag the target index rejects (``linux_x86_64`` on PyPI-like indexes: repair with
  auditwheel first);
* completeness: every expected wheel (and the sdist) is there, else the list of what is missing;
  ``allow_missing`` turns that list into warnings for a deliberate partial release, and a slice of
  the plan's platforms (a CI matrix job) checks only that slice.

The publisher imports :func:`read_dist` and :func:`check_dist`; their names and the fields of
:class:`Artifact` are a stable interface.
"""

from __future__ import annotations

import email.parser
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.errors import MantaError

if TYPE_CHECKING:
    from rich.table import Table

    from hatch_manta_release.core.plan import ExpectedWheel, Plan
    from hatch_manta_release.core.platforms import Platform

Kind = Literal["wheel", "sdist"]
Level = Literal["error", "warning"]

# Architectures users and tools spell differently.
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}


# ----------------------------------------------------------------------------- reading dist/


@dataclass(frozen=True)
class Artifact:
    """One distribution file in ``dist/``."""

    path: Path
    filename: str
    kind: Kind
    version: str  # normalised version from the file name; "" when the name cannot be parsed
    size: int
    sha256: str
    project: str = ""  # canonical project name from the file name
    tags: tuple[str, ...] = ()  # wheels: every expanded tag, "cp312-cp312-manylinux_2_17_x86_64"
    invalid: str | None = None  # why the file name is not a valid wheel or sdist name

    @property
    def platform_tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(tag.rsplit("-", 1)[-1] for tag in self.tags))

    @property
    def is_pure(self) -> bool:
        return self.kind == "wheel" and self.platform_tags == ("any",)

    @property
    def size_text(self) -> str:
        return human_size(self.size)


def read_dist(dist_dir: str | Path) -> list[Artifact]:
    """Every wheel and sdist in ``dist_dir``: wheels first (the upload order), then sdists.

    Other files (logs, ``.DS_Store``) are ignored. A missing folder is a :class:`MantaError`.
    """
    folder = Path(dist_dir)
    if not folder.is_dir():
        raise MantaError(
            f"no distribution folder {folder}",
            "build first: `manta-release build` (or download the CI artifacts into it)",
        )
    artifacts = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and (path.name.endswith((".whl", ".tar.gz", ".zip"))):
            artifacts.append(read_artifact(path))
    artifacts.sort(key=lambda a: (a.kind != "wheel", a.filename))
    return artifacts


def read_artifact(path: str | Path) -> Artifact:
    path = Path(path)
    name = path.name
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    size = path.stat().st_size
    kind: Kind = "wheel" if name.endswith(".whl") else "sdist"
    project, version, tags, invalid = "", "", (), None
    try:
        if kind == "wheel":
            parsed_name, parsed_version, _build, tag_set = parse_wheel_filename(name)
            tags = tuple(sorted(str(t) for t in tag_set))
        elif name.endswith(".zip"):
            invalid = "a .zip sdist: PyPI accepts only .tar.gz sdists (PEP 625)"
            parsed_name, parsed_version = parse_sdist_filename(name[: -len(".zip")] + ".tar.gz")
        else:
            parsed_name, parsed_version = parse_sdist_filename(name)
        project, version = str(parsed_name), str(parsed_version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as e:
        invalid = f"not a valid {kind} file name: {e}"
    return Artifact(
        path=path,
        filename=name,
        kind=kind,
        version=version,
        size=size,
        sha256=digest.hexdigest(),
        project=project,
        tags=tags,
        invalid=invalid,
    )


def read_metadata(artifact: Artifact) -> Message | None:
    """The core metadata (``METADATA`` / ``PKG-INFO``) inside the file, or None if absent."""
    try:
        if artifact.kind == "wheel":
            with zipfile.ZipFile(artifact.path) as zf:
                names = [n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
                if len(names) != 1:
                    return None
                text = zf.read(names[0]).decode("utf-8", "replace")
        else:
            if not artifact.filename.endswith(".tar.gz"):
                return None
            with tarfile.open(artifact.path, "r:gz") as tf:
                member = next((m for m in tf if re.fullmatch(r"[^/]+/PKG-INFO", m.name) and m.isfile()), None)
                if member is None:
                    return None
                handle = tf.extractfile(member)
                if handle is None:
                    return None
                text = handle.read().decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError):
        return None
    return email.parser.Parser().parsestr(text, headersonly=True)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def artifact_table(
    artifacts: Sequence[Artifact], status: Mapping[str, str] | None = None, title: str | None = None
) -> Table:
    """A rich table of the artifacts: name, size, sha256 prefix (and a status column when given)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("artifact", overflow="fold")
    table.add_column("size", justify="right")
    table.add_column("sha256")
    if status is not None:
        table.add_column("")
    for artifact in artifacts:
        row = [escape(artifact.filename), artifact.size_text, artifact.sha256[:12]]
        if status is not None:
            row.append(status.get(artifact.filename, ""))
        table.add_row(*row)
    return table


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


# ----------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Finding:
    """One problem (or warning) about ``dist/``; ``filename`` is None for the whole folder."""

    level: Level
    message: str
    filename: str | None = None
    hint: str | None = None


@dataclass
class CheckReport:
    """The outcome of :func:`check_dist`."""

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
        return [f for f in self.findings if f.filename == filename]

    def raise_for_errors(self) -> None:
        """Raise a :class:`CheckFailed` naming the first problems, if there is any."""
        if self.ok:
            return
        errors = self.errors
        first = "; ".join(f"{f.filename + ': ' if f.filename else ''}{f.message}" for f in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        hint = next((f.hint for f in errors if f.hint), None)
        raise CheckFailed(f"dist/ is not ready to publish: {first}{more}", hint)


class CheckFailed(MantaError):
    """``dist/`` does not hold the release the plan describes.

    Fix: rebuild what the message lists (``hatch run release:build``) or download every
    platform's artifacts into ``dist/``; ``--allow-missing`` makes a partial release deliberate.
    """


def check_dist(
    plan: Plan,
    artifacts: Sequence[Artifact],
    *,
    platforms: Iterable[Platform | str] | None = None,
    allow_missing: bool = False,
    require_sdist: bool | None = None,
    metadata: bool = True,
) -> CheckReport:
    """Check ``artifacts`` (from :func:`read_dist`) against ``plan``.

    ``platforms`` restricts completeness to a slice (platform objects or names); by default the
    whole plan. ``require_sdist`` defaults to True for the whole plan and False for a slice (a
    matrix job builds wheels only). ``metadata=False`` skips ``twine check`` (the slow part).
    """
    report = CheckReport(artifacts=list(artifacts), allow_missing=allow_missing)
    add = report.findings.append
    pypi_like = plan.repository.is_pypi_like
    index = plan.repository.name
    planned = Version(plan.version)
    project = canonicalize_name(plan.project)
    sliced = platforms is not None
    slice_names = (
        tuple(p if isinstance(p, str) else p.name for p in platforms)  # type: ignore[union-attr]
        if platforms is not None
        else tuple(p.name for p in plan.platforms)
    )
    report.platforms = slice_names
    if require_sdist is None:
        require_sdist = not sliced

    if not artifacts:
        add(Finding("error", "no wheels or sdists in dist/", None, "build first: `manta-release build`"))

    usable: list[Artifact] = []
    for artifact in artifacts:
        name = artifact.filename
        if artifact.invalid:
            hint = None
            if "-" in name.rsplit(".", 2)[0] and artifact.kind == "wheel":
                hint = (
                    "a version with a hyphen (1.4.5.1-dev2) makes an invalid wheel name; "
                    "build with a PEP 440 version"
                )
            add(Finding("error", artifact.invalid, name, hint))
            continue
        if canonicalize_name(artifact.project) != project:
            add(
                Finding(
                    "error",
                    f"belongs to project {artifact.project}, not {plan.project}",
                    name,
                    "remove it from dist/: publish uploads every file there",
                )
            )
            continue
        version = Version(artifact.version)
        version_ok = True
        if version != planned:
            version_ok = False
            if plan.channel == "final" and plan.tag and version.is_devrelease:
                add(
                    Finding(
                        "error",
                        f"a development build ({artifact.version}) on final tag {plan.tag}",
                        name,
                        "it was built from a checkout that was not exactly on the tag (a shallow clone, or tags "
                        "not fetched); rebuild with `manta-release build`, which pins every build to the plan",
                    )
                )
            else:
                add(
                    Finding(
                        "error",
                        f"carries version {artifact.version}, the plan says {plan.version}",
                        name,
                        "remove stale files (`manta-release build --clean`) and rebuild; every build must use "
                        "the planned version",
                    )
                )
        if version.local is not None:
            add(
                Finding(
                    "error" if pypi_like else "warning",
                    f"local version {artifact.version} (+{version.local})"
                    + (f": {index} rejects local versions" if pypi_like else ""),
                    name,
                    "build from a commit exactly on a release tag, with tags fetched (fetch-depth: 0)",
                )
            )
        if artifact.kind == "wheel":
            bare_linux = [t for t in artifact.platform_tags if t.startswith("linux_")]
            if bare_linux:
                add(
                    Finding(
                        "error" if pypi_like else "warning",
                        f"wheel tag {bare_linux[0]}"
                        + (f": {index} rejects linux_* wheels" if pypi_like else " is not portable (not manylinux)"),
                        name,
                        "repair it to a manylinux tag with auditwheel (cibuildwheel does this; so does "
                        "`manta-release build --builder native`)",
                    )
                )
        if version_ok:
            usable.append(artifact)

    if metadata and artifacts:
        report.findings.extend(_metadata_findings(plan, artifacts))

    _completeness(plan, usable, report, slice_names, require_sdist=require_sdist)
    return report


def _metadata_findings(plan: Plan, artifacts: Sequence[Artifact]) -> list[Finding]:
    findings = []
    for artifact in artifacts:
        if artifact.invalid:
            continue
        meta = read_metadata(artifact)
        if meta is None:
            where = "*.dist-info/METADATA" if artifact.kind == "wheel" else "PKG-INFO"
            findings.append(Finding("error", f"no {where} inside: not a usable distribution", artifact.filename))
            continue
        meta_version = meta.get("Version", "")
        try:
            same = Version(meta_version) == Version(artifact.version)
        except InvalidVersion:
            same = False
        if not same:
            findings.append(
                Finding(
                    "error",
                    f"metadata says version {meta_version or '(none)'}, the file name says {artifact.version}",
                    artifact.filename,
                    "the file was renamed or edited after the build; rebuild it",
                )
            )
        meta_name = meta.get("Name", "")
        if canonicalize_name(meta_name) != canonicalize_name(artifact.project):
            findings.append(
                Finding(
                    "error",
                    f"metadata says name {meta_name or '(none)'}, the file name says {artifact.project}",
                    artifact.filename,
                )
            )
    findings.extend(twine_check([a for a in artifacts if not a.invalid]))
    return findings


def twine_check(artifacts: Sequence[Artifact]) -> list[Finding]:
    """``twine check --strict`` on every file; a finding for each file that fails.

    One twine run checks all files; twine stops at a file it cannot read at all
    (``InvalidDistribution``), so the files after it are checked by another run.
    """
    from importlib.util import find_spec

    if find_spec("twine") is None:
        return [Finding("error", f"twine is not installed in this environment ({sys.executable})", None,
                        "install the release extra (hatch run release:check does), or: pip install 'twine>=7'")]
    findings: list[Finding] = []
    remaining = list(artifacts)
    # One stream, unbuffered: twine prints statuses on stdout and the warnings through logging on stderr.
    # TERM=dumb would make rich wrap at 80 columns, cutting long paths.
    env = dict(os.environ, NO_COLOR="1", TERM="xterm", COLUMNS="4000", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    env.pop("FORCE_COLOR", None)
    while remaining:
        cmd = [sys.executable, "-m", "twine", "--no-color", "check", "--strict", *(str(a.path) for a in remaining)]
        result = subprocess.run(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False, timeout=300
        )
        if result.returncode == 0:
            break
        output = _strip_ansi(result.stdout)
        statuses = _parse_twine(output, remaining)
        failed = [(a, msgs) for a, (ok, msgs) in zip(remaining, statuses, strict=True) if ok is False]
        for artifact, msgs in failed:
            text = "; ".join(msgs) or "twine check failed"
            findings.append(
                Finding("error", f"metadata rejected by twine check --strict: {text}", artifact.filename,
                        _twine_hint(text))
            )
        unchecked = [a for a, (ok, _) in zip(remaining, statuses, strict=True) if ok is None]
        if not failed or len(unchecked) == len(remaining):
            tail = " ".join(output.split())[-400:]
            findings.append(Finding("error", f"twine check --strict failed: {tail}", None))
            break
        remaining = unchecked
    return findings


def _parse_twine(output: str, artifacts: Sequence[Artifact]) -> list[tuple[bool | None, list[str]]]:
    """For each artifact: passed (True), failed (False) or not reached (None), with twine's messages."""
    by_path = {str(a.path): i for i, a in enumerate(artifacts)}
    states: list[tuple[bool | None, list[str]]] = [(None, []) for _ in artifacts]
    current: int | None = None
    for raw in output.splitlines():
        line = raw.strip()
        if line.startswith("Checking "):
            rest = line[len("Checking ") :]
            current = next((i for path, i in by_path.items() if rest.startswith(path + ":")), None)
            if current is None:
                continue
            status = rest[len(str(artifacts[current].path)) + 1 :].strip()
            if status.startswith("PASSED"):
                states[current] = (True, [])
            elif status.startswith("FAILED"):
                states[current] = (False, [])
            elif status.startswith("ERROR"):  # twine could not read the file and stopped
                message = status[len("ERROR") :].strip()
                states[current] = (False, [message.replace(f": {artifacts[current].path}", "")])
                current = None
            continue
        if current is None or states[current][0] is not False:
            continue
        messages = states[current][1]
        if line.startswith(("WARNING", "ERROR")):
            messages.append(line.split(None, 1)[1].strip() if " " in line else line)
        elif line and messages:
            messages[-1] += " " + line
    return states


def _twine_hint(text: str) -> str | None:
    if "long_description" in text:
        return 'set readme = "README.md" in [project] (PyPI shows it as the project description)'
    return None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _describe(wheel: ExpectedWheel) -> str:
    if wheel.platform is None:
        return "the py3-none-any wheel"
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
        elif len(pythons) == len(plan.pythons):
            parts.append(f"{platform} (every Python)")
        else:
            parts.append(f"{platform} (CPython {', '.join(pythons)})")
    return "; ".join(parts)


def _completeness(
    plan: Plan, usable: list[Artifact], report: CheckReport, slice_names: tuple[str, ...], *, require_sdist: bool
) -> None:
    add = report.findings.append
    level: Level = "warning" if report.allow_missing else "error"
    wheels = [a for a in usable if a.kind == "wheel"]
    sdists = [a for a in usable if a.kind == "sdist"]

    if sdists:
        for s in sdists:
            report.expected[s.filename] = "the sdist"
    elif require_sdist:
        report.missing.append(f"the sdist {plan.sdist}")

    in_slice = [w for w in plan.wheels if w.platform is None or w.platform in slice_names]
    absent: dict[str, list[str]] = {}  # platform -> Pythons, for a short message
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
    # Wheels no expectation of the whole plan accounts for.
    for w in wheels:
        if any(e.matches_tags(w.tags) for e in plan.wheels):
            report.expected.setdefault(w.filename, "a wheel of the plan")
            continue
        if w.is_pure and not plan.pure_python:
            add(
                Finding(
                    "error",
                    "a py3-none-any wheel, but the project has compiled parts: it would install on every platform "
                    "without its native library",
                    w.filename,
                    'mark the wheel platform-specific in the build hook (build_data["pure_python"] = False, '
                    'build_data["infer_tag"] = True), or set pure-python = true in [tool.manta-release]',
                )
            )
        elif _free_threaded(w):
            add(Finding("warning", "not a wheel the plan expects (a free-threaded build: the plan counts regular "
                        "CPython wheels only)", w.filename))
        else:
            add(Finding("warning", "not a wheel the plan expects (its platform or Python is not configured)",
                        w.filename))

    if report.missing:
        count = len(report.missing)
        what = "the release" if len(slice_names) == len(plan.platforms) else f"the slice {', '.join(slice_names)}"
        add(
            Finding(
                level,
                f"{count} artifact{'s' if count != 1 else ''} of {what} missing: " + _summarise(plan, absent, report),
                None,
                None
                if report.allow_missing
                else "build them (each platform on its own runner), or pass --allow-missing for a deliberate "
                "partial release",
            )
        )
