"""Trusted Publishing's shared pieces (the exchange itself is :class:`.trusted.TrustedPublisher`).

The three steps ``pypa/gh-action-pypi-publish`` takes:

1. ``GET <index>/_/oidc/audience`` - the audience the index expects;
2. ``GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>`` with ``$ACTIONS_ID_TOKEN_REQUEST_TOKEN`` -
   GitHub's signed identity token for this job (only present with ``permissions: id-token: write``,
   and never for a pull request from a fork);
3. ``POST <index>/_/oidc/mint-token`` ``{"token": <oidc>}`` - the upload token (username ``__token__``).

Each failure is explained; a publisher that is not registered is shown with the token's claims,
which are what the publisher registered on the index must match.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hatch_manta_release.core.errors import MantaError

CLAIMS_SHOWN = ("sub", "repository", "repository_owner", "workflow_ref", "job_workflow_ref", "environment", "ref")


class TrustedPublishingError(MantaError):
    """Trusted Publishing (OIDC) gave no upload token: the job cannot get an identity token
    (outside GitHub Actions, no ``id-token: write``, a pull request from a fork), or the index
    refused the identity it was shown.

    Fix: register the publisher on that index with the exact owner, repository, workflow file
    (``release.yml``) and environment, and regenerate the workflow (``hatch run release:workflow``)
    so the publish job has ``id-token: write``; or set ``token-env`` and use a token.
    """


def index_base(upload_url: str) -> str:
    """Where the index's ``/_/oidc/*`` endpoints live: the upload host (``upload.pypi.org`` → ``pypi.org``)."""
    parts = urllib.parse.urlsplit(upload_url)
    host = parts.netloc
    if host == "upload.pypi.org":
        host = "pypi.org"
    return f"{parts.scheme}://{host}"


def decode_claims(jwt: str) -> dict[str, Any]:
    """The (unverified) payload of a JWT, to show which identity was presented."""
    try:
        payload = jwt.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        return data if isinstance(data, dict) else {}
    except (IndexError, ValueError):
        return {}


def _fork_pull_request(environ: Mapping[str, str]) -> bool:
    if environ.get("GITHUB_EVENT_NAME") not in ("pull_request", "pull_request_review", "pull_request_review_comment"):
        return False
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return False
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        head = event["pull_request"]["head"]["repo"]
        base = event["pull_request"]["base"]["repo"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(head.get("fork")) or head.get("full_name") != base.get("full_name")

