"""``manta-release init``: add the adoption tables to an existing ``pyproject.toml``.

Edits go through tomlkit, so the user's comments, ordering and formatting stay as they were; only
the keys adoption needs are added. A hatch-vcs project is migrated (its ``tag-pattern`` becomes
``tag-prefix`` where it is one, ``fallback-version`` stays, the vcs hook's ``version-file`` moves to
this plugin's build hook). Anything else that would replace a value the user chose (another build
backend, another version source, a workflow file with edits) is a conflict: nothing is written unless
``--force`` is given. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hatch_manta_release.adopt import migrate
from hatch_manta_release.core import defaults
from hatch_manta_release.core.errors import ConfigError, MantaError
from hatch_manta_release.core.names import filename_part, requirement_name

if TYPE_CHECKING:
    from hatch_manta_release.core.project import Project

PLUGIN = defaults.DIST_NAME
BACKEND = "hatchling.build"
VERSION_SOURCE = "manta-release"

MANTA_TABLE_COMMENTS = (
    "Every key is optional: these are the defaults (uncomment to change).",
    'tag-prefix = "v"',
    'platforms = ["linux-x86_64", "macos-x86_64", "macos-arm64", "windows-amd64"]',
    'routes = {{ prerelease = "testpypi", final = "pypi" }}',
    "Run against each built wheel (none by default; double quotes inside, for Windows' cmd.exe), e.g.:",
    """test-command = 'python -c "import {import_name}"'""",
)


@dataclass
class InitResult:
    """What init changed (or would change), in words."""

    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the user must still do by hand (leftovers, workflows)
    conflicts: list[str] = field(default_factory=list)
    pyproject_changed: bool = False
    workflow_changed: bool = False
    env_name: str = defaults.ENV_NAME
    tag_prefix: str = defaults.TAG_PREFIX
    first_tag: str = "0.1.0"  # the version the suggested next tag carries


class InitConflict(MantaError):
    """init would replace settings the user chose; ``conflicts`` lists them.

    Fix: re-run ``manta-release init --force`` to replace them, or make the changes by hand.
    """

    def __init__(self, conflicts: list[str]) -> None:
        super().__init__(
            "init changed nothing, because it would overwrite your settings:\n  - " + "\n  - ".join(conflicts),
            "re-run with --force to replace them, or adjust them by hand",
        )
        self.conflicts = conflicts


def has_requirement(requires: Any, name: str) -> bool:
    return any(isinstance(r, str) and requirement_name(r) == name for r in requires or [])


def table(parent: Any, key: str, *, super_table: bool = False) -> Any:
    """``parent[key]``, made an (implicit, with ``super_table``) table when missing."""
    import tomlkit

    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=super_table)
    value = parent[key]
    if not isinstance(value, dict):
        raise ConfigError(f"pyproject.toml: {key} must be a table, found {type(value).__name__}")
    return value


def _insert_first_table(doc: Any, key: str, value: Any) -> None:
    """Insert ``value`` before the document's first table (where readers expect [build-system])."""
    for index, (existing, _item) in enumerate(doc.body):
        if existing is not None:
            try:
                doc._insert_at(index, key, value)  # tomlkit has no public insert
            except (AttributeError, TypeError):  # pragma: no cover - a tomlkit without it
                break
            return
    doc[key] = value


def _multiline_if_long(array: Any) -> None:
    if len(array.as_string()) > 80:
        array.multiline(True)


@dataclass(frozen=True)
class ExistingTags:
    """What the repository's tags say, for init: the prefix they use and the highest version with it."""

    prefix: str | None = None  # None: no release tag at all
    described: str = ""  # "4.11.3, 4.11.2, 4.11.1 and 77 more; 1 tag of another prefix ignored (v2.0.0a3)"
    next_version: str = "0.1.0"
    highest: str = "0"


def update_pyproject(text: str, *, force: bool = False, tags: ExistingTags | None = None) -> tuple[str, InitResult]:
    """Add the adoption tables to ``text`` (a pyproject.toml); returns the new text and a report.

    ``tags`` (from :func:`existing_tags`) sets ``tag-prefix`` when the project's tags use another
    prefix than the default and nothing else (a hatch-vcs ``tag-pattern``, an explicit key) says it.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    result = InitResult()
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as e:
        raise ConfigError(f"pyproject.toml is not valid TOML: {e}") from None
    project = doc.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise ConfigError(
            "pyproject.toml has no [project] name",
            'add a [project] table with name = "..." (see https://packaging.python.org/en/latest/guides/writing-pyproject-toml/)',
        )
    tool = table(doc, "tool", super_table=True)
    hatch = table(tool, "hatch", super_table=True)
    _build_system(doc, result, force=force)
    static = _dynamic_version(project, result)
    prefix = _version_source(doc, hatch, result, force=force)
    _environment(hatch, result)
    _manta_table(tool, project["name"], prefix, tags, result)
    result.warnings.extend(migrate.setuptools_leftovers(doc))
    result.first_tag = _first_tag(static, tags)
    if static:
        tag = f"{result.tag_prefix}{result.first_tag}"
        result.notes.append(
            "the version now comes from git tags: tag a release instead of editing a file, "
            f"e.g. git tag {tag} && git push origin {tag}"
        )
    new_text = tomlkit.dumps(doc)
    if not new_text.endswith("\n"):
        new_text += "\n"
    result.pyproject_changed = new_text != text
    return new_text, result


def _first_tag(static: str | None, tags: ExistingTags | None) -> str:
    """The version of the suggested next tag: after the highest tagged version, or the static version when
    that is higher (it was not tagged yet)."""
    from packaging.version import InvalidVersion, Version

    following = tags.next_version if tags is not None else "0.1.0"
    if static is None:
        return following
    if tags is None or tags.prefix is None:
        return static
    try:
        return static if Version(static) > Version(tags.highest) else following
    except InvalidVersion:
        return following


def _build_system(doc: Any, result: InitResult, *, force: bool) -> None:
    """[build-system]: hatchling, with this plugin among the build requirements."""
    import tomlkit

    if "build-system" not in doc:
        build = tomlkit.table()
        build["requires"] = tomlkit.array()
        build["requires"].extend(["hatchling", PLUGIN])
        build["build-backend"] = BACKEND
        build.add(tomlkit.nl())
        _insert_first_table(doc, "build-system", build)
        result.changes.append('added [build-system] (hatchling, with "hatch-manta-release" in requires)')
        return
    build = doc["build-system"]
    backend = build.get("build-backend")
    if backend != BACKEND:
        if force or backend is None:
            build["build-backend"] = BACKEND
            result.changes.append(f'set build-backend = "{BACKEND}" (was {backend or "unset"})')
        else:
            result.conflicts.append(
                f'[build-system] build-backend is "{backend}": the version source is a hatchling plugin, '
                f'so init would set it to "{BACKEND}"'
            )
    requires = build.get("requires")
    if requires is None:
        build["requires"] = tomlkit.array()
        build["requires"].extend(["hatchling", PLUGIN])
        result.changes.append('set [build-system] requires = ["hatchling", "hatch-manta-release"]')
        return
    if not has_requirement(requires, "hatchling"):
        requires.append("hatchling")
        result.changes.append('added "hatchling" to [build-system] requires')
    if not has_requirement(requires, PLUGIN):
        requires.append(PLUGIN)
        _multiline_if_long(requires)
        result.changes.append(f'added "{PLUGIN}" to [build-system] requires')


def _dynamic_version(project: Any, result: InitResult) -> str | None:
    """[project]: the version is dynamic, from the tag; returns the static version it removed, if any."""
    import tomlkit

    dynamic = project.get("dynamic")
    if dynamic is None:
        project["dynamic"] = tomlkit.array()
        project["dynamic"].append("version")
        result.changes.append('set [project] dynamic = ["version"]')
    elif "version" not in dynamic:
        dynamic.append("version")
        result.changes.append('added "version" to [project] dynamic')
    if "version" not in project:
        return None
    static = str(project["version"])
    del project["version"]
    result.changes.append(f'removed the static [project] version = "{static}"')
    return static


def _version_source(doc: Any, hatch: Any, result: InitResult, *, force: bool) -> str | None:
    """[tool.hatch.version]: our version source. A hatch-vcs source is migrated; returns the tag prefix its
    ``tag-pattern`` stands for (None when it has none)."""
    version = table(hatch, "version")
    source = version.get("source")
    if source is None and "path" in version:
        source = "regex"  # hatchling's default source when a path is given: the version is in that file
    if source == VERSION_SOURCE:
        return None
    if source == "vcs":
        prefix = migrate.from_hatch_vcs(doc, result.changes, result.notes)
        version["source"] = VERSION_SOURCE
        result.changes.append(f'set [tool.hatch.version] source = "{VERSION_SOURCE}" (was "vcs")')
        return prefix
    if source is not None and not force:
        where = f' (the version in {version["path"]})' if source == "regex" and "path" in version else ""
        result.conflicts.append(
            f'[tool.hatch.version] source is "{source}"{where}; init would replace it with "{VERSION_SOURCE}"'
        )
        return None
    if source is not None:
        for key in ("path", "pattern", "expression", "search-paths", "raw-options", "tag-pattern"):
            if key in version:
                del version[key]
    version["source"] = VERSION_SOURCE
    result.changes.append(
        f'set [tool.hatch.version] source = "{VERSION_SOURCE}"' + (f' (was "{source}")' if source else "")
    )
    return None


def _environment(hatch: Any, result: InitResult) -> None:
    """[tool.hatch.env]: hatch installs the plugin (environment collector) for `hatch run release:*`."""
    import tomlkit

    env = table(hatch, "env")
    env_requires = env.get("requires")
    if env_requires is None:
        env["requires"] = tomlkit.array()
        env["requires"].append(PLUGIN)
        result.changes.append(f'set [tool.hatch.env] requires = ["{PLUGIN}"]')
    elif not has_requirement(env_requires, PLUGIN):
        env_requires.append(PLUGIN)
        result.changes.append(f'added "{PLUGIN}" to [tool.hatch.env] requires')
    collectors = table(env, "collectors", super_table=True)
    if VERSION_SOURCE not in collectors:
        collectors[VERSION_SOURCE] = tomlkit.table()
        collectors[VERSION_SOURCE].add(tomlkit.nl())
        result.changes.append("added [tool.hatch.env.collectors.manta-release] (the release environment)")


def _manta_table(tool: Any, name: str, carried: str | None, tags: ExistingTags | None, result: InitResult) -> None:
    """[tool.manta-release]: present, with the main defaults as comments, and the tag prefix the project uses."""
    import tomlkit

    manta = tool.get("manta-release")
    if manta is not None and not isinstance(manta, dict):
        raise ConfigError("pyproject.toml: [tool.manta-release] must be a table")
    if manta is not None and "tag-prefix" in manta:
        result.tag_prefix = str(manta["tag-prefix"])
        return
    prefix, why = _chosen_prefix(carried, tags)
    result.tag_prefix = prefix
    if manta is None:
        manta = tomlkit.table()
        if prefix != defaults.TAG_PREFIX:
            manta["tag-prefix"] = prefix
        import_name = filename_part(name)
        for line in MANTA_TABLE_COMMENTS:
            if line.startswith("tag-prefix =") and "tag-prefix" in manta:
                continue  # set just above: its default beside it would read as a second, contrary setting
            manta.add(tomlkit.comment(line.format(import_name=import_name)))
        tool["manta-release"] = manta
        result.changes.append("added [tool.manta-release] with the defaults as comments")
    elif prefix != defaults.TAG_PREFIX:
        manta["tag-prefix"] = prefix
    if prefix != defaults.TAG_PREFIX:
        result.changes.append(f'set tag-prefix = "{prefix}" in [tool.manta-release] ({why})')
    elif why:
        result.notes.append(f'tag prefix "{prefix}" (the default): {why}')


def _chosen_prefix(carried: str | None, tags: ExistingTags | None) -> tuple[str, str]:
    """The prefix to configure and why: hatch-vcs's tag-pattern, else the style of the existing tags."""
    seen = tags.described if tags is not None and tags.prefix is not None else ""
    if carried is not None:
        why = "from hatch-vcs's tag-pattern"
        if tags is not None and tags.prefix is not None and tags.prefix != carried:
            why += f"; note that the most recent tags use {tags.prefix!r}: {seen}"
        return carried, why
    if tags is None or tags.prefix is None:
        return defaults.TAG_PREFIX, ""
    return tags.prefix, f"detected from the existing tags: {seen}"


def existing_tags(root: str | Path, labels: Any = None) -> ExistingTags:
    """The prefix of the most recent release tags, the tags other prefixes leave out, the next version."""
    from hatch_manta_release.adopt import tag_style

    release = tag_style.release_tags(tag_style.list_tags(root), labels or defaults.PRERELEASE_LABELS)
    prefix = tag_style.detect_prefix(release)
    if prefix is None:
        return ExistingTags()
    mine = [t for t in release if t.prefix == prefix]
    described = tag_style.examples(mine)
    ignored = tag_style.ignored_by(prefix, release)
    if ignored:
        count = f"{len(ignored)} tag{'s' if len(ignored) != 1 else ''} of another prefix"
        described += f"; {count} will be ignored ({tag_style.examples(ignored)})"
    top = tag_style.highest(prefix, release)
    version = top.version if top else None
    return ExistingTags(prefix, described, tag_style.next_release(version), str(version or "0"))


def init_project(
    root: str | Path, *, force: bool = False, workflow: bool = True, git_archive: bool = False
) -> InitResult:
    """Adopt hatch-manta-release in the project at ``root``; writes nothing on a conflict.

    ``git_archive``: also write ``.git_archival.txt`` and its ``.gitattributes`` line (core/archive.py).
    """
    root = Path(root)
    path = root / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml in {root.resolve()}",
            "run init in the project's root folder; a new project can start with `hatch new --init`",
        ) from None
    new_text, result = update_pyproject(text, force=force, tags=existing_tags(root))
    project = _project(root, new_text)
    result.env_name = project.config.env_name
    rendered = _workflow(project, result, force=force) if workflow else None
    result.warnings.extend(migrate.root_leftovers(root))
    result.warnings.extend(migrate.publishing_workflows(root, project.config.tag_prefix))
    if result.conflicts:
        raise InitConflict(result.conflicts)
    if result.pyproject_changed:
        with path.open("w", encoding="utf-8", newline="") as f:
            f.write(new_text)
    if rendered is not None and result.workflow_changed:
        from hatch_manta_release.github.workflow import WORKFLOW_PATH, workflow_file

        wf_path = workflow_file(root)
        wf_path.parent.mkdir(parents=True, exist_ok=True)
        with wf_path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(rendered)
        result.changes.append(f"wrote {WORKFLOW_PATH}")
    if git_archive:
        from hatch_manta_release.core.archive import write_archival_files

        for name in write_archival_files(root, project.config.tag_prefix):
            result.changes.append(f"wrote {name} (git archive and Download ZIP builds carry the version)")
    return result


def _project(root: Path, text: str) -> Project:
    """The project as it will be once the new pyproject.toml is written (read from the text, not the disk)."""
    import tomlkit

    from hatch_manta_release.core.project import Project, load_config, project_info

    data = tomlkit.parse(text).unwrap()
    return Project(root=root, data=data, info=project_info(root, data), config=load_config(root, data))


def _workflow(project: Project, result: InitResult, *, force: bool) -> str:
    """The workflow the new configuration renders; an edited file on disk is a conflict unless forced."""
    from hatch_manta_release.core.plan import is_pure_python
    from hatch_manta_release.github.workflow import WORKFLOW_PATH, render_workflow, workflow_file

    try:
        current: str | None = workflow_file(project.root).read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    # the file's own pins are kept (a dependabot bump is not an edit)
    rendered = render_workflow(project.config, is_pure_python(project.info, project.config), current)
    if current is not None and current != rendered and not force:
        result.conflicts.append(
            f"{WORKFLOW_PATH} exists and differs from what the configuration renders (your edits would be lost)"
        )
    result.workflow_changed = current != rendered
    return rendered

