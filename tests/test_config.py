"""``[tool.manta-release]`` -> typed, immutable objects; defaults; exact error messages."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from hatch_manta_release.core.config import (
    DEFAULT_PRERELEASE_LABELS,
    Config,
    Repository,
    Routes,
    parse_config,
)
from hatch_manta_release.core.errors import ConfigError, MantaError
from hatch_manta_release.core.project import load_config, project_info, read_pyproject


def error_of(table: Any, **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(table, **kwargs)
    return info.value


# ----------------------------------------------------------------------------- defaults


def test_defaults_are_the_reference_system() -> None:
    config = parse_config({})
    assert config.tag_prefix == "v"
    assert [p.name for p in config.platforms] == ["linux-x86_64", "macos-x86_64", "macos-arm64", "windows-amd64"]
    assert config.routes == Routes(prerelease="testpypi", final="pypi")
    assert config.repositories["local"].dev_versions  # the built-in folder index (issue 15)
    assert {name: repo for name, repo in config.repositories.items() if name != "local"} == {
        "testpypi": Repository(
            name="testpypi",
            upload_url="https://test.pypi.org/legacy/",
            index_url="https://test.pypi.org/simple/",
            token_env="TEST_PYPI_API_TOKEN",
            skip_existing=True,
            environment="testpypi",
            trusted_publishing=False,
        ),
        "pypi": Repository(
            name="pypi",
            upload_url="https://upload.pypi.org/legacy/",
            index_url="https://pypi.org/simple/",
            token_env="PYPI_API_TOKEN",
            skip_existing=False,
            environment="pypi",
            trusted_publishing=False,
        ),
    }
    assert config.route("prerelease").name == "testpypi"
    assert config.route("final").name == "pypi"
    assert config.fallback_version is None
    assert dict(config.prerelease_labels) == DEFAULT_PRERELEASE_LABELS
    assert config.repository("pypi").project_page("sample", "1.0") == "https://pypi.org/project/sample/1.0/"
    assert config.repository("testpypi").project_page("sample") == "https://test.pypi.org/project/sample/"


def test_config_constructed_directly_has_the_same_defaults() -> None:
    assert Config() == parse_config({})


def test_every_key_is_optional_and_a_full_table_parses() -> None:
    config = parse_config(
        {
            "tag-prefix": "release-",
            "platforms": ["linux-x86_64", "linux-aarch64"],
            "python": ">=3.10,<3.13",
            "test-command": "python -c 'import sample'",
            "test-requires": ["pytest"],
            "before-build": {"linux": "yum install -y go", "macos": "brew install go"},
            "environment": {"CGO_ENABLED": "1"},
            "dist-dir": "wheelhouse",
            "pure-python": False,
            "builder": "native",
            "fallback-version": "0.0.0",
            "prerelease-labels": {"nightly": "dev"},
            "repositories": {
                "pypi": {"trusted-publishing": True},
                "internal": {
                    "upload-url": "https://pkgs.example.com/upload",
                    "index-url": "https://pkgs.example.com/simple",
                    "token-env": "INTERNAL_TOKEN",
                    "skip-existing": True,
                    "environment": "internal",
                    "trusted-publishing": "auto",
                },
            },
            "routes": {"prerelease": "internal", "final": "pypi"},
            "env-name": "ship",
        },
        project_name="sample",
    )
    assert config.tag_prefix == "release-"
    assert [p.name for p in config.platforms] == ["linux-x86_64", "linux-aarch64"]
    assert config.pythons == ("3.10", "3.11", "3.12")
    assert config.test_requires == ("pytest",)
    assert config.before_build == {"linux": "yum install -y go", "macos": "brew install go"}
    assert config.environment == {"CGO_ENABLED": "1"}
    assert (config.dist_dir, config.pure_python) == ("wheelhouse", False)
    assert (config.builder, config.env_name) == ("native", "ship")
    assert config.fallback_version == "0.0.0"
    assert config.prerelease_labels["nightly"] == "dev"
    internal = config.route("prerelease")
    assert internal == Repository(
        name="internal",
        upload_url="https://pkgs.example.com/upload/",  # normalised with a trailing slash
        index_url="https://pkgs.example.com/simple/",
        token_env="INTERNAL_TOKEN",
        skip_existing=True,
        environment="internal",
        trusted_publishing="auto",
    )
    assert config.route("final").trusted_publishing is True


def test_a_user_table_for_pypi_overrides_only_the_keys_it_sets() -> None:
    config = parse_config(
        {"repositories": {"pypi": {"token-env": "MY_PYPI_TOKEN"}, "testpypi": {"skip-existing": False}}}
    )
    defaults = parse_config({})
    assert config.repository("pypi") == dataclasses.replace(defaults.repository("pypi"), token_env="MY_PYPI_TOKEN")
    assert config.repository("testpypi") == dataclasses.replace(defaults.repository("testpypi"), skip_existing=False)


def test_before_build_string_applies_to_every_os() -> None:
    assert parse_config({"before-build": "make"}).before_build == {"linux": "make", "macos": "make", "windows": "make"}


def test_python_defaults_to_requires_python() -> None:
    assert parse_config({}, requires_python=">=3.12").pythons == ("3.12", "3.13", "3.14", "3.15")
    assert parse_config({"python": ">=3.13"}, requires_python=">=3.9").pythons == ("3.13", "3.14", "3.15")


def test_python_is_bounded_by_requires_python() -> None:
    """cibuildwheel skips the CPythons that requires-python excludes: the plan must not expect them."""
    config = parse_config({"python": ">=3.9,<3.12"}, requires_python=">=3.10")
    assert config.pythons == ("3.10", "3.11")
    with pytest.raises(ConfigError) as e:
        parse_config({"python": "<3.10"}, requires_python=">=3.11")
    assert e.value.message == (
        '[tool.manta-release] python = "<3.10": expected CPython versions that project.requires-python = '
        '">=3.11" also admits'
    )


def test_version_source_path_skips_the_cpython_list() -> None:
    assert parse_config({"python": ">=3.13"}, expand_pythons=False).pythons == ()


# ----------------------------------------------------------------------------- immutability


def test_config_is_immutable() -> None:
    config = parse_config({"environment": {"A": "1"}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.tag_prefix = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.repository("pypi").token_env = "X"  # type: ignore[misc]
    for mapping in (config.repositories, config.prerelease_labels, config.environment, config.before_build):
        with pytest.raises(TypeError, match="read-only"):
            mapping["x"] = "y"  # type: ignore[index]
        with pytest.raises(TypeError, match="read-only"):
            mapping.update({"x": "y"})  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="read-only"):
        del config.repositories["pypi"]  # type: ignore[attr-defined]
    assert set(config.repositories) == {"local", "pypi", "testpypi"}


def test_config_still_copies_pickles_hashes_and_serialises() -> None:
    config = parse_config({"environment": {"A": "1"}, "repositories": {"pypi": {"token-env": "T"}}})
    assert copy.deepcopy(config) == config
    assert copy.copy(config) == config
    assert pickle.loads(pickle.dumps(config)) == config
    assert hash(config) == hash(parse_config({"environment": {"A": "1"}, "repositories": {"pypi": {"token-env": "T"}}}))
    as_dict = dataclasses.asdict(config)
    assert as_dict["repositories"]["pypi"]["token_env"] == "T"
    assert json.loads(json.dumps(as_dict["environment"])) == {"A": "1"}


# ----------------------------------------------------------------------------- errors

ALL_PLATFORMS = (
    "linux-x86_64, linux-aarch64, musllinux-x86_64, musllinux-aarch64, macos-x86_64, macos-arm64, windows-amd64, "
    "windows-arm64"
)

ERRORS = [
    # unknown keys, with the near name
    (
        {"tag-prefx": "v"},
        "[tool.manta-release] unknown key tag-prefx (did you mean 'tag-prefix'?)",
        "allowed keys: tag-prefix, platforms, python, test-command, test-requires, before-build, environment, "
        "dist-dir, pure-python, wheel, sdist, builder, fallback-version, prerelease-labels, numeric-suffix, "
        "repositories, routes, env-name, workflow, github-release, reuse, reuse-ignore",
    ),
    ({"repository": {}}, "[tool.manta-release] unknown key repository (did you mean 'repositories'?)", None),
    ({"zzz": 1}, "[tool.manta-release] unknown key zzz", None),
    (
        {"repositories": {"pypi": {"token_env": "X"}}},
        "[tool.manta-release] unknown key repositories.pypi.token_env (did you mean 'token-env'?)",
        "allowed keys in repositories.pypi: upload-url, index-url, token-env, skip-existing, environment, "
        "trusted-publishing, attestations, path, dev-versions, index-auth",
    ),
    (
        {"repositories": {"testpypi": {"skip_existing": True}}},
        "[tool.manta-release] unknown key repositories.testpypi.skip_existing (did you mean 'skip-existing'?)",
        None,
    ),
    (
        {"routes": {"finale": "pypi"}},
        "[tool.manta-release] unknown key routes.finale (did you mean 'final'?)",
        "allowed keys in routes: prerelease, final",
    ),
    (
        {"routes": {"pre-release": "pypi"}},
        "[tool.manta-release] unknown key routes.pre-release (did you mean 'prerelease'?)",
        None,
    ),
    # wrong types
    ({"tag-prefix": 1}, "[tool.manta-release] tag-prefix = 1: expected a string", None),
    ({"pure-python": "no"}, '[tool.manta-release] pure-python = "no": expected true or false', None),
    ({"platforms": [1]}, "[tool.manta-release] platforms = [1]: expected a list of strings", None),
    (
        {"repositories": {"pypi": {"skip-existing": "yes"}}},
        '[tool.manta-release] repositories.pypi.skip-existing = "yes": expected true or false',
        None,
    ),
    (
        {"repositories": {"pypi": {"trusted-publishing": "yes"}}},
        '[tool.manta-release] repositories.pypi.trusted-publishing = "yes": expected true, false or "auto"',
        None,
    ),
    (
        {"repositories": {"pypi": {"environment": 3}}},
        "[tool.manta-release] repositories.pypi.environment = 3: expected a GitHub environment name (a string)",
        None,
    ),
    (
        {"repositories": {"pypi": {"token-env": "MY TOKEN"}}},
        '[tool.manta-release] repositories.pypi.token-env = "MY TOKEN": expected the name of an environment '
        'variable such as "PYPI_API_TOKEN"',
        None,
    ),
    (
        {"repositories": {"pypi": {"upload-url": "ftp://example.com/"}}},
        '[tool.manta-release] repositories.pypi.upload-url = "ftp://example.com/": expected an http(s):// URL',
        None,
    ),
    (
        {"repositories": {"pypi": "https://pypi.org"}},
        '[tool.manta-release] repositories.pypi = "https://pypi.org": expected a table with keys upload-url, '
        "index-url, token-env, skip-existing, environment, trusted-publishing, attestations, path, dev-versions, "
        "index-auth",
        None,
    ),
    (
        {"repositories": ["pypi"]},
        "[tool.manta-release] repositories = ['pypi']: expected a table of repository tables",
        None,
    ),
    (
        {"repositories": {"mine": {"upload-url": "https://example.com/legacy/"}}},
        "[tool.manta-release] repositories.mine: a new repository needs index-url",
        'only pypi and testpypi have default URLs; set index-url = "https://…"',
    ),
    ({"routes": {"final": 3}}, "[tool.manta-release] routes.final = 3: expected the name of a repository", None),
    ({"routes": "pypi"}, '[tool.manta-release] routes = "pypi": expected a table with keys prerelease and final', None),
    # a route to a repository that is not defined
    (
        {"routes": {"final": "pypy"}},
        "[tool.manta-release] routes.final = \"pypy\": expected a defined repository: local, pypi, testpypi "
        "(did you mean 'pypi'?)",
        None,
    ),
    (
        {"routes": {"prerelease": "staging"}},
        '[tool.manta-release] routes.prerelease = "staging": expected a defined repository: local, pypi, testpypi',
        None,
    ),
    # a platform that is not known
    (
        {"platforms": ["linux-x86-64"]},
        f'[tool.manta-release] platforms = "linux-x86-64": expected one of: {ALL_PLATFORMS} '
        "(did you mean 'linux-x86_64'?)",
        None,
    ),
    (
        {"platforms": ["macos-arm"]},
        f'[tool.manta-release] platforms = "macos-arm": expected one of: {ALL_PLATFORMS} '
        "(did you mean 'macos-arm64'?)",
        None,
    ),
    ({"platforms": []}, f"[tool.manta-release] platforms = []: expected at least one of: {ALL_PLATFORMS}", None),
    # values
    (
        {"tag-prefix": "v*"},
        '[tool.manta-release] tag-prefix = "v*": expected plain text without glob or ref characters (*?[]\\ ~^:)',
        None,
    ),
    (
        {"builder": "cibuildwheels"},
        '[tool.manta-release] builder = "cibuildwheels": expected "cibuildwheel" or "native" '
        "(did you mean 'cibuildwheel'?)",
        None,
    ),
    (
        {"fallback-version": "abc"},
        '[tool.manta-release] fallback-version = "abc": expected a PEP 440 version such as "0.0.0"',
        None,
    ),
    (
        {"python": ">=4"},
        '[tool.manta-release] python = ">=4": expected a specifier that admits at least one of CPython 3.9, 3.10, '
        "3.11, 3.12, 3.13, 3.14, 3.15",
        None,
    ),
    (
        {"python": "3.10+"},
        '[tool.manta-release] python = "3.10+": expected a version specifier such as ">=3.9" or ">=3.10,<3.14"',
        None,
    ),
    (
        {"prerelease-labels": {"banana": "bb"}},
        "[tool.manta-release] prerelease-labels.banana = \"bb\": expected one of: a, b, rc, dev, post "
        "(did you mean 'b'?)",
        None,
    ),
    (
        {"prerelease-labels": {"banana": 1}},
        "[tool.manta-release] prerelease-labels.banana = 1: expected a string",
        None,
    ),
    (
        {"prerelease-labels": {"my-label": "b"}},
        '[tool.manta-release] prerelease-labels has the key "my-label": expected a label of letters and digits, '
        "starting with a letter (it follows the hyphen in a tag such as v1.0.0-beta.1)",
        None,
    ),
    (
        {"before-build": {"linx": "make"}},
        "[tool.manta-release] unknown key before-build.linx (did you mean 'linux'?)",
        "allowed keys in before-build: linux, macos, windows (or one string for all)",
    ),
    (
        {"environment": {"MY VAR": "1"}},
        '[tool.manta-release] environment has the key "MY VAR": expected an environment variable name '
        "([A-Za-z_][A-Za-z0-9_]*)",
        None,
    ),
    (
        {"env-name": ""},
        '[tool.manta-release] env-name = "": expected a hatch environment name (letters, digits, - _ .) other '
        'than "default" (the project\'s own environment, which installs the project)',
        None,
    ),
    ("not a table", "[tool.manta-release] must be a table, got str", None),
]


@pytest.mark.parametrize(("table", "message", "hint"), ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_error_messages(table: Any, message: str, hint: str | None) -> None:
    error = error_of(table)
    assert error.message == message
    assert "\n" not in error.message  # one line of cause; the hint is the fix
    if hint is not None:
        assert error.hint == hint
    assert error.exit_code == 2
    assert isinstance(error, MantaError)


def test_no_suggestion_for_a_name_that_is_nothing_like_a_key() -> None:
    assert "did you mean" not in error_of({"zzz": 1}).message


def test_routes_to_a_new_repository() -> None:
    config = parse_config(
        {
            "repositories": {"staging": {"upload-url": "https://s.example/u", "index-url": "https://s.example/simple"}},
            "routes": {"prerelease": "staging"},
        }
    )
    assert config.route("prerelease").name == "staging"
    assert config.route("prerelease").token_env is None
    assert config.route("final").name == "pypi"


def test_unknown_repository_lookup() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({}).repository("pypy")
    assert info.value.message == "unknown repository 'pypy'"
    assert info.value.hint == "defined repositories: local, pypi, testpypi (did you mean 'pypi'?)"


# ----------------------------------------------------------------------------- pyproject.toml

SAMPLE = """\
[project]
name = "Sample.Project"
dynamic = ["version"]
requires-python = ">=3.11"

[tool.hatch.version]
source = "manta-release"
{hatch_version}

[tool.manta-release]
{manta}
"""


def write(tmp_path: Path, manta: str = "", hatch_version: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(SAMPLE.format(manta=manta, hatch_version=hatch_version))
    return tmp_path


def test_load_config_reads_pyproject(tmp_path: Path) -> None:
    root = write(tmp_path, manta='tag-prefix = "rel-"\n[tool.manta-release.routes]\nprerelease = "pypi"')
    config = load_config(root)
    assert config.project_name == "Sample.Project"
    assert config.tag_prefix == "rel-"
    assert config.pythons == ("3.11", "3.12", "3.13", "3.14", "3.15")
    assert config.route("prerelease").name == "pypi"
    info = project_info(root)
    assert info.import_name == "sample_project"
    assert info.dynamic_version is True
    assert info.hatch_version == {"source": "manta-release"}


def test_fallback_version_from_hatch_version_table(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, hatch_version='fallback-version = "0.0.0"')).fallback_version == "0.0.0"
    # [tool.manta-release] wins over [tool.hatch.version]
    root = write(tmp_path, manta='fallback-version = "0.1.0"', hatch_version='fallback-version = "0.0.0"')
    assert load_config(root).fallback_version == "0.1.0"


@pytest.mark.parametrize(("value", "shown"), [('"abc"', '"abc"'), ("1", "1")])
def test_bad_fallback_version_in_hatch_version_names_that_table(tmp_path: Path, value: str, shown: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, hatch_version=f"fallback-version = {value}"))
    assert info.value.message == (
        f'[tool.hatch.version] fallback-version = {shown}: expected a PEP 440 version such as "0.0.0"'
    )


def test_config_error_from_a_file_names_the_key(tmp_path: Path) -> None:
    root = write(tmp_path, manta='[tool.manta-release.repositories.pypi]\nskip-existing = "yes"')
    with pytest.raises(ConfigError, match=r'repositories\.pypi\.skip-existing = "yes": expected true or false'):
        load_config(root)


def test_missing_pyproject(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        read_pyproject(tmp_path)
    assert info.value.message == f"no pyproject.toml in {tmp_path.resolve()}"
    assert "project's root folder" in (info.value.hint or "")


def test_invalid_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = 1\n")
    with pytest.raises(ConfigError) as info:
        read_pyproject(tmp_path)
    assert info.value.message.startswith(f"{tmp_path / 'pyproject.toml'}: not valid TOML: ")


def test_missing_project_name(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nversion = '1'\n")
    with pytest.raises(ConfigError, match=r"\[project\] name is missing"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("tag-pattern", ""), ("raw-options", ""), ("fallback_version", " (did you mean 'fallback-version'?)")],
)
def test_settings_for_other_version_sources_are_not_silently_ignored(tmp_path: Path, key: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, hatch_version=f'{key} = "x"'))
    assert info.value.message == f'[tool.hatch.version] unknown key {key} for source = "manta-release"{suggestion}'
    assert info.value.hint == (
        "allowed keys: source, fallback-version, scheme, validate-bump; release tags are set by tag-prefix and "
        "prerelease-labels in [tool.manta-release]"
    )


def test_hatch_version_keys_of_another_source_are_not_ours_to_check(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "x/__init__.py"\n'
    )
    assert load_config(tmp_path).tag_prefix == "v"


def test_only_hooks_that_build_the_wheel_mean_compiled_parts(tmp_path: Path) -> None:
    base = {"project": {"name": "p"}}
    sdist_only = {**base, "tool": {"hatch": {"build": {"targets": {"sdist": {"hooks": {"custom": {}}}}}}}}
    wheel = {**base, "tool": {"hatch": {"build": {"targets": {"wheel": {"hooks": {"custom": {}}}}}}}}
    global_hook = {**base, "tool": {"hatch": {"build": {"hooks": {"custom": {}}}}}}
    ours = {**base, "tool": {"hatch": {"build": {"hooks": {"manta-release": {"version-file": "p/_v.py"}}}}}}
    assert project_info(tmp_path, sdist_only).has_build_hooks is False
    assert project_info(tmp_path, wheel).has_build_hooks is True
    assert project_info(tmp_path, global_hook).has_build_hooks is True
    assert project_info(tmp_path, ours).has_build_hooks is False


@pytest.mark.parametrize(
    ("hatch", "where"),
    [
        ({"build": {"hooks": ["a"]}}, "[tool.hatch.build.hooks] must be a table, got list ['a']"),
        ({"build": "x"}, "[tool.hatch.build] must be a table, got str 'x'"),
        ({"build": {"targets": {"wheel": 3}}}, "[tool.hatch.build.targets.wheel] must be a table, got int 3"),
        ({"version": []}, "[tool.hatch.version] must be a table, got list []"),
    ],
)
def test_malformed_hatch_tables_are_named(tmp_path: Path, hatch: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as e:
        project_info(tmp_path, {"project": {"name": "p"}, "tool": {"hatch": hatch}})
    assert e.value.message == where
