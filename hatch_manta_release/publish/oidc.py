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
from hatch_manta_release.core.redaction import register_secret
from hatch_manta_release.publish.credentials import mask
from hatch_manta_release.publish.failures import Context, from_exception
from hatch_manta_release.publish.http import Response, request

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
    request_url, request_token = _id_token_request(repository, env)
    register_secret(request_token, users=(), variable="ACTIONS_ID_TOKEN_REQUEST_TOKEN")  # the runner masks it
    base = index_base(repository.upload_url)
    audience = _audience(base, ctx, timeout)
    oidc_token = _github_token(request_url, request_token, audience, ctx, timeout)
    mask(oidc_token, env)
    token = _mint(base, oidc_token, ctx, timeout)
    mask(token, env)
    return token


def _id_token_request(repository: Repository, env: Mapping[str, str]) -> tuple[str, str]:
    """Where (and with what) to ask GitHub for this job's identity token; why there is none, if not."""
    request_url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if request_url and request_token:
        return request_url, request_token
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


def _send(method: str, url: str, ctx: Context, where: str, timeout: float, **kwargs: Any) -> Response:
    """One request of the exchange; a network error names the step (``where``)."""
    try:
        return request(method, url, timeout=timeout, **kwargs)
    except OSError as e:
        failure = from_exception(e, ctx, url)
        raise TrustedPublishingError(f"{where}: {failure.cause}", failure.fix) from None


def _audience(base: str, ctx: Context, timeout: float) -> str:
    """1. the audience the index expects."""
    repository = ctx.repository
    audience_url = f"{base}/_/oidc/audience"
    response = _send("GET", audience_url, ctx, "Trusted Publishing", timeout, headers={"Accept": "application/json"})
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
    return audience


def _github_token(request_url: str, request_token: str, audience: str, ctx: Context, timeout: float) -> str:
    """2. GitHub's identity token for that audience."""
    sep = "&" if "?" in request_url else "?"
    github_url = f"{request_url}{sep}audience={urllib.parse.quote(audience)}"
    headers = {"Authorization": f"bearer {request_token}", "Accept": "application/json"}
    response = _send("GET", github_url, ctx, "GitHub's OIDC token endpoint", timeout, headers=headers)
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
    return oidc_token


def _mint(base: str, oidc_token: str, ctx: Context, timeout: float) -> str:
    """3. the upload token."""
    response = _send(
        "POST",
        f"{base}/_/oidc/mint-token",
        ctx,
        "Trusted Publishing",
        timeout,
        data=json.dumps({"token": oidc_token}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    token = data.get("token")
    if response.status == 200 and isinstance(token, str) and token:
        return token
    raise _mint_refused(response, data, oidc_token, ctx)


def _mint_refused(response: Response, data: dict[str, Any], oidc_token: str, ctx: Context) -> TrustedPublishingError:
    """The index would not mint: which publisher it expected, and the claims this job presented."""
    repository, project = ctx.repository, ctx.project
    errors = [e for e in data.get("errors", []) if isinstance(e, dict)]
    descriptions = (
        "; ".join(f"{e.get('code', '?')}: {e.get('description', '')}".strip() for e in errors)
        or data.get("message")
        or f"{response.status} {response.reason}"
    )
    claims = decode_claims(oidc_token)
    shown = ", ".join(f"{k}={claims[k]}" for k in CLAIMS_SHOWN if k in claims)
    codes = {e.get("code") for e in errors}
    if "invalid-publisher" in codes or "no corresponding publisher" in descriptions:
        workflow = str(claims.get("job_workflow_ref") or claims.get("workflow_ref") or "")
        workflow_file = workflow.split("@", maxsplit=1)[0].rsplit("/", 1)[-1] if workflow else "?"
        return TrustedPublishingError(
            f"{repository.name} has no Trusted Publisher for {project} matching this job ({descriptions}); "
            f"claims presented: {shown or 'none readable'}",
            f"register a publisher for {project} on {repository.name} with owner/repository "
            f"{claims.get('repository', '?')}, workflow {workflow_file}, environment "
            f"{claims.get('environment') or '(none)'} - each index needs its own",
        )
    return TrustedPublishingError(
        f"{repository.name} refused to mint an upload token ({response.status}): {descriptions}; "
        f"claims presented: {shown or 'none readable'}",
        f"check the Trusted Publisher registered for {project} on {repository.name}",
    )
