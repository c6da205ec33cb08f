"""The publisher against devpi-server, an index with PyPI's semantics: PEP 691 JSON simple pages,
an identical re-upload accepted, a different file under a published name refused (409), 401 on a bad
password. Skipped when devpi-server and devpi-client are not installed (they are optional)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.indexes import ISSUED_TOKENS, LocalIndex, free_port, new_token, write_wheel
from tests.support.projects import make_project
from tests.support.publish import (
    PROD_VAR,
    Release,
    build,
    no_token_in_test_output,  # noqa: F401 - a fixture, used by name
    publish,
)

BIN = Path(sys.executable).parent
pytestmark = [
    pytest.mark.skipif(
        not all((BIN / tool).exists() for tool in ("devpi-init", "devpi-server", "devpi")),
        reason="devpi-server and devpi-client are not installed",
    ),
    pytest.mark.usefixtures("no_token_in_test_output"),
    pytest.mark.slow,  # devpi-server takes ~10 s to initialise and start
]


@pytest.fixture(scope="module")
def devpi(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("devpi")
    port = free_port()
    password = new_token()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DEVPI_"))}
    env["DEVPI_CLIENTDIR"] = str(root / "client")
    subprocess.run([str(BIN / "devpi-init"), "--serverdir", str(root / "srv"), "--root-passwd", new_token()],
                   check=True, capture_output=True, env=env, timeout=120)
    with (root / "server.log").open("wb") as log:
        cmd = [str(BIN / "devpi-server"), "--serverdir", str(root / "srv"), "--host", "127.0.0.1",
               "--port", str(port), "--offline-mode"]
        server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/+api", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((root / "server.log").read_text()) from None
                time.sleep(0.1)

        def client(*args: str) -> None:
            subprocess.run([str(BIN / "devpi"), *args], check=True, capture_output=True, env=env, timeout=60)

        # The user is "__token__", so that the API-token convention (user __token__) logs in.
        client("use", url)
        client("user", "-c", "__token__", f"password={password}")
        client("login", "__token__", "--password", password)
        client("index", "-c", "prod", "volatile=False", "bases=")
        yield url + "/__token__/prod/", password
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_devpi_publish_rerun_conflict_and_bad_password(devpi, tmp_path: Path) -> None:
    base, password = devpi
    manta = f"""
[tool.manta-release.repositories.pypi]
upload-url = "{base}"
index-url = "{base}+simple/"
token-env = "{PROD_VAR}"
"""
    project = make_project(tmp_path / "project", "devpi-sample", manta=manta, tag="v1.0.0")
    index = LocalIndex("pypi", tmp_path, 0, "__token__", password)
    release = Release(project, index, index, "devpi-sample")
    build(release)

    wrong = new_token()
    refused = publish(release, env=release.env(**{PROD_VAR: wrong}), rc=1)
    assert f"refused the token in ${PROD_VAR} (401" in refused.stderr

    env = release.env(**{PROD_VAR: password})
    first = publish(release, env=env)
    assert "2 uploaded" in first.stdout
    again = publish(release, env=env)
    assert "2 skipped" in again.stdout  # read from devpi's PEP 691 JSON page

    write_wheel(release.dist, "devpi-sample", "1.0.0", payload=b"# different\n")
    conflict = publish(release, env=env, rc=1)
    assert "pypi already has devpi_sample-1.0.0-py3-none-any.whl with different content" in conflict.stderr
    assert "publishing stopped" in conflict.stdout and "install:" not in conflict.stdout
    assert password in ISSUED_TOKENS
    shutil.rmtree(release.dist)
