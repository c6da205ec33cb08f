"""Guards on the one decision that can publish: only a clean commit on a release tag releases, and a
workflow run releases the tag that started it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hatch_manta_release.core.plan import plan_for
from tests.support.projects import commit, git, make_project


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MANTA_RELEASE_VERSION", "GITHUB_REF_TYPE", "GITHUB_REF_NAME", "GITHUB_ACTIONS", "GITHUB_EVENT_NAME"):
        monkeypatch.delenv(name, raising=False)


def test_forced_version_never_makes_a_dirty_untagged_tree_publishable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p", tag="v0.9.0")
    commit(project, "work in progress")
    (project / "README.md").write_text("dirty\n")
    monkeypatch.setenv("MANTA_RELEASE_VERSION", "1.0.0")
    plan = plan_for(project)
    assert plan.version == "1.0.0"  # builds are pinned to it ...
    assert plan.publish is False  # ... but nothing is released from it
    assert plan.reason.startswith("the version is forced by MANTA_RELEASE_VERSION=1.0.0, not read from a release tag")


def test_forced_version_on_a_tagged_commit_does_not_publish_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p", tag="v1.0.0")
    monkeypatch.setenv("MANTA_RELEASE_VERSION", "1.0.0")
    assert plan_for(project).publish is False
    monkeypatch.delenv("MANTA_RELEASE_VERSION")
    assert plan_for(project).publish is True


def test_run_started_by_a_tag_releases_that_tag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidate promoted: v1.0.0rc1 and v1.0.0 on one commit start two workflow runs."""
    project = make_project(tmp_path / "p", tag="v1.0.0rc1")
    git(project, "tag", "v1.0.0")
    assert (plan_for(project).version, plan_for(project).repository.name) == ("1.0.0", "pypi")  # locally: highest
    monkeypatch.setenv("GITHUB_REF_TYPE", "tag")
    monkeypatch.setenv("GITHUB_REF_NAME", "v1.0.0rc1")
    rc = plan_for(project)
    assert (rc.version, rc.tag, rc.repository.name, rc.publish) == ("1.0.0rc1", "v1.0.0rc1", "testpypi", True)
    monkeypatch.setenv("GITHUB_REF_NAME", "v1.0.0")
    final = plan_for(project)
    assert (final.version, final.tag, final.repository.name) == ("1.0.0", "v1.0.0", "pypi")
    # A ref that is not on HEAD (or not a release tag) does not pick anything else.
    monkeypatch.setenv("GITHUB_REF_NAME", "v0.1.0")
    assert plan_for(project).version == "1.0.0"


def test_a_branch_push_of_a_tagged_commit_leaves_the_publish_to_the_tag_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found: `git push origin main v1.0.0` started two runs and both planned to publish 1.0.0."""
    project = make_project(tmp_path / "p", tag="v1.0.0")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF_TYPE", "branch")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    branch = plan_for(project)
    assert (branch.version, branch.publish) == ("1.0.0", False)
    assert branch.reason == (
        "v1.0.0 is a final release, but this run was started by a push of branch main: "
        "the run of the tag's own push publishes it"
    )
    monkeypatch.setenv("GITHUB_REF_TYPE", "tag")
    monkeypatch.setenv("GITHUB_REF_NAME", "v1.0.0")
    assert plan_for(project).publish is True  # the tag's run
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_dispatch")
    monkeypatch.setenv("GITHUB_REF_TYPE", "branch")
    assert plan_for(project).publish is True  # started by hand: what the tag on HEAD says, as outside Actions


def test_plan_says_how_a_numeric_suffix_tag_is_read(tmp_path: Path) -> None:
    """Issue 11: `v1.0.0-1` goes to production as the post-release 1.0.0.post1; the plan says so."""
    project = make_project(tmp_path / "p", tag="v1.0.0-1")
    plan = plan_for(project)
    assert (plan.version, plan.channel, plan.repository.name, plan.publish) == ("1.0.0.post1", "final", "pypi", True)
    assert plan.reason.startswith("v1.0.0-1 is a final release; v1.0.0-1 is taken as the post-release 1.0.0.post1")
    assert 'numeric-suffix = "rc"' in plan.reason
