"""``manta-release init``: add the adoption tables to an existing ``pyproject.toml``.

Edits go through tomlkit, so the user's comments, ordering and formatting stay as they were; only
the keys adoption needs are added. Anything that would replace a value the user chose (another
build backend, another version source, a workflow file with edits) is a conflict: nothing is
written unless ``--force`` is given. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hatch_manta_release.core import defaults
from hatch_manta_release.core.errors import ConfigError, MantaError
from hatch_manta_release.core.names import filename_part
from hatch_manta_release.core.names import requirement_name as _requirement_name

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
    conflicts: list[str] = field(default_factory=list)
    pyproject_changed: bool = False
    workflow_changed: bool = False
    env_name: str = defaults.ENV_NAME
    tag_prefix: str = defaults.TAG_PREFIX


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


def _has_requirement(requires: Any, name: str) -> bool:
    return any(isinstance(r, str) and _requirement_name(r) == name for r in requires)


def _table(parent: Any, key: str, *, super_table: bool = False) -> Any:
    import tomlkit

    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=super_table)
    value = parent[key]
    if not isinstance(value, dict):
        raise ConfigError(f"pyproject.toml: {key} must be a table, found {type(value).__name__}")
    return value


def _insert_first_table(doc: Any, key: str, table: Any) -> None:
    """Insert ``table`` before the document's first table (where readers expect [build-system])."""
    for index, (existing, _item) in enumerate(doc.body):
        if existing is not None:
            try:
                doc._insert_at(index, key, table)  # tomlkit has no public insert
            except (AttributeError, TypeError):  # pragma: no cover - a tomlkit without it
                break
            return
    doc[key] = table


def _multiline_if_long(array: Any) -> None:
    if len(array.as_string()) > 80:
        array.multiline(True)


def update_pyproject(text: str, *, force: bool = False) -> tuple[str, InitResult]:
    """Add the adoption tables to ``text`` (a pyproject.toml); returns the new text and a report."""
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
    name = project["name"]

    # [build-system]: hatchling, with this plugin among the build requirements.
    if "build-system" not in doc:
        build = tomlkit.table()
        build["requires"] = tomlkit.array()
        build["requires"].extend(["hatchling", PLUGIN])
        build["build-backend"] = BACKEND
        build.add(tomlkit.nl())
        _insert_first_table(doc, "build-system", build)
        result.changes.append('added [build-system] (hatchling, with "hatch-manta-release" in requires)')
    else:
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
        else:
            if not _has_requirement(requires, "hatchling"):
                requires.append("hatchling")
                result.changes.append('added "hatchling" to [build-system] requires')
            if not _has_requirement(requires, PLUGIN):
                requires.append(PLUGIN)
                _multiline_if_long(requires)
                result.changes.append(f'added "{PLUGIN}" to [build-system] requires')

    # [project]: the version is dynamic, from the tag.
    dynamic = project.get("dynamic")
    if dynamic is None:
        project["dynamic"] = tomlkit.array()
        project["dynamic"].append("version")
        result.changes.append('set [project] dynamic = ["version"]')
    elif "version" not in dynamic:
        dynamic.append("version")
        result.changes.append('added "version" to [project] dynamic')
    if "version" in project:
        static = str(project["version"])
        del project["version"]
        manta_table = doc.get("tool", {}).get("manta-release", {})
        prefix = defaults.TAG_PREFIX
        if isinstance(manta_table, dict):
            prefix = manta_table.get("tag-prefix", prefix)
        result.changes.append(f'removed the static [project] version = "{static}"')
        result.notes.append(
            "the version now comes from git tags: tag a release instead of editing a file, "
            f"e.g. git tag {prefix}{static} && git push origin {prefix}{static}"
        )

    tool = _table(doc, "tool", super_table=True)
    hatch = _table(tool, "hatch", super_table=True)

    # [tool.hatch.version]: our version source.
    version = _table(hatch, "version")
    source = version.get("source")
    if source is None and "path" in version:
        source = "regex"  # hatchling's default source when a path is given: the version is in that file
    if source != VERSION_SOURCE:
        if source is None or force:
            if source is not None:
                for key in ("path", "pattern", "expression", "search-paths", "raw-options", "tag-pattern"):
                    if key in version:
                        del version[key]
            version["source"] = VERSION_SOURCE
            result.changes.append(
                f'set [tool.hatch.version] source = "{VERSION_SOURCE}"' + (f' (was "{source}")' if source else "")
            )
        else:
            where = f' (the version in {version["path"]})' if source == "regex" and "path" in version else ""
            result.conflicts.append(
                f'[tool.hatch.version] source is "{source}"{where}; init would replace it with "{VERSION_SOURCE}"'
            )

    # [tool.hatch.env]: hatch installs the plugin (environment collector) for `hatch run release:*`.
    env = _table(hatch, "env")
    env_requires = env.get("requires")
    if env_requires is None:
        env["requires"] = tomlkit.array()
        env["requires"].append(PLUGIN)
        result.changes.append(f'set [tool.hatch.env] requires = ["{PLUGIN}"]')
    elif not _has_requirement(env_requires, PLUGIN):
        env_requires.append(PLUGIN)
        result.changes.append(f'added "{PLUGIN}" to [tool.hatch.env] requires')
    collectors = _table(env, "collectors", super_table=True)
    if VERSION_SOURCE not in collectors:
        collectors[VERSION_SOURCE] = tomlkit.table()
        result.changes.append("added [tool.hatch.env.collectors.manta-release] (the release environment)")

    # [tool.manta-release]: present, with the main defaults as comments.
    if "manta-release" not in tool:
        manta = tomlkit.table()
        import_name = filename_part(name)
        for line in MANTA_TABLE_COMMENTS:
            manta.add(tomlkit.comment(line.format(import_name=import_name)))
        tool["manta-release"] = manta
        result.changes.append("added [tool.manta-release] with the defaults as comments")

    new_text = tomlkit.dumps(doc)
    if not new_text.endswith("\n"):
        new_text += "\n"
    result.pyproject_changed = new_text != text
    return new_text, result


def init_project(root: str | Path, *, force: bool = False, workflow: bool = True) -> InitResult:
    """Adopt hatch-manta-release in the project at ``root``; writes nothing on a conflict."""
    from hatch_manta_release.core.project import load_config
    from hatch_manta_release.github.workflow import WORKFLOW_PATH, render_workflow, workflow_file

    root = Path(root)
    path = root / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml in {root.resolve()}",
            "run init in the project's root folder; a new project can start with `hatch new --init`",
        ) from None
    new_text, result = update_pyproject(text, force=force)

    import tomlkit

    from hatch_manta_release.core.plan import is_pure_python
    from hatch_manta_release.core.project import project_info

    rendered = None
    wf_path = workflow_file(root)
    data = tomlkit.parse(new_text).unwrap()
    config = load_config(root, data)
    result.env_name, result.tag_prefix = config.env_name, config.tag_prefix
    if workflow:
        rendered = render_workflow(config, is_pure_python(project_info(root, data), config))
        try:
            current: str | None = wf_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current is not None and current != rendered and not force:
            result.conflicts.append(
                f"{WORKFLOW_PATH} exists and differs from what the configuration renders "
                "(your edits would be lost)"
            )
        result.workflow_changed = current != rendered

    if result.conflicts:
        raise InitConflict(result.conflicts)
    if result.pyproject_changed:
        with path.open("w", encoding="utf-8", newline="") as f:
            f.write(new_text)
    if workflow and rendered is not None and result.workflow_changed:
        wf_path.parent.mkdir(parents=True, exist_ok=True)
        with wf_path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(rendered)
        result.changes.append(f"wrote {WORKFLOW_PATH}")
    return result
