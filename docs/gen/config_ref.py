"""The configuration reference, generated from the config code at build time.

Key names and their order come from the validator's own key lists (``TOP_KEYS``, ``REPO_KEYS``,
``ROUTE_KEYS``, ``GITHUB_RELEASE_KEYS`` in ``core/config.py``, ``KEYS`` in
``core/workflow_settings.py``), defaults from the objects the validator builds (``Config()`` and
``default_repositories()``). The words (type, allowed, example, meaning, and a note for a derived
default) come from the config code too, the one place they are written: each top-level row of
``core.config.KEYS`` carries them, and ``core.config.KEY_SPECS`` holds them for the sub-tables' keys
by dotted path (``repositories.<name>.token-env``). A key the code has no words for shows as
*undocumented*, and ``tests/test_docs.py`` fails on it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

REPO_PATH = "repositories.<name>"
WORDS = ("type", "allowed", "example", "doc", "default_note")


@dataclass(frozen=True)
class Spec:
    """What the reference says about one key."""

    key: str  # dotted path under [tool.manta-release]: "tag-prefix", "repositories.<name>.token-env"
    type: str
    allowed: str
    example: str  # a TOML value
    doc: str
    default_note: str = ""  # words for a default that is derived, not a constant


def _words(key: str) -> Spec | None:
    """The code's words for ``key``: its ``KEYS`` row (top level) or its ``KEY_SPECS`` entry."""
    from hatch_manta_release.core import config

    if "." not in key:
        row = config.KEYS.get(key)
        said = {name: getattr(row, name, "") for name in WORDS} if row is not None else None
    else:
        said = config.KEY_SPECS.get(key)
    if not said or not said.get("doc"):
        return None
    return Spec(key, *(str(said.get(name) or "") for name in WORDS))


def specs() -> list[Spec]:
    """Each key's words, in the validator's order; keys the code has no words for are left out."""
    return [spec for spec in map(_words, code_keys()) if spec is not None]


def _subtable_keys() -> dict[str, tuple[str, ...]]:
    """Each sub-table's path and its keys, from the code that validates it (absent ones skipped)."""
    import importlib

    from hatch_manta_release.core import config

    found = {REPO_PATH: tuple(config.REPO_KEYS), "routes": tuple(config.ROUTE_KEYS)}
    for key in config.TOP_KEYS:  # the convention: a table key "github-release" has GITHUB_RELEASE_KEYS
        keys = getattr(config, key.upper().replace("-", "_") + "_KEYS", None)
        if keys and key not in found:
            found[key] = tuple(keys)
    try:
        settings = importlib.import_module("hatch_manta_release.core.workflow_settings")
    except ImportError:
        settings = None
    if settings is not None and "workflow" in config.TOP_KEYS:
        found["workflow"] = tuple(settings.KEYS)
    return found


def code_keys() -> list[str]:
    """Every key path the validator accepts, in its order: the top level, then each sub-table."""
    from hatch_manta_release.core import config

    keys = list(config.TOP_KEYS)
    for path, sub in _subtable_keys().items():
        keys += [f"{path}.{key}" for key in sub]
    return keys


def toml(value: Any) -> str:
    """A Python value as TOML (inline), for the default column."""
    if isinstance(value, bool | str):
        return json.dumps(value)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = list(value)
        if not items or not all(isinstance(v, tuple) and len(v) == 2 for v in items):
            return "[" + ", ".join(toml(getattr(v, "name", v)) for v in items) + "]"
        value = dict(items)  # pairs: a table
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k} = {toml(v)}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    return str(value)


def _shown(value: Any) -> str:
    return "none" if value is None else f"`{toml(value)}`"


def _subtable_defaults(config: Any) -> dict[str, Any]:
    """The object holding each sub-table's defaults: the ``Config`` field of the table's key
    (``routes`` -> ``Routes()``); repositories are read from ``default_repositories()``."""
    return {path: getattr(config, path.replace("-", "_"), None) for path in _subtable_keys() if path != REPO_PATH}


def _repo_default(repo: Any, attr: str) -> str:
    """A default repository's value; a folder index's URLs as the project-relative folder they
    resolve to (not this machine's absolute path)."""
    if repo.path is not None and attr in ("upload_url", "index_url"):
        return f"`file://<project>/{repo.path}/{'simple/' if attr == 'index_url' else ''}`"
    return _shown(getattr(repo, attr))


def defaults() -> dict[str, str]:
    """The default of each key as the validator applies it (Markdown), from ``Config()``."""
    from hatch_manta_release.core.config import Config, default_repositories

    config = Config()
    holders = _subtable_defaults(config)
    out: dict[str, str] = {}
    for key in code_keys():
        parent, _, name = key.rpartition(".")
        attr = name.replace("-", "_")
        if parent == REPO_PATH:
            out[key] = "<br>".join(f"{repo_name}: {_repo_default(repo, attr)}"
                                   for repo_name, repo in default_repositories().items())
        elif parent:
            out[key] = _shown(getattr(holders.get(parent), attr, None))
        elif key == "repositories":
            out[key] = ", ".join(f"`{repo_name}`" for repo_name in config.repositories)
        elif dataclasses.is_dataclass(getattr(config, attr, None)):
            out[key] = "see below"
        else:
            out[key] = _shown(getattr(config, attr))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table_of(key: str) -> str:
    parent = key.rpartition(".")[0]
    return f"tool.manta-release.{parent}" if parent else "tool.manta-release"


def overview() -> list[str]:
    """One table of every key, linking to its entry."""
    by_key = {spec.key: spec for spec in specs()}
    lines = ["| key | type | meaning |", "|---|---|---|"]
    for key in code_keys():
        spec = by_key.get(key)
        lines.append(f"| [`{key}`](#{anchor(key)}) | {_cell(spec.type if spec else '')} "
                     f"| {_cell(_sentence(spec.doc) if spec else '*undocumented*')} |")
    return [*lines, ""]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def render() -> str:
    """The reference: an overview, then one section per table, one entry per key."""
    by_key = {spec.key: spec for spec in specs()}
    default_of = defaults()
    lines: list[str] = overview()
    current = None
    for key in code_keys():
        table = _table_of(key)
        if table != current:
            current = table
            lines += [f"## `[{table}]`" + " { #" + table_anchor(table) + " }", ""]
        spec = by_key.get(key, Spec(key, "", "", "", "*undocumented*"))
        name = key.rsplit(".", 1)[1] if "." in key else key
        default = default_of[key]
        if spec.default_note:
            default = spec.default_note.format(default=default)
        lines += [
            f"### `{name}`" + " { #" + anchor(key) + " }",
            "",
            _sentence(spec.doc),
            "",
            "| type | default | allowed |",
            "|---|---|---|",
            f"| {_cell(spec.type)} | {_cell(default)} | {_cell(spec.allowed)} |",
            "",
            "```toml",
            f"[{example_table(key)}]",
            f"{name} = {spec.example}",
            "```",
            "",
        ]
    return "\n".join(lines)


def table_anchor(table: str) -> str:
    """``tool-manta-release``, ``tool-manta-release-repositories``, ``tool-manta-release-routes``."""
    return table.replace(".<name>", "").replace(".", "-")


def example_table(key: str) -> str:
    """The table header an example is written under: a repository key on ``pypi``, unless the key's
    words name the repository of their example (``example_repository``)."""
    from hatch_manta_release.core import config

    repository = config.KEY_SPECS.get(key, {}).get("example_repository", "pypi")
    return _table_of(key).replace("<name>", repository)


def anchor(key: str) -> str:
    """A stable anchor per key: ``tag-prefix``, ``repositories-token-env``, ``routes-final``."""
    return key.replace(".<name>", "").replace(".", "-")
