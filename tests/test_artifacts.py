"""Reading dist/: names, versions, tags, sizes, hashes; slicing the plan's platforms."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.platforms import KNOWN_PLATFORMS
from hatch_manta_release.dist.artifacts import Artifact, read_artifact, read_dist, read_metadata
from hatch_manta_release.dist.check import select_platforms
from tests.support.indexes import write_sdist, write_wheel

DEFAULT = tuple(KNOWN_PLATFORMS[n] for n in ("linux-x86_64", "macos-x86_64", "macos-arm64", "windows-amd64"))


def test_read_dist_fields_and_upload_order(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    sdist = write_sdist(dist, "My.Sample", "1.2.0rc1")
    wheel = write_wheel(dist, "My.Sample", "1.2.0rc1", "cp312-cp312-manylinux1_x86_64.manylinux_2_5_x86_64")
    pure = write_wheel(dist, "My.Sample", "1.2.0rc1")
    (dist / "notes.txt").write_text("not a distribution")
    (dist / ".DS_Store").write_bytes(b"\0")

    artifacts = read_dist(dist)

    assert [a.filename for a in artifacts] == [wheel.name, pure.name, sdist.name]  # wheels first, then the sdist
    first = artifacts[0]
    assert isinstance(first, Artifact)
    assert first.path == wheel
    assert first.kind == "wheel"
    assert first.project == "my-sample"
    assert first.version == "1.2.0rc1"
    assert first.size == wheel.stat().st_size
    assert first.sha256 == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert first.tags == ("cp312-cp312-manylinux1_x86_64", "cp312-cp312-manylinux_2_5_x86_64")
    assert first.platform_tags == ("manylinux1_x86_64", "manylinux_2_5_x86_64")
    assert not first.is_pure and artifacts[1].is_pure
    assert first.invalid is None
    last = artifacts[-1]
    assert (last.kind, last.version, last.tags) == ("sdist", "1.2.0rc1", ())


def test_versions_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "sample-1.0.0.RC1.tar.gz"
    write_sdist(tmp_path / "x", "sample", "1.0.0rc1").rename(path)
    assert read_artifact(path).version == "1.0.0rc1"


@pytest.mark.parametrize(
    "filename",
    [
        "sample-1.4.5.1-dev2-cp311-cp311-linux_x86_64.whl",  # the reference system's hyphenated version
        "sample-1.0-py3-none.whl",
        "sample.tar.gz",
    ],
)
def test_invalid_names_are_flagged_not_dropped(tmp_path: Path, filename: str) -> None:
    (tmp_path / filename).write_bytes(b"x")
    (artifact,) = read_dist(tmp_path)
    assert artifact.filename == filename
    assert artifact.invalid and "not a valid" in artifact.invalid
    assert artifact.version == ""


def test_zip_sdist_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "sample-1.0.zip").write_bytes(b"x")
    (artifact,) = read_dist(tmp_path)
    assert artifact.kind == "sdist"
    assert artifact.version == "1.0"
    assert artifact.invalid and ".tar.gz" in artifact.invalid


def test_missing_dist_dir_says_build_first(tmp_path: Path) -> None:
    with pytest.raises(MantaError) as info:
        read_dist(tmp_path / "dist")
    assert "no distribution folder" in info.value.message
    assert "manta-release build" in (info.value.hint or "")


def test_read_metadata_from_wheel_and_sdist(tmp_path: Path) -> None:
    wheel = read_artifact(write_wheel(tmp_path, "sample", "2.0"))
    sdist = read_artifact(write_sdist(tmp_path, "sample", "2.0"))
    for artifact in (wheel, sdist):
        meta = read_metadata(artifact)
        assert meta is not None
        assert (meta["Name"], meta["Version"]) == ("sample", "2.0")
    broken = tmp_path / "sample-2.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    assert read_metadata(read_artifact(broken)) is None


def test_select_platforms_by_os_name_and_arch() -> None:
    names = lambda ps: [p.name for p in ps]  # noqa: E731
    assert names(select_platforms(DEFAULT)) == [p.name for p in DEFAULT]
    assert names(select_platforms(DEFAULT, "macos")) == ["macos-x86_64", "macos-arm64"]
    assert names(select_platforms(DEFAULT, "macos-arm64")) == ["macos-arm64"]
    assert names(select_platforms(DEFAULT, "macos", "arm64")) == ["macos-arm64"]
    assert names(select_platforms(DEFAULT, "macos", "aarch64")) == ["macos-arm64"]  # same architecture
    assert names(select_platforms(DEFAULT, None, "amd64")) == ["linux-x86_64", "macos-x86_64", "windows-amd64"]
    assert names(select_platforms(DEFAULT, "windows", "x86_64")) == ["windows-amd64"]


def test_select_platforms_errors_name_what_is_configured() -> None:
    with pytest.raises(MantaError) as info:
        select_platforms(DEFAULT, "linux-aarch64")
    assert "not one of the configured platforms" in info.value.message
    assert "linux-x86_64, macos-x86_64, macos-arm64, windows-amd64" in (info.value.hint or "")
    assert "add it to platforms" in (info.value.hint or "")
    with pytest.raises(MantaError) as info:
        select_platforms(DEFAULT, "solaris")
    assert "not a platform name" in info.value.message
    with pytest.raises(MantaError) as info:
        select_platforms(DEFAULT, "linux", "arm64")
    assert "--platform linux --arch arm64 selects none" in info.value.message
