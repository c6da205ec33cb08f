"""The configuration reference, generated from the config code at build time.

Key names and their order come from the validator's own key lists (``TOP_KEYS``, ``REPO_KEYS``,
``ROUTE_KEYS`` in ``core/config.py``), defaults from the objects the validator builds (``Config()``
and ``default_repositories()``), allowed values from the code's constants (``KNOWN_PLATFORMS``,
``KNOWN_PYTHONS``, ``PEP440_SEGMENTS``, the ``Builder``/``TrustedPublishing`` literals).

The words (type, allowed, example, meaning) come from the config code's key table when its rows
carry them: ``core.config.KEYS`` (top-level key -> row) or ``core.config.KEY_SPECS`` (rows with a
dotted ``key`` such as ``repositories.<name>.token-env``); a row's ``type``, ``allowed``,
``example`` (a TOML value, which ``tests/test_docs.py`` feeds to ``parse_config``), ``doc`` and
``default_note`` (words for a derived default; ``{default}`` is the code's value) win. Whatever
the code does not say yet comes from :func:`fallback_specs` below; ``tests/test_docs.py`` checks
that the documented keys are exactly the validator's.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

REPO_PATH = "repositories.<name>"


@dataclass(frozen=True)
class Spec:
    """What the reference says about one key."""

    key: str  # dotted path under [tool.manta-release]: "tag-prefix", "repositories.<name>.token-env"
    type: str
    allowed: str
    example: str  # a TOML value
    doc: str
    default_note: str = ""  # words for a default that is derived, not a constant


def _platform_names() -> str:
    from hatch_manta_release.core.platforms import KNOWN_PLATFORMS

    return ", ".join(f"`{name}`" for name in KNOWN_PLATFORMS)


def _pythons() -> str:
    from hatch_manta_release.core.platforms import KNOWN_PYTHONS

    return ", ".join(KNOWN_PYTHONS)


def _literal(name: str) -> str:
    from hatch_manta_release.core import config

    return " or ".join(f"`{toml(value)}`" for value in typing.get_args(getattr(config, name)))


def _wheel_kinds() -> str:
    from hatch_manta_release.core import config

    kinds = getattr(config, "WHEEL_KINDS", {})
    return "; ".join(f'`"{kind}"`: {words}' for kind, words in kinds.items())


def _segments() -> str:
    from hatch_manta_release.core.defaults import PEP440_SEGMENTS

    return ", ".join(f'`"{s}"`' for s in PEP440_SEGMENTS)


def _os_names() -> str:
    from hatch_manta_release.core.config import OS_NAMES

    return ", ".join(f"`{name}`" for name in OS_NAMES)


def fallback_specs() -> list[Spec]:
    """The words for each key, until the config code carries its own key table."""
    return [
        Spec("tag-prefix", "string", "plain text without glob or ref characters (`*?[]\\ ~^:`)", '"v"',
             "release tags are the prefix then a version: `v1.2.3`; `\"\"` for tags like `1.2.3`"),
        Spec("platforms", "list of strings", f"one or more of {_platform_names()}",
             '["linux-x86_64", "macos-arm64"]', "the platforms platform wheels are built for"),
        Spec("python", "version specifier", f"a specifier admitting at least one of CPython {_pythons()}",
             '">=3.10"', "the CPython versions to build wheels for; cut to what `project.requires-python` admits",
             "`project.requires-python`, else {default}"),
        Spec("test-command", "string", "a shell command (`{project}` is the project folder)",
             "'python -c \"import example\"'",
             "run against every built wheel (cibuildwheel's `test-command`); Windows runs it with cmd.exe, "
             "where single quotes do not quote"),
        Spec("test-requires", "list of strings", "requirements", '["pytest"]',
             "installed before the test command"),
        Spec("before-build", "string, or table of strings", f"one command, or a table with keys {_os_names()}",
             '{ linux = "yum install -y go", macos = "brew install go" }',
             "run before each build (cibuildwheel's `before-build`); one string applies to every OS"),
        Spec("environment", "table of strings", "environment variable names (`[A-Za-z_][A-Za-z0-9_]*`)",
             '{ CGO_ENABLED = "1" }', "environment variables for the builds (cibuildwheel's `environment`)"),
        Spec("dist-dir", "string", "a folder path", '"dist"', "where artifacts are written and read"),
        Spec("pure-python", "bool", "`true` or `false`", "false",
             "`true`: one `py3-none-any` wheel; `false`: platform wheels",
             "detected: a hatch build hook, another build backend or a `[tool.cibuildwheel]` table mean "
             "platform wheels"),
        Spec("wheel", "string", _wheel_kinds(), '"abi3"',
             "the kind of wheels the project builds; overrides the detection behind `pure-python`",
             "detected: `\"pure\"` or `\"cpython\"`, from `pure-python` or its detection"),
        Spec("sdist", "bool", "`true` or `false`", "false", "build and publish the sdist; `false`: wheels only"),
        Spec("builder", "string", _literal("Builder"), '"native"',
             "the platform wheel builder; `native` builds for the host only (hatch, then auditwheel on Linux)"),
        Spec("fallback-version", "string", 'a PEP 440 version such as `"0.0.0"`', '"0.0.0"',
             "the version when no release tag is reachable (also read from `[tool.hatch.version]`); "
             "never used for a shallow clone, and never published"),
        Spec("prerelease-labels", "table of strings", f"label (letters and digits) → one of {_segments()}",
             '{ nightly = "dev" }', "semver-style labels accepted in tags (`v1.0.0-beta.2` → `1.0.0b2`); "
             "yours are added to the defaults"),
        Spec("numeric-suffix", "string", f"one of {_segments()}", '"rc"',
             "what a bare numeric suffix (`v1.0.0-1`) becomes: `post` reads it as PEP 440 does (a final "
             "post-release), `rc` (or `a`, `b`, `dev`) as semver does (a pre-release)"),
        Spec("repositories", "table of tables", f"repository name → a `[{REPO_PATH}]` table",
             '{ internal = { upload-url = "https://pkgs.example.com/legacy/", '
             'index-url = "https://pkgs.example.com/simple/" } }',
             "the indexes to publish to; `pypi` and `testpypi` exist by default"),
        Spec("routes", "table", "keys `prerelease` and `final`", '{ prerelease = "testpypi", final = "pypi" }',
             "which repository each channel publishes to"),
        Spec("env-name", "string", 'a hatch environment name (letters, digits, `-_.`), not `"default"`',
             '"release"', "the hatch environment the collector injects (`hatch run <env-name>:plan`)"),
        Spec("reuse", "bool", "`true` or `false`", "true",
             "a pre-release re-versions its base release's wheels instead of rebuilding them, when nothing "
             "in them changed since"),
        Spec("reuse-ignore", "list of strings", 'glob patterns relative to the project (`"docs/**"`)', '["docs/**"]',
             "paths whose changes never stop `reuse` (documentation, tests)"),
        Spec("github-release", "table", "the keys of `[tool.manta-release.github-release]` below",
             '{ when = "always" }', "the GitHub Release made for a tag: when, what is attached, its notes"),
        Spec("github-release.when", "string", '`"final"`, `"always"` or `"never"`', '"always"',
             "which tags get a GitHub Release: final releases (as the reference system), every release tag, "
             "or none"),
        Spec("github-release.assets", "list of strings", 'glob patterns relative to the project (`"native/*.so"`)',
             '["native/*.so"]', "files attached to the release besides `dist/`"),
        Spec("github-release.notes", "string", '`"generated"`, `"changelog"` or `"none"`', '"changelog"',
             "the release notes: GitHub's generated notes, the version's section of `notes-file`, or none"),
        Spec("github-release.notes-file", "string", "a file name", '"CHANGELOG.md"',
             'the changelog read when `notes = "changelog"` (setting it implies that)'),
        Spec(f"{REPO_PATH}.attestations", "bool", "`true` or `false`", "true",
             "upload PEP 740 publish attestations; unset: made whenever Trusted Publishing is used "
             "(the index accepts them only from a Trusted Publisher)", "unset: made with Trusted Publishing"),
        Spec("workflow", "table", "the keys of `[tool.manta-release.workflow]` below",
             '{ pull-request = false }', "the generated workflow's own settings (triggers, runners, pins)"),
        Spec(f"{REPO_PATH}.upload-url", "URL", "an `http(s)://` URL", '"https://upload.pypi.org/legacy/"',
             "the index's legacy upload endpoint (a trailing `/` is added)"),
        Spec(f"{REPO_PATH}.index-url", "URL", "an `http(s)://` URL", '"https://pypi.org/simple/"',
             "the index's simple API, read to skip files already published"),
        Spec(f"{REPO_PATH}.token-env", "string", "an environment variable name", '"PYPI_API_TOKEN"',
             "the variable holding the upload token; read from the environment only, never printed"),
        Spec(f"{REPO_PATH}.skip-existing", "bool", "`true` or `false`", "true",
             "a *different* file under a name the index already has: a warning instead of an error "
             "(identical files are always skipped)"),
        Spec(f"{REPO_PATH}.index-auth", "bool", "`true` or `false`", "true",
             "send the upload token to `index-url` when it is another origin than `upload-url` (unset: only "
             "to the same origin)", "unset: same origin only"),
        Spec(f"{REPO_PATH}.environment", "string", "a GitHub environment name", '"pypi"',
             "the GitHub environment of the publish job when this repository is routed to"),
        Spec(f"{REPO_PATH}.trusted-publishing", "bool or string", _literal("TrustedPublishing"), '"auto"',
             "OIDC Trusted Publishing; `\"auto\"` uses it on GitHub Actions when the token variable is unset"),
        Spec("workflow.pull-request", "bool", "`true` or `false`", "false",
             "build and test on pull requests too (no publish job runs there)"),
        Spec("workflow.push-branches", "list of strings", 'branch names or patterns (`"main"`, `"release/**"`)',
             '["main", "release/**"]', "build and test on pushes to these branches too; `[]` for none"),
        Spec("workflow.runner-python", "string", 'a CPython version for actions/setup-python, such as `"3.12"`',
             '"3.13"', "the Python that runs hatch on the runners (the wheels' Pythons come from `python`)"),
        Spec("workflow.hatch-version", "string", "a hatch release", '"1.18.2"',
             "the hatch the runners install (exactly `hatch==<hatch-version>`)"),
        Spec("workflow.runners", "table of strings", "configured platform → a runner label",
             '{ macos-x86_64 = "macos-15" }', "a runner per platform, instead of the platform's default runner"),
        Spec("workflow.setup-steps", "list of tables",
             "tables with `uses` (`owner/repo@<full commit SHA>`), and optionally `name`, `version`, `with`",
             '[{ uses = "actions/setup-go@0123456789abcdef0123456789abcdef01234567", version = "v6.2.0", '
             'with = { go-version = "1.24" } }]',
             "extra steps before the build (a toolchain), pinned to a commit; caches stay off"),
        Spec("workflow.actions", "table of strings", 'an action the workflow uses → `"<full commit SHA> # <release>"`',
             '{ "actions/checkout" = "d23441a48e516b6c34aea4fa41551a30e30af803 # v6.1.0" }',
             "force an action's pin (otherwise the workflow file's own pin is kept)"),
        Spec("routes.prerelease", "string", "a defined repository", '"testpypi"',
             "where a pre-release version (a, b, rc, dev) goes"),
        Spec("routes.final", "string", "a defined repository", '"pypi"',
             "where every other release version goes (post-releases included)"),
    ]


WORDS = ("type", "allowed", "example", "doc", "default_note")


def _code_rows() -> dict[str, object]:
    """The config code's own key rows, by dotted key: ``KEY_SPECS`` (a sequence of rows with a
    ``key``) or ``KEYS`` (a mapping of top-level key to row), where present."""
    from hatch_manta_release.core import config

    rows: dict[str, object] = {}
    for item in getattr(config, "KEY_SPECS", None) or ():
        key = item.get("key") if isinstance(item, Mapping) else getattr(item, "key", None)
        if key:
            rows[str(key)] = item
    table = getattr(config, "KEYS", None)
    if isinstance(table, Mapping):
        for key, row in table.items():
            rows.setdefault(str(key), row)
    return rows


def specs() -> list[Spec]:
    """Each key's words: the config code's own (any of :data:`WORDS` its row carries) first, the
    :func:`fallback_specs` for whatever the code does not say yet."""
    rows = _code_rows()
    wanted = set(code_keys())
    out = []
    for spec in (spec for spec in fallback_specs() if spec.key in wanted):
        row = rows.get(spec.key)
        if row is None:
            out.append(spec)
            continue
        get = row.get if isinstance(row, Mapping) else lambda name, row=row: getattr(row, name, None)
        said = {name: str(get(name)) for name in WORDS if get(name)}
        out.append(dataclasses.replace(spec, **said))
    known = {spec.key for spec in out}
    for key, row in rows.items():  # a key the code documents and the fallback does not know
        if key not in known:
            get = row.get if isinstance(row, Mapping) else lambda name, row=row: getattr(row, name, None)
            out.append(Spec(key, *(str(get(name) or "") for name in WORDS)))
    return out


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
            out[key] = "<br>".join(f"{repo_name}: {_shown(getattr(repo, attr))}"
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
    """The table header an example is written under (a repository key on ``pypi``)."""
    return _table_of(key).replace("<name>", "pypi")


def anchor(key: str) -> str:
    """A stable anchor per key: ``tag-prefix``, ``repositories-token-env``, ``routes-final``."""
    return key.replace(".<name>", "").replace(".", "-")
