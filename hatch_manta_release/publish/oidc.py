"""Trusted Publishing: exchange GitHub's OIDC token for a short-lived upload token.

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
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hatch_manta_release.core.config import Repository
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.publish.credentials import mask
from hatch_manta_release.publish.failures import Context, from_exception
from hatch_manta_release.publish.http import request

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


def mint_token(
    repository: Repository,
    project: str,
    version: str,
    environ: Mapping[str, str] | None = None,
    *,
    timeout: float = 30.0,
) -> str:
    """Run the exchange; return the upload token, or raise a :class:`TrustedPublishingError`."""
    env = os.environ if environ is None else environ
    ctx = Context(repository, project, version, "the token minted by Trusted Publishing", trusted_publishing=True)
    request_url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not request_url or not request_token:
        if env.get("GITHUB_ACTIONS") != "true":
            raise TrustedPublishingError(
                f"Trusted Publishing to {repository.name} needs GitHub Actions' OIDC token, and this is not a "
                "GitHub Actions job",
                f"publish from the release workflow, or set trusted-publishing = false and a token in "
                f"{repository.token_env or 'token-env'} for a manual upload",
            )
        if _fork_pull_request(env):
            raise TrustedPublishingError(
                "GitHub gives no OIDC token to a pull request from a fork, so Trusted Publishing cannot run here",
                "publish from a tag push (the release workflow), never from a pull_request event of a fork",
            )
        raise TrustedPublishingError(
            "GitHub offered no OIDC token to this job (ACTIONS_ID_TOKEN_REQUEST_URL is not set): the job lacks "
            "`permissions: id-token: write`",
            "add `permissions: {id-token: write}` to the publish job (`manta-release workflow` writes it)",
        )

    base = index_base(repository.upload_url)
    # 1. the audience
    audience_url = f"{base}/_/oidc/audience"
    try:
        response = request("GET", audience_url, headers={"Accept": "application/json"}, timeout=timeout)
    except OSError as e:
        failure = from_exception(e, ctx, audience_url)
        raise TrustedPublishingError(f"Trusted Publishing: {failure.cause}", failure.fix) from None
    if response.status in (404, 405):
        raise TrustedPublishingError(
            f"{repository.name} ({base}) does not offer Trusted Publishing (no /_/oidc/audience: {response.status})",
            f"set trusted-publishing = false for {repository.name} and use a token in "
            f"{repository.token_env or 'token-env'}",
        )
    try:
        audience = response.json()["audience"] if response.status == 200 else None
    except (ValueError, KeyError, TypeError):
        audience = None
    if not isinstance(audience, str):
        raise TrustedPublishingError(
            f"{audience_url} answered {response.status} without an audience",
            "check upload-url; the index may be down (re-run later)",
        )

    # 2. GitHub's identity token for that audience
    sep = "&" if "?" in request_url else "?"
    github_url = f"{request_url}{sep}audience={urllib.parse.quote(audience)}"
    try:
        response = request(
            "GET",
            github_url,
            headers={"Authorization": f"bearer {request_token}", "Accept": "application/json"},
            timeout=timeout,
        )
    except OSError as e:
        failure = from_exception(e, ctx, github_url)
        raise TrustedPublishingError(f"GitHub's OIDC token endpoint: {failure.cause}", failure.fix) from None
    oidc_token = None
    if response.status == 200:
        try:
            oidc_token = response.json().get("value")
        except (ValueError, AttributeError):
            oidc_token = None
    if not isinstance(oidc_token, str) or not oidc_token:
        raise TrustedPublishingError(
            f"GitHub refused the OIDC token request ({response.status} {response.reason})",
            "check `permissions: id-token: write` on the publish job; re-run the job if GitHub had an outage",
        )
    mask(oidc_token, env)

    # 3. the upload token
    mint_url = f"{base}/_/oidc/mint-token"
    try:
        response = request(
            "POST",
            mint_url,
            data=json.dumps({"token": oidc_token}).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            timeout=timeout,
        )
    except OSError as e:
        failure = from_exception(e, ctx, mint_url)
        raise TrustedPublishingError(f"Trusted Publishing: {failure.cause}", failure.fix) from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    token = data.get("token") if isinstance(data, dict) else None
    if response.status == 200 and isinstance(token, str) and token:
        mask(token, env)
        return token
    errors = data.get("errors", []) if isinstance(data, dict) else []
    descriptions = (
        "; ".join(f"{e.get('code', '?')}: {e.get('description', '')}".strip() for e in errors if isinstance(e, dict))
        or (data.get("message") if isinstance(data, dict) else None)
        or f"{response.status} {response.reason}"
    )
    claims = decode_claims(oidc_token)
    shown = ", ".join(f"{k}={claims[k]}" for k in CLAIMS_SHOWN if k in claims)
    codes = {e.get("code") for e in errors if isinstance(e, dict)}
    if "invalid-publisher" in codes or "no corresponding publisher" in descriptions:
        workflow = str(claims.get("job_workflow_ref") or claims.get("workflow_ref") or "")
        workflow_file = workflow.split("@", maxsplit=1)[0].rsplit("/", 1)[-1] if workflow else "?"
        raise TrustedPublishingError(
            f"{repository.name} has no Trusted Publisher for {project} matching this job ({descriptions}); "
            f"claims presented: {shown or 'none readable'}",
            f"register a publisher for {project} on {repository.name} with owner/repository "
            f"{claims.get('repository', '?')}, workflow {workflow_file}, environment "
            f"{claims.get('environment') or '(none)'} - each index needs its own",
        )
    raise TrustedPublishingError(
        f"{repository.name} refused to mint an upload token ({response.status}): {descriptions}; "
        f"claims presented: {shown or 'none readable'}",
        f"check the Trusted Publisher registered for {project} on {repository.name}",
    )
