"""Trusted Publishing against a loopback stand-in for GitHub's OIDC token endpoint and the index's
``/_/oidc/audience`` and ``/_/oidc/mint-token``, in front of a real pypiserver."""

from __future__ import annotations

import json
import secrets
import urllib.parse
from pathlib import Path

import pytest

from hatch_manta_release.publish.oidc import decode_claims, index_base
from tests.support.indexes import ISSUED_TOKENS, start_index
from tests.support.projects import make_project
from tests.support.publish import (
    PROD_VAR,
    Release,
    assert_no_token,
    build,
    commit_and_retag,
    no_token_in_test_output,  # noqa: F401 - a fixture, used by name
    publish,
)
from tests.support.standin import StandIn, json_answer, make_jwt

pytestmark = pytest.mark.usefixtures("no_token_in_test_output")

AUDIENCE = "manta-test-index"
CLAIMS = {
    "iss": "https://token.actions.githubusercontent.com",
    "sub": "repo:octo/sample:environment:pypi",
    "repository": "octo/sample",
    "repository_owner": "octo",
    "job_workflow_ref": "octo/sample/.github/workflows/release.yml@refs/tags/v1.0.0",
    "environment": "pypi",
    "ref": "refs/tags/v1.0.0",
}


class OIDCStandIn:
    """GitHub's token endpoint plus the index's two OIDC endpoints; everything else goes to pypiserver."""

    def __init__(self, upload_password: str, publisher: dict[str, str], *, oidc: bool = True) -> None:
        self.request_token = "ghs_" + secrets.token_urlsafe(24)
        ISSUED_TOKENS.append(self.request_token)
        self.upload_password = upload_password
        self.publisher = publisher
        self.oidc = oidc
        self.minted = 0

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
        if path.startswith("/github/token"):
            if headers.get("Authorization") != f"bearer {self.request_token}":
                return json_answer(401, {"message": "bad request token"})
            audience = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["audience"][0]
            return json_answer(200, {"value": make_jwt({**CLAIMS, "aud": audience})})
        if path.startswith("/_/oidc/"):
            if not self.oidc:
                return 404, {}, b"Not Found"
            if path == "/_/oidc/audience":
                return json_answer(200, {"audience": AUDIENCE})
            if path == "/_/oidc/mint-token" and method == "POST":
                claims = decode_claims(json.loads(body)["token"])
                if claims.get("aud") != AUDIENCE:
                    return json_answer(422, {"message": "Token request failed", "errors": [
                        {"code": "invalid-payload", "description": "audience mismatch"}]})
                unmatched = [f"{k} (publisher: {v}, token: {claims.get(k)})" for k, v in self.publisher.items()
                             if claims.get(k) != v]
                if unmatched:
                    return json_answer(422, {"message": "Token request failed", "errors": [{
                        "code": "invalid-publisher",
                        "description": "valid token, but no corresponding publisher (claims that did not match: "
                                       + ", ".join(unmatched) + ")",
                    }]})
                self.minted += 1
                return json_answer(200, {"success": True, "token": self.upload_password})
        return None


@pytest.fixture
def oidc_release(tmp_path: Path):
    index = start_index(tmp_path, "pypi")
    standin_handler = OIDCStandIn(index.password, {"repository": "octo/sample", "environment": "pypi"})
    standin = StandIn(upstream=index.url.rstrip("/"), handler=standin_handler).start()
    manta = f"""
[tool.manta-release.repositories.pypi]
upload-url = "{standin.url}/"
index-url = "{standin.url}/simple/"
token-env = "{PROD_VAR}"
trusted-publishing = true
attestations = false  # Sigstore cannot be reached here; tests/test_publish_attest.py signs with a stand-in
"""
    project = make_project(tmp_path / "project", "sample-pkg", manta=manta, tag="v1.0.0")
    release = Release(project, index, index, "sample-pkg")
    build(release)
    yield release, standin, standin_handler
    standin.stop()
    index.stop()


def _github_env(release: Release, standin: StandIn, handler: OIDCStandIn, **extra: str) -> dict[str, str]:
    env = release.env(
        GITHUB_ACTIONS="true",
        ACTIONS_ID_TOKEN_REQUEST_URL=f"{standin.url}/github/token?api-version=2.0",
        ACTIONS_ID_TOKEN_REQUEST_TOKEN=handler.request_token,
        GITHUB_REPOSITORY="octo/sample",
    )
    env.pop(PROD_VAR, None)
    env.update(extra)
    return env


def test_trusted_publishing_uploads_and_installs(oidc_release, tmp_path: Path) -> None:
    release, standin, handler = oidc_release
    result = publish(release, env=_github_env(release, standin, handler))
    assert handler.minted == 1
    assert "credentials: Trusted Publishing (OIDC) for pypi" in result.stderr
    assert len(release.prod.files()) == 2
    masks = [line for line in result.stdout.splitlines() if line.startswith("::add-mask::")]
    assert f"::add-mask::{release.prod.password}" in masks  # the minted token is hidden in the log
    assert ("GET", "/_/oidc/audience") in standin.requests
    installed = release.prod.install("sample-pkg==1.0.0", tmp_path / "site")
    assert installed.returncode == 0, installed.stderr


def test_auto_prefers_a_token_and_falls_back_to_oidc(oidc_release) -> None:
    release, standin, handler = oidc_release
    pyproject = release.project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("trusted-publishing = true", 'trusted-publishing = "auto"'))
    commit_and_retag(release.project)
    env = _github_env(release, standin, handler, **{PROD_VAR: release.prod.password})
    with_token = publish(release, "--dry-run", env=env)
    assert "the token in $PYPI_API_TOKEN" in with_token.stderr and handler.minted == 0
    without = publish(release, "--dry-run", env=_github_env(release, standin, handler))
    assert "Trusted Publishing (OIDC)" in without.stderr and handler.minted == 1
    # outside GitHub Actions, "auto" means the token
    local = publish(release, "--dry-run", env=release.env())
    assert "the token in $PYPI_API_TOKEN" in local.stderr


def test_missing_id_token_permission(oidc_release) -> None:
    release, standin, handler = oidc_release
    env = _github_env(release, standin, handler)
    del env["ACTIONS_ID_TOKEN_REQUEST_URL"], env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    result = publish(release, env=env, rc=1)
    assert "`permissions: id-token: write`" in result.stderr
    assert release.prod.files() == []


def test_fork_pull_request_gets_no_oidc_token(oidc_release, tmp_path: Path) -> None:
    release, standin, handler = oidc_release
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"repo": {"full_name": "fork/sample", "fork": True}},
                                                  "base": {"repo": {"full_name": "octo/sample"}}}}))
    env = _github_env(release, standin, handler, GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=str(event))
    del env["ACTIONS_ID_TOKEN_REQUEST_URL"], env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    result = publish(release, env=env, rc=1)
    assert "pull request from a fork" in result.stderr


def test_unregistered_publisher_shows_the_claims(oidc_release) -> None:
    release, standin, handler = oidc_release
    handler.publisher = {"repository": "octo/sample", "environment": "release"}
    result = publish(release, env=_github_env(release, standin, handler), rc=1)
    err = result.stderr
    assert "has no Trusted Publisher for sample-pkg matching this job" in err
    assert "claims that did not match: environment (publisher: release, token: pypi)" in err
    assert "repository=octo/sample" in err and "environment=pypi" in err
    assert "workflow release.yml" in err
    assert release.prod.files() == []


def test_outside_github_actions(oidc_release) -> None:
    release, _, _ = oidc_release
    result = publish(release, env=release.env(), rc=1)
    assert "this is not a GitHub Actions job" in result.stderr


def test_index_without_trusted_publishing(oidc_release) -> None:
    release, standin, handler = oidc_release
    handler.oidc = False
    result = publish(release, env=_github_env(release, standin, handler), rc=1)
    assert "does not offer Trusted Publishing" in result.stderr


def test_index_base() -> None:
    assert index_base("https://upload.pypi.org/legacy/") == "https://pypi.org"
    assert index_base("https://test.pypi.org/legacy/") == "https://test.pypi.org"
    assert index_base("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"


def test_outputs_hold_no_request_token(oidc_release) -> None:
    release, standin, handler = oidc_release
    result = publish(release, env=_github_env(release, standin, handler))
    assert_no_token(result.stdout, result.stderr)
    assert handler.request_token not in result.stdout + result.stderr
