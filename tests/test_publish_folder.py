"""Publishing to a folder index (``path = "…"``, a ``file://`` upload-url, the built-in ``local``).

Real parts: a real git project, real hatchling builds, ``manta-release publish`` as a child process,
``pip install --isolated --index-url file:///…/simple/`` and ``uv pip install`` from the folder, and
the publisher's own index reader (the one it uses for index servers) reading the folder back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hatch_manta_release.core.config import parse_config
from hatch_manta_release.core.errors import ConfigError
from hatch_manta_release.publish.http import read_folder
from hatch_manta_release.publish.index import ACCEPT, _from_html, existing_files
from tests.support.indexes import write_wheel
from tests.support.projects import commit, make_project
from tests.support.publish import build, clean_env, publish_at

NAME = "sample-pkg"
MIRROR = """
[tool.manta-release.repositories.mirror]
path = "mirror-index"

[tool.manta-release.routes]
final = "mirror"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", NAME, manta=MIRROR, tag="v2.0.0")


def _index_url(project: Path, folder: str = "mirror-index") -> str:
    return (project / folder).resolve().as_uri() + "/simple/"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pip_install(index_url: str, requirement: str, target: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pip", "install", "--isolated", "--no-deps", "--no-cache-dir",
           "--disable-pip-version-check", "--index-url", index_url, "--target", str(target), requirement]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=clean_env(), check=False)


# ----------------------------------------------------------------------------- publish, re-run, conflict


def test_publish_writes_a_static_simple_index_that_pip_installs(project: Path, tmp_path: Path) -> None:
    built = build(project)
    wheel, sdist = built[0], built[1]
    first = publish_at(project)
    assert f"published {NAME} 2.0.0 to mirror ({(project / 'mirror-index').resolve().as_uri()}/)" in first.stdout
    assert first.stdout.count("  uploaded ") == 2
    assert "credentials: none needed: mirror is a folder" in first.stderr
    index = project / "mirror-index"
    # PEP 503 HTML with #sha256= and data-requires-python, PEP 691 JSON beside it, PEP 658 metadata
    page = (index / "simple" / NAME / "index.html").read_text()
    for name in built:
        assert f"#sha256={_sha(project / 'dist' / name)}" in page
    assert 'data-requires-python="&gt;=3.9"' in page
    metadata = index / "files" / f"{wheel}.metadata"
    assert f'data-core-metadata="sha256={_sha(metadata)}"' in page
    assert metadata.read_bytes().startswith(b"Metadata-Version:")
    document = json.loads((index / "simple" / NAME / "index.json").read_text())
    assert document["meta"]["api-version"] == "1.1" and document["versions"] == ["2.0.0"]
    assert [f["filename"] for f in document["files"]] == [wheel, sdist]  # the wheel listed first
    assert document["files"][0]["requires-python"] == ">=3.9"
    assert NAME in (index / "simple" / "index.html").read_text()
    assert json.loads((index / "simple" / "index.json").read_text())["projects"] == [{"name": NAME}]
    assert not list(index.rglob("*.tmp"))
    # the install command names the folder; pip installs from it with nothing else to fall back on
    assert f"install: pip install --index-url {_index_url(project)}" in first.stdout
    installed = _pip_install(_index_url(project), f"{NAME}==2.0.0", tmp_path / "site")
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "site" / "sample_pkg" / "__init__.py").exists()

    again = publish_at(project)
    assert "2 skipped" in again.stdout and again.stdout.count("identical file already on mirror") == 2
    assert "nothing to upload" in again.stderr


def test_the_same_reader_reads_the_folder_json_and_html(project: Path) -> None:
    built = build(project)
    publish_at(project)
    url = _index_url(project)
    listing = existing_files(url, "Sample_Pkg")  # PEP 691 JSON, as from devpi or PyPI
    assert {name: f.sha256 for name, f in listing.items()} == {n: _sha(project / "dist" / n) for n in built}
    assert listing[built[0]].url == (project / "mirror-index" / "files" / built[0]).resolve().as_uri()
    html = read_folder(url + f"{NAME}/", "text/html")  # what pip reads: the HTML page
    assert html.content_type == "text/html"
    assert {n: f.sha256 for n, f in _from_html(html).items()} == {n: f.sha256 for n, f in listing.items()}
    assert read_folder(url + f"{NAME}/", ACCEPT).content_type == "application/vnd.pypi.simple.v1+json"
    assert existing_files(url, "not-published") == {}
    assert read_folder(url + "not-published/").status == 404


def test_a_different_file_under_a_published_name_is_refused(project: Path) -> None:
    built = build(project)
    dist = project / "dist"
    hidden = (dist / built[1]).rename(dist / "sdist.hidden")
    publish_at(project, "--allow-missing")
    index = project / "mirror-index"
    page_before = (index / "simple" / NAME / "index.json").read_bytes()
    wheel_before = (index / "files" / built[0]).read_bytes()

    hidden.rename(dist / built[1])
    write_wheel(dist, NAME, "2.0.0", payload=b"# rebuilt differently\n")
    result = publish_at(project, rc=1)
    assert f"mirror already has {built[0]} with different content: nothing was uploaded" in result.stderr
    assert "2.0.0.post1" in result.stderr and "CONFLICT" in result.stdout
    assert (index / "simple" / NAME / "index.json").read_bytes() == page_before  # the sdist was not added
    assert (index / "files" / built[0]).read_bytes() == wheel_before
    assert not (index / "files" / built[1]).exists()


# ----------------------------------------------------------------------------- a crash mid-write


def _publish_in_process(project: Path):  # type: ignore[no-untyped-def]
    from hatch_manta_release.core.project import load_project
    from hatch_manta_release.publish import PublishOptions, publish

    return publish(load_project(project), PublishOptions(), environ=clean_env())


@pytest.mark.parametrize("dies_on", ["page", "file"])
def test_a_crash_mid_write_leaves_the_previous_index_whole(project: Path, monkeypatch, dies_on: str) -> None:
    from hatch_manta_release.publish import PublishError

    built = build(project)
    wheel, sdist = built
    dist = project / "dist"
    hidden = (dist / sdist).rename(dist / "sdist.hidden")
    publish_at(project, "--allow-missing")
    hidden.rename(dist / sdist)
    index = project / "mirror-index"
    pages = {p: p.read_bytes() for p in (index / "simple").rglob("index.*")}

    real_replace = Path.replace

    def dying_replace(self: Path, target):  # type: ignore[no-untyped-def]
        target = Path(target)
        hit = target.name == "index.html" and target.parent.name == NAME if dies_on == "page" else target.name == sdist
        if hit:
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", dying_replace)
    with pytest.raises(PublishError) as caught:
        _publish_in_process(project)
    assert f"cannot write {sdist} into {index}: No space left on device" in caught.value.message
    assert f"1 of 2 files are on mirror ({wheel}); not there: {sdist}" in caught.value.message
    assert "re-run publish" in (caught.value.hint or "")
    # the previous index, whole: every page as it was, no temporary file left, the reader sees the wheel only
    assert {p: p.read_bytes() for p in (index / "simple").rglob("index.*")} == pages
    assert not list(index.rglob("*.tmp"))
    assert set(existing_files(_index_url(project), NAME)) == {wheel}

    monkeypatch.setattr(Path, "replace", real_replace)
    rerun = publish_at(project)
    assert "1 skipped" in rerun.stdout and "1 uploaded" in rerun.stdout
    assert set(existing_files(_index_url(project), NAME)) == {wheel, sdist}


# ----------------------------------------------------------------------------- file:// and uv


def test_a_file_url_repository_and_uv_installs_from_it(tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    folder = tmp_path / "static index"  # a space: the URL is quoted, the folder is not
    manta = f"""
[tool.manta-release.repositories.pypi]
upload-url = "{folder.as_uri()}"
"""
    project = make_project(tmp_path / "project", NAME, manta=manta, tag="v3.0.0")
    build(project)
    result = publish_at(project)
    assert f"published {NAME} 3.0.0 to pypi ({folder.as_uri()}/)" in result.stdout
    assert (folder / "simple" / NAME / "index.html").exists()
    index_url = folder.as_uri() + "/simple/"
    env = {k: v for k, v in clean_env().items() if not k.startswith("UV_")}
    cmd = [uv, "pip", "install", "--no-config", "--no-cache", "--index-url", index_url,
           "--target", str(tmp_path / "uv-site"), f"{NAME}==3.0.0"]
    installed = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "uv-site" / "sample_pkg" / "__init__.py").exists()


# ----------------------------------------------------------------------------- the built-in local repository


def test_local_takes_an_untagged_checkout(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", NAME, tag="v1.0.0")
    commit(project, "after the tag")  # HEAD is not on a tag: a development version
    built = build(project)
    version = built[0].split("-")[1]
    assert ".dev1+g" in version
    from hatch_manta_release.core.plan import plan_for

    local_plan = plan_for(project, repository="local")
    assert local_plan.publish and "local takes development versions (dev-versions = true)" in local_plan.reason
    assert not plan_for(project).publish and not plan_for(project, repository="pypi").publish
    refused = publish_at(project, rc=1)  # the route (testpypi) takes releases only
    assert "is not published" in refused.stderr
    result = publish_at(project, "--repository", "local")
    assert f"published {NAME} {version} to local" in result.stdout and "2 uploaded" in result.stdout
    assert "local version" not in result.stderr  # a dev-versions repository takes them without a warning
    local = project / "dist" / "index"
    assert sorted(existing_files(local.resolve().as_uri() + "/simple/", NAME)) == built
    installed = _pip_install(local.resolve().as_uri() + "/simple/", f"{NAME}=={version}", tmp_path / "site")
    assert installed.returncode == 0, installed.stderr
    # dist/index is not a dist file: check and a second publish read dist/ as before
    assert "2 skipped" in publish_at(project, "--repository", "local").stdout


# ----------------------------------------------------------------------------- configuration


def test_folder_repository_config(tmp_path: Path) -> None:
    config = parse_config(
        {"repositories": {"mirror": {"path": "idx"}, "static": {"upload-url": "file:///srv/index"}}}, root=tmp_path
    )
    mirror, static, local = config.repository("mirror"), config.repository("static"), config.repository("local")
    assert mirror.upload_url == (tmp_path / "idx").resolve().as_uri() + "/"
    assert mirror.index_url == mirror.upload_url + "simple/" and mirror.folder == (tmp_path / "idx").resolve()
    assert not mirror.dev_versions and mirror.token_env is None
    assert static.folder == Path("/srv/index") and static.index_url == "file:///srv/index/simple/"
    assert local.dev_versions and local.folder == (tmp_path / "dist" / "index").resolve()
    assert config.repository("pypi").folder is None and not config.repository("pypi").dev_versions
    moved = parse_config({"repositories": {"local": {"path": "elsewhere"}}}, root=tmp_path).repository("local")
    assert moved.folder == (tmp_path / "elsewhere").resolve() and moved.dev_versions
    opted = parse_config({"repositories": {"mirror": {"path": "idx", "dev-versions": True}}}, root=tmp_path)
    assert opted.repository("mirror").dev_versions


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"path": "a", "upload-url": "https://example.org/"}, "repositories.m: path and upload-url both set"),
        ({"path": "a", "index-url": "https://example.org/simple/"}, "repositories.m.index-url"),
        ({"path": ""}, "repositories.m.path"),
        ({"upload-url": "file://host/share"}, "repositories.m.upload-url"),
        ({"path": "a", "dev-versions": "yes"}, "repositories.m.dev-versions"),
    ],
)
def test_folder_repository_config_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"repositories": {"m": table}}, root=Path(os.sep))
    assert message in caught.value.message
