"""``publish`` with PEP 740 attestations: Trusted Publishing against the OIDC stand-in, in front of a real
pypiserver that checks the ``attestations`` field as PyPI does (``tests/test_attest.py``'s validating
index). Sigstore cannot be reached here: its place behind the seam is the stand-in signer (real keys
and signatures, a self-signed certificate), so the trusted publish runs in this process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from hatch_manta_release.core.project import load_project
from hatch_manta_release.publish import attest
from hatch_manta_release.publish.report import Note, PublishOptions
from hatch_manta_release.publish.run import publish as run_publish
from tests.support.indexes import start_index
from tests.support.projects import make_project, run
from tests.support.publish import PROD_VAR, clean_env, publish_at
from tests.support.standin import StandIn
from tests.test_attest import StandInSigner, ValidatingIndex
from tests.test_publish_oidc import OIDCStandIn


class _Both:
    """The OIDC endpoints first, then PyPI's checks of the attestations field; the rest goes to pypiserver."""

    def __init__(self, oidc: OIDCStandIn, validator: ValidatingIndex) -> None:
        self.oidc, self.validator = oidc, validator

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        answer = self.oidc(method, path, headers, body)
        return answer if answer is not None else self.validator(method, path, headers, body)


@pytest.fixture
def attesting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    index = start_index(tmp_path, "pypi")
    oidc = OIDCStandIn(index.password, {"repository": "octo/sample", "environment": "pypi"})
    validator = ValidatingIndex()
    standin = StandIn(upstream=index.url.rstrip("/"), handler=_Both(oidc, validator)).start()
    for key in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", PROD_VAR):
        monkeypatch.delenv(key, raising=False)
    # `id` (the identity for the upload token and for signing) reads this process's environment
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{standin.url}/github/token?api-version=2.0")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", oidc.request_token)
    yield index, standin, oidc, validator
    standin.stop()
    index.stop()


def _project(tmp_path: Path, url: str, credential: str) -> Path:
    manta = f"""
[tool.manta-release.repositories.pypi]
upload-url = "{url}/"
index-url = "{url}/simple/"
{credential}
"""
    project = make_project(tmp_path / "project", "sample-pkg", manta=manta, tag="v1.0.0")
    run([sys.executable, "-m", "hatchling", "build"], cwd=project)
    return project


@pytest.mark.slow
def test_trusted_publishing_uploads_the_attestations(
    attesting: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, standin, oidc, validator = attesting
    signer = StandInSigner()
    monkeypatch.setattr(attest, "sigstore_sign", signer)
    project = _project(tmp_path, standin.url, "trusted-publishing = true")
    notes: list[Note] = []
    report = run_publish(load_project(project), PublishOptions(jobs=2), notify=notes.append)
    assert report.ok and report.count("uploaded") == 2
    files = sorted(p.name for p in (project / "dist").iterdir() if p.is_file())
    assert sorted(validator.seen) == files == index.files()  # each upload carried a valid attestation
    assert sorted(name for name, _token in signer.calls) == files and oidc.minted == 1
    kept = project / "dist" / ".attestations" / "pypi"
    assert sorted(p.name for p in kept.iterdir()) == [f + attest.SUFFIX for f in files]
    assert not [n for n in notes if "no attestations" in n.text]


@pytest.mark.slow
def test_an_api_token_publish_says_once_why_there_are_none(attesting: Any, tmp_path: Path) -> None:
    index, standin, _oidc, validator = attesting
    validator.trusted = False  # an attestation would be refused, as PyPI refuses one with an API token
    project = _project(tmp_path, standin.url, f'token-env = "{PROD_VAR}"\ntrusted-publishing = false')
    result = publish_at(project, env=clean_env(**{PROD_VAR: index.password}))
    assert result.stderr.count("no attestations: PyPI accepts PEP 740 attestations only from Trusted Publishers") == 1
    assert len(index.files()) == 2 and validator.seen == {}
