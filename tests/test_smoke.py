from pathlib import Path

from tests.support.projects import commit, hatchling_version, make_project


def test_version_source_reads_tag(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", tag="v0.2.0-beta.1")
    assert hatchling_version(project).stdout.strip() == "0.2.0b1"
    sha = commit(project)
    assert hatchling_version(project).stdout.strip() == f"0.2.0b2.dev1+g{sha}"
