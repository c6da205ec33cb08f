"""Read and validate ``[tool.manta-release]`` into typed, immutable objects.

Every key is optional; the defaults are those of the reference release system (TestPyPI for
pre-releases with skip-existing, PyPI for finals behind the ``pypi`` GitHub environment). A
user's table for ``pypi`` or ``testpypi`` overrides only the keys it sets. Every error names the
key path, the bad value and what is allowed, with the near name for a typo.

Only the standard library and ``packaging`` are used: the version source loads this module on
every build of every adopting project.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from hatch_manta_release.core import defaults
from hatch_manta_release.core.defaults import (
    PEP440_SEGMENTS,
    PYPI_INDEX_URL,
    PYPI_UPLOAD_URL,
    TABLE,
    TESTPYPI_INDEX_URL,
    TESTPYPI_UPLOAD_URL,
)
from hatch_manta_release.core.defaults import PRERELEASE_LABELS as DEFAULT_PRERELEASE_LABELS
from hatch_manta_release.core.errors import ConfigError
from hatch_manta_release.core.platforms import DEFAULT_PLATFORMS, KNOWN_PLATFORMS, KNOWN_PYTHONS, Platform
from hatch_manta_release.core.workflow_settings import BOOL_WORDS, WorkflowSettings, parse_workflow
from hatch_manta_release.core.workflow_settings import KEY_SPECS as WORKFLOW_KEY_SPECS


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only ``dict`` for the mappings inside :class:`Config` (still JSON-serialisable,
    picklable and usable with :func:`dataclasses.asdict`)."""

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the configuration is read-only")

    __setitem__ = __delitem__ = _readonly
    clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=repr)))

    def __reduce__(self) -> Any:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: Any) -> FrozenDict:
        import copy

        return type(self)({k: copy.deepcopy(v, memo) for k, v in self.items()})


TrustedPublishing = Literal[True, False, "auto"]
Builder = Literal["cibuildwheel", "native"]
BUILDERS = ("cibuildwheel", "native")  # Builder's values, for the validator and the reference
OS_NAMES = ("linux", "macos", "windows")
WheelKind = Literal["pure", "cpython", "abi3", "platform"]
# What each kind of wheel is, in the words the docs and errors use.
WHEEL_KINDS: dict[str, str] = {
    "pure": "one py3-none-any wheel",
    "cpython": "cpXY-cpXY per Python and platform (extension modules)",
    "abi3": "cpXY-abi3 per platform, built for the lowest Python (stable ABI extension modules)",
    "platform": "py3-none-<platform>, one per platform (a library loaded with ctypes or cffi)",
}
GitHubReleaseWhen = Literal["final", "always", "never"]
ReleaseNotes = Literal["generated", "changelog", "none"]
RELEASE_WHEN = ("final", "always", "never")  # GitHubReleaseWhen's values
RELEASE_NOTES = ("generated", "changelog", "none")  # ReleaseNotes' values


@dataclass(frozen=True)
class GitHubRelease:
    """``[tool.manta-release.github-release]``: which tags get a GitHub Release (``when``: finals, as the
    reference system; every release tag; never), the files attached besides dist/ (``assets``, globs
    relative to the project), the notes (GitHub's generated notes, the version's section of
    ``notes-file``, or none), and ``provenance``: whether the workflow's github-release job makes GitHub
    artifact attestations of the assets (SLSA build provenance; ``id-token``/``attestations: write`` there)."""

    when: GitHubReleaseWhen = "final"
    assets: tuple[str, ...] = ()
    notes: ReleaseNotes = "generated"
    notes_file: str = "CHANGELOG.md"
    provenance: bool = False  # the workflow's github-release job attests the assets (actions/attest-build-provenance)


@dataclass(frozen=True)
class Repository:
    """A package index to publish to."""

    name: str
    upload_url: str
    index_url: str
    token_env: str | None
    skip_existing: bool = False
    environment: str | None = None
    trusted_publishing: TrustedPublishing = False
    # send the upload credential to index-url when it is another origin than upload-url
    # (None: only when both are one origin)
    index_auth: bool | None = None
    # PEP 740 publish attestations; None (unset): made whenever Trusted Publishing is used
    attestations: bool | None = None
    path: str | None = None  # a folder index, as configured (``path = "…"``, relative to the project)
    dev_versions: bool = False  # development versions (an untagged checkout) may be published here

    @property
    def folder(self) -> Path | None:
        """The folder of a folder index (a ``file://`` upload URL, or ``path``), else None."""
        parts = urllib.parse.urlsplit(self.upload_url)
        if parts.scheme != "file":
            return None
        return Path(urllib.parse.unquote(parts.path))

    @property
    def is_pypi_like(self) -> bool:
        """True for PyPI and TestPyPI themselves, whose rules (no local versions, no
        ``linux_x86_64`` wheels) we enforce before uploading."""
        return any(host in self.upload_url for host in ("upload.pypi.org", "test.pypi.org"))

    def project_page(self, project: str, version: str | None = None) -> str | None:
        """The web page of a project on this index, for the GitHub environment URL."""
        base = None
        if "test.pypi.org" in self.upload_url:
            base = "https://test.pypi.org/project/"
        elif "upload.pypi.org" in self.upload_url:
            base = "https://pypi.org/project/"
        if base is None:
            return None
        return f"{base}{project}/{version}/" if version else f"{base}{project}/"


@dataclass(frozen=True)
class Routes:
    """Which repository a channel publishes to."""

    prerelease: str = defaults.PRERELEASE_ROUTE
    final: str = defaults.FINAL_ROUTE

    def for_channel(self, channel: str) -> str:
        return self.prerelease if channel == "prerelease" else self.final


@dataclass(frozen=True)
class Config:
    """The whole ``[tool.manta-release]`` table, validated, defaults applied."""

    project_name: str = ""
    tag_prefix: str = defaults.TAG_PREFIX
    platforms: tuple[Platform, ...] = tuple(KNOWN_PLATFORMS[name] for name in DEFAULT_PLATFORMS)
    python: str = defaults.PYTHON
    pythons: tuple[str, ...] = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
    test_command: str | None = None  # the one for every OS; see test_command_for
    test_commands: Mapping[str, str] = field(default_factory=FrozenDict)  # os name -> command (per-OS table)
    test_requires: tuple[str, ...] = ()
    before_build: Mapping[str, str] = field(default_factory=FrozenDict)  # os name -> shell command
    environment: Mapping[str, str] = field(default_factory=FrozenDict)  # for every OS; see environment_for
    os_environment: Mapping[str, Mapping[str, str]] = field(default_factory=FrozenDict)  # os name -> its own
    dist_dir: str = defaults.DIST_DIR
    pure_python: bool | None = None  # None: detected from the project's build configuration
    wheel: WheelKind | None = None  # None: "pure" or "cpython", from pure_python or its detection
    sdist: bool = True
    # CPythons the python range admits that cibuildwheel does not build: version -> why
    pythons_left_out: Mapping[str, str] = field(default_factory=FrozenDict)
    builder: Builder = defaults.BUILDER
    fallback_version: str | None = None
    prerelease_labels: Mapping[str, str] = field(default_factory=lambda: FrozenDict(DEFAULT_PRERELEASE_LABELS))
    numeric_suffix: str = defaults.NUMERIC_SUFFIX  # the PEP 440 segment of a `v1.0.0-1` tag's "-1"
    repositories: Mapping[str, Repository] = field(default_factory=lambda: FrozenDict(default_repositories()))
    routes: Routes = field(default_factory=Routes)
    env_name: str = defaults.ENV_NAME
    workflow: WorkflowSettings = field(default_factory=WorkflowSettings)  # [tool.manta-release.workflow]
    github_release: GitHubRelease = field(default_factory=GitHubRelease)
    reuse: bool = False  # a pre-release re-versions its base release's wheels when nothing in them changed
    reuse_ignore: tuple[str, ...] = ()  # paths whose changes never stop reuse (docs, tests)

    def test_command_for(self, os_name: str) -> str | None:
        """The test command on ``os_name``: its own from a per-OS table, else the common one."""
        return self.test_commands.get(os_name, self.test_command)

    def environment_for(self, os_name: str) -> dict[str, str]:
        """The build environment on ``os_name``: the common variables, then that OS's own."""
        return {**self.environment, **self.os_environment.get(os_name, {})}

    def repository(self, name: str) -> Repository:
        try:
            return self.repositories[name]
        except KeyError:
            raise ConfigError(
                f"unknown repository {name!r}",
                f"defined repositories: {', '.join(sorted(self.repositories))}"
                f"{_did_you_mean(name, self.repositories)}",
            ) from None

    def route(self, channel: str) -> Repository:
        return self.repository(self.routes.for_channel(channel))


def folder_repository(name: str, path: str, root: Path | None, **fields: Any) -> Repository:
    """A repository that is a folder: publish writes a static simple index there (``<folder>/simple/``)."""
    folder = Path(path) if Path(path).is_absolute() else (root or Path.cwd()) / path
    url = folder.resolve().as_uri() + "/"
    return Repository(name=name, upload_url=url, index_url=url + "simple/", token_env=None, path=path, **fields)


def default_repositories(root: Path | None = None) -> dict[str, Repository]:
    """pypi and testpypi, and ``local``: a folder index in the project that takes development versions too."""
    return {
        "local": folder_repository("local", defaults.LOCAL_INDEX, root, dev_versions=True),
        "testpypi": Repository(
            name="testpypi",
            upload_url=TESTPYPI_UPLOAD_URL,
            index_url=TESTPYPI_INDEX_URL,
            token_env="TEST_PYPI_API_TOKEN",
            skip_existing=True,
            environment="testpypi",
        ),
        "pypi": Repository(
            name="pypi",
            upload_url=PYPI_UPLOAD_URL,
            index_url=PYPI_INDEX_URL,
            token_env="PYPI_API_TOKEN",
            skip_existing=False,
            environment="pypi",
        ),
    }


# ----------------------------------------------------------------------------- validation

def _did_you_mean(word: str, choices: Any) -> str:
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fail(path: str, value: Any, allowed: str, extra: str = "", *, table: str = TABLE) -> ConfigError:
    if isinstance(value, bool):
        shown = str(value).lower()
    elif isinstance(value, str):
        shown = f'"{_shown(value)}"'
    else:
        shown = repr(value)
    if len(shown) > 200:  # a value of 200,000 characters is named, not repeated
        shown = shown[:120] + "…"
    return ConfigError(f"[{table}] {path} = {shown}: expected {allowed}{extra}")


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise ConfigError(
                f"[{TABLE}] unknown key {prefix}{key}{_did_you_mean(key, allowed)}",
                f"allowed keys{' in ' + where if where else ''}: {', '.join(allowed)}",
            )


REPO_KEYS = (
    "upload-url",
    "index-url",
    "token-env",
    "skip-existing",
    "environment",
    "trusted-publishing",
    "attestations",
    "path",
    "dev-versions",
    "index-auth",
)
GITHUB_RELEASE_KEYS = ("when", "assets", "notes", "notes-file", "provenance")
ROUTE_KEYS = ("prerelease", "final")
# Values that reach the generated YAML or a shell: always ``fullmatch`` (``$`` also matches before a final newline).
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_GITHUB_ENVIRONMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_. -]{0,254}")  # GitHub's own rule, no quotes or `${{`
_DIST_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}")
_TAG_PREFIX_MAX = 100
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9]*")


class _Parsing:
    """What a validator may look at besides its own value: the whole table, the project's own
    settings passed to :func:`parse_config`, and the fields already parsed (in table order).

    Plain classes here, not dataclasses: this module is imported on every build, and each
    dataclass costs its generated methods at import time."""

    __slots__ = ("fallback_version", "fields", "requires_python", "root", "table")

    def __init__(
        self, table: Mapping[str, Any], requires_python: str | None, fallback_version: Any, root: Path | None = None
    ) -> None:
        self.table = table
        self.requires_python = requires_python
        self.fallback_version = fallback_version
        self.root = root  # the project's folder: where a repository's relative ``path`` starts
        self.fields: dict[str, Any] = {}


Validator = Callable[[Any, str, _Parsing], Any]


class _Fields(dict):  # type: ignore[type-arg]
    """What a validator returns when its key fills several :class:`Config` fields (a per-OS
    table beside the value for every OS)."""


class _Key:
    """One row of the key table: the :class:`Config` field it fills, the validator that turns the
    user's value into it, the default when the key is absent (a value, or a function of the
    parsing context for defaults that depend on the project), and the words the configuration
    reference prints for it (``docs/gen/config_ref.py``): its ``type``, the ``allowed`` values, an
    ``example`` (a TOML value the docs tests feed back to :func:`parse_config`), what it does
    (``doc``) and, for a default that is derived rather than a constant, ``default_note``
    (``{default}`` stands for the code's value)."""

    __slots__ = ("allowed", "attr", "default", "default_from", "default_note", "doc", "example", "type", "validate")

    def __init__(
        self,
        attr: str,
        validate: Validator,
        default: Any = None,
        *,
        default_from: Callable[[_Parsing], Any] | None = None,
        type: str = "",  # the name of the reference's column
        allowed: str = "",
        example: str = "",
        doc: str = "",
        default_note: str = "",
    ) -> None:
        self.attr = attr
        self.validate = validate
        self.default = default
        self.default_from = default_from
        self.type = type
        self.allowed = allowed
        self.example = example
        self.doc = doc
        self.default_note = default_note

    def absent(self, ctx: _Parsing) -> Any:
        return self.default_from(ctx) if self.default_from is not None else self.default


# --- validators: one per kind of value, or per key where the key has its own rule


def _string(value: Any, key: str, ctx: _Parsing) -> str:
    if not isinstance(value, str):
        raise _fail(key, value, "a string")
    return value


def _boolean(value: Any, key: str, ctx: _Parsing) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, value, "true or false")
    return value


def _strings(value: Any, key: str, ctx: _Parsing) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(key, value, "a list of strings")
    return tuple(value)


def _string_table(value: Any, key: str, ctx: _Parsing) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(key, value, "a table of strings")
    for k, v in value.items():
        if not isinstance(v, str):
            raise _fail(f"{key}.{k}", v, "a string")
    return dict(value)


def _one_of(*choices: str) -> Validator:
    """A string that must be one of ``choices`` (the error lists them and the near one)."""
    allowed = " or ".join(f'"{c}"' for c in choices) if len(choices) == 2 else "one of: " + ", ".join(choices)

    def validate(value: Any, key: str, ctx: _Parsing) -> str:
        text = _string(value, key, ctx)
        if text not in choices:
            raise _fail(key, text, allowed, _did_you_mean(text, choices))
        return text

    return validate


def _tag_prefix(value: Any, key: str, ctx: _Parsing) -> str:
    prefix = _string(value, key, ctx)
    if len(prefix) > _TAG_PREFIX_MAX:
        raise _fail(key, f"{prefix[:20]}…", f"at most {_TAG_PREFIX_MAX} characters (got {len(prefix)})")
    if any(not c.isprintable() for c in prefix):
        raise _fail(key, prefix, "printable text (no control characters)")
    if any(c in prefix for c in "*?[]\\ ~^:"):
        raise _fail(key, prefix, "plain text without glob or ref characters (*?[]\\ ~^:)")
    return prefix


def _shown(text: str) -> str:
    """``text`` with control characters (only those) escaped, for an error message of one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _dist_dir(value: Any, key: str, ctx: _Parsing) -> str:
    """A folder inside the project: it lands verbatim in the workflow's ``with: path:``."""
    text = _string(value, key, ctx)
    parts = text.strip("/").split("/") if text else []
    if text.startswith("/") or not parts or not all(_DIST_PART.fullmatch(p) and p.strip(".") for p in parts):
        raise _fail(key, text,
                    'a folder inside the project such as "dist" (letters, digits, _ . + - and /; no "..", '
                    'no absolute path, no "${{")')
    return "/".join(parts)


def _platforms(value: Any, key: str, ctx: _Parsing) -> tuple[Platform, ...]:
    names = _strings(value, key, ctx)
    if not names:
        raise _fail(key, [], "at least one of: " + ", ".join(KNOWN_PLATFORMS))
    platforms: list[Platform] = []
    for name in names:
        if name not in KNOWN_PLATFORMS:
            raise _fail(key, name, "one of: " + ", ".join(KNOWN_PLATFORMS), _did_you_mean(name, KNOWN_PLATFORMS))
        if KNOWN_PLATFORMS[name] not in platforms:
            platforms.append(KNOWN_PLATFORMS[name])
    return tuple(platforms)


def _python(value: Any, key: str, ctx: _Parsing) -> str:
    # An empty string falls back like an absent key (the project's requires-python, then ">=3.9").
    return _string(value, key, ctx) or ctx.requires_python or defaults.PYTHON


def _per_os(value: Any, key: str, ctx: _Parsing) -> FrozenDict:
    """A per-OS table of strings (``{ linux = "...", macos = "..." }``), its keys checked."""
    commands = _string_table(value, key, ctx)
    for os_name in commands:
        if os_name not in OS_NAMES:
            raise ConfigError(
                f"[{TABLE}] unknown key {key}.{os_name}{_did_you_mean(os_name, OS_NAMES)}",
                f"allowed keys in {key}: {', '.join(OS_NAMES)} (or one string for all)",
            )
    return FrozenDict(commands)


def _before_build(value: Any, key: str, ctx: _Parsing) -> FrozenDict:
    if isinstance(value, str):
        return FrozenDict(dict.fromkeys(OS_NAMES, value))
    return _per_os(value, key, ctx)


def _test_command(value: Any, key: str, ctx: _Parsing) -> _Fields:
    """One command for every OS, or a per-OS table like before-build."""
    if isinstance(value, dict):
        return _Fields(test_command=None, test_commands=_per_os(value, key, ctx))
    return _Fields(test_command=_string(value, key, ctx), test_commands=FrozenDict())


def _variables(variables: Mapping[str, str], key: str) -> FrozenDict:
    for name in variables:
        if not _ENV_VAR.fullmatch(name):
            raise ConfigError(
                f'[{TABLE}] {key} has the key "{name}": expected an environment variable name '
                "([A-Za-z_][A-Za-z0-9_]*)"
            )
    return FrozenDict(variables)


def _environment(value: Any, key: str, ctx: _Parsing) -> _Fields:
    """Variables for every OS, and per-OS tables of them (``linux = { CC = "gcc" }``)."""
    if not isinstance(value, dict):
        raise _fail(key, value, "a table of strings (or of per-OS tables: linux, macos, windows)")
    common = {k: v for k, v in value.items() if not (k in OS_NAMES and isinstance(v, dict))}
    per_os = {k: _variables(_string_table(v, f"{key}.{k}", ctx), key) for k, v in value.items() if k not in common}
    for name, text in common.items():
        if not isinstance(text, str):
            raise _fail(f"{key}.{name}", text, "a string" + (" or a table of strings" if name in OS_NAMES else ""))
    return _Fields(environment=_variables(common, key), os_environment=FrozenDict(per_os))


def _wheel(value: Any, key: str, ctx: _Parsing) -> str:
    kind = str(_one_of(*WHEEL_KINDS)(value, key, ctx))
    pure_python = ctx.fields.get("pure_python")
    if pure_python is not None and pure_python != (kind == "pure"):
        raise ConfigError(
            f'[{TABLE}] pure-python = {str(pure_python).lower()} contradicts {key} = "{kind}"',
            'remove pure-python: wheel = "pure" is the pure-Python project, every other kind has compiled parts',
        )
    return kind


def _version(value: Any, key: str, table: str) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        if not isinstance(value, str):
            raise InvalidVersion
        Version(value)
    except InvalidVersion:
        raise _fail(key, value, 'a PEP 440 version such as "0.0.0"', table=table) from None
    return value


def _fallback_version(value: Any, key: str, ctx: _Parsing) -> str:
    return _version(_string(value, key, ctx), key, TABLE)


def _hatch_fallback_version(ctx: _Parsing) -> str | None:
    """Absent here, hatch's own ``[tool.hatch.version] fallback-version`` applies (errors name it)."""
    if ctx.fallback_version is None:
        return None
    return _version(ctx.fallback_version, "fallback-version", "tool.hatch.version")


def _prerelease_labels(value: Any, key: str, ctx: _Parsing) -> FrozenDict:
    labels = dict(DEFAULT_PRERELEASE_LABELS)
    for label, segment in _string_table(value, key, ctx).items():
        if not _LABEL.fullmatch(label):
            raise ConfigError(
                f'[{TABLE}] {key} has the key "{label}": expected a label of letters and digits, '
                "starting with a letter (it follows the hyphen in a tag such as v1.0.0-beta.1)"
            )
        if segment not in PEP440_SEGMENTS:
            raise _fail(
                f"{key}.{label}",
                segment,
                "one of: " + ", ".join(PEP440_SEGMENTS),
                _did_you_mean(segment, PEP440_SEGMENTS),
            )
        labels[label.lower()] = segment
    return FrozenDict(labels)


def _env_name(value: Any, key: str, ctx: _Parsing) -> str:
    name = _string(value, key, ctx)
    if not _NAME.fullmatch(name) or name == "default":
        raise _fail(key, name, "a hatch environment name (letters, digits, - _ .) other than "
                    '"default" (the project\'s own environment, which installs the project)')
    return name


def _repositories(value: Any, key: str, ctx: _Parsing) -> FrozenDict:
    return FrozenDict(_parse_repositories(value, ctx.root))


def _routes(value: Any, key: str, ctx: _Parsing) -> Routes:
    return _parse_routes(value, ctx.fields["repositories"])


def _workflow(value: Any, key: str, ctx: _Parsing) -> WorkflowSettings:
    """``[tool.manta-release.workflow]`` (core/workflow_settings.py; runners name configured platforms)."""
    return parse_workflow(value, tuple(p.name for p in ctx.fields["platforms"]))


def _project_globs(value: Any, key: str, ctx: _Parsing) -> tuple[str, ...]:
    """Glob patterns relative to the project's root folder (never outside it)."""
    patterns = _strings(value, key, ctx)
    for pattern in patterns:
        if not pattern or pattern.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", pattern) or ":" in pattern:
            raise _fail(key, pattern, 'a glob pattern relative to the project\'s root, such as "native/*.so"')
    return patterns


def _github_release(value: Any, key: str, ctx: _Parsing) -> GitHubRelease:
    if not isinstance(value, dict):
        raise _fail(key, value, f"a table with keys {', '.join(GITHUB_RELEASE_KEYS)}")
    _check_keys(value, GITHUB_RELEASE_KEYS, key)
    defaults_ = GitHubRelease()
    when = _one_of(*RELEASE_WHEN)(value["when"], f"{key}.when", ctx) if "when" in value else "final"
    assets = _project_globs(value["assets"], f"{key}.assets", ctx) if "assets" in value else ()
    notes_file = _string(value["notes-file"], f"{key}.notes-file", ctx) if "notes-file" in value else None
    if notes_file is not None and not notes_file:
        raise _fail(f"{key}.notes-file", notes_file, 'a file name such as "CHANGELOG.md"')
    notes = "changelog" if notes_file is not None else defaults_.notes
    if "notes" in value:
        notes = _one_of(*RELEASE_NOTES)(value["notes"], f"{key}.notes", ctx)
    if notes_file is not None and notes != "changelog":
        raise ConfigError(f'[{TABLE}] {key}.notes-file is set but {key}.notes = "{notes}"',
                          f'remove notes-file, or set notes = "changelog" in [{TABLE}.{key}]')
    provenance = _boolean(value["provenance"], f"{key}.provenance", ctx) if "provenance" in value else False
    return GitHubRelease(when, assets, notes, notes_file or defaults_.notes_file, provenance)  # type: ignore[arg-type]


def _quoted(values: Any, last: str = " or ") -> str:
    """``"a"``, ``"b"`` or ``"c"``: allowed values as the reference shows them (Markdown)."""
    shown = [f'`"{v}"`' for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + last + shown[-1]


_PLATFORM_NAMES = ", ".join(f"`{name}`" for name in KNOWN_PLATFORMS)
_OS_KEYS = ", ".join(f"`{name}`" for name in OS_NAMES)
_SEGMENTS = _quoted(PEP440_SEGMENTS)
REPO = "repositories.<name>"  # the path of a repository's keys in KEY_SPECS and the reference

# The key table, in the order keys are validated (so the first error reported is stable).
# Adding a key: one row here (its validator, default and words), one validator above if no existing
# one fits, one Config field. The words are the configuration reference (docs/gen/config_ref.py).
KEYS: dict[str, _Key] = {
    "tag-prefix": _Key(
        "tag_prefix", _tag_prefix, defaults.TAG_PREFIX, type="string",
        allowed="plain text without glob or ref characters (`*?[]\\ ~^:`)", example='"v"',
        doc='release tags are the prefix then a version: `v1.2.3`; `""` for tags like `1.2.3`'),
    "platforms": _Key(
        "platforms", _platforms, Config.platforms, type="list of strings",
        allowed=f"one or more of {_PLATFORM_NAMES}", example='["linux-x86_64", "macos-arm64"]',
        doc="the platforms platform wheels are built for (one build job each in the workflow)"),
    "python": _Key(
        "python", _python, default_from=lambda ctx: ctx.requires_python or defaults.PYTHON,
        type="version specifier", allowed="a specifier admitting at least one of CPython " + ", ".join(KNOWN_PYTHONS),
        example='">=3.10"', default_note="`project.requires-python`, else {default}",
        doc="the CPython versions to build wheels for; cut to what `project.requires-python` admits"),
    "test-command": _Key(
        "test_command", _test_command,
        default_from=lambda ctx: _Fields(test_command=None, test_commands=FrozenDict()),
        type="string, or table of strings", allowed=f"a shell command, or a table with keys {_OS_KEYS}",
        example="'python -c \"import example\"'",
        doc="run against every built wheel, installed in a fresh environment (cibuildwheel's `test-command`; "
            "`{project}` is the project folder); a failure fails the build. Windows runs it with cmd.exe, "
            "where single quotes do not quote: give `windows` its own command in a table"),
    "test-requires": _Key(
        "test_requires", _strings, (), type="list of strings", allowed="requirements", example='["pytest"]',
        doc="installed before the test command"),
    "before-build": _Key(
        "before_build", _before_build, default_from=lambda ctx: FrozenDict(),
        type="string, or table of strings", allowed=f"one command, or a table with keys {_OS_KEYS}",
        example='{ linux = "yum install -y go", macos = "brew install go" }',
        doc="run before each build (cibuildwheel's `before-build`); one string applies to every OS"),
    "environment": _Key(
        "environment", _environment,
        default_from=lambda ctx: _Fields(environment=FrozenDict(), os_environment=FrozenDict()),
        type="table of strings", example='{ CGO_ENABLED = "1", windows = { CC = "gcc" } }',
        allowed=f"environment variable names (`[A-Za-z_][A-Za-z0-9_]*`) → strings; keys {_OS_KEYS} may hold "
                "a table of that OS's own variables",
        doc="environment variables for the builds (cibuildwheel's `environment`); an OS's own table adds to "
            "the common variables and wins over them"),
    "dist-dir": _Key(
        "dist_dir", _dist_dir, defaults.DIST_DIR, type="string", allowed="a folder path", example='"dist"',
        doc="where artifacts are written and read"),
    "pure-python": _Key(
        "pure_python", _boolean, None, type="bool", allowed="`true` or `false`", example="false",
        doc="`true`: one `py3-none-any` wheel; `false`: platform wheels (`cpython`, unless `wheel` says otherwise)",
        default_note="detected: a hatch build hook, another build backend or a `[tool.cibuildwheel]` table mean "
                     "platform wheels"),
    "wheel": _Key(
        "wheel", _wheel, None, type="string", example='"abi3"',
        allowed="; ".join(f'`"{kind}"`: {words}' for kind, words in WHEEL_KINDS.items()),
        doc="the kind of wheels the project builds; overrides the detection behind `pure-python` (which, if "
            "set too, must agree)",
        default_note='detected: `"pure"` or `"cpython"`, from `pure-python` or its detection'),
    "sdist": _Key(
        "sdist", _boolean, True, type="bool", allowed="`true` or `false`", example="false",
        doc="build and publish the sdist; `false`: wheels only (the workflow then has no sdist job)"),
    "builder": _Key(
        "builder", _one_of(*BUILDERS), defaults.BUILDER, type="string", allowed=_quoted(BUILDERS),
        example='"native"',
        doc="the platform wheel builder; `native` builds for the host only (hatch, then auditwheel on Linux)"),
    "fallback-version": _Key(
        "fallback_version", _fallback_version, default_from=_hatch_fallback_version, type="string",
        allowed='a PEP 440 version such as `"0.0.0"`', example='"0.0.0"',
        doc="the version when no release tag is reachable, or there is no git history and no "
            "`.git_archival.txt` (also read from `[tool.hatch.version]`); never used for a shallow clone, "
            "and published only to a repository with `dev-versions = true`",
        default_note="`[tool.hatch.version] fallback-version`, else none"),
    "prerelease-labels": _Key(
        "prerelease_labels", _prerelease_labels,
        default_from=lambda ctx: FrozenDict(DEFAULT_PRERELEASE_LABELS), type="table of strings",
        allowed=f"label (letters and digits) → one of {_SEGMENTS}", example='{ nightly = "dev" }',
        doc="semver-style labels accepted in tags (`v1.0.0-beta.2` → `1.0.0b2`); yours are added to the defaults"),
    "numeric-suffix": _Key(
        "numeric_suffix", _one_of(*PEP440_SEGMENTS), defaults.NUMERIC_SUFFIX, type="string",
        allowed=f"one of {_SEGMENTS}", example='"rc"',
        doc="what a bare numeric suffix (`v1.0.0-1`) becomes: `post` reads it as PEP 440 does (a final "
            "post-release), `rc` (or `a`, `b`, `dev`) as semver does (a pre-release)"),
    "repositories": _Key(
        "repositories", _repositories, default_from=lambda ctx: FrozenDict(default_repositories(ctx.root)),
        type="table of tables", allowed=f"repository name → a `[{REPO}]` table",
        example='{ internal = { upload-url = "https://pkgs.example.com/legacy/", '
                'index-url = "https://pkgs.example.com/simple/" } }',
        doc="the indexes to publish to; `pypi`, `testpypi` and the folder index `local` exist by default"),
    "routes": _Key(
        "routes", _routes, default_from=lambda ctx: Routes(), type="table",
        allowed="keys `prerelease` and `final`", example='{ prerelease = "testpypi", final = "pypi" }',
        doc="which repository each channel publishes to"),
    "env-name": _Key(
        "env_name", _env_name, defaults.ENV_NAME, type="string",
        allowed='a hatch environment name (letters, digits, `-_.`), not `"default"`', example='"release"',
        doc="the hatch environment the collector injects (`hatch run <env-name>:plan`)"),
    "workflow": _Key(
        "workflow", _workflow, default_from=lambda ctx: WorkflowSettings(), type="table",
        allowed="the keys of `[tool.manta-release.workflow]` below", example="{ pull-request = false }",
        doc="the generated workflow's own settings (triggers, runners, toolchain steps, pins)"),
    "github-release": _Key(
        "github_release", _github_release, default_from=lambda ctx: GitHubRelease(), type="table",
        allowed="the keys of `[tool.manta-release.github-release]` below", example='{ when = "always" }',
        doc="the GitHub Release `manta-release github-release` makes for a tag: when, what is attached, its notes"),
    "reuse": _Key(
        "reuse", _boolean, False, type="bool", allowed="`true` or `false`", example="true",
        doc="a pre-release re-versions its base release's wheels instead of rebuilding them, when no file "
            "that goes into them changed since the base release's tag"),
    "reuse-ignore": _Key(
        "reuse_ignore", _project_globs, (), type="list of strings",
        allowed='glob patterns relative to the project (`"docs/**"`)', example='["docs/**"]',
        doc="paths whose changes never stop `reuse` (documentation, tests, CI files)"),
}
TOP_KEYS = tuple(KEYS)

# The words of the sub-tables' keys, by dotted path (``repositories.<name>.token-env``): the same
# fields as a :class:`_Key` row's words, and for a repository key the repository its example is
# written for where ``pypi`` would make a poor one (``example_repository``). The keys themselves
# are REPO_KEYS, ROUTE_KEYS, GITHUB_RELEASE_KEYS and workflow_settings.KEYS (whose words live
# beside them there).
KEY_SPECS: dict[str, dict[str, str]] = {
    f"{REPO}.upload-url": dict(
        type="URL", allowed="an `http(s)://` URL, or a `file:///` folder (a folder index, as `path`)",
        example='"https://upload.pypi.org/legacy/"',
        doc="the index's legacy upload endpoint (a trailing `/` is added)"),
    f"{REPO}.index-url": dict(
        type="URL", allowed="an `http(s)://` URL", example='"https://pypi.org/simple/"',
        doc="the index's simple API, read to skip files already published; a folder index's is `<folder>/simple/` "
            "(leave it out)"),
    f"{REPO}.token-env": dict(
        type="string", allowed="an environment variable name", example='"PYPI_API_TOKEN"',
        doc="the variable holding the upload token; read from the environment only, never printed, never "
            "given to a child process"),
    f"{REPO}.skip-existing": dict(
        type="bool", allowed=BOOL_WORDS, example="true",
        doc="a *different* file under a name the index already has: a warning instead of an error "
            "(identical files are always skipped)"),
    f"{REPO}.environment": dict(
        type="string", allowed="a GitHub environment name", example='"pypi"',
        doc="the GitHub environment of the publish job when this repository is routed to"),
    f"{REPO}.trusted-publishing": dict(
        type="bool or string", allowed='`true`, `false` or `"auto"`', example='"auto"',
        doc='OIDC Trusted Publishing; `"auto"` uses it on GitHub Actions when the token variable is unset'),
    f"{REPO}.attestations": dict(
        type="bool", allowed=BOOL_WORDS, example="true",
        doc="PEP 740 publish attestations for the files uploaded here; they can be made only with Trusted "
            "Publishing (the index accepts them only from a Trusted Publisher), so `false` is the only "
            "setting that changes anything",
        default_note="unset: made with Trusted Publishing"),
    f"{REPO}.index-auth": dict(
        type="bool", allowed=BOOL_WORDS, example="true",
        doc="send the credential to the index-url too when it is on another host than the upload-url "
            "(a private index that needs it); without it the token goes to the upload host only",
        default_note="unset: only to an index on the upload URL's origin"),
    f"{REPO}.path": dict(
        type="string", allowed="a folder, relative to the project (or absolute)", example='"../wheelhouse"',
        example_repository="wheelhouse",
        doc="makes the repository a folder index: `publish` writes a static simple index there "
            "(`<folder>/simple/`, HTML and JSON) that `pip install --index-url file://…/simple/` reads; "
            "no token, no upload-url or index-url"),
    f"{REPO}.dev-versions": dict(
        type="bool", allowed=BOOL_WORDS, example="false", example_repository="local",
        doc="development versions (an untagged or dirty checkout, a fallback-version) may be published here, "
            "local versions included; PyPI and TestPyPI refuse local versions"),
    "routes.prerelease": dict(
        type="string", allowed="a defined repository", example='"testpypi"',
        doc="where a pre-release version (a, b, rc, dev) goes"),
    "routes.final": dict(
        type="string", allowed="a defined repository", example='"pypi"',
        doc="where every other release version goes (post-releases included)"),
    "github-release.when": dict(
        type="string", allowed=_quoted(RELEASE_WHEN), example='"always"',
        doc="which tags get a GitHub Release: final releases (as the reference system), every release tag, "
            "or none"),
    "github-release.assets": dict(
        type="list of strings", allowed='glob patterns relative to the project (`"native/*.so"`)',
        example='["native/*.so"]', doc="files attached to the release besides `dist/`"),
    "github-release.notes": dict(
        type="string", allowed=_quoted(RELEASE_NOTES), example='"changelog"',
        doc="the release notes: GitHub's generated notes, the version's section of `notes-file`, or none"),
    "github-release.notes-file": dict(
        type="string", allowed="a file name", example='"CHANGELOG.md"',
        doc='the changelog read when `notes = "changelog"` (setting it implies that)'),
    "github-release.provenance": dict(
        type="bool", allowed=BOOL_WORDS, example="true",
        doc="the workflow's github-release job also makes GitHub artifact attestations (SLSA build provenance, "
            "`actions/attest-build-provenance`) of the assets, with `id-token: write` and `attestations: write` "
            "in that job only"),
    **{f"workflow.{key}": words for key, words in WORKFLOW_KEY_SPECS.items()},
}


def parse_config(
    table: Any,
    *,
    project_name: str = "",
    requires_python: str | None = None,
    fallback_version: Any = None,
    expand_pythons: bool = True,
    root: Path | None = None,
) -> Config:
    """Validate a ``[tool.manta-release]`` mapping into a :class:`Config`, one row of
    :data:`KEYS` per key.

    ``expand_pythons=False`` leaves ``pythons`` empty (see :func:`load_config`); ``root`` is where a
    folder repository's relative ``path`` starts (the current folder when None).
    """
    if not isinstance(table, dict):
        raise ConfigError(f"[{TABLE}] must be a table, got {type(table).__name__}")
    _check_keys(table, TOP_KEYS, "")
    ctx = _Parsing(table, requires_python, fallback_version, root)
    for key, row in KEYS.items():
        value = row.validate(table[key], key, ctx) if key in table else row.absent(ctx)
        if isinstance(value, _Fields):
            ctx.fields.update(value)
        else:
            ctx.fields[row.attr] = value
    pythons = _selected_pythons(ctx) if expand_pythons else ()
    left_out = _pythons_left_out(ctx.fields["python"]) if expand_pythons else {}
    return Config(project_name=project_name, pythons=pythons, pythons_left_out=FrozenDict(left_out), **ctx.fields)


def _selected_pythons(ctx: _Parsing) -> tuple[str, ...]:
    """The CPython versions to build: ``python``'s, narrowed to what requires-python admits
    (cibuildwheel skips what requires-python excludes; plan only what it will build)."""
    python, requires_python = ctx.fields["python"], ctx.requires_python
    pythons = _pythons(python, "python" if "python" in ctx.table else "project.requires-python")
    if requires_python and "python" in ctx.table:
        allowed = _pythons(requires_python, "project.requires-python")
        pythons = tuple(py for py in pythons if py in allowed)
        if not pythons:
            raise _fail("python", python, f"CPython versions that project.requires-python = "
                        f'"{requires_python}" also admits')
    return pythons


# CPythons cibuildwheel 4 does not build (by default): version -> why, in the words plan prints.
PRERELEASE_PYTHONS = ("3.16", "3.17")
LEFT_OUT_PYTHONS: dict[str, str] = {
    **{f"3.{m}": "cibuildwheel 4 no longer builds it" for m in range(6, 9)},
    **dict.fromkeys(PRERELEASE_PYTHONS, 'a pre-release CPython: cibuildwheel builds it only with enable = '
                    '["cpython-prerelease"] in [tool.cibuildwheel], and the plan does not count it'),
}


def _pythons_left_out(spec: str) -> dict[str, str]:
    """The CPythons in ``spec`` that the plan leaves out, and why (so ``plan`` can say so)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return {}  # reported by _pythons

    def admits(py: str) -> bool:
        return specifier.contains(f"{py}.0", prereleases=True) or specifier.contains(f"{py}.99", prereleases=True)

    # An open range (">=3.9") admits every future CPython: only a bounded one names pre-releases.
    bounded = not admits("3.99")
    return {
        py: why for py, why in LEFT_OUT_PYTHONS.items() if admits(py) and (bounded or py not in PRERELEASE_PYTHONS)
    }


def _pythons(spec: str, path: str) -> tuple[str, ...]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        raise _fail(path, spec, 'a version specifier such as ">=3.9" or ">=3.10,<3.14"') from None
    selected = tuple(
        py
        for py in KNOWN_PYTHONS
        if specifier.contains(f"{py}.0", prereleases=True) or specifier.contains(f"{py}.99", prereleases=True)
    )
    if not selected:
        raise _fail(path, spec, "a specifier that admits at least one of CPython " + ", ".join(KNOWN_PYTHONS))
    return selected


def _parse_repositories(raw: Any, root: Path | None = None) -> dict[str, Repository]:
    """The default repositories, each overridden key by key, plus the user's new ones."""
    if not isinstance(raw, dict):
        raise _fail("repositories", raw, "a table of repository tables")
    repositories = default_repositories(root)
    for name, repo_table in raw.items():
        repositories[name] = _parse_repository(name, repo_table, repositories.get(name), root)
    return repositories


def _parse_repository(name: str, repo_table: Any, base: Repository | None, root: Path | None = None) -> Repository:
    path = f"repositories.{_shown(name)}"
    if not _NAME.fullmatch(name):
        raise _fail(path, name, "a repository name of letters, digits, - _ .")
    if not isinstance(repo_table, dict):
        raise _fail(path, repo_table, f"a table with keys {', '.join(REPO_KEYS)}")
    _check_keys(repo_table, REPO_KEYS, path)
    folder = _folder(name, repo_table, base, root)
    if folder is not None:
        base, repo_table = folder, {k: v for k, v in repo_table.items() if k not in ("upload-url", "path")}
    elif base is not None and base.path is not None:
        base = None  # a built-in folder repository (local) given a server's URLs: a new repository by that name
    if base is None:
        missing = [k for k in ("upload-url", "index-url") if k not in repo_table]
        if missing:
            raise ConfigError(
                f"[{TABLE}] {path}: a new repository needs {' and '.join(missing)}",
                f'only pypi and testpypi have default URLs; set {missing[0]} = "https://…"',
            )
        base = Repository(name=name, upload_url="", index_url="", token_env=None)
    upload_url = _url(repo_table, "upload-url", f"{path}.upload-url", base.upload_url)
    index_url = _url(repo_table, "index-url", f"{path}.index-url", base.index_url)
    token_env = repo_table.get("token-env", base.token_env)
    if token_env is not None and (not isinstance(token_env, str) or not _ENV_VAR.fullmatch(token_env)):
        raise _fail(f"{path}.token-env", token_env, 'the name of an environment variable such as "PYPI_API_TOKEN"')
    skip_existing = repo_table.get("skip-existing", base.skip_existing)
    if not isinstance(skip_existing, bool):
        raise _fail(f"{path}.skip-existing", skip_existing, "true or false")
    environment = _github_environment(repo_table.get("environment", base.environment), path)
    index_auth = _optional_bool(repo_table, "index-auth", path, base.index_auth)
    trusted = repo_table.get("trusted-publishing", base.trusted_publishing)
    if trusted not in (True, False, "auto"):
        raise _fail(f"{path}.trusted-publishing", trusted, 'true, false or "auto"')
    attestations = _optional_bool(repo_table, "attestations", path, base.attestations)
    dev_versions = repo_table.get("dev-versions", base.dev_versions)
    if not isinstance(dev_versions, bool):
        raise _fail(f"{path}.dev-versions", dev_versions, "true or false")
    return replace(
        base,
        upload_url=upload_url,
        index_url=index_url,
        token_env=token_env or None,
        skip_existing=skip_existing,
        environment=environment or None,
        trusted_publishing=trusted,
        attestations=attestations,
        dev_versions=dev_versions,
        index_auth=index_auth,
    )


def _folder(name: str, repo_table: Mapping[str, Any], base: Repository | None, root: Path | None) -> Repository | None:
    """A folder index from ``path = "…"`` or ``upload-url = "file:///…"``; its index-url is ``<folder>/simple/``."""
    where = f"repositories.{name}"
    upload = repo_table.get("upload-url")
    if "path" in repo_table and upload is not None:
        raise ConfigError(
            f"[{TABLE}] {where}: path and upload-url both set",
            "a folder index takes path (or a file:// upload-url); an index server takes upload-url and index-url",
        )
    if "path" in repo_table:
        folder = repo_table["path"]
        if not isinstance(folder, str) or not folder.strip():
            raise _fail(f"{where}.path", folder, "a folder, relative to the project (or absolute)")
    elif isinstance(upload, str) and upload.startswith("file:"):
        folder = urllib.parse.unquote(urllib.parse.urlsplit(upload).path)
        if not upload.startswith("file:///") or not folder:
            raise _fail(f"{where}.upload-url", upload, 'a file:///absolute/folder URL (or path = "folder")')
    elif base is not None and base.path is not None and upload is None:
        folder = base.path  # a built-in folder repository, other keys overridden
    else:
        return None
    repository = folder_repository(name, folder, root)
    index = repo_table.get("index-url")
    if index is not None and str(index).rstrip("/") + "/" != repository.index_url:
        raise _fail(f"{where}.index-url", index, f"{repository.index_url} (a folder index is read where it is "
                    "written: leave index-url out)")
    if base is None:
        return repository
    return replace(
        repository, skip_existing=base.skip_existing, dev_versions=base.dev_versions, environment=base.environment
    )


def _github_environment(environment: Any, path: str) -> str | None:
    """A GitHub environment name: it lands in the workflow's ``environment:``."""
    if environment is not None and not isinstance(environment, str):
        raise _fail(f"{path}.environment", environment, "a GitHub environment name (a string)")
    if environment and not _GITHUB_ENVIRONMENT.fullmatch(environment):
        raise _fail(f"{path}.environment", environment, "a GitHub environment name (letters, digits, - _ . space)")
    return environment


def _optional_bool(table: Mapping[str, Any], key: str, path: str, default: bool | None) -> bool | None:
    value = table.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise _fail(f"{path}.{key}", value, "true or false")
    return value


def _url_credentials(url: str) -> bool:
    """``user:password@`` (or ``token@``) in a URL (the redaction module, only loaded when there is an ``@``)."""
    from hatch_manta_release.core.redaction import url_has_credentials

    return url_has_credentials(url)


def _url(table: Mapping[str, Any], key: str, path: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not re.fullmatch(r"(https?|file)://[^\s]+", value):
        raise _fail(path, value, "an http(s):// URL")
    if "@" in value and _url_credentials(value):
        from hatch_manta_release.core.redaction import redact_url_credentials

        raise ConfigError(
            f'[{TABLE}] {path} = "{redact_url_credentials(value)}": a URL must not hold credentials (user:password@)',
            f"remove them from the URL; the token goes in the variable that token-env of "
            f"[{TABLE}.{path.rsplit('.', 1)[0]}] names",
        )
    return value if value.endswith("/") else value + "/"


def _parse_routes(raw: Any, repositories: Mapping[str, Repository]) -> Routes:
    if not isinstance(raw, dict):
        raise _fail("routes", raw, "a table with keys prerelease and final")
    _check_keys(raw, ROUTE_KEYS, "routes")
    routes = Routes()
    values = {}
    for key in ROUTE_KEYS:
        value = raw.get(key, getattr(routes, key))
        if not isinstance(value, str):
            raise _fail(f"routes.{key}", value, "the name of a repository")
        if value not in repositories:
            raise _fail(
                f"routes.{key}",
                value,
                "a defined repository: " + ", ".join(sorted(repositories)),
                _did_you_mean(value, repositories),
            )
        values[key] = value
    return Routes(**values)
