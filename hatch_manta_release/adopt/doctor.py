"""``manta-release doctor``: the reference guide's troubleshooting list, as checks.

Each check returns :class:`~hatch_manta_release.core.findings.Finding` objects (``subject`` = the
check's name; level ``ok``, ``info``, ``warning`` or ``error``, ``skip`` when a check could not
apply), with the cause (``detail``) and the fix (``hint``); the CLI renders them. Secrets are never
shown: a token variable is reported as set or unset, and whether it has the shape of a PyPI token.
The only network access is one read-only look-up of the project on each index the routes name (and
``git ls-remote`` for HEAD's tag), with a short timeout; being offline gives a warning, not a
failure, and ``--offline`` skips both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.findings import Finding, Level
from hatch_manta_release.core.git import try_git
from hatch_manta_release.core.invocation import command_form
from hatch_manta_release.core.names import canonical_name, requirement_name
from hatch_manta_release.core.project import Project, load_project
from hatch_manta_release.core.tags import version_from_tag
from hatch_manta_release.core.tokens import PYPI_TOKEN_MIN_LENGTH, PYPI_TOKEN_PREFIX

if TYPE_CHECKING:
    from hatch_manta_release.adopt.tag_style import ReleaseTag
    from hatch_manta_release.core.config import Config, Repository
    from hatch_manta_release.core.version import ResolvedVersion



def _finding(check: str, level: Level, summary: str, cause: str | None = None, fix: str | None = None) -> Finding:
    """A doctor finding in the order the checks read: the check, its level, the summary, the cause, the fix."""
    return Finding(level, summary, hint=fix, subject=check, detail=cause)


# ----------------------------------------------------------------------------- the checks


def check_config(root: Path) -> tuple[Finding, Project | None]:
    """Load the project once (pyproject.toml and [tool.manta-release]); every other check reads it."""
    try:
        project = load_project(root)
    except MantaError as e:
        return _finding("config", "error", "the configuration is not valid", e.message, e.hint), None
    config = project.config
    routes = ", ".join(f"{channel} -> {config.routes.for_channel(channel)}" for channel in ("prerelease", "final"))
    platforms = ", ".join(p.name for p in config.platforms)
    summary = f"[tool.manta-release] is valid: tag prefix {config.tag_prefix!r}; routes {routes}; platforms {platforms}"
    return _finding("config", "ok", summary), project


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
    init = command_form("init", env_name)
    if "version" in project:
        problems.append(_finding(
            "pyproject", "error", f'[project] has a static version = "{project["version"]}"',
            "a static version drifts from the tags (the reference system's commonest failure)",
            f'remove it, add "version" to [project] dynamic and tag releases instead (`{init}` does this)',
        ))
    elif "version" not in project.get("dynamic", []):
        problems.append(_finding(
            "pyproject", "error", '"version" is not in [project] dynamic',
            "the build cannot take the version from the tag",
            f'add "version" to [project] dynamic (`{init}` does this)',
        ))
    version_table = hatch.get("version", {})
    self_hosted = (  # this project: hatchling cannot load a version source from the tree it builds
        project.get("name") == "hatch-manta-release"
        and source == "code"
        and version_table.get("path") == "hatch_manta_release/_self_version.py"
    )
    if source != "manta-release" and not self_hosted:
        problems.append(_finding(
            "pyproject", "warning", f"[tool.hatch.version] source is {source!r}, not 'manta-release'",
            "the built files' version is not read from the tag by this plugin, so it may disagree with the plan",
            f'set [tool.hatch.version] source = "manta-release" (`{init}` does this; it migrates hatch-vcs settings)',
        ))
    elif not self_hosted and (
        build.get("build-backend") != "hatchling.build" or not _requires_plugin(build.get("requires"))
    ):
        problems.append(_finding(
            "pyproject", "error", "[build-system] does not build with hatchling and hatch-manta-release",
            "the version source is a hatchling plugin: the build cannot find it",
            'set build-backend = "hatchling.build" and add "hatch-manta-release" to [build-system] requires',
        ))
    env = hatch.get("env", {})
    if not _requires_plugin(env.get("requires")) or "manta-release" not in env.get("collectors", {}):
        problems.append(_finding(
            "pyproject", "error", f"the `{env_name}` hatch environment is not switched on",
            "[tool.hatch.env] requires must name hatch-manta-release and [tool.hatch.env.collectors.manta-release] "
            f"must exist, or `hatch run {env_name}:…` (which the workflow calls) does not exist",
            f"run `{init}`, or add both by hand",
        ))
    if problems:
        yield from problems
    else:
        yield _finding("pyproject", "ok", f"version from tags; `hatch run {env_name}:*` is available")


def check_git(root: Path, config: Config) -> tuple[list[Finding], str | None]:
    """A git checkout, not shallow, with release tags that all map to versions, and none left out by the prefix."""
    inside = try_git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", "--show-toplevel")
    if inside is None:
        missing = _finding("git", "error", "git is not installed", "the version comes from git tags", "install git")
        return [missing], None
    if inside.returncode != 0:
        return [_finding(
            "git", "error", f"{root.resolve()} is not a git checkout", "the version comes from git tags",
            "run `git init`, commit, and tag a release",
        )], None
    _, shallow, toplevel = [*inside.stdout.split("\n"), "", "", ""][:3]
    findings = []
    if Path(toplevel).resolve() != root.resolve():
        findings.append(_finding(
            "git", "warning", f"the project is in a subfolder of the repository ({toplevel})",
            "GitHub only reads workflows from .github/workflows at the repository's top level, and the generated "
            "workflow runs its commands at the top level",
            "move the project to the repository's root, or adapt a copy of the workflow by hand",
        ))
    if shallow.strip() == "true":
        findings.append(_finding(
            "git", "error", "this clone is shallow",
            "history and tags are missing, so versions come out wrong (0.1.devN+g… that indexes refuse)",
            "run `git fetch --tags --unshallow` (on GitHub Actions: fetch-depth: 0 on actions/checkout)",
        ))
    findings.extend(_check_tags(root, config, ok=not findings))
    return findings, toplevel


def _check_tags(root: Path, config: Config, *, ok: bool) -> list[Finding]:
    """The release tags: any at all, each one a version, and the ones of another prefix (ignored)."""
    from hatch_manta_release.adopt import tag_style
    from hatch_manta_release.core.git import tag_glob

    prefix = config.tag_prefix
    every = tag_style.list_tags(root)
    ours = [t for t in every if t.startswith(prefix) and t[len(prefix) : len(prefix) + 1].isdigit()]
    release = tag_style.release_tags(every, config.prerelease_labels)
    others = tag_style.ignored_by(prefix, release)
    findings = [_ignored_tags(prefix, others, tag_style.detect_prefix(release), bool(ours))] if others else []
    if not ours:
        first = tag_style.next_release(None)
        style = tag_style.detect_prefix(release)
        fix = (
            f"tag the first release: git tag {prefix}{first} && git push origin {prefix}{first} "
            "(or `git fetch --tags` if the tags are on the remote)"
        )
        if style is not None:  # the project has release tags, of another prefix
            fix = f'set tag-prefix = "{style}" in [tool.manta-release]: your release tags look like {release[0].tag}'
        findings.append(_finding(
            "git", "warning", f"no release tags ({tag_glob(prefix)}) yet",
            "without a tag every build is a development version, and nothing can be published", fix,
        ))
        return findings
    bad = []
    for tag in ours:
        try:
            version_from_tag(tag, prefix, config.prerelease_labels)
        except MantaError as e:
            bad.append(f"{tag} ({e.message})")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        findings.append(_finding(
            "git", "warning", f"{len(bad)} of {len(ours)} release tags do not map to a version: {shown}",
            "such a tag cannot be released (building on it fails)",
            "delete or re-tag them (git tag -d …; git push origin :refs/tags/…), "
            "or add their labels under [tool.manta-release.prerelease-labels]",
        ))
    elif ok:
        findings.append(_finding("git", "ok", f"{len(ours)} release tag{'s' if len(ours) != 1 else ''}, full history"))
    return findings


def _ignored_tags(prefix: str, others: list[ReleaseTag], style: str | None, any_ours: bool) -> Finding:
    """Version tags of another prefix: a warning when the newest release tags are of that other style."""
    from hatch_manta_release.adopt.tag_style import examples

    count = f"{len(others)} version tag{'s' if len(others) != 1 else ''}"
    summary = f"{count} ignored by tag-prefix {prefix!r} (e.g. {examples(others)})"
    if style is None or style == prefix:
        return _finding("tags", "info", summary, "the version comes only from tags that start with the prefix")
    return _finding(
        "tags", "warning", summary,
        f"the most recent release tags use the prefix {style!r}: the version is read from "
        + (f"older {prefix}… tags" if any_ours else "no tag at all"),
        f'set tag-prefix = "{style}" in [tool.manta-release]',
    )


def check_version(root: Path, config: Config) -> tuple[Finding, ResolvedVersion | None]:
    """HEAD's version, channel and where it would go."""
    from hatch_manta_release.core.version import resolve_version

    try:
        resolved = resolve_version(root, config)
    except MantaError as e:
        return _finding("version", "error", "the version of HEAD cannot be determined", e.message, e.hint), None
    repo = config.route(resolved.channel)
    where = f"routes to {repo.name} ({repo.upload_url})"
    if repo.environment:
        where += f" in the GitHub environment {repo.environment}"
    kind = "pre-release" if resolved.channel == "prerelease" else "final release"
    kind += f" (routes.{resolved.channel})"
    if resolved.is_release:
        tag = resolved.tag.tag if resolved.tag else "(MANTA_RELEASE_VERSION)"
        summary = f"HEAD is {tag} -> {resolved.version}, a {kind}; {where}"
    else:
        summary = (f"HEAD is {resolved.version} ({resolved.explanation}): a development build, "
                   f"nothing would be published; a {kind} tag here {where}")
    return _finding("version", "ok", summary), resolved


def check_tokens(
    config: Config, environ: Mapping[str, str], target: str | None, publisher: Publisher | None = None
) -> Iterator[Finding]:
    """Token variables of the routed repositories: set or unset, and shaped like a PyPI token; for Trusted
    Publishing, the publisher to register on each index."""
    from hatch_manta_release.github.workflow import routed_repositories

    values: dict[str, str] = {}
    for repo in routed_repositories(config):
        here = target is None or repo.name == target  # unknown route: every token matters
        if repo.trusted_publishing is True:
            yield from _trusted_publishing(repo, config.project_name, publisher, here)
            continue
        value = environ.get(repo.token_env or "")
        if value and repo.token_env:
            values[repo.name] = value
        yield _token_finding(repo, value, here)
    if len(values) > 1 and len(set(values.values())) < len(values):
        yield _finding(
            "tokens", "warning", "the same token is set for different repositories",
            "the test and production indexes are separate accounts: a token from one is refused by the other "
            "(the guide's 'TestPyPI works but PyPI fails')",
            "create one token per index and store each in its own variable",
        )


def _token_finding(repo: Repository, value: str | None, here: bool) -> Finding:
    """One repository's token variable, described without showing any of it."""
    label = f"token {repo.name}"
    if not repo.token_env:
        return _finding(
            label, "error", f"{repo.name} has no token-env and no trusted-publishing",
            "publishing has no credentials to use",
            f'set token-env = "…" or trusted-publishing = true in [tool.manta-release.repositories.{repo.name}]',
        )
    var = repo.token_env
    if not value:
        via = " (or Trusted Publishing, which is tried first)" if repo.trusted_publishing == "auto" else ""
        where = "Settings -> Secrets and variables -> Actions"
        if repo.environment:
            where += f", or the secrets of the {repo.environment} environment"
        return _finding(
            label, "warning" if here else "ok", f"{var} is unset here{via}",
            "needed only to publish from this machine; in the workflow it comes from secrets." + var,
            f"add the secret {var} in GitHub ({where}); to publish by hand, export {var} first",
        )
    if value != value.strip() or any(c.isspace() for c in value):
        return _finding(
            label, "error", f"{var} is set but contains whitespace",
            "a pasted newline or space makes the index answer 403 (invalid or non-existent authentication)",
            f"set {var} again without surrounding spaces or line breaks",
        )
    if repo.is_pypi_like and not value.startswith(PYPI_TOKEN_PREFIX):
        return _finding(
            label, "error", f"{var} is set but does not start with {PYPI_TOKEN_PREFIX!r}",
            f"{repo.name} accepts API tokens only (user name __token__, value pypi-…); a password or another "
            "value is refused with 403 'Invalid or non-existent authentication information'",
            f"create an API token on {repo.name} and store the whole value, including 'pypi-', in {var}",
        )
    if repo.is_pypi_like and len(value) < PYPI_TOKEN_MIN_LENGTH:
        return _finding(
            label, "warning", f"{var} is set, starts with 'pypi-', but is only {len(value)} characters",
            "real PyPI tokens are much longer: it may be cut off",
            f"copy the whole token into {var} again",
        )
    shape = "shaped like a PyPI token" if repo.is_pypi_like else "set"
    return _finding(label, "ok", f"{var} is set ({shape}; the value is not shown)")


@dataclass(frozen=True)
class Publisher:
    """What a trusted publisher registration on an index names: the GitHub repository and its workflow file."""

    workflow: str  # the file name, as PyPI's form asks for it ("release.yml")
    owner: str | None = None  # from the origin remote, when it is on github.com
    repository: str | None = None


def github_publisher(root: Path, workflow_path: Path) -> Publisher:
    """The publisher settings of this checkout: origin's GitHub owner/name (when known), the workflow file."""
    remote = try_git(root, "remote", "get-url", "origin")
    url = remote.stdout.strip() if remote is not None and remote.returncode == 0 else ""
    match = re.search(r"github\.com[:/]([^/\s]+)/([^/\s]+?)(?:\.git)?/?$", url)
    return Publisher(workflow_path.name, *(match.groups() if match else (None, None)))


def _trusted_publishing(repo: Repository, project: str, publisher: Publisher | None, here: bool) -> Iterator[Finding]:
    """Trusted Publishing stores no token; the index must know the publisher, field by field as its form asks."""
    label = f"token {repo.name}"
    summary = f"{repo.name} uses Trusted Publishing: no token is stored"
    if not here:
        yield _finding(label, "ok", summary)
        return
    publisher = publisher or Publisher("release.yml")
    yield _finding(label, "ok", summary, fix=(
        f"register this repository's {publisher.workflow} workflow as a trusted publisher on {repo.name}"
        + (f" (environment {repo.environment})" if repo.environment else "")
        + "; each index needs its own registration"
    ))
    fields = [
        f"PyPI project name {canonical_name(project)}",
        f"owner {publisher.owner or '<your GitHub user or organisation>'}",
        f"repository name {publisher.repository or '<the repository>'}",
        f"workflow name {publisher.workflow}",
        f"environment name {repo.environment or '(leave it empty)'}",
    ]
    yield _finding(
        f"publisher {repo.name}", "info", f"register on {repo.name}: " + "; ".join(fields), None,
        f"{repo.name} -> your account -> Publishing -> add a GitHub publisher (a pending publisher while the project "
        f"does not exist on {repo.name} yet); it must match exactly, or the upload is refused (invalid-publisher)",
    )


def check_workflow(project: Project, toplevel: str | None) -> Iterator[Finding]:
    """The workflow exists, matches the config, and a pushed release tag triggers it."""
    from hatch_manta_release.core.plan import is_pure_python
    from hatch_manta_release.github.workflow import WORKFLOW_PATH, Drift, render_workflow

    config, env = project.config, project.config.env_name
    expected = render_workflow(config, is_pure_python(project.info, config))
    actual = None
    for base in dict.fromkeys((project.root, Path(toplevel) if toplevel else project.root)):
        try:
            actual = (base / WORKFLOW_PATH).read_text(encoding="utf-8")
            break
        except FileNotFoundError:
            continue
    if actual is None:
        yield _finding(
            "workflow", "warning", f"no {WORKFLOW_PATH}",
            "releases are not automated: nothing builds or publishes when a tag is pushed",
            f"run `hatch run {env}:workflow` and commit the file",
        )
        return
    state = Drift(project.root / WORKFLOW_PATH, expected, actual)
    if state.in_sync:
        yield _finding("workflow", "ok", f"{WORKFLOW_PATH} is in sync with the configuration")
    else:
        changed = sum(
            1 for line in state.diff().splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        yield _finding(
            "workflow", "warning", f"{WORKFLOW_PATH} differs from what the configuration renders ({changed} lines)",
            "the configuration changed since it was written, or the file was edited by hand",
            f"run `hatch run {env}:workflow` and commit it (`hatch run {env}:workflow --check` shows the difference)",
        )
    yield _check_trigger(actual, config)


def _check_trigger(text: str, config: Config) -> Finding:
    from hatch_manta_release.github.workflow import push_tag_patterns, tag_triggers

    patterns = push_tag_patterns(text)
    prefix, env = config.tag_prefix, config.env_name
    samples = [f"{prefix}1.2.0", f"{prefix}1.2.0rc1", f"{prefix}1.2.0-beta.1", f"{prefix}1.2.0.dev1"]
    if patterns is None:
        return _finding(
            "trigger", "error", "pushing a tag does not trigger the workflow",
            "its `on:` has no push of tags",
            f"run `hatch run {env}:workflow` (it triggers on tags {prefix}[0-9]*)",
        )
    missed = [tag for tag in samples if not tag_triggers(patterns, tag)]
    if missed:
        return _finding(
            "trigger", "error",
            f"the workflow's tag filter {patterns} does not match release tags such as {', '.join(missed)}",
            f"the tag prefix is {prefix!r}: pushing those tags starts no release",
            f"run `hatch run {env}:workflow` to regenerate the trigger from tag-prefix",
        )
    return _finding("trigger", "ok", f"pushed tags like {samples[0]} and {samples[1]} trigger it ({patterns})")


def check_other_workflows(base: Path, config: Config) -> Iterator[Finding]:
    """Other workflows that also publish on release tags (every tag would publish twice), and unpinned actions."""
    from hatch_manta_release.adopt.workflows import describe_steps, publishing_on, read_workflows
    from hatch_manta_release.github.workflow import WORKFLOW_PATH

    workflows = read_workflows(base)
    sample = f"{config.tag_prefix}1.2.0"
    for other in publishing_on(workflows, sample, WORKFLOW_PATH):
        yield _finding(
            "other workflows", "error",
            f"{other.path.as_posix()} also publishes when a release tag ({sample}) is pushed",
            "two workflows publishing one tag upload every file twice: the second upload fails on PyPI (the file "
            f"name is taken) after the first succeeded, or races it; it publishes at {describe_steps(other)}",
            f"remove those publishing steps (or the whole file, if {WORKFLOW_PATH.name} replaces it), "
            "or drop release tags from its `on: push: tags`",
        )
    unpinned = [(w, line, uses) for w in workflows for line, uses in w.unpinned]
    if unpinned:
        shown = ", ".join(f"{w.path.name}:{line} {uses}" for w, line, uses in unpinned[:5])
        more = f" and {len(unpinned) - 5} more" if len(unpinned) > 5 else ""
        yield _finding(
            "actions", "warning", f"{len(unpinned)} action{'s' if len(unpinned) != 1 else ''} not pinned to a commit: "
            f"{shown}{more}",
            "a tag or branch can be moved to other code, which then runs with the workflow's secrets and id-token",
            "pin each to the full commit SHA of its release, with the version as a comment "
            "(uses: owner/action@<40 hex> # vX.Y.Z); dependabot and renovate keep such pins current",
        )


def check_tag_pushed(root: Path, tag: str, timeout: float) -> Finding:
    """Whether HEAD's release tag is on the remote (the guide's 'workflow does not trigger')."""
    remotes = try_git(root, "remote")
    if remotes is None or "origin" not in remotes.stdout.split():
        return _finding("tag pushed", "skip", "no remote named origin: cannot tell whether the tag is pushed")
    result = try_git(root, "ls-remote", "--exit-code", "--tags", "origin", f"refs/tags/{tag}", timeout=timeout)
    if result is None:
        return _finding("tag pushed", "warning", f"could not reach origin within {timeout:g}s",
                        "offline, or the remote is slow", "re-run later, or use --offline")
    if result.returncode == 0:
        return _finding("tag pushed", "ok", f"{tag} is on origin")
    if result.returncode == 2:
        return _finding("tag pushed", "warning", f"{tag} is not on origin",
                        "the workflow runs only when the tag is pushed", f"git push origin {tag}")
    return _finding("tag pushed", "warning", "could not ask origin for its tags",
                    result.stderr.strip().splitlines()[-1] if result.stderr.strip() else None,
                    "check the remote's URL and your access")


def check_index(repo: Repository, project: str, timeout: float, version: str | None = None) -> Finding:
    """Does the project exist on the index (a read-only look-up of its simple page), and is HEAD's release
    ``version`` (when given) already there (the guide's "File already exists")?"""
    from hatch_manta_release.publish.index import IndexReadError, existing_files, project_url

    label = f"index {repo.name}"
    if not repo.index_url.startswith(("http://", "https://")):
        return _finding(label, "skip", f"{repo.index_url} is not an http(s) index")
    url = project_url(repo.index_url, project)
    try:
        files = existing_files(repo.index_url, project, timeout=timeout)
    except IndexReadError as e:
        return _finding(label, "warning", f"{url} answered HTTP {e}", "the index refused a read-only look-up",
                        e.hint or "check index-url in the configuration")
    except OSError as e:
        return _finding(label, "warning", f"could not reach {repo.name} ({url}): {e}",
                        "offline, or the index is unreachable from here", "re-run online, or pass --offline")
    if not files:
        advice = (
            "the first upload needs an account-wide token (a project-scoped token cannot create a project); "
            "replace it with a project-scoped token afterwards"
        )
        if repo.trusted_publishing in (True, "auto"):
            advice = f"register a pending trusted publisher for {project} on {repo.name}, or " + advice
        return _finding(label, "warning", f"{project} does not exist on {repo.name} yet ({url} lists no files)",
                        "the first release creates it", advice)
    there = [name for name in files if version and _file_version(name) == version]
    if there:
        count = f"{len(there)} file{'s' if len(there) != 1 else ''}"
        return _finding(
            label, "warning", f"{project} {version} is already on {repo.name} ({count})",
            "an index never lets a file be replaced: a re-run skips identical files, and a rebuilt, different "
            "file under the same name is refused ('File already exists')",
            "to change anything, release a new version (a new tag)",
        )
    return _finding(label, "ok", f"{project} exists on {repo.name} ({url})")


def _file_version(filename: str) -> str | None:
    """The version in a wheel or sdist file name (packaging's parsers), None for anything else."""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
    from packaging.version import InvalidVersion

    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith(".tar.gz"):
            return str(parse_sdist_filename(filename)[1])
        if filename.endswith(".zip"):
            return str(parse_sdist_filename(filename.removesuffix(".zip") + ".tar.gz")[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


# ----------------------------------------------------------------------------- all together


def run_doctor(
    root: str | Path, *, offline: bool = False, environ: Mapping[str, str] | None = None, timeout: float = 5.0
) -> list[Finding]:
    """Every check, in the order a maintainer fixes things: config, pyproject, git, version, tokens, workflows,
    then (online) the remote tag and each index."""
    from hatch_manta_release.github.workflow import WORKFLOW_PATH, routed_repositories

    root = Path(root)
    environ = os.environ if environ is None else environ
    finding, project = check_config(root)
    if project is None:
        return [finding, _finding("other checks", "skip", "need a valid configuration")]
    config = project.config
    findings = [finding, *check_adoption(project.data, config.env_name)]
    git_findings, toplevel = check_git(root, config)
    findings.extend(git_findings)
    version, resolved = check_version(root, config)
    findings.append(version)
    target = config.route(resolved.channel).name if resolved is not None else None
    findings.extend(check_tokens(config, environ, target, github_publisher(root, WORKFLOW_PATH)))
    findings.extend(check_workflow(project, toplevel))
    findings.extend(check_other_workflows(Path(toplevel) if toplevel else root, config))
    if offline:
        findings.append(_finding("index", "skip", "network checks skipped (--offline)"))
        return findings
    release = str(resolved.version) if resolved is not None and resolved.is_release else None
    if release and resolved is not None and resolved.tag is not None:
        findings.append(check_tag_pushed(root, resolved.tag.tag, timeout))
    for repo in routed_repositories(config):
        findings.append(check_index(repo, config.project_name, timeout, release))
    return findings


def failed(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)
