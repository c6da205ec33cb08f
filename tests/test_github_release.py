"""``github-release`` against a loopback stand-in for GitHub's REST API (tests/support/github_standin.py).

GitHub cannot be reached from here: the stand-in plays the endpoints the command uses (releases by
tag, list, create, update; list, upload and delete assets; the ``upload_url`` template) with GitHub's
documented behaviour (drafts are invisible by tag, asset digests, immutable published releases).
The command runs as users run it: ``python -m hatch_manta_release github-release`` in a real git
repository, and once through ``hatch run release:github-release``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.version import Version

from hatch_manta_release.core.config import GitHubRelease, parse_config
from hatch_manta_release.core.errors import ConfigError
from hatch_manta_release.github.release import LocalAsset, changelog_section, is_latest, reconcile
from hatch_manta_release.github.rest import ApiResponse, Target, explain, rate_limit_reset
from tests.support.github_standin import GitHubStandIn
from tests.support.indexes import write_wheel
from tests.support.projects import commit, git, make_project

REPO = "octo/sample"


# ----------------------------------------------------------------------------- pure decisions


def test_settings_defaults_and_errors() -> None:
    def parse(table: dict) -> GitHubRelease:  # type: ignore[type-arg]
        return parse_config({"github-release": table}).github_release

    assert parse_config({}).github_release == parse({}) == GitHubRelease()
    assert parse({"notes-file": "NEWS.md"}) == GitHubRelease(notes="changelog", notes_file="NEWS.md")
    assert parse({"assets": "native/*.so", "when": "always"}) == GitHubRelease("always", ("native/*.so",))
    for table, words in (
        ({"when": "sometimes"}, '[tool.manta-release] github-release.when = "sometimes": expected one of: final, '
                                "always, never"),
        ({"assets": [1]}, "github-release.assets = [1]: expected a list of strings"),
        ({"assets": ["../x"]}, 'github-release.assets = "../x": expected a glob pattern relative to the project'),
        ({"notes": "all"}, 'github-release.notes = "all": expected one of: generated, changelog, none'),
        ({"notes": "none", "notes-file": "CHANGES.md"}, 'github-release.notes-file is set but github-release.notes'
                                                        ' = "none"'),
        ({"asset": []}, "unknown key github-release.asset (did you mean 'assets'?)"),
    ):
        with pytest.raises(ConfigError) as raised:
            parse(table)
        assert words in raised.value.message


def test_plan_output_for_the_workflow(tmp_path: Path) -> None:
    from hatch_manta_release.core.plan import plan_for
    from hatch_manta_release.github.release import github_outputs

    final = make_project(tmp_path / "f", "sample-pkg", tag="v1.0.0")
    rc = make_project(tmp_path / "r", "sample-pkg", tag="v1.0.0rc1")
    assert github_outputs(plan_for(final), GitHubRelease()) == {"github-release": "true"}
    assert github_outputs(plan_for(rc), GitHubRelease()) == {"github-release": "false"}
    assert github_outputs(plan_for(rc), GitHubRelease(when="always")) == {"github-release": "true"}
    assert github_outputs(plan_for(final), GitHubRelease(when="never")) == {"github-release": "false"}
    commit(final, "untagged")
    assert github_outputs(plan_for(final), GitHubRelease(when="always")) == {"github-release": "false"}


def test_latest_only_for_the_highest_final() -> None:
    tags = [Version(v) for v in ("1.4.5", "1.5.0", "1.6.0rc1")]
    assert is_latest("1.5.0", tags)
    assert is_latest("1.5.1", tags)
    assert not is_latest("1.4.6", tags)  # a fix on an old line
    assert not is_latest("1.6.0rc1", tags)  # pre-releases never


def test_changelog_section() -> None:
    text = "# Changelog\n\n## [1.5.0] - 2026-12-01\n\n- fast\n### Fixed\n- bug\n\n## 1.4.0\n- old\n"
    assert changelog_section(text, "1.5.0") == "- fast\n### Fixed\n- bug\n"
    assert changelog_section(text, "1.4.0") == "- old\n"
    assert changelog_section("## v2.0.0rc1\nbeta notes\n", "2.0.0rc1") == "beta notes\n"
    assert changelog_section("## 2.0.0-rc.1 (2026)\nbeta notes\n", "2.0.0rc1") == "beta notes\n"
    assert changelog_section("## Release release-7\nseven\n", "7", ["release-7"]) == "seven\n"
    assert changelog_section(text, "1.3.0") is None
    assert changelog_section("## 1.5.0.1\nx\n", "1.5.0") is None  # not a prefix match


def _asset(tmp_path: Path, name: str, data: bytes) -> LocalAsset:
    path = tmp_path / name
    path.write_bytes(data)
    return LocalAsset(name, path, hashlib.sha256(data).hexdigest(), len(data))


def test_reconcile(tmp_path: Path) -> None:
    same, other, new, broken = (_asset(tmp_path, n, n.encode()) for n in ("a.whl", "b.whl", "c.whl", "d.whl"))
    remote = [
        {"id": 1, "name": "a.whl", "state": "uploaded", "digest": f"sha256:{same.sha256}"},
        {"id": 2, "name": "b.whl", "state": "uploaded", "digest": "sha256:" + "0" * 64},
        {"id": 4, "name": "d.whl", "state": "open", "digest": None},
    ]
    steps = reconcile([same, other, new, broken], remote, draft=True)
    on_draft = {s.asset.name: (s.action, s.remote_id) for s in steps}
    assert on_draft == {"a.whl": ("keep", None), "b.whl": ("replace", 2), "c.whl": ("upload", None),
                        "d.whl": ("replace", 4)}
    published = {s.asset.name: s.action for s in reconcile([same, other, new], remote, draft=False)}
    assert published == {"a.whl": "keep", "b.whl": "conflict", "c.whl": "upload"}
    no_digest = reconcile([same], [{"id": 1, "name": "a.whl", "state": "uploaded"}], draft=False)
    assert no_digest[0].action == "keep" and "no digest" in no_digest[0].why


def test_errors_are_cause_and_fix() -> None:
    target = Target("https://api.github.com", REPO, "ghs_secret")
    reset = int(time.time()) + 600
    limited = ApiResponse(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                          b'{"message": "API rate limit exceeded"}')
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(reset))
    assert rate_limit_reset(limited) == f"until {when} UTC"
    assert f"until {when} UTC" in explain(limited, "upload x", target).message
    secondary = ApiResponse(429, {"retry-after": "60"}, b"{}")
    assert "60 seconds" in explain(secondary, "upload x", target).message
    forbidden = explain(ApiResponse(403, {}, b'{"message": "Resource not accessible by integration"}'), "x", target)
    assert "contents: write" in forbidden.message and "permissions: contents: write" in (forbidden.hint or "")
    invalid = explain(ApiResponse(422, {}, b'{"message": "Validation Failed", "errors": [{"resource": "Release", '
                                           b'"code": "invalid", "field": "tag_name"}]}'), "create", target)
    assert "Release tag_name invalid" in invalid.message and "git push origin" in (invalid.hint or "")


# ----------------------------------------------------------------------------- through the CLI


class Sample:
    def __init__(self, tmp_path: Path, tag: str, manta: str = "", *, standin: GitHubStandIn) -> None:
        self.root = make_project(tmp_path / "project", "sample-pkg", manta=manta, tag=tag)
        self.standin = standin
        standin.tags.add(tag)

    def dist(self, version: str, payload: bytes = b"") -> list[Path]:
        wheel = write_wheel(self.root / "dist", "sample-pkg", version, payload=payload)
        sdist = self.root / "dist" / f"sample_pkg-{version}.tar.gz"
        sdist.write_bytes(b"sdist of " + version.encode() + payload)
        return [wheel, sdist]

    def run(self, *args: str, rc: int = 0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MANTA_RELEASE_"))}
        base.update(self.standin.env(), NO_COLOR="1", COLUMNS="250")
        base.update(env or {})
        result = subprocess.run([sys.executable, "-m", "hatch_manta_release", "github-release", *args],
                                cwd=self.root, env=base, capture_output=True, text=True, timeout=120, check=False)
        assert self.standin.token not in result.stdout + result.stderr
        assert result.returncode == rc, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture
def standin():  # type: ignore[no-untyped-def]
    server = GitHubStandIn(REPO, "ghs_" + secrets.token_urlsafe(24)).start()
    yield server
    server.stop()


def _digests(release: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {a["name"]: a["digest"].removeprefix("sha256:") for a in release["assets"]}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_final_release_draft_upload_publish_then_rerun(tmp_path: Path, standin: GitHubStandIn) -> None:
    sample = Sample(tmp_path, "v1.5.0", 'github-release = {assets = ["native/*.bin"]}', standin=standin)
    (sample.root / "native").mkdir()
    (sample.root / "native" / "libsample-linux.bin").write_bytes(b"\x7fELF raw shared library")
    git(sample.root, "add", "-A")
    git(sample.root, "commit", "-q", "-m", "native")
    git(sample.root, "tag", "-f", "v1.5.0")
    files = [*sample.dist("1.5.0"), sample.root / "native" / "libsample-linux.bin"]

    first = sample.run()
    assert "GitHub Release v1.5.0: 3 uploaded, 0 kept (latest)" in first.stdout
    release = standin.release("v1.5.0")
    assert release is not None and not release["draft"] and release["latest"] and not release["prerelease"]
    assert release["body"].startswith("## What's Changed (generated")
    assert _digests(release) == {p.name: _sha(p) for p in files}
    writes = [(m, p.split("?")[0].rsplit("/", 1)[-1]) for m, p in standin.requests if m != "GET"]
    assert writes == [("POST", "releases"), ("POST", "assets"), ("POST", "assets"), ("POST", "assets"),
                      ("PATCH", str(release["id"]))]  # draft, every asset, then publish

    standin.requests.clear()
    again = sample.run()
    assert "0 uploaded, 3 kept" in again.stdout
    assert all(m == "GET" for m, _ in standin.requests)


def test_half_done_run_finishes(tmp_path: Path, standin: GitHubStandIn) -> None:
    sample = Sample(tmp_path, "v2.0.0", standin=standin)
    files = sample.dist("2.0.0")
    standin.drop_upload = 2  # the connection breaks during the second upload
    failed = sample.run(rc=1)
    assert "cannot reach GitHub's API" in failed.stderr and "re-run" in failed.stderr
    release = standin.release("v2.0.0")
    assert release is not None and release["draft"] and len(release["assets"]) == 1

    finished = sample.run()
    assert "found the draft release of v2.0.0" in finished.stderr
    assert "1 uploaded, 1 kept" in finished.stdout
    assert not release["draft"] and _digests(release) == {p.name: _sha(p) for p in files}
    assert len(standin.releases) == 1


def test_interrupted_asset_and_different_draft_asset_are_replaced(tmp_path: Path, standin: GitHubStandIn) -> None:
    sample = Sample(tmp_path, "v2.1.0", standin=standin)
    wheel, sdist = sample.dist("2.1.0")
    standin.add_release("v2.1.0", draft=True, assets={wheel.name: b"stale build", sdist.name: b"half"})
    standin.releases[0]["assets"][1].update(state="open", digest=None)
    result = sample.run()
    assert "2 uploaded, 0 kept" in result.stdout
    assert _digests(standin.releases[0]) == {wheel.name: _sha(wheel), sdist.name: _sha(sdist)}
    assert [m for m, _ in standin.requests].count("DELETE") == 2


def test_published_release_with_different_asset_is_an_error(tmp_path: Path, standin: GitHubStandIn) -> None:
    sample = Sample(tmp_path, "v3.0.0", standin=standin)
    wheel, _sdist = sample.dist("3.0.0")
    standin.add_release("v3.0.0", draft=False, assets={wheel.name: b"the published build"})
    result = sample.run(rc=1)
    assert f"error: the published release v3.0.0 already has {wheel.name} with different content" in result.stderr
    assert "nothing was changed" in result.stderr and "hint: never rebuild a published version" in result.stderr
    assert all(m == "GET" for m, _ in standin.requests)


def test_not_a_release_tag_is_an_error(tmp_path: Path, standin: GitHubStandIn) -> None:
    sample = Sample(tmp_path, "v5.0.0", standin=standin)
    commit(sample.root, "after the tag")
    result = sample.run(rc=1)
    assert "error: sample-pkg 5.0.1.dev1+g" in result.stderr and "gets no GitHub Release: not a clean commit" \
        in result.stderr
    assert "hint: github-release runs on a clean checkout of a release tag" in result.stderr
    assert standin.requests == []


def test_published_release_missing_an_asset(tmp_path: Path, standin: GitHubStandIn) -> None:
    sample = Sample(tmp_path, "v3.1.0", standin=standin)
    wheel, sdist = sample.dist("3.1.0")
    release = standin.add_release("v3.1.0", draft=False, assets={wheel.name: wheel.read_bytes()})
    release["immutable"] = True
    refused = sample.run(rc=1)
    assert f"error: the published release v3.1.0 is immutable and lacks {sdist.name}" in refused.stderr
    release["immutable"] = False  # a repository without immutable releases: the missing file is added
    added = sample.run()
    assert "1 uploaded, 1 kept" in added.stdout and len(release["assets"]) == 2


def test_prereleases_old_lines_and_notes(tmp_path: Path, standin: GitHubStandIn) -> None:
    sample = Sample(tmp_path, "v1.6.0-rc.1", standin=standin)
    sample.dist("1.6.0rc1")
    skipped = sample.run()
    assert 'no GitHub Release for the pre-release v1.6.0-rc.1: [tool.manta-release.github-release] when = "final"' \
        in skipped.stderr
    assert standin.requests == []

    pyproject = sample.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.manta-release.github-release]\nwhen = "always"\n'
                         'notes-file = "CHANGELOG.md"\n')
    (sample.root / "CHANGELOG.md").write_text("# Changes\n\n## 1.6.0rc1\n\nRelease candidate.\n\n## 1.5.0\nold\n")
    git(sample.root, "add", "-A")
    git(sample.root, "commit", "-q", "-m", "notes")
    git(sample.root, "tag", "-f", "v1.6.0-rc.1")
    sample.run()
    release = standin.release("v1.6.0-rc.1")
    assert release is not None and release["prerelease"] and not release["latest"]
    assert release["body"] == "Release candidate.\n"

    # a fix on an old line is released, not made "latest"
    git(sample.root, "tag", "v1.7.0", "HEAD~1")
    commit(sample.root, "fix")
    git(sample.root, "tag", "v1.6.1")
    standin.tags.add("v1.6.1")
    (sample.root / "CHANGELOG.md").write_text("## 1.6.1\nfix\n")
    git(sample.root, "commit", "-qam", "notes")
    git(sample.root, "tag", "-f", "v1.6.1")
    sample.dist("1.6.1")
    result = sample.run()
    assert "(latest)" not in result.stdout
    assert standin.release("v1.6.1")["latest"] is False  # type: ignore[index]

    (sample.root / "CHANGELOG.md").write_text("## 1.0.0\nnothing new\n")
    git(sample.root, "commit", "-qam", "no section")
    git(sample.root, "tag", "v1.6.2")
    standin.tags.add("v1.6.2")
    sample.dist("1.6.2")
    missing = sample.run(rc=1)
    assert "error: CHANGELOG.md has no section for 1.6.2" in missing.stderr
    assert "hint: add a heading such as `## 1.6.2`" in missing.stderr


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("token", "error: GitHub refused $GITHUB_TOKEN (401 Bad credentials)"),
        ("read-only", "lacks `contents: write`"),
        ("repository", "repository octo/elsewhere does not exist at"),
        ("tag", "GitHub refused to create a draft release of v4.0.0 in octo/sample (422 validation failed: "
                "Validation Failed (Release tag_name invalid))"),
        ("rate", "error: GitHub's API rate limit is exhausted until"),
        ("unset", "error: GITHUB_TOKEN is not set"),
        ("echo", "error: GitHub answered 502 (bad gateway for Bearer ***) trying to read the release of v4.0.0"),
    ],
)
def test_faults(tmp_path: Path, standin: GitHubStandIn, fault: str, words: str) -> None:
    sample = Sample(tmp_path, "v4.0.0", standin=standin)
    sample.dist("4.0.0")
    env: dict[str, str] = {}
    if fault == "token":
        env["GITHUB_TOKEN"] = "ghs_" + secrets.token_urlsafe(24)
    elif fault == "read-only":
        standin.read_only = True
    elif fault == "repository":
        env["GITHUB_REPOSITORY"] = "octo/elsewhere"
    elif fault == "tag":
        standin.tags.clear()
    elif fault == "rate":
        standin.rate_limited_until = int(time.time()) + 900
    elif fault == "unset":
        env["GITHUB_TOKEN"] = ""
    elif fault == "echo":
        standin.echo_auth = True
    result = sample.run(rc=1, env=env)
    assert words in result.stderr
    assert "hint: " in result.stderr and "Traceback" not in result.stderr
    if env.get("GITHUB_TOKEN"):
        assert env["GITHUB_TOKEN"] not in result.stderr


@pytest.mark.slow
def test_hatch_run_release_github_release(tmp_path: Path, standin: GitHubStandIn) -> None:
    """As a user runs it: a real build, then ``hatch run release:github-release`` in the sample project."""
    from tests.support.projects import hatch_env, run

    sample = Sample(tmp_path, "v0.9.0", standin=standin)
    env = hatch_env(tmp_path / "hatch", standin.env())
    run([sys.executable, "-m", "hatch", "run", "release:build"], cwd=sample.root, env=env, timeout=900)
    result = run([sys.executable, "-m", "hatch", "run", "release:github-release"], cwd=sample.root, env=env,
                 timeout=900)
    assert standin.token not in result.stdout + result.stderr
    assert "GitHub Release v0.9.0: 2 uploaded, 0 kept (latest)" in result.stdout
    release = standin.release("v0.9.0")
    assert release is not None and not release["draft"]
    built = sorted((sample.root / "dist").iterdir())
    assert _digests(release) == {p.name: _sha(p) for p in built}


def test_provenance_key() -> None:
    from hatch_manta_release.core.config import parse_config
    from hatch_manta_release.core.errors import ConfigError

    assert parse_config({}).github_release.provenance is False
    assert parse_config({"github-release": {"provenance": True}}).github_release.provenance is True
    with pytest.raises(ConfigError) as raised:
        parse_config({"github-release": {"provenance": "yes"}})
    assert raised.value.message == ('[tool.manta-release] github-release.provenance = "yes": expected true or false')
