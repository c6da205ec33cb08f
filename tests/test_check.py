"""`check_dist` and `manta-release check`: metadata, versions, wheel tags, completeness."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hatch_manta_release.core.config import parse_config
from hatch_manta_release.core.plan import Plan, expected_wheels, sdist_filename
from hatch_manta_release.core.tags import channel_of
from hatch_manta_release.dist.artifacts import read_dist
from hatch_manta_release.dist.check import CheckFailed, check_dist
from tests.support.indexes import write_sdist, write_wheel
from tests.support.projects import first_commit, hatch_env, make_project

LOCAL_INDEX = """
[repositories.local]
upload-url = "http://127.0.0.1:9/"
index-url = "http://127.0.0.1:9/simple/"
[routes]
final = "local"
prerelease = "local"
"""


def make_plan(version: str = "1.2.0", *, pure: bool = False, platforms: tuple[str, ...] = ("linux-x86_64",
              "macos-arm64", "windows-amd64"), python: str = ">=3.11,<3.13", repository: str = "pypi",
              tag: str | None = "v1.2.0") -> Plan:
    config = parse_config({"platforms": list(platforms), "python": python}, project_name="sample")
    if repository == "local":
        import tomllib

        config = parse_config(
            {"platforms": list(platforms), "python": python, **tomllib.loads(LOCAL_INDEX)}, project_name="sample"
        )
    from packaging.version import Version

    return Plan(
        project="sample",
        version=version,
        tag=tag,
        channel=channel_of(Version(version)),
        publish=tag is not None,
        reason="test",
        repository=config.repository(repository),
        pure_python=pure,
        dist_dir="dist",
        sdist=sdist_filename("sample", version),
        wheels=expected_wheels(config, pure),
        platforms=config.platforms,
        pythons=config.pythons,
    )


COMPLETE_TAGS = (
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-macosx_11_0_arm64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp311-cp311-win_amd64",
    "cp312-cp312-win_amd64",
)


def good_wheel(dist: Path, name: str, version: str, tag: str = "py3-none-any", *, meta_version: str | None = None,
               description: bool | str = True) -> Path:
    """A wheel whose metadata passes `twine check --strict` (a description and its content type)."""
    dist.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_").lower()
    info = f"{norm}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {meta_version or version}\n"
    if isinstance(description, str):  # the content type and body as given
        metadata += description
    elif description:
        metadata += "Description-Content-Type: text/markdown\n\n# Sample\n\nA sample.\n"
    py, abi, plat = tag.split("-")
    files = {
        f"{norm}/__init__.py": b"",
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: false\n"
            + "".join(f"Tag: {p}-{a}-{pl}\n" for p in py.split(".") for a in abi.split(".") for pl in plat.split("."))
        ).encode(),
    }
    record = io.StringIO()
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{path},sha256={digest},{len(data)}\n")
    record.write(f"{info}/RECORD,,\n")
    files[f"{info}/RECORD"] = record.getvalue().encode()
    path = dist / f"{norm}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, data in files.items():
            zf.writestr(arcname, data)
    return path


def good_sdist(dist: Path, name: str, version: str, *, only_pkg_info: bool = False) -> Path:
    import tarfile

    dist.mkdir(parents=True, exist_ok=True)
    base = f"{name.replace('-', '_').lower()}-{version}"
    path = dist / f"{base}.tar.gz"
    pkg_info = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nDescription-Content-Type: text/markdown\n\n"
        "# Sample\n"
    ).encode()
    members = {f"{base}/PKG-INFO": pkg_info}
    if not only_pkg_info:
        members[f"{base}/pyproject.toml"] = b'[project]\nname = "sample"\n'
    with tarfile.open(path, "w:gz") as tf:
        for arcname, data in members.items():
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def complete_dist(dist: Path, version: str = "1.2.0") -> Path:
    good_sdist(dist, "sample", version)
    for tag in COMPLETE_TAGS:
        good_wheel(dist, "sample", version, tag)
    return dist


def messages(report, level: str = "error", *, files_only: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{f.subject}: {f.message}" for f in report.findings
            if f.level == level and (f.subject or not files_only)]


# ----------------------------------------------------------------------------- check_dist


def test_complete_release_passes_with_twine(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    report = check_dist(make_plan(), read_dist(dist))
    assert report.ok, report.findings
    assert report.findings == []
    assert report.missing == []
    assert report.expected["sample-1.2.0.tar.gz"] == "the sdist"
    provides = report.expected["sample-1.2.0-cp312-cp312-win_amd64.whl"]
    assert provides == "windows-amd64 CPython 3.12 wheel (cp312-win_amd64)"
    report.raise_for_errors()  # does not raise


def test_complete_pure_release(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    good_sdist(dist, "sample", "1.2.0")
    good_wheel(dist, "sample", "1.2.0")
    report = check_dist(make_plan(pure=True), read_dist(dist))
    assert report.ok, report.findings
    assert report.expected["sample-1.2.0-py3-none-any.whl"] == "the py3-none-any wheel"


def test_missing_wheels_are_listed_and_fail(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    (dist / "sample-1.2.0-cp311-cp311-macosx_11_0_arm64.whl").unlink()
    (dist / "sample-1.2.0-cp311-cp311-win_amd64.whl").unlink()
    (dist / "sample-1.2.0-cp312-cp312-win_amd64.whl").unlink()
    report = check_dist(make_plan(), read_dist(dist), metadata=False)
    assert not report.ok
    assert report.missing == [
        "macos-arm64 CPython 3.11 wheel (cp311-macosx_arm64)",
        "windows-amd64 CPython 3.11 wheel (cp311-win_amd64)",
        "windows-amd64 CPython 3.12 wheel (cp312-win_amd64)",
    ]
    assert messages(report) == [
        "None: 3 artifacts of the release missing: macos-arm64 (CPython 3.11); windows-amd64 (every Python)"
    ]
    assert "--allow-missing" in (report.errors[0].hint or "")
    with pytest.raises(CheckFailed) as info:
        report.raise_for_errors()
    assert "3 artifacts of the release missing" in info.value.message

    allowed = check_dist(make_plan(), read_dist(dist), metadata=False, allow_missing=True)
    assert allowed.ok
    assert allowed.missing == report.missing
    assert len(allowed.warnings) == 1


def test_missing_sdist(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    (dist / "sample-1.2.0.tar.gz").unlink()
    report = check_dist(make_plan(), read_dist(dist), metadata=False)
    assert report.missing == ["the sdist sample-1.2.0.tar.gz"]


def test_slice_checks_only_its_platforms_and_not_the_sdist(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    for tag in COMPLETE_TAGS[:2]:
        good_wheel(dist, "sample", "1.2.0", tag)
    plan = make_plan()
    assert check_dist(plan, read_dist(dist), platforms=["linux-x86_64"], metadata=False).ok
    linux = [p for p in plan.platforms if p.os == "linux"]
    assert check_dist(plan, read_dist(dist), platforms=linux, metadata=False).ok
    macos = check_dist(plan, read_dist(dist), platforms=["macos-arm64"], metadata=False)
    assert macos.missing == ["macos-arm64 CPython 3.11 wheel (cp311-macosx_arm64)",
                             "macos-arm64 CPython 3.12 wheel (cp312-macosx_arm64)"]
    assert "of the slice macos-arm64 missing" in macos.errors[0].message
    whole = check_dist(plan, read_dist(dist), metadata=False)
    assert len(whole.missing) == 5  # 4 wheels and the sdist


def test_stale_file_of_another_version(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    good_wheel(dist, "sample", "1.1.0", COMPLETE_TAGS[0])
    report = check_dist(make_plan(), read_dist(dist), metadata=False)
    assert messages(report) == [
        "sample-1.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl: carries version 1.1.0, "
        "the plan says 1.2.0"
    ]
    assert "--clean" in (report.errors[0].hint or "")


def test_dev_build_on_a_final_tag(tmp_path: Path) -> None:
    """The reference system's drift: tags built from a checkout that was not on the tag."""
    dist = tmp_path / "dist"
    good_sdist(dist, "sample", "1.2.1.dev3")
    report = check_dist(make_plan(), read_dist(dist), metadata=False)
    assert "a development build (1.2.1.dev3) on final tag v1.2.0" in messages(report)[0]
    assert "shallow clone" in (report.errors[0].hint or "")
    assert report.missing[0] == "the sdist sample-1.2.0.tar.gz"  # a wrong version does not count


def test_local_version_rejected_by_pypi_but_not_by_a_private_index(tmp_path: Path) -> None:
    version = "1.2.1.dev2+gabc1234"
    dist = tmp_path / "dist"
    good_sdist(dist, "sample", version)
    pypi = check_dist(make_plan(version, tag=None), read_dist(dist), metadata=False)
    assert messages(pypi, files_only=True) == [
        "sample-1.2.1.dev2+gabc1234.tar.gz: local version 1.2.1.dev2+gabc1234 (+gabc1234): pypi rejects local versions"
    ]
    local = check_dist(make_plan(version, tag=None, repository="local"), read_dist(dist), metadata=False)
    assert messages(local, files_only=True) == []
    assert messages(local, "warning", files_only=True) == [
        "sample-1.2.1.dev2+gabc1234.tar.gz: local version 1.2.1.dev2+gabc1234 (+gabc1234)"
    ]


def test_linux_tag_rejected_by_pypi(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    (dist / f"sample-1.2.0-{COMPLETE_TAGS[0]}.whl").unlink()
    good_wheel(dist, "sample", "1.2.0", "cp311-cp311-linux_x86_64")
    report = check_dist(make_plan(), read_dist(dist), metadata=False)
    errors = messages(report)
    assert "sample-1.2.0-cp311-cp311-linux_x86_64.whl: wheel tag linux_x86_64: pypi rejects linux_* wheels" in errors
    assert "auditwheel" in (report.errors[0].hint or "")
    # and it does not stand in for the manylinux wheel the plan expects
    assert report.missing == ["linux-x86_64 CPython 3.11 wheel (cp311-manylinux_x86_64)"]
    local = check_dist(make_plan(repository="local"), read_dist(dist), metadata=False, allow_missing=True)
    assert local.ok
    assert any("not portable" in m for m in messages(local, "warning"))


def test_pure_wheel_in_a_compiled_project_is_an_error(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    good_wheel(dist, "sample", "1.2.0")
    report = check_dist(make_plan(), read_dist(dist), metadata=False)
    assert messages(report) == [
        "sample-1.2.0-py3-none-any.whl: a py3-none-any wheel, but the project has compiled parts: it would install "
        "on every platform without its native library"
    ]
    assert 'build_data["pure_python"] = False' in (report.errors[0].hint or "")


def test_unplanned_wheel_is_a_warning(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    good_wheel(dist, "sample", "1.2.0", "cp310-cp310-win_amd64")
    report = check_dist(make_plan(), read_dist(dist), metadata=False)
    assert report.ok
    assert messages(report, "warning") == [
        "sample-1.2.0-cp310-cp310-win_amd64.whl: not a wheel the plan expects (its platform or Python is not "
        "configured)"
    ]


def test_other_projects_and_invalid_names(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    good_wheel(dist, "other", "1.2.0")
    (dist / "sample-1.4.5.1-dev2-cp311-cp311-linux_x86_64.whl").write_bytes(b"x")
    report = check_dist(make_plan(), read_dist(dist))
    errors = messages(report)
    assert "other-1.2.0-py3-none-any.whl: belongs to project other, not sample" in errors
    invalid = [f for f in report.errors if f.subject == "sample-1.4.5.1-dev2-cp311-cp311-linux_x86_64.whl"]
    assert len(invalid) == 1 and "not a valid wheel file name" in invalid[0].message
    assert "hyphen" in (invalid[0].hint or "")


def test_metadata_must_agree_with_the_file_name(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    (dist / f"sample-1.2.0-{COMPLETE_TAGS[0]}.whl").unlink()
    good_wheel(dist, "sample", "1.2.0", COMPLETE_TAGS[0], meta_version="1.2.0.dev1")  # renamed after the build
    report = check_dist(make_plan(), read_dist(dist))
    assert messages(report) == [
        f"sample-1.2.0-{COMPLETE_TAGS[0]}.whl: metadata says version 1.2.0.dev1, the file name says 1.2.0"
    ]


BROKEN_RST = "Description-Content-Type: text/x-rst\n\nTitle\n===\n\n.. nonexistent-directive::\n\n`unclosed\n"


def test_twine_check_strict_failure_names_the_file(tmp_path: Path) -> None:
    """A description that will not render (PyPI refuses the upload) is an error."""
    dist = complete_dist(tmp_path / "dist")
    bad = f"sample-1.2.0-{COMPLETE_TAGS[5]}.whl"
    (dist / bad).unlink()
    good_wheel(dist, "sample", "1.2.0", COMPLETE_TAGS[5], description=BROKEN_RST)
    report = check_dist(make_plan(), read_dist(dist))
    assert [f.subject for f in report.errors] == [bad]
    assert "twine check --strict" in report.errors[0].message
    assert "long_description" in report.errors[0].message
    assert 'readme = "README.md"' in (report.errors[0].hint or "")


def test_a_project_without_a_readme_can_be_released(tmp_path: Path) -> None:
    """Issue 10: twine check --strict fails on "long_description missing", which every index accepts: a warning."""
    dist = complete_dist(tmp_path / "dist")
    bare = f"sample-1.2.0-{COMPLETE_TAGS[5]}.whl"
    (dist / bare).unlink()
    good_wheel(dist, "sample", "1.2.0", COMPLETE_TAGS[5], description=False)
    report = check_dist(make_plan(), read_dist(dist))
    assert report.errors == []
    warned = [f for f in report.warnings if f.subject == bare]
    assert len(warned) == 1 and "no long description" in warned[0].message
    assert 'readme = "README.md"' in (warned[0].hint or "")


def test_twine_unreadable_sdist_does_not_hide_the_other_files(tmp_path: Path) -> None:
    dist = complete_dist(tmp_path / "dist")
    good_sdist(dist, "sample", "1.2.0", only_pkg_info=True)  # twine: "No PKG-INFO in archive", and it stops
    bad = f"sample-1.2.0-{COMPLETE_TAGS[5]}.whl"  # sorts after the sdist in twine's run: checked by a second run
    (dist / bad).unlink()
    good_wheel(dist, "sample", "1.2.0", COMPLETE_TAGS[5], description=BROKEN_RST)
    artifacts = read_dist(dist)
    artifacts.sort(key=lambda a: a.kind != "sdist")  # the sdist first, so twine stops before the wheels
    report = check_dist(make_plan(), artifacts)
    assert sorted(f.subject for f in report.errors) == [bad, "sample-1.2.0.tar.gz"]
    sdist_error = next(f for f in report.errors if f.subject == "sample-1.2.0.tar.gz")
    assert "No PKG-INFO in archive" in sdist_error.message


def test_synthetic_dists_from_the_index_helpers_read_fine(tmp_path: Path) -> None:
    """The publisher's test helpers write dists without descriptions: only twine complains."""
    dist = tmp_path / "dist"
    write_sdist(dist, "sample", "1.2.0")
    write_wheel(dist, "sample", "1.2.0")
    report = check_dist(make_plan(pure=True), read_dist(dist), metadata=False)
    assert report.ok, report.findings


def test_empty_dist(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    report = check_dist(make_plan(), [], metadata=True)
    assert "no wheels or sdists in dist/" in messages(report)[0]


# ----------------------------------------------------------------------------- the command


def check_cli(project: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hatch_manta_release", "--root", str(project), "check", *args],
        capture_output=True, text=True, env=hatch_env(tmp), check=False, timeout=120,
    )


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(
        tmp_path_factory.mktemp("check") / "sample",
        compiled=True,
        manta='platforms = ["linux-x86_64", "windows-amd64"]\npython = ">=3.11,<3.13"',
        git_init=False,
    )
    first_commit(project, tag="v1.2.0")
    return project


def test_cli_check_complete_partial_and_sliced(tagged: Path, tmp_path: Path) -> None:
    dist = tagged / "dist"
    if dist.exists():
        for p in dist.iterdir():
            p.unlink()
    good_sdist(dist, "sample", "1.2.0")
    good_wheel(dist, "sample", "1.2.0", COMPLETE_TAGS[0])
    good_wheel(dist, "sample", "1.2.0", COMPLETE_TAGS[1])

    result = check_cli(tagged, tmp=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "2 artifacts of the release missing: windows-amd64 (every Python)" in result.stderr
    assert "error: dist is not ready to publish: 1 problem (above)" in " ".join(result.stderr.split())
    assert "sample-1.2.0.tar.gz" in result.stdout  # the table: name, size, sha256 prefix
    sha = hashlib.sha256((dist / "sample-1.2.0.tar.gz").read_bytes()).hexdigest()
    assert sha[:12] in result.stdout

    partial = check_cli(tagged, "--allow-missing", tmp=tmp_path)
    assert partial.returncode == 0, partial.stderr
    assert "ready for pypi (partial: missing artifacts allowed)" in partial.stderr

    sliced = check_cli(tagged, "--platform", "linux", tmp=tmp_path)
    assert sliced.returncode == 0, sliced.stderr
    assert "slice linux-x86_64" in sliced.stderr

    as_json = check_cli(tagged, "--json", "--platform", "windows-amd64", tmp=tmp_path)
    assert as_json.returncode == 1
    import json

    data = json.loads(as_json.stdout)
    assert data["ok"] is False
    assert data["platforms"] == ["windows-amd64"]
    assert data["missing"] == ["windows-amd64 CPython 3.11 wheel (cp311-win_amd64)",
                               "windows-amd64 CPython 3.12 wheel (cp312-win_amd64)"]
    assert {a["filename"]: a["sha256"] for a in data["artifacts"]}["sample-1.2.0.tar.gz"] == sha

    bad = check_cli(tagged, "--platform", "macos", tmp=tmp_path)
    assert bad.returncode == 1
    assert "selects none of the configured platforms" in bad.stderr


def test_hints_name_the_command_as_the_user_runs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found: a user who ran `hatch run release:check` was told to run `manta-release build --clean`.
    hatch sets HATCH_ENV_ACTIVE to the environment's name in `hatch run` (seen here with hatch itself)."""
    dist = complete_dist(tmp_path / "dist")
    good_wheel(dist, "sample", "1.1.0", COMPLETE_TAGS[0])
    monkeypatch.delenv("HATCH_ENV_ACTIVE", raising=False)
    outside = check_dist(make_plan(), read_dist(dist), metadata=False).errors[0].hint or ""
    monkeypatch.setenv("HATCH_ENV_ACTIVE", "release")
    inside = check_dist(make_plan(), read_dist(dist), metadata=False).errors[0].hint or ""
    monkeypatch.setenv("HATCH_ENV_ACTIVE", "default")  # another environment: the console script
    other = check_dist(make_plan(), read_dist(dist), metadata=False).errors[0].hint or ""
    assert "`manta-release build --clean`" in outside and "`manta-release build --clean`" in other
    assert "`hatch run release:build --clean`" in inside
