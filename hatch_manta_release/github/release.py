"""The GitHub Release of the plan's tag, with dist/ and the project's extra files attached.

The order works with GitHub's immutable releases (whose assets are locked once published): find the
release of the tag (published, or a draft left by an interrupted run), else create a **draft**;
upload what is missing; publish it last. Safe to re-run: an asset with the same name and sha256
(GitHub reports each asset's ``digest``) is kept, a different one is refused on a published release
and replaced on a draft, and an interrupted upload (an asset not in state ``uploaded``) is replaced.

``make_latest`` is set only for the highest final release among the repository's release tags, so
re-releasing an old line (``v1.4.6`` after ``v1.5.0``) never takes "latest" from the newest.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.version import InvalidVersion, Version

from hatch_manta_release.core.config import GitHubRelease as GitHubReleaseSettings
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.git import run_git, tag_glob
from hatch_manta_release.core.plan import Plan
from hatch_manta_release.core.project import Project
from hatch_manta_release.core.tags import version_from_tag
from hatch_manta_release.github.rest import ApiResponse, GitHubAPI, GitHubError, explain

TABLE = "tool.manta-release.github-release"
MAX_PAGES = 10  # 1000 releases or assets: more than any real repository keeps per tag
_ASSET_NAME = re.compile(r"^[A-Za-z0-9._+-]+$")  # GitHub renames anything else, which breaks the re-run match


def settings_of(project: Project) -> GitHubReleaseSettings:
    """``[tool.manta-release.github-release]``, validated with the rest of the config (core/config.py)."""
    return project.config.github_release


# ----------------------------------------------------------------------------- decisions


def release_wanted(plan: Plan, settings: GitHubReleaseSettings) -> tuple[bool, str]:
    """Whether this plan gets a GitHub Release, and why (not)."""
    if not plan.publish or not plan.tag:
        return False, f"no GitHub Release: {plan.reason}"
    if settings.when == "never":
        return False, f"no GitHub Release: [{TABLE}] when = \"never\""
    if plan.channel == "prerelease" and settings.when == "final":
        return False, (f"no GitHub Release for the pre-release {plan.tag}: [{TABLE}] when = \"final\" "
                       '(set when = "always" to release pre-releases too)')
    kind = "pre-release" if plan.channel == "prerelease" else "final release"
    return True, f"{plan.tag} is a {kind}"


def github_outputs(plan: Plan, settings: GitHubReleaseSettings) -> dict[str, str]:
    """``github-release=true|false`` for ``$GITHUB_OUTPUT``: the workflow's github-release job runs on ``true``."""
    return {"github-release": "true" if release_wanted(plan, settings)[0] else "false"}


def is_latest(version: str, tag_versions: Iterable[Version]) -> bool:
    """A final release is "latest" only when no final release tag is higher."""
    mine = Version(version)
    if mine.is_prerelease:
        return False
    finals = [v for v in tag_versions if not v.is_prerelease]
    return all(mine >= v for v in finals)


def release_tag_versions(project: Project) -> list[Version]:
    """The versions of every release tag in the checkout (tags that are not release versions are ignored)."""
    config = project.config
    result = run_git(project.root, "tag", "--list", tag_glob(config.tag_prefix))
    versions = []
    for line in result.stdout.splitlines():
        try:
            versions.append(version_from_tag(line.strip(), config.tag_prefix, config.prerelease_labels).version)
        except (MantaError, InvalidVersion):
            continue
    return versions


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _names_version(token: str, version: Version) -> bool:
    try:
        return Version(token.removeprefix("v").removeprefix("V")) == version
    except InvalidVersion:
        return False


def changelog_section(text: str, version: str, names: Sequence[str] = ()) -> str | None:
    """The body under the first Markdown heading that names ``version`` (``## [1.5.0] - 2026-12-01``,
    ``## v1.5.0rc1``, ``## 1.5.0-rc.1``: any spelling of the same PEP 440 version) or one of ``names``
    (the tag), up to the next heading of the same or a higher level; None when no heading names it."""
    wanted = Version(version)
    words = {n.lower() for n in names}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _HEADING.match(line)
        if not match:
            continue
        tokens = [t for t in re.split(r"[\s\[\]()|,:]+", match[2]) if t]
        if not any(t.lower() in words or _names_version(t, wanted) for t in tokens):
            continue
        level = len(match[1])
        body = []
        for following in lines[i + 1:]:
            deeper = _HEADING.match(following)
            if deeper and len(deeper[1]) <= level:
                break
            body.append(following)
        return "\n".join(body).strip() + "\n"
    return None


def release_notes(project: Project, plan: Plan, settings: GitHubReleaseSettings) -> tuple[str, bool]:
    """``(body, generate)``: the changelog section, or GitHub's generated notes, or nothing."""
    if settings.notes == "generated":
        return "", True
    if settings.notes == "none":
        return "", False
    path = project.root / settings.notes_file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise MantaError(f"notes-file {settings.notes_file}: {e.strerror or e}",
                         f'create it, fix notes-file in [{TABLE}], or set notes = "generated"') from None
    tag = plan.tag or ""
    section = changelog_section(text, plan.version, [tag] if tag else [])
    if section is None:
        raise MantaError(
            f"{settings.notes_file} has no section for {plan.version} (a heading naming {plan.version} or {tag})",
            f"add a heading such as `## {plan.version}` with the notes below it, or set notes = \"generated\"",
        )
    return section, False


# ----------------------------------------------------------------------------- assets


@dataclass(frozen=True)
class LocalAsset:
    name: str
    path: Path
    sha256: str
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def collect_assets(project: Project, plan: Plan, settings: GitHubReleaseSettings,
                   dist_dir: Path | None = None) -> list[LocalAsset]:
    """The wheels and sdist of the plan's version in dist/, then the files the ``assets`` globs match."""
    from hatch_manta_release.dist.artifacts import read_dist

    folder = dist_dir or project.dist_dir
    paths = [a.path for a in read_dist(folder) if not a.invalid and a.version == plan.version]
    if not paths:
        raise MantaError(f"no file of {plan.project} {plan.version} in {folder}",
                         "build first (`hatch run release:build`) or download the build artifacts into it")
    for pattern in settings.assets:
        matched = sorted(p for p in project.root.glob(pattern) if p.is_file())
        if not matched:
            raise MantaError(f"[{TABLE}] assets: {pattern!r} matches no file in {project.root}",
                             "build the files first, or fix the pattern (relative to the project's root)")
        paths.extend(matched)
    assets: dict[str, LocalAsset] = {}
    for path in paths:
        if not _ASSET_NAME.match(path.name):
            raise MantaError(f"asset {path.name!r}: GitHub would rename it (only letters, digits and . _ + -)",
                             "rename the file")
        if path.name in assets and assets[path.name].path.resolve() != path.resolve():
            raise MantaError(f"two assets are named {path.name}: {assets[path.name].path} and {path}",
                             f"an asset name is unique within a release: narrow the patterns in [{TABLE}] assets")
        assets[path.name] = LocalAsset(path.name, path, sha256_of(path), path.stat().st_size)
    return list(assets.values())


Action = Literal["keep", "upload", "replace", "conflict"]


@dataclass(frozen=True)
class Step:
    asset: LocalAsset
    action: Action
    why: str = ""
    remote_id: int | None = None  # the asset to delete first ("replace")


def remote_sha256(remote: Mapping[str, Any]) -> str | None:
    digest = remote.get("digest")
    if isinstance(digest, str) and digest.startswith("sha256:"):
        return digest.removeprefix("sha256:").lower()
    return None


def reconcile(local: Sequence[LocalAsset], remote: Sequence[Mapping[str, Any]], *, draft: bool) -> list[Step]:
    """What to do with each local asset, given the release's assets (pure; see the module docs)."""
    by_name = {str(r.get("name")): r for r in remote}
    steps = []
    for asset in local:
        found = by_name.get(asset.name)
        if found is None:
            steps.append(Step(asset, "upload"))
            continue
        rid = int(found["id"])
        if found.get("state", "uploaded") != "uploaded":
            steps.append(Step(asset, "replace", f"an interrupted upload (state {found.get('state')})", rid))
            continue
        theirs = remote_sha256(found)
        if theirs is None:
            steps.append(Step(asset, "keep", "already attached (GitHub reports no digest for it)"))
        elif theirs == asset.sha256:
            steps.append(Step(asset, "keep", "identical (same sha256) already attached"))
        elif draft:
            steps.append(Step(asset, "replace", f"different content on the draft (sha256 {theirs[:12]}…)", rid))
        else:
            why = f"the published release has different content (sha256 {theirs[:12]}…)"
            steps.append(Step(asset, "conflict", why))
    return steps


# ----------------------------------------------------------------------------- the run


@dataclass
class ReleaseReport:
    tag: str
    wanted: bool
    reason: str
    release_url: str = ""
    created: bool = False
    published_now: bool = False
    draft_found: bool = False
    latest: bool = False
    prerelease: bool = False
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for s in self.steps if s.action == action)


def _ok(response: ApiResponse, statuses: tuple[int, ...], action: str, api: GitHubAPI) -> Any:
    if response.status not in statuses:
        raise explain(response, action, api.target)
    return response.json()


def find_release(api: GitHubAPI, tag: str) -> dict[str, Any] | None:
    """The release of ``tag``: the published one (by tag), else a draft of it (drafts are only listed)."""
    response = api.request("GET", f"/releases/tags/{urllib.parse.quote(tag, safe='')}")
    if response.status == 200:
        return dict(response.json())
    if response.status != 404:
        raise explain(response, f"read the release of {tag}", api.target)
    for page in range(1, MAX_PAGES + 1):
        listed = _ok(api.request("GET", f"/releases?per_page=100&page={page}"), (200,),
                     "list the releases", api)
        for release in listed or []:
            if release.get("tag_name") == tag:
                return dict(release)
        if not listed or len(listed) < 100:
            return None
    return None


def list_assets(api: GitHubAPI, release: Mapping[str, Any]) -> list[dict[str, Any]]:
    assets: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        listed = _ok(api.request("GET", f"/releases/{release['id']}/assets?per_page=100&page={page}"), (200,),
                     "list the release's assets", api)
        assets.extend(listed or [])
        if not listed or len(listed) < 100:
            break
    return assets


def create_draft(api: GitHubAPI, plan: Plan, body: str, generate: bool) -> dict[str, Any]:
    payload = {
        "tag_name": plan.tag,
        "name": plan.tag,
        "body": body,
        "draft": True,
        "prerelease": plan.channel == "prerelease",
        "generate_release_notes": generate,
    }
    return dict(_ok(api.request("POST", "/releases", payload=payload), (201,), f"create a draft release of {plan.tag}",
                    api))


def upload_asset(api: GitHubAPI, release: Mapping[str, Any], step: Step) -> None:
    """Upload one asset (deleting the one it replaces first) and check the digest GitHub computed."""
    if step.action == "replace" and step.remote_id is not None:
        _ok(api.request("DELETE", f"/releases/assets/{step.remote_id}"), (204,),
            f"delete the asset {step.asset.name} it replaces", api)
    uploaded = _ok(api.upload(str(release["upload_url"]), step.asset.path, step.asset.name), (201,),
                   f"upload {step.asset.name}", api)
    theirs = remote_sha256(uploaded or {})
    if theirs is not None and theirs != step.asset.sha256:
        raise GitHubError(f"GitHub stored {step.asset.name} with sha256 {theirs}, not {step.asset.sha256}: "
                          "the upload was corrupted", "re-run: the draft's asset is replaced")


def publish_release(api: GitHubAPI, release: Mapping[str, Any], latest: bool, prerelease: bool) -> dict[str, Any]:
    payload = {"draft": False, "prerelease": prerelease, "make_latest": "true" if latest else "false"}
    return dict(_ok(api.request("PATCH", f"/releases/{release['id']}", payload=payload), (200,),
                    f"publish the release of {release.get('tag_name')}", api))


def run_github_release(project: Project, plan: Plan, settings: GitHubReleaseSettings, api: GitHubAPI, *,
                       dist_dir: Path | None = None, say: Callable[[str], None] = lambda _: None) -> ReleaseReport:
    """Create or finish the GitHub Release of ``plan.tag``; see the module docs for the order."""
    wanted, reason = release_wanted(plan, settings)
    report = ReleaseReport(plan.tag or "", wanted, reason, prerelease=plan.channel == "prerelease")
    if not wanted:
        return report
    assert plan.tag is not None
    local = collect_assets(project, plan, settings, dist_dir)
    report.latest = is_latest(plan.version, release_tag_versions(project))
    release = find_release(api, plan.tag)
    if release is None:
        body, generate = release_notes(project, plan, settings)
        release = create_draft(api, plan, body, generate)
        report.created = True
        say(f"created a draft release of {plan.tag}")
    else:
        report.draft_found = bool(release.get("draft"))
        say(f"found the {'draft' if report.draft_found else 'published'} release of {plan.tag}")
    draft = bool(release.get("draft"))
    report.steps = reconcile(local, list_assets(api, release), draft=draft)
    conflicts = [s for s in report.steps if s.action == "conflict"]
    if conflicts:
        names = ", ".join(s.asset.name for s in conflicts)
        raise GitHubError(
            f"the published release {plan.tag} already has {names} with different content: nothing was changed",
            f"never rebuild a published version: release a new tag; or put the published commit's build in "
            f"{(dist_dir or project.dist_dir)}",
        )
    todo = [s for s in report.steps if s.action in ("upload", "replace")]
    if todo and not draft and release.get("immutable"):
        raise GitHubError(
            f"the published release {plan.tag} is immutable and lacks {', '.join(s.asset.name for s in todo)}: "
            "GitHub accepts no new assets on it",
            "release the files under a new tag; immutable releases are finished as drafts, so a re-run of the "
            "run that published it never gets here",
        )
    for n, step in enumerate(todo, 1):
        upload_asset(api, release, step)
        say(f"[{n}/{len(todo)}] {'replaced' if step.action == 'replace' else 'uploaded'} {step.asset.name}")
    if draft:
        release = publish_release(api, release, report.latest, report.prerelease)
        report.published_now = True
        say(f"published the release of {plan.tag}" + (" (latest)" if report.latest else ""))
    report.release_url = str(release.get("html_url") or "")
    return report


def report_markdown(report: ReleaseReport) -> str:
    """The job summary: what happened to the release and to each asset."""
    if not report.wanted:
        return f"### GitHub Release\n\n{report.reason}\n\n"
    rows = "\n".join(f"| `{s.asset.name}` | {s.asset.size} | `{s.asset.sha256[:16]}…` | {s.action} |"
                     for s in report.steps)
    state = "created and published" if report.created else "published" if report.published_now else "already published"
    head = f"### GitHub Release {report.tag}: {state}" + (" (latest)" if report.latest else "")
    link = f"\n\n{report.release_url}" if report.release_url else ""
    return f"{head}{link}\n\n| Asset | Bytes | sha256 | |\n|---|---|---|---|\n{rows}\n\n"
