"""``publish/trusted.py``: Trusted Publishing through ``id`` with tokens re-minted before they expire,
against the same loopback stand-in as ``test_publish_oidc.py`` (GitHub's OIDC token endpoint and the
index's ``/_/oidc/*``, which cannot be reached here) in front of a real pypiserver."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from hatch_manta_release.core.config import Repository
from hatch_manta_release.publish.oidc import TrustedPublishingError
from hatch_manta_release.publish.sessions import Uploaders
from hatch_manta_release.publish.trusted import RENEW_BEFORE, TOKEN_LIFETIME, TrustedPublisher
from hatch_manta_release.publish.upload import read_package
from tests.support.indexes import start_index
from tests.support.projects import make_project, run
from tests.support.standin import StandIn
from tests.test_publish_oidc import OIDCStandIn


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    index = start_index(tmp_path, "pypi")
    handler = OIDCStandIn(index.password, {"repository": "octo/sample", "environment": "pypi"})
    standin = StandIn(upstream=index.url.rstrip("/"), handler=handler).start()
    for key in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{standin.url}/github/token?api-version=2.0")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", handler.request_token)
    repository = Repository("pypi", f"{standin.url}/", f"{standin.url}/simple/", None, trusted_publishing=True)
    yield index, standin, handler, repository
    standin.stop()
    index.stop()


def test_tokens_are_reminted_near_expiry_during_uploads(stand_in: Any, tmp_path: Path) -> None:
    index, standin, handler, repository = stand_in
    project = make_project(tmp_path / "p", "sample-pkg", tag="v1.0.0")
    run([sys.executable, "-m", "hatchling", "build"], cwd=project)
    files = sorted((project / "dist").iterdir())
    now = [1_000_000.0]
    publisher = TrustedPublisher(repository, "sample-pkg", clock=lambda: now[0])
    uploaders = Uploaders(None)
    try:
        session_repository = uploaders.get(repository.upload_url, 60)
        session_repository.session.auth = publisher.auth()
        first = session_repository.upload(read_package(files[0]), max_redirects=1)
        assert first.status_code == 200 and handler.minted == 1
        now[0] += TOKEN_LIFETIME - RENEW_BEFORE  # a long upload later: the token would expire mid-request
        second = session_repository.upload(read_package(files[1]), max_redirects=1)
        assert second.status_code == 200 and handler.minted == 2
    finally:
        uploaders.close()
    assert index.files() == [p.name for p in files]
    audience_calls = [p for m, p in standin.requests if p == "/_/oidc/audience"]
    assert len(audience_calls) == 2 and any(p.startswith("/github/token") for _m, p in standin.requests)


def test_a_valid_token_is_reused(stand_in: Any) -> None:
    _, _, handler, repository = stand_in
    publisher = TrustedPublisher(repository, "sample-pkg")
    assert publisher.token() == publisher.token() and handler.minted == 1


def test_explained_errors(stand_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """oidc.py's explained errors, kept."""
    _, _, handler, repository = stand_in

    def error() -> TrustedPublishingError:
        with pytest.raises(TrustedPublishingError) as raised:
            TrustedPublisher(repository, "sample-pkg").token()
        return raised.value

    handler.publisher = {"repository": "octo/sample", "environment": "release"}
    unregistered = error()
    assert "has no Trusted Publisher for sample-pkg matching this job" in unregistered.message
    assert "repository=octo/sample" in unregistered.message and "environment=pypi" in unregistered.message
    assert "workflow release.yml" in (unregistered.hint or "")

    handler.oidc = False
    assert "does not offer Trusted Publishing" in error().message
    handler.oidc = True

    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    assert "`permissions: id-token: write`" in error().message
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"repo": {"full_name": "fork/sample", "fork": True}},
                                                  "base": {"repo": {"full_name": "octo/sample"}}}}))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert "pull request from a fork" in error().message

    monkeypatch.delenv("GITHUB_ACTIONS")
    for key in [k for k in os.environ if k.startswith(("GITLAB", "BUILDKITE", "CIRCLE", "GOOGLE"))]:
        monkeypatch.delenv(key)
    assert "this is not a GitHub Actions job" in error().message
