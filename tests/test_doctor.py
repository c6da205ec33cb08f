"""release:doctor: each troubleshooting item of the reference guide as a finding with cause and fix."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hatch_manta_release.adopt.doctor import run_doctor as run_checks
from hatch_manta_release.cli.doctor import record
from hatch_manta_release.github.workflow import write_workflow
from tests.support.projects import git, make_project, run

TOKEN = "pypi-" + "A" * 150  # shaped like a PyPI token; not a real one
OTHER_TOKEN = "pypi-" + "B" * 150

Finding = SimpleNamespace  # a finding in doctor's own shape (check, status, summary, cause, fix), as --json shows it


def view(finding: Any) -> Finding:
    return Finding(**record(finding))


def run_doctor(*args: Any, **kwargs: Any) -> list[Finding]:
    return [view(f) for f in run_checks(*args, **kwargs)]


def by_check(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.check, []).append(f)
    return out


def statuses(findings: list[Finding]) -> dict[str, str]:
    """The worst status per check."""
    order = ["skip", "ok", "warn", "fail"]
    out: dict[str, str] = {}
    for f in findings:
        if f.check not in out or order.index(f.status) > order.index(out[f.check]):
            out[f.check] = f.status
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = make_project(tmp_path / "sample", tag="v1.0.0")
    write_workflow(path)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "workflow")
    git(path, "tag", "-f", "v1.0.0")
    return path


def doctor(path: Path, **env: str) -> list[Finding]:
    return run_doctor(path, offline=True, environ=env)


def test_healthy_project_is_all_ok(project: Path) -> None:
    findings = doctor(project, TEST_PYPI_API_TOKEN=OTHER_TOKEN, PYPI_API_TOKEN=TOKEN)
    assert statuses(findings) == {
        "config": "ok",
        "pyproject": "ok",
        "git": "ok",
        "version": "ok",
        "token testpypi": "ok",
        "token pypi": "ok",
        "workflow": "ok",
        "trigger": "ok",
        "index": "skip",
    }
    version = by_check(findings)["version"][0].summary
    assert "v1.0.0 -> 1.0.0" in version and "final" in version and "routes to pypi" in version
    assert "environment pypi" in version


def test_config_error_fails_and_stops(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.manta-release]", '[tool.manta-release]\ntag-prefx = "v"'))
    findings = doctor(project)
    assert findings[0].status == "fail" and "tag-prefx" in (findings[0].cause or "")
    assert "tag-prefix" in (findings[0].cause or "") + (findings[0].fix or "")  # did you mean
    assert [f.status for f in findings[1:]] == ["skip"]


def test_static_version_and_missing_collector_fail(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p", tag="v1.0.0")
    text = (path / "pyproject.toml").read_text()
    text = text.replace('dynamic = ["version"]', 'version = "1.0.0"').replace(
        "[tool.hatch.env.collectors.manta-release]\n", "")
    (path / "pyproject.toml").write_text(text)
    found = by_check(doctor(path))["pyproject"]
    assert {f.status for f in found} == {"fail"}
    summaries = " ".join(f.summary for f in found)
    assert "static version" in summaries and "release` hatch environment" in summaries


def test_no_tags_warns_and_bad_tags_are_listed(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p")
    git_findings = by_check(doctor(path))["git"]
    assert [f.status for f in git_findings] == ["warn"]
    assert "git tag v0.1.0" in (git_findings[0].fix or "")
    version = by_check(doctor(path))["version"][0]
    assert version.status == "fail" and "no tag" in (version.cause or "")

    git(path, "tag", "v1.0.0")
    git(path, "tag", "v1.1.0-banana.1")
    git(path, "tag", "v2.0.0+local")
    found = by_check(doctor(path))["git"]
    assert [f.status for f in found] == ["warn"]
    assert "2 of 3 release tags" in found[0].summary
    assert "v1.1.0-banana.1" in found[0].summary and "v2.0.0+local" in found[0].summary


def test_heads_tag_without_a_version_fails(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p", tag="v1.0.0-banana.1")
    findings = doctor(path)
    version = by_check(findings)["version"][0]
    assert version.status == "fail" and "banana" in (version.cause or "")
    assert "prerelease-labels" in (version.fix or "")
    # Where it would go is unknown, so both tokens are reported as missing.
    assert statuses(findings)["token pypi"] == statuses(findings)["token testpypi"] == "warn"


def test_shallow_clone_fails(project: Path, tmp_path: Path) -> None:
    commit_file = project / "more.txt"
    commit_file.write_text("x")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "more")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{project}", str(clone))
    findings = doctor(clone)
    git_findings = by_check(findings)["git"]
    assert any(f.status == "fail" and "shallow" in f.summary for f in git_findings)
    assert any("fetch-depth: 0" in (f.fix or "") for f in git_findings)
    assert statuses(findings)["version"] == "fail"


def test_not_a_git_checkout(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p", git_init=False)
    found = statuses(doctor(path))
    assert found["git"] == "fail" and found["version"] == "fail"


def test_prerelease_routes_to_testpypi(project: Path) -> None:
    git(project, "tag", "v1.1.0-beta.2")
    findings = doctor(project, TEST_PYPI_API_TOKEN=TOKEN)
    version = by_check(findings)["version"][0].summary
    assert "1.1.0b2" in version and "prerelease" in version and "routes to testpypi" in version
    # The routed repository's token matters; the other one's absence is not a warning.
    assert statuses(findings)["token testpypi"] == "ok"
    assert statuses(findings)["token pypi"] == "ok"


@pytest.mark.parametrize(
    ("value", "status", "words"),
    [
        (None, "warn", "unset"),
        ("hunter2-password-" + "x" * 80, "fail", "does not start with 'pypi-'"),
        (TOKEN + "\n", "fail", "whitespace"),
        ("pypi-short", "warn", "only 10 characters"),
        (TOKEN, "ok", "shaped like a PyPI token"),
    ],
)
def test_token_shapes(project: Path, value: str | None, status: str, words: str) -> None:
    env = {"PYPI_API_TOKEN": value} if value is not None else {}
    found = by_check(doctor(project, **env))["token pypi"]
    assert [f.status for f in found] == [status]
    assert words in found[0].summary
    if value:
        assert value.strip() not in json.dumps([vars(f) for f in found])  # never the value


def test_same_token_for_both_indexes_warns(project: Path) -> None:
    found = by_check(doctor(project, PYPI_API_TOKEN=TOKEN, TEST_PYPI_API_TOKEN=TOKEN))
    assert found["tokens"][0].status == "warn"
    assert "TestPyPI works but PyPI fails" in (found["tokens"][0].cause or "")


def test_trusted_publishing_needs_no_token(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p", tag="v1.0.0", manta="""
        [tool.manta-release.repositories.pypi]
        trusted-publishing = true
    """)
    found = by_check(doctor(path))["token pypi"]
    assert found[0].status == "ok" and "Trusted Publishing" in found[0].summary
    assert "trusted publisher" in (found[0].fix or "")


def test_custom_index_tokens_need_no_pypi_prefix(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p", tag="v1.0.0", manta="""
        [tool.manta-release.repositories.internal]
        upload-url = "https://pkgs.example.com/upload/"
        index-url = "https://pkgs.example.com/simple/"
        token-env = "INTERNAL_TOKEN"
        [tool.manta-release.routes]
        final = "internal"
    """)
    found = by_check(doctor(path, INTERNAL_TOKEN="s3cret"))["token internal"]
    assert found[0].status == "ok"


def test_workflow_missing_drifted_and_wrong_trigger(project: Path) -> None:
    path = project / ".github" / "workflows" / "release.yml"
    text = path.read_text()

    path.write_text(text.replace("timeout-minutes: 15", "timeout-minutes: 20"))
    found = by_check(doctor(project))
    assert found["workflow"][0].status == "warn" and "(2 lines)" in found["workflow"][0].summary
    assert found["trigger"][0].status == "ok"

    path.write_text(text.replace("- v[0-9]*", "- release-*"))
    found = by_check(doctor(project))
    assert found["trigger"][0].status == "fail"
    assert "v1.2.0" in found["trigger"][0].summary

    path.write_text(text.replace("    tags:\n      - v[0-9]*\n", "    branches:\n      - main\n"))
    assert by_check(doctor(project))["trigger"][0].status == "fail"

    path.unlink()
    found = by_check(doctor(project))
    assert found["workflow"][0].status == "warn" and "trigger" not in found


class _Index(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        known = self.path.rstrip("/").endswith("/sample")
        self.send_response(200 if known else 404)
        self.end_headers()
        self.wfile.write(
            b'<html><a href="/p/sample-0.9.0.tar.gz#sha256=00">sample-0.9.0.tar.gz</a>'
            b'<a href="/p/sample-1.0.0.1-py3-none-any.whl#sha256=00">sample-1.0.0.1-py3-none-any.whl</a></html>'
        )

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_index() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_index_lookup(tmp_path: Path, stub_index: str) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/simple/"
    manta = f"""
        [tool.manta-release.repositories.pypi]
        index-url = "{stub_index}"
        [tool.manta-release.repositories.testpypi]
        index-url = "{dead}"
    """
    path = make_project(tmp_path / "p", tag="v1.0.0", manta=manta)
    found = by_check(run_doctor(path, environ={}, timeout=2))
    assert found["index pypi"][0].status == "ok"  # 1.0.0.1 is there, 1.0.0 is not
    assert found["index testpypi"][0].status == "warn" and "could not reach" in found["index testpypi"][0].summary
    assert found["tag pushed"][0].status == "skip"  # no origin remote

    from hatch_manta_release.adopt.doctor import check_index
    from hatch_manta_release.core.project import load_config

    repo = load_config(path).repository("pypi")
    there = view(check_index(repo, "sample", 2, version="0.9.0"))
    assert there.status == "warn" and "0.9.0 is already on pypi (1 file)" in there.summary
    assert "File already exists" in (there.cause or "")

    other = make_project(tmp_path / "other-name", name="other-name", tag="v1.0.0", manta=manta)
    missing = by_check(run_doctor(other, environ={}, timeout=2))["index pypi"][0]
    assert missing.status == "warn" and "does not exist" in missing.summary
    assert "account-wide token" in (missing.fix or "")


def test_tag_pushed_check(project: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    from hatch_manta_release.adopt.doctor import check_tag_pushed

    assert view(check_tag_pushed(project, "v1.0.0", 10)).status == "warn"
    git(project, "push", "-q", "origin", "v1.0.0")
    assert view(check_tag_pushed(project, "v1.0.0", 10)).status == "ok"


def cli(path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.endswith("_API_TOKEN")}
    full.update(NO_COLOR="1", COLUMNS="250", **env)
    return run([sys.executable, "-m", "hatch_manta_release", "--root", str(path), "doctor", *args],
               cwd=path, env=full, check=False)


def test_cli_output_and_exit_codes(project: Path) -> None:
    ok = cli(project, "--offline", PYPI_API_TOKEN=TOKEN)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert TOKEN not in ok.stdout + ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0].startswith("ok   config")
    assert any(line.startswith("skip index") for line in lines)

    bad = cli(project, "--offline", "--json", PYPI_API_TOKEN="not-a-token-" + "x" * 90)
    assert bad.returncode == 1
    data = json.loads(bad.stdout)
    failing = [f for f in data if f["status"] == "fail"]
    assert [f["check"] for f in failing] == ["token pypi"]
    assert failing[0]["cause"] and failing[0]["fix"]
    assert "not-a-token" not in bad.stdout


def test_this_project_self_hosted_version_source_is_ok() -> None:
    """This repository takes its version from its own code through hatchling's `code` source (a
    plugin cannot be loaded from the tree being built); doctor knows that setup, and only that one."""
    from tests.support.projects import REPO_ROOT

    assert statuses(doctor(REPO_ROOT))["pyproject"] == "ok"


# ----------------------------------------------------------------------------- issue 13 §6


def tag_history(path: Path, tags: list[str]) -> None:
    """One commit per tag, a day apart, so the tags sort by date as in a real history."""
    for n, tag in enumerate(tags):
        stamp = f"{1_600_000_000 + n * 86_400} +0000"
        (path / "CHANGES").open("a").write(f"{tag}\n")
        git(path, "add", "-A")
        subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@e.invalid", "commit",
                        "-qm", tag], env=dict(os.environ, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp), check=True)
        git(path, "tag", tag)


def test_tags_ignored_by_the_prefix_are_counted(tmp_path: Path) -> None:
    """Found: doctor said "ok, N release tags" while most tags were ignored by the prefix."""
    path = make_project(tmp_path / "p")
    tag_history(path, ["v2.0.0a3", "4.11.1", "4.11.2", "4.11.3"])
    found = by_check(doctor(path))
    assert [f.status for f in found["tags"]] == ["warn"]
    assert found["tags"][0].summary == "3 version tags ignored by tag-prefix 'v' (e.g. 4.11.3, 4.11.2, 4.11.1)"
    assert "the most recent release tags use the prefix ''" in (found["tags"][0].cause or "")
    assert found["tags"][0].fix == 'set tag-prefix = "" in [tool.manta-release]'

    pyproject = path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.manta-release]", '[tool.manta-release]\ntag-prefix = ""'))
    git(path, "commit", "-qam", "prefix")
    found = by_check(doctor(path))
    assert [(f.status, f.summary) for f in found["tags"]] == [
        ("info", "1 version tag ignored by tag-prefix '' (e.g. v2.0.0a3)")]
    assert [f.status for f in found["git"]] == ["ok"] and "3 release tags" in found["git"][0].summary


def test_a_second_workflow_publishing_on_release_tags_fails(project: Path) -> None:
    """Found: a release.yaml beside release.yml that also publishes on the same tags went unnoticed."""
    (project / ".github" / "workflows" / "release.yaml").write_text("""\
on:
  push:
    tags: ["v*"]
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: pypa/gh-action-pypi-publish@76f52bc884231f62b9a1b84d2ce0e3fe7cf8d6fb # v1.12.4
""")
    (project / ".github" / "workflows" / "docs.yml").write_text(
        "on: [push]\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: hatch publish -r test\n")
    findings = doctor(project, PYPI_API_TOKEN=TOKEN)
    found = by_check(findings)
    other = found["other workflows"]
    assert [f.summary for f in other] == [
        ".github/workflows/docs.yml also publishes when a release tag (v1.2.0) is pushed",
        ".github/workflows/release.yaml also publishes when a release tag (v1.2.0) is pushed",
    ]
    assert all(f.status == "fail" for f in other)
    assert "release.yaml line 9 (uses: pypa/gh-action-pypi-publish@" in (other[1].cause or "")
    assert "docs.yml line 6 (run: hatch publish -r test)" in (other[0].cause or "")
    assert found["actions"][0].status == "warn"
    assert found["actions"][0].summary == "1 action not pinned to a commit: release.yaml:8 actions/checkout@v4"
    assert [f.check for f in findings if f.status == "fail"] == ["other workflows", "other workflows"]


def test_trusted_publishing_names_the_publisher_to_register(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p", tag="v1.0.0", manta="""
        [tool.manta-release.repositories.pypi]
        trusted-publishing = true
    """)
    git(path, "remote", "add", "origin", "https://github.com/acme/sample.git")
    found = by_check(doctor(path))
    assert found["publisher pypi"][0].status == "info"
    assert found["publisher pypi"][0].summary == (
        "register on pypi: PyPI project name sample; owner acme; repository name sample; "
        "workflow name release.yml; environment name pypi")
    assert "pending publisher" in (found["publisher pypi"][0].fix or "")
    assert "publisher testpypi" not in found  # TestPyPI uses a token here


def test_tag_style_detection() -> None:
    from packaging.version import Version

    from hatch_manta_release.adopt.tag_style import detect_prefix, next_release, release_tags

    tags = release_tags(["4.11.3", "4.11.2", "v2.0.0a3", "latest", "v1", "release-1.0"])
    assert [t.tag for t in tags] == ["4.11.3", "4.11.2", "v2.0.0a3", "v1", "release-1.0"]
    assert detect_prefix(tags) == ""
    assert detect_prefix(release_tags(["v1.1", "1.0", "v1.0"])) == "v"
    assert detect_prefix(release_tags(["v1.1", "1.1"])) == "v"  # a tie: the newest tag's style
    assert detect_prefix([]) is None
    assert [next_release(v) for v in (None, Version("4.11.3"), Version("5.0.0rc1"), Version("1.4.5.2"))] == [
        "0.1.0", "4.11.4", "5.0.0", "1.4.5.3"]


def test_hints_inside_the_release_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_project(tmp_path / "p", tag="v1.0.0")
    text = (path / "pyproject.toml").read_text()
    (path / "pyproject.toml").write_text(text.replace("[tool.hatch.env.collectors.manta-release]\n", ""))
    monkeypatch.setenv("HATCH_ENV_ACTIVE", "release")
    found = by_check(doctor(path))["pyproject"]
    assert "run `hatch run release:init`" in (found[0].fix or "")
    monkeypatch.delenv("HATCH_ENV_ACTIVE")
    assert "run `manta-release init`" in (by_check(doctor(path))["pyproject"][0].fix or "")


def test_tags_of_another_prefix_only(tmp_path: Path) -> None:
    path = make_project(tmp_path / "p")
    tag_history(path, ["4.11.2", "4.11.3"])
    git_finding = by_check(doctor(path))["git"][0]
    assert git_finding.summary == "no release tags (v[0-9]*) yet"
    assert git_finding.fix == 'set tag-prefix = "" in [tool.manta-release]: your release tags look like 4.11.3'
