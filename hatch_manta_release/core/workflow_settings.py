"""``[tool.manta-release.workflow]``: the knobs of the generated workflow, validated.

The table is read by :func:`parse_workflow` (called from ``core.config.parse_config``) and only
the workflow renderer (``github/``) acts on it. The default action pins live here too, because the
config refuses a ``[workflow.actions]`` key that names no action the workflow uses. Standard
library and ``packaging`` only (``core/`` runs inside every build).

```toml
[tool.manta-release.workflow]
pull-request = true            # build and test on pull requests (no publish job runs there)
push-branches = ["main"]       # ... and on pushes to these branches
runner-python = "3.12"         # the Python that runs hatch on the runners
hatch-version = "1.18.2"       # the hatch the runners install
runners = { macos-x86_64 = "macos-15" }      # a runner per platform
setup-steps = [{ uses = "actions/setup-go@<sha>", version = "v6.2.0", with = { go-version = "1.24" } }]

[tool.manta-release.workflow.actions]
"actions/checkout" = "<sha> # v6.1.0"        # force a pin (otherwise the file's own pin is kept)
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hatch_manta_release.core.defaults import TABLE
from hatch_manta_release.core.errors import ConfigError

SHA = re.compile(r"[0-9a-f]{40}")
# owner/repo, an optional path inside it, @ref (GitHub's `uses:` syntax for a repository action)
USES = re.compile(r"(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[^@\s]+)?)@(?P<ref>[^\s@]+)")
_OVERRIDE = re.compile(r"(?P<sha>[0-9a-f]{40})(?:\s*#\s*(?P<comment>\S.*))?")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_INPUT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RUNNER_PYTHON = re.compile(r"3\.[0-9]+(?:\.[0-9]+)?t?")


@dataclass(frozen=True)
class ActionRelease:
    """An action pinned to the full commit SHA of a release."""

    repo: str
    sha: str
    version: str

    @property
    def ref(self) -> str:
        return f"{self.repo}@{self.sha}"


# The workflow's own actions, on Node 24 (Node 20 left GitHub's runners on 2026-09-16). Each SHA is
# `git rev-parse <version>^{commit}` in a copy of the action's repository.
ACTIONS: dict[str, ActionRelease] = {
    "checkout": ActionRelease("actions/checkout", "d23441a48e516b6c34aea4fa41551a30e30af803", "v6.1.0"),
    "setup-python": ActionRelease("actions/setup-python", "ece7cb06caefa5fff74198d8649806c4678c61a1", "v6.3.0"),
    "upload-artifact": ActionRelease(
        "actions/upload-artifact", "b7c566a772e6b6bfb58ed0dc250532a479d7789f", "v6.0.0"
    ),
    "download-artifact": ActionRelease(
        "actions/download-artifact", "37930b1c2abaa49bbe596cd826c3c89aef350131", "v7.0.0"
    ),
    "attest-build-provenance": ActionRelease(
        "actions/attest-build-provenance", "a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32", "v4.1.0"
    ),
}

RUNNER_PYTHON = "3.12"
HATCH_VERSION = "1.18.2"
PUSH_BRANCHES = ("main",)


@dataclass(frozen=True)
class SetupStep:
    """An extra step before the build (a toolchain: ``actions/setup-go``), pinned to a SHA."""

    action: str
    sha: str
    name: str | None = None
    version: str | None = None  # written as the pin's comment: `# v6.2.0`
    with_: tuple[tuple[str, str | int | float | bool], ...] = ()  # the action's inputs, in order


@dataclass(frozen=True)
class WorkflowSettings:
    """The validated ``[tool.manta-release.workflow]`` table, defaults applied."""

    pull_request: bool = True
    push_branches: tuple[str, ...] = PUSH_BRANCHES
    runner_python: str = RUNNER_PYTHON
    hatch_version: str = HATCH_VERSION
    runners: tuple[tuple[str, str], ...] = ()  # (platform name, runner label)
    setup_steps: tuple[SetupStep, ...] = ()
    actions: tuple[tuple[str, str, str | None], ...] = ()  # (action, sha, comment): forced pins

    @property
    def hatch_requirement(self) -> str:
        return f"hatch=={self.hatch_version}"

    def runner(self, platform: str, default: str) -> str:
        """The runner label for a platform: ``runners`` in the table, else the platform's own."""
        return dict(self.runners).get(platform, default)


# Inputs that turn an action's cache on; the workflow writes them false where the default is on.
CACHE_INPUTS = ("cache", "package-manager-cache")
CACHE_BY_DEFAULT = {"actions/setup-go": "cache", "actions/setup-node": "package-manager-cache"}

KEYS = ("pull-request", "push-branches", "runner-python", "hatch-version", "runners", "setup-steps", "actions")
STEP_KEYS = ("uses", "name", "version", "with")

# The words of each key for the configuration reference (docs/gen/config_ref.py), beside the keys:
# type, allowed values, an example (a TOML value the docs tests validate) and what it does.
BOOL_WORDS = "`true` or `false`"  # how the docs say a boolean key's allowed values
KEY_SPECS: dict[str, dict[str, str]] = {
    "pull-request": dict(
        type="bool", allowed=BOOL_WORDS, example="false",
        doc="build and test on pull requests too (the publish job is skipped there)"),
    "push-branches": dict(
        type="list of strings", allowed='branch names or patterns (`"main"`, `"release/**"`)',
        example='["main", "release/**"]', doc="build and test on pushes to these branches too; `[]` for none"),
    "runner-python": dict(
        type="string", allowed='a CPython version for actions/setup-python, such as `"3.12"`', example='"3.13"',
        doc="the Python that runs hatch on the runners (the wheels' Pythons come from `python`)"),
    "hatch-version": dict(
        type="string", allowed="a hatch release", example='"1.18.2"',
        doc="the hatch the runners install (exactly `hatch==<hatch-version>`)"),
    "runners": dict(
        type="table of strings", allowed="configured platform → a runner label",
        example='{ macos-x86_64 = "macos-15" }', doc="a runner per platform, instead of the platform's default runner"),
    "setup-steps": dict(
        type="list of tables",
        allowed="tables with `uses` (`owner/repo@<full commit SHA>`), and optionally `name`, `version`, `with`",
        example='[{ uses = "actions/setup-go@0123456789abcdef0123456789abcdef01234567", version = "v6.2.0", '
                'with = { go-version = "1.24" } }]',
        doc="extra steps before the build (a toolchain), pinned to a commit; caches stay off"),
    "actions": dict(
        type="table of strings", allowed='an action the workflow uses → `"<full commit SHA> # <release>"`',
        example='{ "actions/checkout" = "d23441a48e516b6c34aea4fa41551a30e30af803 # v6.1.0" }',
        doc="force an action's pin (otherwise the workflow file's own pin is kept, so Dependabot's bumps stay)"),
}


def _error(path: str, value: Any, expected: str, hint: str | None = None) -> ConfigError:
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else repr(value)
    return ConfigError(f"[{TABLE}.workflow] {path} = {shown}: expected {expected}", hint)


def _unknown(key: str, allowed: tuple[str, ...], where: str) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return ConfigError(
        f"[{TABLE}.workflow] unknown key {where}{key}" + (f" (did you mean {close[0]!r}?)" if close else ""),
        f"allowed keys: {', '.join(allowed)}",
    )


def parse_workflow(raw: Any, platforms: tuple[str, ...]) -> WorkflowSettings:
    """Validate ``[tool.manta-release.workflow]``; ``platforms`` are the configured platform names."""
    if raw is None:
        return WorkflowSettings()
    if not isinstance(raw, dict):
        raise ConfigError(f"[{TABLE}] workflow must be a table, got {raw!r}", f"write it as [{TABLE}.workflow]")
    for key in raw:
        if key not in KEYS:
            raise _unknown(key, KEYS, "")
    steps = tuple(_setup_step(item, f"setup-steps[{i}]") for i, item in enumerate(_list(raw, "setup-steps")))
    return WorkflowSettings(
        pull_request=_bool(raw, "pull-request", True),
        push_branches=_branches(raw),
        runner_python=_runner_python(raw),
        hatch_version=_hatch_version(raw),
        runners=_runners(raw, platforms),
        setup_steps=steps,
        actions=_actions(raw, {s.action for s in steps}),
    )


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise _error(key, value, "true or false")
    return value


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise _error(key, value, "a list")
    return value


def _branches(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("push-branches", list(PUSH_BRANCHES))
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() == v and v for v in value):
        raise _error("push-branches", value, 'a list of branch names or patterns ("main", "release/**")',
                     "use [] to build on no branch pushes")
    return tuple(value)


def _runner_python(raw: Mapping[str, Any]) -> str:
    value = raw.get("runner-python", RUNNER_PYTHON)
    if not isinstance(value, str) or not _RUNNER_PYTHON.fullmatch(value):
        raise _error("runner-python", value, 'a CPython version for actions/setup-python, such as "3.12"',
                     "it runs hatch on the runners; the wheels' Pythons come from `python`")
    return value


def _hatch_version(raw: Mapping[str, Any]) -> str:
    from packaging.version import InvalidVersion, Version

    value = raw.get("hatch-version", HATCH_VERSION)
    try:
        if not isinstance(value, str):
            raise InvalidVersion
        Version(value)
    except InvalidVersion:
        raise _error("hatch-version", value, f'a hatch release, such as "{HATCH_VERSION}"',
                     "the runners install exactly hatch==<hatch-version>") from None
    return value


def _runners(raw: Mapping[str, Any], platforms: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    value = raw.get("runners", {})
    if not isinstance(value, dict):
        raise _error("runners", value, 'a table of platform = "runner label"')
    for platform, label in value.items():
        if platform not in platforms:
            raise ConfigError(
                f"[{TABLE}.workflow] runners.{platform}: not one of the configured platforms",
                f"platforms: {', '.join(platforms)}",
            )
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise _error(f"runners.{platform}", label, 'a runner label, such as "macos-15"')
    return tuple(value.items())


def _setup_step(item: Any, path: str) -> SetupStep:
    if not isinstance(item, dict):
        raise _error(path, item, 'a table such as { uses = "actions/setup-go@<sha>", with = { go-version = "1.24" } }')
    for key in item:
        if key not in STEP_KEYS:
            raise _unknown(key, STEP_KEYS, f"{path}.")
    uses = item.get("uses")
    match = USES.fullmatch(uses) if isinstance(uses, str) else None
    if not match or not SHA.fullmatch(match["ref"]):
        raise _error(f"{path}.uses", uses, "owner/repo@<full 40-character commit SHA>",
                     "pin the action to the commit of a release (a tag can be moved); say the release in `version`")
    for key in ("name", "version"):
        if not isinstance(item.get(key, ""), str) or "\n" in item.get(key, ""):
            raise _error(f"{path}.{key}", item[key], "a one-line string")
    inputs = item.get("with", {})
    if not isinstance(inputs, dict):
        raise _error(f"{path}.with", inputs, "a table of the action's inputs")
    for key, value in inputs.items():
        if not _INPUT.fullmatch(key) or not isinstance(value, str | int | float | bool):
            raise _error(f"{path}.with.{key}", value, "an input name and a string, number or boolean")
        if key in CACHE_INPUTS and value not in (False, "false", ""):
            raise _error(f"{path}.with.{key}", value, "false",
                         "a release workflow restores no cache (a poisoned cache would end up in the wheels)")
    return SetupStep(match["action"], match["ref"], item.get("name"), item.get("version"), tuple(inputs.items()))


def _actions(raw: Mapping[str, Any], extra: set[str]) -> tuple[tuple[str, str, str | None], ...]:
    value = raw.get("actions", {})
    if not isinstance(value, dict):
        raise _error("actions", value, 'a table of "owner/repo" = "<sha> # <version>"')
    known = tuple(sorted({a.repo for a in ACTIONS.values()} | extra))
    out: list[tuple[str, str, str | None]] = []
    for action, pin in value.items():
        if action not in known:
            raise _unknown(action, known, "actions.")
        match = _OVERRIDE.fullmatch(pin.strip()) if isinstance(pin, str) else None
        if not match:
            raise _error(f'actions."{action}"', pin, '"<full 40-character commit SHA> # <release>"',
                         "the workflow file's own pins are kept anyway: an override is for a deliberate choice")
        out.append((action, match["sha"], match["comment"]))
    return tuple(out)
