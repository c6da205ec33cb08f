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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only ``dict`` for the mappings inside :class:`Config` (still JSON-serialisable,
    picklable and usable with :func:`dataclasses.asdict`)."""

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the configuration is read-only")

    __setitem__ = __delitem__ = _readonly
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

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
OS_NAMES = ("linux", "macos", "windows")
WheelKind = Literal["pure", "cpython", "abi3", "platform"]
# What each kind of wheel is, in the words the docs and errors use.
WHEEL_KINDS: dict[str, str] = {
    "pure": "one py3-none-any wheel",
    "cpython": "cpXY-cpXY per Python and platform (extension modules)",
    "abi3": "cpXY-abi3 per platform, built for the lowest Python (stable ABI extension modules)",
    "platform": "py3-none-<platform>, one per platform (a library loaded with ctypes or cffi)",
}


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
    repositories: Mapping[str, Repository] = field(default_factory=lambda: FrozenDict(default_repositories()))
    routes: Routes = field(default_factory=Routes)
    env_name: str = defaults.ENV_NAME

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


def default_repositories() -> dict[str, Repository]:
    return {
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
        shown = f'"{value}"'
    else:
        shown = repr(value)
    return ConfigError(f"[{table}] {path} = {shown}: expected {allowed}{extra}")


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise ConfigError(
                f"[{TABLE}] unknown key {prefix}{key}{_did_you_mean(key, allowed)}",
                f"allowed keys{' in ' + where if where else ''}: {', '.join(allowed)}",
            )


def _str(table: Mapping[str, Any], key: str, path: str, default: Any) -> Any:
    value = table.get(key, default)
    if value is not default and not isinstance(value, str):
        raise _fail(path, value, "a string")
    return value


def _bool(table: Mapping[str, Any], key: str, path: str, default: Any) -> Any:
    value = table.get(key, default)
    if value is not default and not isinstance(value, bool):
        raise _fail(path, value, "true or false")
    return value


def _str_list(table: Mapping[str, Any], key: str, path: str) -> tuple[str, ...] | None:
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, value, "a list of strings")
    return tuple(value)


def _str_table(table: Mapping[str, Any], key: str, path: str) -> dict[str, str] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, dict):
        raise _fail(path, value, "a table of strings")
    for k, v in value.items():
        if not isinstance(v, str):
            raise _fail(f"{path}.{k}", v, "a string")
    return dict(value)


TOP_KEYS = (
    "tag-prefix",
    "platforms",
    "python",
    "test-command",
    "test-requires",
    "before-build",
    "environment",
    "dist-dir",
    "pure-python",
    "wheel",
    "sdist",
    "builder",
    "fallback-version",
    "prerelease-labels",
    "repositories",
    "routes",
    "env-name",
)
REPO_KEYS = ("upload-url", "index-url", "token-env", "skip-existing", "environment", "trusted-publishing")
ROUTE_KEYS = ("prerelease", "final")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def parse_config(
    table: Any,
    *,
    project_name: str = "",
    requires_python: str | None = None,
    fallback_version: Any = None,
    expand_pythons: bool = True,
) -> Config:
    """Validate a ``[tool.manta-release]`` mapping into a :class:`Config`.

    ``expand_pythons=False`` leaves ``pythons`` empty (see :func:`load_config`).
    """
    if not isinstance(table, dict):
        raise ConfigError(f"[{TABLE}] must be a table, got {type(table).__name__}")
    _check_keys(table, TOP_KEYS, "")

    tag_prefix = _str(table, "tag-prefix", "tag-prefix", defaults.TAG_PREFIX)
    if any(c in tag_prefix for c in "*?[]\\ ~^:"):
        raise _fail("tag-prefix", tag_prefix, "plain text without glob or ref characters (*?[]\\ ~^:)")

    platform_names = _str_list(table, "platforms", "platforms")
    if platform_names is None:
        platform_names = DEFAULT_PLATFORMS
    if not platform_names:
        raise _fail("platforms", [], "at least one of: " + ", ".join(KNOWN_PLATFORMS))
    platforms = []
    for name in platform_names:
        if name not in KNOWN_PLATFORMS:
            raise _fail(
                "platforms",
                name,
                "one of: " + ", ".join(KNOWN_PLATFORMS),
                _did_you_mean(name, KNOWN_PLATFORMS),
            )
        if KNOWN_PLATFORMS[name] not in platforms:
            platforms.append(KNOWN_PLATFORMS[name])

    python = _str(table, "python", "python", None) or requires_python or defaults.PYTHON
    pythons: tuple[str, ...] = ()
    if expand_pythons:
        pythons = _pythons(python, "python" if "python" in table else "project.requires-python")
        if requires_python and "python" in table:
            # cibuildwheel skips what requires-python excludes; plan only what it will build.
            allowed = _pythons(requires_python, "project.requires-python")
            pythons = tuple(py for py in pythons if py in allowed)
            if not pythons:
                raise _fail("python", python, f"CPython versions that project.requires-python = "
                            f'"{requires_python}" also admits')

    left_out = _pythons_left_out(python) if expand_pythons else {}
    test_command: str | None = None
    test_commands: dict[str, str] = {}
    if isinstance(table.get("test-command"), dict):
        test_commands = _per_os(table, "test-command")
    else:
        test_command = _str(table, "test-command", "test-command", None)
    test_requires = _str_list(table, "test-requires", "test-requires") or ()

    before_build: dict[str, str] = {}
    raw_before = table.get("before-build")
    if isinstance(raw_before, str):
        before_build = dict.fromkeys(OS_NAMES, raw_before)
    elif raw_before is not None:
        before_build = _per_os(table, "before-build")

    environment, os_environment = _environment(table.get("environment", {}))

    dist_dir = _str(table, "dist-dir", "dist-dir", defaults.DIST_DIR)
    pure_python = _bool(table, "pure-python", "pure-python", None)
    wheel = _str(table, "wheel", "wheel", None)
    if wheel is not None and wheel not in WHEEL_KINDS:
        raise _fail("wheel", wheel, " or ".join(f'"{k}"' for k in WHEEL_KINDS), _did_you_mean(wheel, WHEEL_KINDS))
    if wheel is not None and pure_python is not None and pure_python != (wheel == "pure"):
        raise ConfigError(
            f'[{TABLE}] pure-python = {str(pure_python).lower()} contradicts wheel = "{wheel}"',
            'remove pure-python: wheel = "pure" is the pure-Python project, every other kind has compiled parts',
        )
    sdist = _bool(table, "sdist", "sdist", True)
    builder = _str(table, "builder", "builder", defaults.BUILDER)
    if builder not in ("cibuildwheel", "native"):
        raise _fail(
            "builder",
            builder,
            '"cibuildwheel" or "native"',
            _did_you_mean(builder, ("cibuildwheel", "native")),
        )

    fallback = _str(table, "fallback-version", "fallback-version", None)
    fallback_table = TABLE
    if fallback is None and fallback_version is not None:
        fallback, fallback_table = fallback_version, "tool.hatch.version"
    if fallback is not None:
        from packaging.version import InvalidVersion, Version

        try:
            if not isinstance(fallback, str):
                raise InvalidVersion
            Version(fallback)
        except InvalidVersion:
            raise _fail(
                "fallback-version", fallback, 'a PEP 440 version such as "0.0.0"', table=fallback_table
            ) from None

    labels = dict(DEFAULT_PRERELEASE_LABELS)
    user_labels = _str_table(table, "prerelease-labels", "prerelease-labels")
    if user_labels is not None:
        for label, segment in user_labels.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", label):
                raise ConfigError(
                    f'[{TABLE}] prerelease-labels has the key "{label}": expected a label of letters and digits, '
                    "starting with a letter (it follows the hyphen in a tag such as v1.0.0-beta.1)"
                )
            if segment not in PEP440_SEGMENTS:
                raise _fail(
                    f"prerelease-labels.{label}",
                    segment,
                    "one of: " + ", ".join(PEP440_SEGMENTS),
                    _did_you_mean(segment, PEP440_SEGMENTS),
                )
            labels[label.lower()] = segment

    repositories = _parse_repositories(table.get("repositories", {}))
    routes = _parse_routes(table.get("routes", {}), repositories)

    env_name = _str(table, "env-name", "env-name", defaults.ENV_NAME)
    if not _NAME.match(env_name) or env_name == "default":
        raise _fail("env-name", env_name, "a hatch environment name (letters, digits, - _ .) other than "
                    '"default" (the project\'s own environment, which installs the project)')

    return Config(
        project_name=project_name,
        tag_prefix=tag_prefix,
        platforms=tuple(platforms),
        python=python,
        pythons=pythons,
        test_command=test_command,
        test_commands=FrozenDict(test_commands),
        test_requires=test_requires,
        before_build=FrozenDict(before_build),
        environment=FrozenDict(environment),
        os_environment=FrozenDict({k: FrozenDict(v) for k, v in os_environment.items()}),
        dist_dir=dist_dir,
        pure_python=pure_python,
        wheel=wheel,
        sdist=sdist,
        pythons_left_out=FrozenDict(left_out),
        builder=builder,
        fallback_version=fallback,
        prerelease_labels=FrozenDict(labels),
        repositories=FrozenDict(repositories),
        routes=routes,
        env_name=env_name,
    )


def _per_os(table: Mapping[str, Any], key: str) -> dict[str, str]:
    """A per-OS table of strings (``{ linux = "...", macos = "..." }``), keys checked."""
    values = _str_table(table, key, key) or {}
    for os_name in values:
        if os_name not in OS_NAMES:
            raise ConfigError(
                f"[{TABLE}] unknown key {key}.{os_name}{_did_you_mean(os_name, OS_NAMES)}",
                f"allowed keys in {key}: {', '.join(OS_NAMES)} (or one string for all)",
            )
    return values


def _environment(raw: Any) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``environment``: variables for every OS, and per-OS tables (``linux = { CC = "gcc" }``)."""
    if not isinstance(raw, dict):
        raise _fail("environment", raw, "a table of strings (or of per-OS tables: linux, macos, windows)")
    common: dict[str, str] = {}
    per_os: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and key in OS_NAMES:
            per_os[key] = _str_table(raw, key, f"environment.{key}") or {}
            names: Any = per_os[key]
        elif isinstance(value, str):
            common[key] = value
            names = (key,)
        else:
            raise _fail(f"environment.{key}", value, "a string" + (" or a table of strings" if key in OS_NAMES else ""))
        for name in names:
            if not _ENV_VAR.match(name):
                raise ConfigError(
                    f'[{TABLE}] environment has the key "{name}": expected an environment variable name '
                    "([A-Za-z_][A-Za-z0-9_]*)"
                )
    return common, per_os


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


def _parse_repositories(raw: Any) -> dict[str, Repository]:
    if not isinstance(raw, dict):
        raise _fail("repositories", raw, "a table of repository tables")
    repositories = default_repositories()
    for name, repo_table in raw.items():
        path = f"repositories.{name}"
        if not _NAME.match(name):
            raise _fail(path, name, "a repository name of letters, digits, - _ .")
        if not isinstance(repo_table, dict):
            raise _fail(path, repo_table, f"a table with keys {', '.join(REPO_KEYS)}")
        _check_keys(repo_table, REPO_KEYS, path)
        base = repositories.get(name)
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
        if token_env is not None and (not isinstance(token_env, str) or not _ENV_VAR.match(token_env)):
            raise _fail(
                f"{path}.token-env", token_env, 'the name of an environment variable such as "PYPI_API_TOKEN"'
            )
        skip_existing = _bool(repo_table, "skip-existing", f"{path}.skip-existing", base.skip_existing)
        environment = repo_table.get("environment", base.environment)
        if environment is not None and not isinstance(environment, str):
            raise _fail(f"{path}.environment", environment, "a GitHub environment name (a string)")
        trusted = repo_table.get("trusted-publishing", base.trusted_publishing)
        if trusted not in (True, False, "auto"):
            raise _fail(f"{path}.trusted-publishing", trusted, 'true, false or "auto"')
        repositories[name] = replace(
            base,
            upload_url=upload_url,
            index_url=index_url,
            token_env=token_env or None,
            skip_existing=skip_existing,
            environment=environment or None,
            trusted_publishing=trusted,
        )
    return repositories


def _url(table: Mapping[str, Any], key: str, path: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not re.match(r"^(https?|file)://[^\s]+$", value):
        raise _fail(path, value, "an http(s):// URL")
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
