"""``reuse``: a pre-release takes its base release's wheels, re-versioned, when nothing that goes into
the wheels changed (``build/reuse.py``).

Real parts: real git histories, wheels built by hatchling (a pure one with this plugin's
version-file, a compiled one by the native builder: C library, auditwheel, manylinux tag), a real
pypiserver holding the base release, ``twine check --strict``, installs by exact file into fresh
venvs. The GitHub Release source runs against the loopback GitHub stand-in (GitHub cannot be reached).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hatch_manta_release.build.reuse import (
    RemoteWheel,
    ReuseSettings,
    decide_reuse,
    default_sources,
    github_wheels,
    reuse_for_build,
    reuse_wheels,
    reversion_wheel,
)
from hatch_manta_release.core.plan import make_plan
from hatch_manta_release.core.project import load_project
from tests.support.github_standin import GitHubStandIn
from tests.support.indexes import repository_toml, start_index
from tests.support.projects import commit, first_commit, git, hatch_env, make_project, run

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
THIS_PYTHON = f">={PY},<{sys.version_info.major}.{sys.version_info.minor + 1}"
VERSION_FILE = '[tool.hatch.build.hooks.manta-release]\nversion-file = "sample_pkg/_version.py"\n'
ON = ReuseSettings(True)


def with_readme(project: Path) -> Path:
    """twine check --strict wants a long description."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('requires-python = ">=3.9"\n',
                                                       'requires-python = ">=3.9"\nreadme = "README.md"\n', 1))
    return project


def pure_project(path: Path, manta: str = "") -> Path:
    project = make_project(path, "sample-pkg", manta=manta, extra_pyproject=VERSION_FILE, git_init=False)
    with_readme(project)
    with (project / ".gitignore").open("a") as f:
        f.write("sample_pkg/_version.py\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_sample.py").write_text("def test(): pass\n")
    first_commit(project, tag="v1.5.0")
    return project


def hatchling_wheel(project: Path, out: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTA_RELEASE_")}
    run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)], cwd=project, env=env)
    (wheel,) = out.glob("*.whl")
    return wheel


def members(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def prerelease(project: Path, tag: str, path: str = "tests/test_sample.py") -> None:
    (project / path).parent.mkdir(parents=True, exist_ok=True)
    commit(project, "later", filename=path)
    git(project, "tag", tag)


def decision_for(project: Path, settings: ReuseSettings = ON):  # type: ignore[no-untyped-def]
    loaded = load_project(project)
    plan = make_plan(loaded)
    return loaded, plan, decide_reuse(loaded, plan, settings)


def twine_check(path: Path) -> None:
    result = run([sys.executable, "-m", "twine", "check", "--strict", str(path)], cwd=path.parent, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def install_and_run(wheel: Path, venv: Path, code: str) -> str:
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "--isolated", "--no-index", "--no-deps", str(wheel)], cwd=venv)
    return run([str(python), "-c", code], cwd=venv).stdout.strip()


# ----------------------------------------------------------------------------- the decision


def test_what_counts_for_a_pure_project(tmp_path: Path) -> None:
    project = pure_project(tmp_path / "p")
    prerelease(project, "v1.5.1-rc.1")  # tests/ is not in the wheel
    _, plan, decision = decision_for(project)
    assert plan.version == "1.5.1rc1" and decision.reuse and decision.base_tag == "v1.5.0"
    assert decision.reason == ("nothing that goes into the wheels changed since v1.5.0: its wheels are "
                               "re-versioned to 1.5.1rc1")
    assert not decision_for(project, ReuseSettings(False))[2].reuse

    prerelease(project, "v1.5.1-rc.2", "sample_pkg/extra.py")  # Python code: the stale-code case
    _, _, decision = decision_for(project)
    assert not decision.reuse and decision.changed == ("sample_pkg/extra.py",)
    assert decision.reason == ("1 file(s) that go into the wheels changed since v1.5.0 (sample_pkg/extra.py): "
                               "building")

    git(project, "rm", "-q", "sample_pkg/extra.py")  # removed again: what counts is the diff to the base
    git(project, "commit", "-qm", "drop")
    git(project, "tag", "v1.5.1-rc.3")
    assert decision_for(project)[2].reuse

    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a comment\n")
    git(project, "commit", "-qam", "metadata")
    git(project, "tag", "v1.5.1-rc.4")
    assert decision_for(project)[2].changed == ("pyproject.toml",)


def test_no_base_release_and_final_tags(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", "sample-pkg", tag="v0.1.0-rc.1")
    _, _, decision = decision_for(project)
    assert not decision.reuse and decision.reason == "no final release below 0.1.0rc1 to reuse: building"
    final = make_project(tmp_path / "f", "sample-pkg", tag="v0.1.0")
    assert decision_for(final)[2].reason == "reuse applies to pre-release tags only: building"


def test_compiled_project_counts_every_path_but_the_ignored(tmp_path: Path) -> None:
    project = make_project(tmp_path / "c", "sample", compiled=True, tag="v2.0.0")
    prerelease(project, "v2.0.1-rc.1", "docs/index.md")
    decision = decision_for(project)[2]
    assert not decision.reuse and decision.changed == ("docs/index.md",)  # a build hook may read anything
    assert decision_for(project, ReuseSettings(True, ("docs/*",)))[2].reuse
    prerelease(project, "v2.0.1-rc.2", "native/adder.c")
    decision = decision_for(project, ReuseSettings(True, ("docs/*",)))[2]
    assert not decision.reuse and decision.changed == ("native/adder.c",)


# ----------------------------------------------------------------------------- re-versioning, for real


@pytest.mark.slow
def test_pure_wheel_from_the_index_reversioned(tmp_path: Path) -> None:
    index = start_index(tmp_path, "pypi")
    try:
        project = pure_project(tmp_path / "p", "reuse = true\n" + repository_toml("pypi", index, "PYPI_API_TOKEN"))
        base = hatchling_wheel(project, tmp_path / "base")
        shutil.copy(base, index.packages / base.name)  # the published base release
        prerelease(project, "v1.5.1-rc.1")
        loaded = load_project(project)
        result = reuse_for_build(loaded, make_plan(loaded), project / "dist", environ={}, work=tmp_path / "work")
        assert result.ok, result.reason
        assert result.reason == f"reused 1 wheel(s) of v1.5.0 from pypi ({index.simple_url})"
        (wheel,) = result.produced
        assert wheel.name == "sample_pkg-1.5.1rc1-py3-none-any.whl"
        twine_check(wheel)

        # every member but the rewritten ones is the base's, byte for byte
        old, new = members(base), members(wheel)
        renamed = {k.replace("sample_pkg-1.5.0.dist-info/", "sample_pkg-1.5.1rc1.dist-info/"): v
                   for k, v in old.items()}
        assert list(renamed) == list(new)
        rewritten = {k for k in new if new[k] != renamed[k]}
        assert rewritten == {"sample_pkg/_version.py", "sample_pkg-1.5.1rc1.dist-info/METADATA",
                             "sample_pkg-1.5.1rc1.dist-info/RECORD"}
        # and the rewritten ones are what hatchling itself writes for 1.5.1rc1
        fresh = members(hatchling_wheel(project, tmp_path / "fresh"))
        assert {k: new[k] for k in rewritten} == {k: fresh[k] for k in rewritten}

        out = install_and_run(wheel, tmp_path / "venv", "import importlib.metadata as m, sample_pkg; "
                              "from sample_pkg._version import __version__, __version_tuple__; "
                              "print(m.version('sample-pkg'), __version__, __version_tuple__, sample_pkg.hello())")
        assert out == "1.5.1rc1 1.5.1rc1 (1, 5, 1, 'rc1') hello"
    finally:
        index.stop()


@pytest.mark.slow
def test_compiled_manylinux_wheel_from_a_github_release(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the native builder repairs with auditwheel on Linux")
    add_test = json.dumps('python -c "import sample; assert sample.add(2, 3) == 5"')
    manta = f'platforms = ["linux-x86_64"]\npython = "{THIS_PYTHON}"\ntest-command = {add_test}\n'

    project = with_readme(make_project(tmp_path / "c", "sample", compiled=True, manta=manta, git_init=False))
    first_commit(project, tag="v2.0.0")
    built = run([sys.executable, "-m", "hatch_manta_release", "build", "--builder", "native", "--no-sdist",
                 "--dist-dir", str(tmp_path / "base")], cwd=project, env=hatch_env(tmp_path / "h"), check=False)
    assert built.returncode == 0, built.stderr
    (base,) = (tmp_path / "base").glob("*.whl")
    assert "manylinux" in base.name

    standin = GitHubStandIn("octo/sample", "ghs_reuse_test_token").start()
    try:
        standin.add_release("v2.0.0", draft=False, assets={base.name: base.read_bytes()})
        prerelease(project, "v2.0.1-rc.1", "docs/index.md")
        loaded, plan, decision = decision_for(project, ReuseSettings(True, ("docs/*",)))
        assert decision.reuse, decision.reason
        env = standin.env()
        result = reuse_wheels(loaded, plan, decision, tmp_path / "dist", work=tmp_path / "work",
                              sources=default_sources(loaded, plan, decision, env)[:1])
        assert result.ok, result.reason
        assert ("GET", f"/repos/octo/sample/releases/assets/{standin.releases[0]['assets'][0]['id']}") \
            in standin.requests  # through the API, then the storage URL without the token
    finally:
        standin.stop()
    (wheel,) = result.produced
    assert wheel.name == base.name.replace("-2.0.0-", "-2.0.1rc1-")
    twine_check(wheel)
    old, new = members(base), members(wheel)
    lib = next(k for k in old if k.endswith("libadder.so"))
    assert new[lib] == old[lib]
    out = install_and_run(wheel, tmp_path / "venv", "import importlib.metadata as m, sample; "
                          "print(m.version('sample'), sample.add(2, 3))")
    assert out == "2.0.1rc1 5"


# ----------------------------------------------------------------------------- fallbacks


def test_missing_wheel_and_bad_hash_fall_back(tmp_path: Path) -> None:
    project = pure_project(tmp_path / "p")
    base = hatchling_wheel(project, tmp_path / "base")
    prerelease(project, "v1.5.1-rc.1")
    loaded, plan, decision = decision_for(project)
    good = RemoteWheel(base.name, "http://127.0.0.1:9/x.whl", hashlib.sha256(base.read_bytes()).hexdigest())

    def nothing() -> list[RemoteWheel]:
        return []

    def one() -> list[RemoteWheel]:
        return [good]

    missing = reuse_wheels(loaded, plan, decision, tmp_path / "dist", sources=[("the index", nothing)],
                           work=tmp_path / "w")
    assert not missing.ok
    assert missing.reason == ("cannot reuse v1.5.0's wheels (the index: the base release has no wheel for "
                              "py3-none-any): building")
    tampered = reuse_wheels(loaded, plan, decision, tmp_path / "dist", sources=[("the index", one)],
                            fetch=lambda _w: base.read_bytes() + b"x", work=tmp_path / "w")
    assert "does not match its published sha256" in tampered.reason and not tampered.ok
    unreachable = reuse_wheels(loaded, plan, decision, tmp_path / "dist", sources=[("the index", one)],
                               work=tmp_path / "w")
    assert "cannot download" in unreachable.reason
    fine = reuse_wheels(loaded, plan, decision, tmp_path / "dist", sources=[("a", nothing), ("b", one)],
                        fetch=lambda _w: base.read_bytes(), work=tmp_path / "w")
    assert fine.ok and fine.reason == "reused 1 wheel(s) of v1.5.0 from b"
    assert not (tmp_path / "dist" / base.name).exists()


def test_github_wheels_lists_the_release_assets(tmp_path: Path) -> None:
    standin = GitHubStandIn("octo/sample", "ghs_listing_token").start()
    try:
        standin.add_release("v1.0.0", draft=False, assets={"x-1.0.0-py3-none-any.whl": b"w", "x-1.0.0.tar.gz": b"s"})
        (wheel,) = github_wheels(standin.env(), "v1.0.0")
        assert wheel.sha256 == hashlib.sha256(b"w").hexdigest()
        assert wheel.getter is not None and wheel.getter() == b"w"
        assert github_wheels(standin.env(), "v9.9.9") == []
    finally:
        standin.stop()


def test_reversion_renames_data_and_drops_signatures(tmp_path: Path) -> None:
    source = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(source, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.writestr("pkg-1.0.data/scripts/tool", "#!python\n")
        metadata = "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\nVersion: 1.0 in the body\n"
        zf.writestr("pkg-1.0.dist-info/METADATA", metadata)
        zf.writestr("pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        zf.writestr("pkg-1.0.dist-info/RECORD.jws", "{}")
        zf.writestr("pkg-1.0.dist-info/RECORD", "")
    (tmp_path / "out").mkdir()
    result = reversion_wheel(source, "1.1.dev1", tmp_path / "out")
    assert result.path.name == "pkg-1.1.dev1-py3-none-any.whl"
    got = members(result.path)
    assert list(got) == ["pkg/__init__.py", "pkg-1.1.dev1.data/scripts/tool", "pkg-1.1.dev1.dist-info/METADATA",
                         "pkg-1.1.dev1.dist-info/WHEEL", "pkg-1.1.dev1.dist-info/RECORD"]
    assert got["pkg-1.1.dev1.dist-info/METADATA"].endswith(b"Version: 1.1.dev1\n\nVersion: 1.0 in the body\n")
    assert result.dropped == ["pkg-1.0.dist-info/RECORD.jws"]
    record = got["pkg-1.1.dev1.dist-info/RECORD"].decode().splitlines()
    assert record[-1] == "pkg-1.1.dev1.dist-info/RECORD,,"
    assert record[0].startswith("pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0")


def test_reuse_keys_in_the_config() -> None:
    from hatch_manta_release.core.config import parse_config
    from hatch_manta_release.core.errors import ConfigError

    config = parse_config({"reuse": True, "reuse-ignore": ["docs/*", "tests/**"]})
    assert (config.reuse, config.reuse_ignore) == (True, ("docs/*", "tests/**"))
    assert (parse_config({}).reuse, parse_config({}).reuse_ignore) == (False, ())
    with pytest.raises(ConfigError) as raised:
        parse_config({"reuse": "yes"})
    assert raised.value.message == '[tool.manta-release] reuse = "yes": expected true or false'
    with pytest.raises(ConfigError) as raised:
        parse_config({"reuse-ignore": ["/abs"]})
    assert "reuse-ignore = \"/abs\": expected a glob pattern relative to the project's root" in raised.value.message


# ----------------------------------------------------------------------------- through `manta-release build`


def build_cli(project: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hatch_manta_release", "--root", str(project), "build", *args],
                          capture_output=True, text=True, env=hatch_env(tmp), check=False, timeout=600)


@pytest.mark.slow
def test_build_reversions_instead_of_building_and_falls_back_on_a_changed_file(tmp_path: Path) -> None:
    index = start_index(tmp_path, "pypi")
    try:
        test_command = json.dumps("python -c \"import sample_pkg; assert sample_pkg.hello() == 'hello'\"")
        project = pure_project(tmp_path / "p", f"reuse = true\ntest-command = {test_command}\n"
                                               + repository_toml("pypi", index, "PYPI_API_TOKEN"))
        base = build_cli(project, "--no-sdist", "--dist-dir", str(tmp_path / "base"), tmp=tmp_path)
        assert base.returncode == 0, base.stdout + base.stderr
        assert "reuse applies to pre-release tags only: building" in base.stderr
        (base_wheel,) = (tmp_path / "base").glob("*.whl")
        shutil.copy(base_wheel, index.packages / base_wheel.name)  # the published v1.5.0

        prerelease(project, "v1.5.1-rc.1")  # tests/ only: nothing that goes into the wheel
        result = build_cli(project, tmp=tmp_path)
        out = result.stdout + result.stderr
        assert result.returncode == 0, out
        assert f"reused 1 wheel(s) of v1.5.0 from pypi ({index.simple_url})" in out
        assert "re-versioned sample_pkg-1.5.0-py3-none-any.whl -> sample_pkg-1.5.1rc1-py3-none-any.whl" in out
        assert "tests passed against the installed sample_pkg-1.5.1rc1-py3-none-any.whl" in out
        assert "Building the wheel" not in out  # no wheel build ran
        dist = project / "dist"
        assert sorted(p.name for p in dist.iterdir()) == ["sample_pkg-1.5.1rc1-py3-none-any.whl",
                                                           "sample_pkg-1.5.1rc1.tar.gz"]
        old, new = members(base_wheel), members(dist / "sample_pkg-1.5.1rc1-py3-none-any.whl")
        assert old["sample_pkg/__init__.py"] == new["sample_pkg/__init__.py"]
        check = subprocess.run([sys.executable, "-m", "hatch_manta_release", "--root", str(project), "check"],
                               capture_output=True, text=True, env=hatch_env(tmp_path), check=False)
        assert check.returncode == 0, check.stdout + check.stderr

        prerelease(project, "v1.5.1-rc.2", "sample_pkg/extra.py")  # Python code changed: build it
        result = build_cli(project, "--clean", "--no-sdist", tmp=tmp_path)
        out = result.stdout + result.stderr
        assert result.returncode == 0, out
        assert "1 file(s) that go into the wheels changed since v1.5.0 (sample_pkg/extra.py): building" in out
        assert "reused" not in out
        (wheel,) = dist.glob("*.whl")
        assert wheel.name == "sample_pkg-1.5.1rc2-py3-none-any.whl" and "sample_pkg/extra.py" in members(wheel)
    finally:
        index.stop()
