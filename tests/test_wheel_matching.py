"""Which wheel satisfies which expectation of the plan: matched on parsed wheel tags.

A wheel counts for (platform P, CPython X.Y) when one of its tags is ``cpXY-cpXY`` or a stable-ABI
``cpAB-abi3`` with A.B <= X.Y, on a platform tag of P. Free-threaded wheels (``cp313t``) never stand
in for the regular build.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from hatch_manta_release.core.config import parse_config
from hatch_manta_release.core.plan import ExpectedWheel, Plan, expected_wheels, sdist_filename
from hatch_manta_release.core.tags import channel_of
from hatch_manta_release.dist.artifacts import read_dist
from hatch_manta_release.dist.check import check_dist
from tests.support.indexes import write_sdist, write_wheel

ALL_PLATFORMS = (
    "linux-x86_64", "linux-aarch64", "musllinux-x86_64", "musllinux-aarch64",
    "macos-x86_64", "macos-arm64", "windows-amd64", "windows-arm64",
)
# One limited-API (abi3) wheel per platform, as cibuildwheel names them.
ABI3_TAGS = {
    "linux-x86_64": "cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "linux-aarch64": "cp39-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux-x86_64": "cp39-abi3-musllinux_1_2_x86_64",
    "musllinux-aarch64": "cp39-abi3-musllinux_1_2_aarch64",
    "macos-x86_64": "cp39-abi3-macosx_10_9_x86_64",
    "macos-arm64": "cp39-abi3-macosx_11_0_arm64",
    "windows-amd64": "cp39-abi3-win_amd64",
    "windows-arm64": "cp39-abi3-win_arm64",
}


def make_plan(platforms: tuple[str, ...] = ALL_PLATFORMS, python: str = ">=3.9,<3.15", *,
              pure: bool = False) -> Plan:
    config = parse_config({"platforms": list(platforms), "python": python}, project_name="cpkg")
    return Plan(
        project="cpkg",
        version="2.0.0",
        tag="v2.0.0",
        channel=channel_of(Version("2.0.0")),
        publish=True,
        reason="test",
        repository=config.repository("pypi"),
        pure_python=pure,
        dist_dir="dist",
        sdist=sdist_filename("cpkg", "2.0.0"),
        wheels=expected_wheels(config, pure),
        platforms=config.platforms,
        pythons=config.pythons,
    )


def expectation(plan: Plan, platform: str, python: str) -> ExpectedWheel:
    (wheel,) = [w for w in plan.wheels if w.platform == platform and w.python == python]
    return wheel


def satisfied(plan: Plan, filename: str) -> list[tuple[str | None, str | None]]:
    """(platform, Python) of every expectation ``filename`` satisfies."""
    return [(w.platform, w.python) for w in plan.wheels if w.matches(filename)]


def wheel_name(tag: str) -> str:
    return f"cpkg-2.0.0-{tag}.whl"


def check(tmp_path: Path, tags: list[str], plan: Plan | None = None, **kwargs):  # type: ignore[no-untyped-def]
    dist = tmp_path / "dist"
    write_sdist(dist, "cpkg", "2.0.0")
    for tag in tags:
        write_wheel(dist, "cpkg", "2.0.0", tag)
    return check_dist(plan or make_plan(), read_dist(dist), metadata=False, **kwargs)


def warnings(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{f.subject}: {f.message}" for f in report.warnings if f.subject]


# ----------------------------------------------------------------------------- abi3


def test_the_reported_abi3_wheel_satisfies_its_python_and_later() -> None:
    plan = make_plan(("linux-x86_64",), ">=3.11,<3.15")
    name = "cpkg-2.0.0-cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    assert satisfied(plan, name) == [("linux-x86_64", "3.12"), ("linux-x86_64", "3.13"), ("linux-x86_64", "3.14")]
    assert not expectation(plan, "linux-x86_64", "3.11").matches(name)  # cp312-abi3 needs CPython >= 3.12


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_one_abi3_wheel_per_platform_satisfies_every_python_from_its_own(platform: str) -> None:
    plan = make_plan()
    pythons = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
    assert plan.pythons[: len(pythons)] == pythons
    assert satisfied(plan, wheel_name(ABI3_TAGS[platform])) == [(platform, py) for py in plan.pythons]


def test_abi3_wheels_complete_the_release(tmp_path: Path) -> None:
    report = check(tmp_path, list(ABI3_TAGS.values()))
    assert report.ok, report.findings
    assert report.missing == []
    assert report.findings == []
    provides = report.expected[wheel_name(ABI3_TAGS["windows-amd64"])]
    assert provides.startswith("windows-amd64 CPython 3.9, 3.10, 3.11, 3.12, 3.13, 3.14")
    assert "cp39-win_amd64" in provides and "cp314-win_amd64" in provides


def test_abi3_wheel_newer_than_an_older_python_leaves_it_missing(tmp_path: Path) -> None:
    plan = make_plan(("linux-x86_64",), ">=3.11,<3.13")
    report = check(tmp_path, ["cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"], plan)
    assert report.missing == ["linux-x86_64 CPython 3.11 wheel (cp311-manylinux_x86_64)"]
    assert not report.ok
    # with the regular 3.11 wheel next to it, the release is complete
    complete = check(tmp_path, ["cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"], plan)
    assert complete.ok, complete.findings
    assert warnings(complete) == []


def test_abi3_wheel_for_no_configured_python_is_not_expected(tmp_path: Path) -> None:
    plan = make_plan(("linux-x86_64",), ">=3.11,<3.13")
    report = check(tmp_path, ["cp311-abi3-manylinux_2_17_x86_64", "cp313-abi3-manylinux_2_17_x86_64"], plan)
    assert report.ok, report.findings  # cp311-abi3 covers 3.11 and 3.12
    assert warnings(report) == [
        "cpkg-2.0.0-cp313-abi3-manylinux_2_17_x86_64.whl: not a wheel the plan expects (its platform or Python is "
        "not configured)"
    ]


def test_abi3_on_another_platform_does_not_count() -> None:
    plan = make_plan()
    assert satisfied(plan, wheel_name("cp39-abi3-win_amd64")) == [("windows-amd64", py) for py in plan.pythons]
    assert satisfied(plan, wheel_name("cp39-abi3-linux_x86_64")) == []  # not repaired: not manylinux


# ----------------------------------------------------------------------------- free-threaded


def test_free_threaded_wheel_is_not_the_regular_build() -> None:
    plan = make_plan()
    assert satisfied(plan, wheel_name("cp313-cp313t-manylinux_2_17_x86_64.manylinux2014_x86_64")) == []
    assert satisfied(plan, wheel_name("cp313-cp313t-win_amd64")) == []
    assert satisfied(plan, wheel_name("cp313-cp313-win_amd64")) == [("windows-amd64", "3.13")]


def test_free_threaded_wheel_alone_leaves_the_release_incomplete(tmp_path: Path) -> None:
    plan = make_plan(("linux-x86_64",), ">=3.12,<3.14")
    tags = ["cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
            "cp313-cp313t-manylinux_2_17_x86_64.manylinux2014_x86_64"]
    report = check(tmp_path, tags, plan)
    assert report.missing == ["linux-x86_64 CPython 3.13 wheel (cp313-manylinux_x86_64)"]
    assert not report.ok
    # next to the regular wheel it is fine: a warning, never an error
    report = check(tmp_path, [*tags, "cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64"], plan)
    assert report.ok, report.findings
    assert [w.split(": ", 1)[0] for w in warnings(report)] == [
        "cpkg-2.0.0-cp313-cp313t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    ]
    assert "not a wheel the plan expects" in warnings(report)[0]
    assert "free-threaded" in warnings(report)[0]


# ----------------------------------------------------------------------------- platforms


def test_manylinux_and_musllinux_are_separate_platforms() -> None:
    plan = make_plan(python=">=3.12,<3.13")
    assert satisfied(plan, wheel_name("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64")) == [
        ("linux-x86_64", "3.12")
    ]
    assert satisfied(plan, wheel_name("cp312-cp312-manylinux2014_aarch64")) == [("linux-aarch64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-manylinux1_x86_64")) == [("linux-x86_64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-musllinux_1_2_x86_64")) == [("musllinux-x86_64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-musllinux_1_1_aarch64")) == [("musllinux-aarch64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-manylinux_2_17_i686")) == []


def test_musllinux_wheels_do_not_complete_manylinux(tmp_path: Path) -> None:
    plan = make_plan(("linux-x86_64", "musllinux-x86_64"), ">=3.12,<3.13")
    report = check(tmp_path, ["cp312-cp312-musllinux_1_2_x86_64"], plan)
    assert report.missing == ["linux-x86_64 CPython 3.12 wheel (cp312-manylinux_x86_64)"]


def test_macos_universal2_counts_for_both_architectures(tmp_path: Path) -> None:
    plan = make_plan(("macos-x86_64", "macos-arm64"), ">=3.12,<3.14")
    name = wheel_name("cp312-cp312-macosx_10_13_universal2")
    assert satisfied(plan, name) == [("macos-x86_64", "3.12"), ("macos-arm64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-macosx_11_0_arm64")) == [("macos-arm64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-macosx_10_9_x86_64")) == [("macos-x86_64", "3.12")]
    assert satisfied(plan, wheel_name("cp39-abi3-macosx_10_9_universal2")) == [
        ("macos-x86_64", "3.12"), ("macos-x86_64", "3.13"), ("macos-arm64", "3.12"), ("macos-arm64", "3.13")
    ]
    report = check(tmp_path, ["cp312-cp312-macosx_10_13_universal2", "cp313-cp313-macosx_10_13_universal2"], plan)
    assert report.ok, report.findings
    assert report.expected[name] == (
        "macos-x86_64 CPython 3.12 wheel (cp312-macosx_x86_64); macos-arm64 CPython 3.12 wheel (cp312-macosx_arm64)"
    )


def test_windows_architectures() -> None:
    plan = make_plan(python=">=3.12,<3.13")
    assert satisfied(plan, wheel_name("cp312-cp312-win_amd64")) == [("windows-amd64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-win_arm64")) == [("windows-arm64", "3.12")]
    assert satisfied(plan, wheel_name("cp312-cp312-win32")) == []


def test_wrong_python_or_interpreter_does_not_count() -> None:
    plan = make_plan(python=">=3.12,<3.13")
    assert satisfied(plan, wheel_name("cp311-cp311-win_amd64")) == []
    assert satisfied(plan, wheel_name("cp312-cp312-win_amd64")) == [("windows-amd64", "3.12")]
    assert satisfied(plan, wheel_name("pp310-pypy310_pp73-win_amd64")) == []
    assert satisfied(plan, wheel_name("cp312-abi3-win_amd64")) == [("windows-amd64", "3.12")]
    assert satisfied(plan, wheel_name("cp313-abi3-win_amd64")) == []
    assert satisfied(plan, wheel_name("cp312-none-win_amd64")) == []  # an ABI-free tag is not the CPython build


def test_compressed_tag_sets_are_expanded() -> None:
    plan = make_plan(("linux-x86_64",), ">=3.11,<3.13")
    assert satisfied(plan, wheel_name("cp311.cp312-cp311.cp312-manylinux_2_17_x86_64")) == [
        ("linux-x86_64", "3.11"), ("linux-x86_64", "3.12")
    ]


def test_not_a_wheel_name_matches_nothing() -> None:
    plan = make_plan(("linux-x86_64",), ">=3.12,<3.13")
    (wheel,) = plan.wheels
    assert not wheel.matches("cpkg-2.0.0.tar.gz")
    assert not wheel.matches("cpkg-1.4.5.1-dev2-cp312-cp312-manylinux_2_17_x86_64.whl")
    assert wheel.matches_tags(["cp312-cp312-manylinux_2_17_x86_64"])


# ----------------------------------------------------------------------------- pure Python


def test_pure_expectation_is_the_py3_none_any_wheel(tmp_path: Path) -> None:
    plan = make_plan(pure=True)
    (wheel,) = plan.wheels
    assert wheel.matches("cpkg-2.0.0-py3-none-any.whl")
    assert wheel.matches("cpkg-2.0.0-py2.py3-none-any.whl")
    assert not wheel.matches("cpkg-2.0.0-cp312-abi3-win_amd64.whl")
    assert not wheel.matches("cpkg-2.0.0-py3-none-win_amd64.whl")
    report = check(tmp_path, ["py3-none-any"], plan)
    assert report.ok, report.findings
    assert report.expected["cpkg-2.0.0-py3-none-any.whl"] == "the py3-none-any wheel"
