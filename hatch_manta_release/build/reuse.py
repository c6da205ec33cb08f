"""Pre-releases without rebuilding: the base release's wheels, re-versioned (``reuse = true``).

When a pre-release's base release (the highest final below it: ``v1.5.0`` for ``v1.5.1-rc.1``) exists
and no file that can change the wheels changed between that tag and HEAD, the base release's wheels
are fetched (from the GitHub Release of the base tag, or from the index that holds it, sha256 checked)
and rewritten to the new version: the file name, the ``.dist-info`` (and ``.data``) folder,
``METADATA``, the ``version-file`` this plugin's build hook wrote, and ``RECORD`` with new hashes.
Every other member is copied byte for byte.

Which changes count. The reference system watched only its native folder and so shipped stale Python
code; here a changed path counts when hatch's wheel configuration includes it (its own file
selection: ``packages``, ``include``/``exclude``, ``only-include``, ``force-include``, artifacts),
and ``pyproject.toml`` always counts (metadata, dependencies, build settings). A project with build
hooks (compiled parts) builds from files the wheel does not contain (``native/adder.c``), so there
every changed path counts. ``reuse-ignore = [globs]`` takes paths out (docs, tests, CI files).

Anything else falls back to a normal build, with the reason: a changed file (named), no base
release, a wheel the plan expects that the base release lacks, a hash that does not match.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import re
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import parse_wheel_filename
from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.git import run_git, tag_glob
from hatch_manta_release.core.plan import Plan
from hatch_manta_release.core.project import Project
from hatch_manta_release.core.tags import version_from_tag

ALWAYS_COUNTS = ("pyproject.toml",)
SHOWN_CHANGES = 5
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")


@dataclass(frozen=True)
class ReuseSettings:
    """``reuse`` and ``reuse-ignore`` of ``[tool.manta-release]``."""

    enabled: bool = False
    ignore: tuple[str, ...] = ()


def settings_of(project: Project) -> ReuseSettings:
    """``reuse`` and ``reuse-ignore``, validated with the rest of the config (core/config.py)."""
    return ReuseSettings(project.config.reuse, project.config.reuse_ignore)


@dataclass(frozen=True)
class ReuseDecision:
    reuse: bool
    reason: str
    base_tag: str | None = None
    base_version: str | None = None
    changed: tuple[str, ...] = ()  # the paths that count (a fallback's reason)


# ----------------------------------------------------------------------------- the decision (git only)


def base_release(project: Project, version: str) -> tuple[str, Version] | None:
    """The highest final release tag below the pre-release ``version``."""
    config = project.config
    mine = Version(version)
    listed = run_git(project.root, "tag", "--list", tag_glob(config.tag_prefix))
    finals = []
    for tag in listed.stdout.split():
        try:
            tagged = version_from_tag(tag, config.tag_prefix, config.prerelease_labels).version
        except (MantaError, InvalidVersion):
            continue
        if not tagged.is_prerelease and tagged < mine:
            finals.append((tagged, tag))
    if not finals:
        return None
    best = max(finals)
    return best[1], best[0]


def changed_paths(root: Path, base_tag: str) -> list[str]:
    """Every path added, changed or removed between ``base_tag`` and HEAD (renames as both paths)."""
    result = run_git(root, "diff", "--name-only", "--no-renames", f"{base_tag}^{{commit}}", "HEAD", "--")
    if result.returncode != 0:
        raise MantaError(f"git cannot compare {base_tag} with HEAD: {result.stderr.strip()}",
                         "fetch the whole history and tags (actions/checkout with fetch-depth: 0)")
    return sorted(line for line in result.stdout.splitlines() if line)


def wheel_selector(root: Path) -> Callable[[str], bool]:
    """Whether hatch's wheel configuration includes a path (relative, ``/``-separated), as hatchling decides."""
    from hatchling.builders.wheel import WheelBuilder

    builder = WheelBuilder(str(root))
    included = {Path(f.relative_path).as_posix() for f in builder.recurse_included_files() if f.relative_path}
    config = builder.config

    def selects(path: str) -> bool:
        if path in included:
            return True
        if (root / path).exists():
            return False  # present and not selected by hatchling's own walk
        return bool(config.include_path(path, is_package=True))  # removed since the base: ask the config

    return selects


def counts(path: str, settings: ReuseSettings, every_path: bool, selects: Callable[[str], bool]) -> bool:
    """Whether a changed ``path`` can change the wheels (see the module docs)."""
    if path in ALWAYS_COUNTS:
        return True
    if any(fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/")
           for pattern in settings.ignore):
        return False
    return every_path or selects(path)


def decide_reuse(project: Project, plan: Plan, settings: ReuseSettings) -> ReuseDecision:
    """Whether ``build`` may take the base release's wheels: git and hatch's file selection only, no network."""
    if not settings.enabled:
        return ReuseDecision(False, "reuse is off")
    if plan.channel != "prerelease" or not plan.publish:
        return ReuseDecision(False, "reuse applies to pre-release tags only: building")
    base = base_release(project, plan.version)
    if base is None:
        return ReuseDecision(False, f"no final release below {plan.version} to reuse: building")
    tag, version = base
    every_path = project.info.has_build_hooks
    selects = (lambda _path: True) if every_path else wheel_selector(project.root)
    changed = tuple(p for p in changed_paths(project.root, tag) if counts(p, settings, every_path, selects))
    if changed:
        shown = ", ".join(changed[:SHOWN_CHANGES]) + (f" and {len(changed) - SHOWN_CHANGES} more"
                                                       if len(changed) > SHOWN_CHANGES else "")
        return ReuseDecision(False, f"{len(changed)} file(s) that go into the wheels changed since {tag} "
                                    f"({shown}): building", tag, str(version), changed)
    return ReuseDecision(True, f"nothing that goes into the wheels changed since {tag}: its wheels are "
                               f"re-versioned to {plan.version}", tag, str(version))


# ----------------------------------------------------------------------------- re-versioning one wheel


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@dataclass
class Reversioned:
    path: Path
    rewritten: list[str] = field(default_factory=list)  # members whose content changed (besides RECORD)
    dropped: list[str] = field(default_factory=list)  # signatures of the old RECORD


def _rename(member: str, prefixes: Mapping[str, str]) -> str:
    for old, new in prefixes.items():
        if member.startswith(old):
            return new + member[len(old):]
    return member


def _metadata(data: bytes, version: str) -> bytes:
    head, sep, body = data.partition(b"\n\n")
    head, count = re.subn(rb"(?m)^Version: .*$", f"Version: {version}".encode(), head, count=1)
    if not count:
        raise MantaError("the wheel's METADATA has no Version field", "rebuild it")
    return head + sep + body


def reversion_wheel(wheel: Path, version: str, dest: Path) -> Reversioned:
    """Write ``wheel`` at ``version`` into ``dest``: name, dist-info/data folders, METADATA, version-file, RECORD."""
    from hatch_manta_release.plugin.build_hook import version_file_text

    name = parse_wheel_filename(wheel.name)[0]
    parts = wheel.name[:-4].split("-")  # dist, version, [build,] python, abi, platform
    dist, old, rest = parts[0], parts[1], "-".join(parts[2:])
    new = str(Version(version))
    prefixes = {f"{dist}-{old}.dist-info/": f"{dist}-{new}.dist-info/", f"{dist}-{old}.data/": f"{dist}-{new}.data/"}
    old_version_file, new_version_file = version_file_text(old).encode(), version_file_text(new).encode()
    target = dest / f"{dist}-{new}-{rest}.whl"
    result = Reversioned(target)
    record_name = f"{dist}-{new}.dist-info/RECORD"
    records: list[str] = []
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            member = _rename(info.filename, prefixes)
            if member.rsplit("/", 1)[-1] in _SIGNATURES and member.startswith(f"{dist}-{new}.dist-info/"):
                result.dropped.append(info.filename)
                continue
            if member == record_name:
                continue
            data = source.read(info)
            if member == f"{dist}-{new}.dist-info/METADATA":
                data = _metadata(data, new)
                result.rewritten.append(member)
            elif data == old_version_file:
                data = new_version_file
                result.rewritten.append(member)
            out.writestr(_copy_info(info, member), data)
            records.append(f"{member},{_record_hash(data)},{len(data)}")
        records.append(f"{record_name},,")
        out.writestr(_copy_info(source.getinfo(f"{dist}-{old}.dist-info/RECORD"), record_name),
                     "\n".join(records) + "\n")
    _check_name(name, target)
    return result


def _copy_info(info: zipfile.ZipInfo, name: str) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(name, date_time=info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    return copy


def _check_name(project: str, path: Path) -> None:
    parsed = parse_wheel_filename(path.name)[0]
    if parsed != project:  # pragma: no cover - the name part is copied
        raise MantaError(f"re-versioning produced {path.name}, a wheel of {parsed}, not {project}")


# ----------------------------------------------------------------------------- fetching the base wheels


@dataclass(frozen=True)
class RemoteWheel:
    filename: str
    url: str
    sha256: str | None
    getter: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)  # an API download


Fetch = Callable[[RemoteWheel], bytes]


def download(wheel: RemoteWheel, timeout: float = 120.0) -> bytes:
    """The wheel's bytes: through its getter (GitHub's API), else a plain GET of its URL (an index's file)."""
    if wheel.getter is not None:
        return wheel.getter()
    if not wheel.url.startswith(("http://", "https://")):
        raise MantaError(f"not an http(s) URL for {wheel.filename}: {wheel.url}")
    request = urllib.request.Request(wheel.url)  # noqa: S310 - checked above
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return bytes(response.read())


def index_wheels(index_url: str, project: str, version: str) -> list[RemoteWheel]:
    """The wheels of ``project==version`` on a simple index, with the index's sha256 for each."""
    from hatch_manta_release.publish.index import existing_files

    wanted = Version(version)
    found = []
    for name, entry in existing_files(index_url, project).items():
        if name.endswith(".whl") and parse_wheel_filename(name)[1] == wanted:
            found.append(RemoteWheel(name, entry.url, entry.sha256))
    return found


def github_wheels(environ: Mapping[str, str], tag: str) -> list[RemoteWheel]:
    """The wheels attached to the GitHub Release of ``tag``, with GitHub's sha256 ``digest`` of each."""
    from hatch_manta_release.github.release import find_release, list_assets, remote_sha256
    from hatch_manta_release.github.rest import GitHubAPI, target_from_env

    api = GitHubAPI(target_from_env(environ))
    release = find_release(api, tag)
    if release is None:
        return []
    return [RemoteWheel(str(a["name"]), str(a["url"]), remote_sha256(a), getter=_api_download(api, str(a["url"])))
            for a in list_assets(api, release) if str(a.get("name", "")).endswith(".whl")]


def _api_download(api: Any, url: str) -> Callable[[], bytes]:
    return lambda: bytes(api.download(url))


@dataclass
class ReuseResult:
    ok: bool
    reason: str
    produced: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def missing_wheels(plan: Plan, filenames: Iterable[str]) -> list[str]:
    """The plan's expected wheels (as build identifiers or tags) that none of ``filenames`` satisfies."""
    names = list(filenames)
    return [w.identifier or w.tag_pattern for w in plan.wheels if not any(w.matches(n) for n in names)]


def fetch_base_wheels(candidates: Sequence[RemoteWheel], plan: Plan, dest: Path, *,
                      fetch: Fetch = download) -> tuple[list[Path], str | None]:
    """Download the base wheels the plan needs into ``dest``, each sha256 checked; ``(paths, None)`` or
    ``([], why not)``."""
    missing = missing_wheels(plan, (c.filename for c in candidates))
    if missing:
        return [], f"the base release has no wheel for {', '.join(missing)}"
    needed = [c for c in candidates if any(w.matches(c.filename) for w in plan.wheels)]
    paths = []
    for wheel in needed:
        if wheel.sha256 is None:
            return [], f"{wheel.filename} has no published sha256 to check it against"
        try:
            data = fetch(wheel)
        except OSError as e:
            return [], f"cannot download {wheel.filename}: {e}"
        if hashlib.sha256(data).hexdigest() != wheel.sha256:
            return [], f"{wheel.filename} does not match its published sha256"
        path = dest / wheel.filename
        path.write_bytes(data)
        paths.append(path)
    return paths, None


def reuse_wheels(project: Project, plan: Plan, decision: ReuseDecision, dist_dir: Path, *,
                 sources: Sequence[tuple[str, Callable[[], list[RemoteWheel]]]], fetch: Fetch = download,
                 work: Path) -> ReuseResult:
    """Fetch the base wheels from the first source that has them all, and write them re-versioned into
    ``dist_dir``; ``ok=False`` with the reason when the build must run instead."""
    if not decision.reuse:
        return ReuseResult(False, decision.reason)
    reasons = []
    for label, listing in sources:
        try:
            candidates = listing()
        except (MantaError, OSError) as e:
            reasons.append(f"{label}: {getattr(e, 'message', e)}")
            continue
        folder = work / label.replace(" ", "-")
        folder.mkdir(parents=True, exist_ok=True)
        paths, why = fetch_base_wheels(candidates, plan, folder, fetch=fetch)
        if why:
            reasons.append(f"{label}: {why}")
            continue
        dist_dir.mkdir(parents=True, exist_ok=True)
        produced = [reversion_wheel(p, plan.version, dist_dir) for p in paths]
        notes = [f"{p.name} -> {r.path.name}" for p, r in zip(paths, produced, strict=True)]
        notes += [f"dropped the signature {d} of the old RECORD" for r in produced for d in r.dropped]
        return ReuseResult(True, f"reused {len(paths)} wheel(s) of {decision.base_tag} from {label}",
                           [r.path for r in produced], notes)
    return ReuseResult(False, f"cannot reuse {decision.base_tag}'s wheels ({'; '.join(reasons)}): building")


def default_sources(project: Project, plan: Plan, decision: ReuseDecision,
                    environ: Mapping[str, str]) -> list[tuple[str, Callable[[], list[RemoteWheel]]]]:
    """The GitHub Release of the base tag (when the job has a token), then the index of the final route."""
    sources: list[tuple[str, Callable[[], list[RemoteWheel]]]] = []
    tag, version = decision.base_tag or "", decision.base_version or ""
    if environ.get("GITHUB_TOKEN") and environ.get("GITHUB_REPOSITORY"):
        sources.append((f"the GitHub Release {tag}", lambda: github_wheels(environ, tag)))
    final = project.config.route("final")
    sources.append((f"{final.name} ({final.index_url})", lambda: index_wheels(final.index_url, plan.project, version)))
    return sources


def reuse_for_build(project: Project, plan: Plan, dist_dir: Path, *, environ: Mapping[str, str],
                    work: Path) -> ReuseResult:
    """The one call ``build`` makes before building wheels: ``ok`` - the re-versioned wheels are in
    ``dist_dir`` (build only the sdist); else ``reason`` says why the wheels are built as usual."""
    decision = decide_reuse(project, plan, settings_of(project))
    if not decision.reuse:
        return ReuseResult(False, decision.reason)
    return reuse_wheels(project, plan, decision, dist_dir, work=work,
                        sources=default_sources(project, plan, decision, environ))


def describe(decision: ReuseDecision) -> dict[str, Any]:
    """What ``plan --json`` says about reuse; :func:`github_outputs` is the workflow's form."""
    return {"reuse": decision.reuse, "reuse-base": decision.base_tag, "reuse-reason": decision.reason}


def github_outputs(decision: ReuseDecision) -> dict[str, str]:
    """``reuse=true|false`` and ``reuse-base=<tag>`` for ``$GITHUB_OUTPUT`` (the workflow skips the build
    matrix on ``reuse == 'true'``)."""
    return {"reuse": "true" if decision.reuse else "false", "reuse-base": decision.base_tag or ""}
