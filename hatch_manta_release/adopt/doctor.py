"""``manta-release doctor``: the reference guide's troubleshooting list, as checks.

Each finding is ``ok``, ``warn`` or ``fail`` (``skip`` when a check could not apply), with the
cause and the fix. Secrets are never shown: a token variable is reported as set or unset, and
whether it has the shape of a PyPI token. The only network access is one read-only look-up of the
project on each index the routes name (and ``git ls-remote`` for HEAD's tag), with a short
timeout; being offline gives a warning, not a failure, and ``--offline`` skips both.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name

from hatch_manta_release.core.config import Config, Repository
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.git import try_git
from hatch_manta_release.core.names import requirement_name
from hatch_manta_release.core.project import load_config, read_pyproject
from hatch_manta_release.core.tokens import PYPI_TOKEN_MIN_LENGTH, PYPI_TOKEN_PREFIX

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class Finding:
    """One result: what was checked, how it stands, why, and what to do."""

    check: str
    status: Status
    summary: str
    cause: str | None = None
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- the checks


def check_config(root: Path) -> tuple[Finding, Config | None, dict[str, Any] | None]:
    try:
        data = read_pyproject(root)
        config = load_config(root, data)
    except MantaError as e:
        return Finding("config", "fail", "the configuration is not valid", e.message, e.hint), None, None
    repos = ", ".join(
        f"{channel}s -> {config.routes.for_channel(channel)}" for channel in ("prerelease", "final")
    )
    platforms = ", ".join(p.name for p in config.platforms)
    return (
        Finding("config", "ok", f"[tool.manta-release] is valid: tag prefix {config.tag_prefix!r}; {repos}; "
                f"platforms {platforms}"),
        config,
        data,
    )


def _requires_plugin(requires: Any) -> bool:
    names = [requirement_name(r) for r in requires or [] if isinstance(r, str)]
    return "hatch-manta-release" in names


def check_adoption(data: Mapping[str, Any], env_name: str) -> Iterator[Finding]:
    """pyproject.toml wires the version source and the release environment."""
    project = data.get("project", {})
    build = data.get("build-system", {})
    hatch = data.get("tool", {}).get("hatch", {})
    source = hatch.get("version", {}).get("source")
    problems: list[Finding] = []
    if "version" in project:
        problems.append(Finding(
            "pyproject", "fail", f'[project] has a static version = "{project["version"]}"',
            "a static version drifts from the tags (the reference system's commonest failure)",
            'remove it, add "version" to [project] dynamic and tag releases instead (manta-release init does this)',
        ))
    elif "version" not in project.get("dynamic", []):
        problems.append(Finding(
            "pyproject", "fail", '"version" is not in [project] dynamic',
            "the build cannot take the version from the tag",
            'add "version" to [project] dynamic (manta-release init does this)',
        ))
    version_table = hatch.get("version", {})
    self_hosted = (  # this project: hatchling cannot load a version source from the tree it builds
        project.get("name") == "hatch-manta-release"
        and source == "code"
        and version_table.get("path") == "hatch_manta_release/_self_version.py"
    )
    if source != "manta-release" and not self_hosted:
        problems.append(Finding(
            "pyproject", "warn", f"[tool.hatch.version] source is {source!r}, not 'manta-release'",
            "the built files' version is not read from the tag by this plugin, so it may disagree with the plan",
            'set [tool.hatch.version] source = "manta-release" (manta-release init does this)',
        ))
    elif not self_hosted and (
        build.get("build-backend") != "hatchling.build" or not _requires_plugin(build.get("requires"))
    ):
        problems.append(Finding(
            "pyproject", "fail", "[build-system] does not build with hatchling and hatch-manta-release",
            "the version source is a hatchling plugin: the build cannot find it",
            'set build-backend = "hatchling.build" and add "hatch-manta-release" to [build-system] requires',
        ))
    env = hatch.get("env", {})
    if not _requires_plugin(env.get("requires")) or "manta-release" not in env.get("collectors", {}):
        problems.append(Finding(
            "pyproject", "fail", f"the `{env_name}` hatch environment is not switched on",
            "[tool.hatch.env] requires must name hatch-manta-release and [tool.hatch.env.collectors.manta-release] "
            f"must exist, or `hatch run {env_name}:…` (which the workflow calls) does not exist",
            "run `manta-release init`, or add both by hand",
        ))
    if problems:
        yield from problems
    else:
        yield Finding("pyproject", "ok", f"version from tags; `hatch run {env_name}:*` is available")


def check_git(root: Path, config: Config) -> tuple[list[Finding], str | None]:
    """A git checkout, not shallow, with release tags that all map to versions."""
    from hatch_manta_release.core.git import tag_glob
    from hatch_manta_release.core.tags import version_from_tag

    inside = try_git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", "--show-toplevel")
    if inside is None:
        return [Finding("git", "fail", "git is not installed", "the version comes from git tags", "install git")], None
    if inside.returncode != 0:
        return [Finding(
            "git", "fail", f"{root.resolve()} is not a git checkout", "the version comes from git tags",
            "run `git init`, commit, and tag a release",
        )], None
    _, shallow, toplevel = [*inside.stdout.split("\n"), "", "", ""][:3]
    findings = []
    if Path(toplevel).resolve() != root.resolve():
        findings.append(Finding(
            "git", "warn", f"the project is in a subfolder of the repository ({toplevel})",
            "GitHub only reads workflows from .github/workflows at the repository's top level, and the generated "
            "workflow runs its commands at the top level",
            "move the project to the repository's root, or adapt a copy of the workflow by hand",
        ))
    if shallow.strip() == "true":
        findings.append(Finding(
            "git", "fail", "this clone is shallow",
            "history and tags are missing, so versions come out wrong (0.1.devN+g… that indexes refuse)",
            "run `git fetch --tags --unshallow` (on GitHub Actions: fetch-depth: 0 on actions/checkout)",
        ))
    listed = try_git(root, "tag", "--list", tag_glob(config.tag_prefix))
    tags = listed.stdout.split() if listed and listed.returncode == 0 else []
    if not tags:
        findings.append(Finding(
            "git", "warn", f"no release tags ({tag_glob(config.tag_prefix)}) yet",
            "without a tag every build is a development version, and nothing can be published",
            f"tag the first release: git tag {config.tag_prefix}0.1.0 && git push origin {config.tag_prefix}0.1.0 "
            "(or `git fetch --tags` if the tags are on the remote)",
        ))
        return findings, toplevel
    bad = []
    for tag in tags:
        try:
            version_from_tag(tag, config.tag_prefix, config.prerelease_labels)
        except MantaError as e:
            bad.append(f"{tag} ({e.message})")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        findings.append(Finding(
            "git", "warn", f"{len(bad)} of {len(tags)} release tags do not map to a version: {shown}",
            "such a tag cannot be released (building on it fails)",
            "delete or re-tag them (git tag -d …; git push origin :refs/tags/…), "
            "or add their labels under [tool.manta-release.prerelease-labels]",
        ))
    if not findings:
        findings.append(Finding("git", "ok", f"{len(tags)} release tag{'s' if len(tags) != 1 else ''}, full history"))
    return findings, toplevel


def check_version(root: Path, config: Config) -> tuple[Finding, Any]:
    """HEAD's version, channel and where it would go."""
    from hatch_manta_release.core.version import resolve_version

    try:
        resolved = resolve_version(root, config)
    except MantaError as e:
        return Finding("version", "fail", "the version of HEAD cannot be determined", e.message, e.hint), None
    repo = config.route(resolved.channel)
    where = f"routes to {repo.name} ({repo.upload_url})"
    if repo.environment:
        where += f" in the GitHub environment {repo.environment}"
    if resolved.is_release:
        tag = resolved.tag.tag if resolved.tag else "(MANTA_RELEASE_VERSION)"
        summary = f"HEAD is {tag} -> {resolved.version}, a {resolved.channel} release; {where}"
    else:
        summary = (f"HEAD is {resolved.version} ({resolved.explanation}): a development build, "
                   f"nothing would be published; a {resolved.channel} tag here {where}")
    return Finding("version", "ok", summary), resolved


def check_tokens(config: Config, environ: Mapping[str, str], target: str | None) -> Iterator[Finding]:
    """Token variables of the routed repositories: set or unset, and shaped like a PyPI token."""
    from hatch_manta_release.github.workflow import routed_repositories

    values: dict[str, str] = {}
    for repo in routed_repositories(config):
        label = f"token {repo.name}"
        here = target is None or repo.name == target  # unknown route: every token matters
        if repo.trusted_publishing is True:
            yield Finding(label, "ok", f"{repo.name} uses Trusted Publishing: no token is stored", fix=(
                f"register this repository's release.yml workflow as a trusted publisher on {repo.name}"
                + (f" (environment {repo.environment})" if repo.environment else "")
                + "; each index needs its own registration"
            ) if here else None)
            continue
        if not repo.token_env:
            yield Finding(
                label, "fail", f"{repo.name} has no token-env and no trusted-publishing",
                "publishing has no credentials to use",
                f'set token-env = "…" or trusted-publishing = true in [tool.manta-release.repositories.{repo.name}]',
            )
            continue
        var = repo.token_env
        value = environ.get(var)
        via = " (or Trusted Publishing, which is tried first)" if repo.trusted_publishing == "auto" else ""
        if not value:
            where = "Settings -> Secrets and variables -> Actions"
            if repo.environment:
                where += f", or the secrets of the {repo.environment} environment"
            yield Finding(
                label, "warn" if here else "ok",
                f"{var} is unset here{via}",
                "needed only to publish from this machine; in the workflow it comes from secrets." + var,
                f"add the secret {var} in GitHub ({where}); to publish by hand, export {var} first",
            )
            continue
        values[repo.name] = value
        if value != value.strip() or any(c.isspace() for c in value):
            yield Finding(
                label, "fail", f"{var} is set but contains whitespace",
                "a pasted newline or space makes the index answer 403 (invalid or non-existent authentication)",
                f"set {var} again without surrounding spaces or line breaks",
            )
            continue
        if repo.is_pypi_like and not value.startswith(PYPI_TOKEN_PREFIX):
            yield Finding(
                label, "fail", f"{var} is set but does not start with {PYPI_TOKEN_PREFIX!r}",
                f"{repo.name} accepts API tokens only (user name __token__, value pypi-…); a password or another "
                "value is refused with 403 'Invalid or non-existent authentication information'",
                f"create an API token on {repo.name} and store the whole value, including 'pypi-', in {var}",
            )
            continue
        if repo.is_pypi_like and len(value) < PYPI_TOKEN_MIN_LENGTH:
            yield Finding(
                label, "warn", f"{var} is set, starts with 'pypi-', but is only {len(value)} characters",
                "real PyPI tokens are much longer: it may be cut off",
                f"copy the whole token into {var} again",
            )
            continue
        shape = "shaped like a PyPI token" if repo.is_pypi_like else "set"
        yield Finding(label, "ok", f"{var} is set ({shape}; the value is not shown)")
    if len(values) > 1 and len(set(values.values())) < len(values):
        yield Finding(
            "tokens", "warn", "the same token is set for different repositories",
            "the test and production indexes are separate accounts: a token from one is refused by the other "
            "(the guide's 'TestPyPI works but PyPI fails')",
            "create one token per index and store each in its own variable",
        )


def check_workflow(root: Path, config: Config, toplevel: str | None) -> Iterator[Finding]:
    """The workflow exists, matches the config, and a pushed release tag triggers it."""
    from hatch_manta_release.github.workflow import WORKFLOW_PATH, drift, push_tag_patterns, tag_triggers

    base = Path(toplevel) if toplevel else root
    state = drift(root)
    env = config.env_name
    actual = state.actual
    if actual is None and base.resolve() != root.resolve():
        try:
            actual = (base / WORKFLOW_PATH).read_text(encoding="utf-8")
        except FileNotFoundError:
            actual = None
    if actual is None:
        yield Finding(
            "workflow", "warn", f"no {WORKFLOW_PATH}",
            "releases are not automated: nothing builds or publishes when a tag is pushed",
            f"run `hatch run {env}:workflow` and commit the file",
        )
        return
    if actual == state.expected:
        yield Finding("workflow", "ok", f"{WORKFLOW_PATH} is in sync with the configuration")
    else:
        changed = sum(
            1 for line in state.diff().splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        yield Finding(
            "workflow", "warn", f"{WORKFLOW_PATH} differs from what the configuration renders ({changed} lines)",
            "the configuration changed since it was written, or the file was edited by hand",
            f"run `hatch run {env}:workflow` and commit it (`hatch run {env}:workflow --check` shows the difference)",
        )
    patterns = push_tag_patterns(actual)
    prefix = config.tag_prefix
    samples = [f"{prefix}1.2.0", f"{prefix}1.2.0rc1", f"{prefix}1.2.0-beta.1", f"{prefix}1.2.0.dev1"]
    if patterns is None:
        yield Finding(
            "trigger", "fail", "pushing a tag does not trigger the workflow",
            "its `on:` has no push of tags",
            f"run `hatch run {env}:workflow` (it triggers on tags {prefix}[0-9]*)",
        )
        return
    missed = [tag for tag in samples if not tag_triggers(patterns, tag)]
    if missed:
        yield Finding(
            "trigger", "fail",
            f"the workflow's tag filter {patterns} does not match release tags such as {', '.join(missed)}",
            f"the tag prefix is {prefix!r}: pushing those tags starts no release",
            f"run `hatch run {env}:workflow` to regenerate the trigger from tag-prefix",
        )
    else:
        yield Finding("trigger", "ok", f"pushed tags like {samples[0]} and {samples[1]} trigger it ({patterns})")


def check_tag_pushed(root: Path, tag: str, timeout: float) -> Finding:
    """Whether HEAD's release tag is on the remote (the guide's 'workflow does not trigger')."""
    remotes = try_git(root, "remote")
    if remotes is None or "origin" not in remotes.stdout.split():
        return Finding("tag pushed", "skip", "no remote named origin: cannot tell whether the tag is pushed")
    result = try_git(root, "ls-remote", "--exit-code", "--tags", "origin", f"refs/tags/{tag}", timeout=timeout)
    if result is None:
        return Finding("tag pushed", "warn", f"could not reach origin within {timeout:g}s",
                       "offline, or the remote is slow", "re-run later, or use --offline")
    if result.returncode == 0:
        return Finding("tag pushed", "ok", f"{tag} is on origin")
    if result.returncode == 2:
        return Finding("tag pushed", "warn", f"{tag} is not on origin",
                       "the workflow runs only when the tag is pushed", f"git push origin {tag}")
    return Finding("tag pushed", "warn", "could not ask origin for its tags",
                   result.stderr.strip().splitlines()[-1] if result.stderr.strip() else None,
                   "check the remote's URL and your access")


Opener = Callable[..., Any]


def check_index(
    repo: Repository, project: str, timeout: float, opener: Opener | None = None, version: str | None = None
) -> Finding:
    """Does the project exist on the index (read-only look-up of ``<index-url><name>/``), and is HEAD's
    release ``version`` (when given) already there (the guide's "File already exists")?"""
    label = f"index {repo.name}"
    if not repo.index_url.startswith(("http://", "https://")):
        return Finding(label, "skip", f"{repo.index_url} is not an http(s) index")
    url = f"{repo.index_url}{canonicalize_name(project)}/"
    request = urllib.request.Request(url, headers={  # noqa: S310 - http(s) only, checked above
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
        "User-Agent": "hatch-manta-release doctor",
    })
    opener = opener or urllib.request.urlopen
    try:
        with opener(request, timeout=timeout) as response:
            body = response.read(4_000_000).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            advice = (
                "the first upload needs an account-wide token (a project-scoped token cannot create a project); "
                "replace it with a project-scoped token afterwards"
            )
            if repo.trusted_publishing in (True, "auto"):
                advice = f"register a pending trusted publisher for {project} on {repo.name}, or " + advice
            return Finding(label, "warn", f"{project} does not exist on {repo.name} yet ({url} answered 404)",
                           "the first release creates it", advice)
        return Finding(label, "warn", f"{url} answered HTTP {e.code}", "the index refused a read-only look-up",
                       "check index-url in the configuration")
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        return Finding(label, "warn", f"could not reach {repo.name} ({url}): {reason}",
                       "offline, or the index is unreachable from here", "re-run online, or pass --offline")
    files: list[str] = []
    if version:
        name_re = "[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", project))
        pattern = rf"(?<![\w.-]){name_re}-{re.escape(version)}(?:-[^\"'<>#/\s]*\.whl|\.tar\.gz|\.zip)(?![\w.-])"
        files = sorted({m.group(0) for m in re.finditer(pattern, body, re.IGNORECASE)})
    if files:
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        return Finding(
            label, "warn", f"{project} {version} is already on {repo.name} ({count})",
            "an index never lets a file be replaced: a re-run skips identical files, and a rebuilt, different "
            "file under the same name is refused ('File already exists')",
            "to change anything, release a new version (a new tag)",
        )
    return Finding(label, "ok", f"{project} exists on {repo.name} ({url})")


# ----------------------------------------------------------------------------- all together


def run_doctor(
    root: str | Path,
    *,
    offline: bool = False,
    environ: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    opener: Opener | None = None,
) -> list[Finding]:
    root = Path(root)
    environ = os.environ if environ is None else environ
    finding, config, data = check_config(root)
    findings = [finding]
    if config is None or data is None:
        findings.append(Finding("other checks", "skip", "need a valid configuration"))
        return findings
    findings.extend(check_adoption(data, config.env_name))
    git_findings, toplevel = check_git(root, config)
    findings.extend(git_findings)
    version, resolved = check_version(root, config)
    findings.append(version)
    target = config.route(resolved.channel).name if resolved is not None else None
    findings.extend(check_tokens(config, environ, target))
    findings.extend(check_workflow(root, config, toplevel))
    from hatch_manta_release.github.workflow import routed_repositories

    if offline:
        findings.append(Finding("index", "skip", "network checks skipped (--offline)"))
        return findings
    if resolved is not None and resolved.is_release and resolved.tag is not None:
        findings.append(check_tag_pushed(root, resolved.tag.tag, timeout))
    for repo in routed_repositories(config):
        version = str(resolved.version) if resolved is not None and resolved.is_release else None
        findings.append(check_index(repo, config.project_name, timeout, opener, version))
    return findings


def failed(findings: list[Finding]) -> bool:
    return any(f.status == "fail" for f in findings)


def to_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2)
