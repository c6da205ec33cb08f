"""Trusted Publishing on the libraries made for it: ``id`` for the job's identity, upload tokens
re-minted before they expire, every failure explained. Meant to replace :mod:`.oidc`'s hand-written
exchange (same messages, same stand-in).

Evaluated: twine's own Trusted Publishing (twine 7.0, ``twine/auth.py``). It is not used outright
because it runs only for PyPI and TestPyPI URLs (``Resolver.is_pypi``) and builds
``https://<host>/_/oidc/...`` itself, so a custom index (devpi, a company Warehouse) and the loopback
stand-in cannot use it; its failures are one generic ``TrustedPublishingFailure`` (the explained
errors below - no ``id-token: write``, a fork's pull request, an unregistered publisher with the
claims presented - would be lost); and it gives the audience and mint calls 5 seconds. What it does
right is taken here: the identity from ``id.detect_credential`` (GitHub Actions, GitLab CI,
Buildkite, Google Cloud, CircleCI), and a requests auth on the upload session that re-mints when
less than five minutes of a token's life remain (PyPI's tokens live 15 minutes; a long upload
outlived the one token :mod:`.oidc` mints per run).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hatch_manta_release.core.config import Repository
from hatch_manta_release.core.redaction import register_secret
from hatch_manta_release.publish.http import Response, request
from hatch_manta_release.publish.oidc import (
    CLAIMS_SHOWN,
    TrustedPublishingError,
    _fork_pull_request,
    decode_claims,
    index_base,
)

TOKEN_LIFETIME = 15 * 60  # seconds, when the index does not say (PyPI's upload tokens)
RENEW_BEFORE = 5 * 60  # re-mint when less than this is left (as twine's TOKEN_RENEWAL_THRESHOLD)


@dataclass(frozen=True)
class Minted:
    token: str = field(repr=False)
    expires: float  # epoch seconds


def _get_json(url: str, repository: Repository, what: str, *, timeout: float, data: bytes | None = None) -> Response:
    headers = {"Accept": "application/json", **({"Content-Type": "application/json"} if data else {})}
    try:
        return request("POST" if data else "GET", url, data=data, headers=headers, timeout=timeout)
    except OSError as e:
        raise TrustedPublishingError(f"Trusted Publishing to {repository.name}: cannot reach {url} ({what}): {e}",
                                     "check upload-url and the network; re-run the job") from None


def audience(repository: Repository, *, timeout: float = 30.0) -> str:
    """Step 1: the audience the index expects in the identity token."""
    base = index_base(repository.upload_url)
    url = f"{base}/_/oidc/audience"
    response = _get_json(url, repository, "the audience", timeout=timeout)
    if response.status in (404, 405):
        raise TrustedPublishingError(
            f"{repository.name} ({base}) does not offer Trusted Publishing (no /_/oidc/audience: {response.status})",
            f"set trusted-publishing = false for {repository.name} and use a token in "
            f"{repository.token_env or 'token-env'}",
        )
    try:
        value = response.json()["audience"] if response.status == 200 else None
    except (ValueError, KeyError, TypeError):
        value = None
    if not isinstance(value, str):
        raise TrustedPublishingError(f"{url} answered {response.status} without an audience",
                                     "check upload-url; the index may be down (re-run later)")
    return value


def ambient_token(audience_name: str, repository: Repository, environ: Mapping[str, str] | None = None) -> str:
    """Step 2: the job's signed identity for ``audience_name``, through ``id``."""
    from id import AmbientCredentialError, GitHubOidcPermissionCredentialError, detect_credential

    env = os.environ if environ is None else environ
    try:
        token = detect_credential(audience_name)
    except GitHubOidcPermissionCredentialError:
        if _fork_pull_request(env):
            raise TrustedPublishingError(
                "GitHub gives no OIDC token to a pull request from a fork, so Trusted Publishing cannot run here",
                "publish from a tag push (the release workflow), never from a pull_request event of a fork",
            ) from None
        raise TrustedPublishingError(
            "GitHub offered no OIDC token to this job (ACTIONS_ID_TOKEN_REQUEST_URL is not set): the job lacks "
            "`permissions: id-token: write`",
            "add `permissions: {id-token: write}` to the publish job (`manta-release workflow` writes it)",
        ) from None
    except AmbientCredentialError as e:
        raise TrustedPublishingError(f"the CI platform refused the OIDC token request ({e})",
                                     "check `permissions: id-token: write` on the publish job; re-run the job "
                                     "if GitHub had an outage") from None
    if not token:
        raise TrustedPublishingError(
            f"Trusted Publishing to {repository.name} needs the CI job's OIDC identity, and this is not a GitHub "
            "Actions job (nor another platform `id` knows)",
            f"publish from the release workflow, or set trusted-publishing = false and a token in "
            f"{repository.token_env or 'token-env'} for a manual upload",
        )
    register_secret(token)
    return str(token)


def mint(repository: Repository, project: str, oidc_token: str, *, timeout: float = 30.0,
         clock: Callable[[], float] = time.time) -> Minted:
    """Step 3: the identity token exchanged for an upload token (user ``__token__``)."""
    url = f"{index_base(repository.upload_url)}/_/oidc/mint-token"
    response = _get_json(url, repository, "minting the upload token", timeout=timeout,
                         data=json.dumps({"token": oidc_token}).encode())
    try:
        data = response.json()
    except ValueError:
        data = {}
    token = data.get("token") if isinstance(data, dict) else None
    if response.status == 200 and isinstance(token, str) and token:
        register_secret(token)
        expires = data.get("expires")
        return Minted(token, float(expires) if isinstance(expires, int | float) else clock() + TOKEN_LIFETIME)
    raise _refused(repository, project, oidc_token, response, data)


def _refused(repository: Repository, project: str, oidc_token: str, response: Response,
             data: Any) -> TrustedPublishingError:
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


class TrustedPublisher:
    """Upload tokens for one repository and project: minted on first use, re-minted near expiry.

    Thread-safe (parallel uploads share one). :meth:`auth` is what an upload session uses, so each
    request carries a token that is still valid when it is sent.
    """

    def __init__(self, repository: Repository, project: str, *, timeout: float = 30.0,
                 clock: Callable[[], float] = time.time, environ: Mapping[str, str] | None = None) -> None:
        self.repository, self.project, self.timeout, self.clock = repository, project, timeout, clock
        self.environ = environ
        self._lock = threading.Lock()
        self._minted: Minted | None = None
        self.mints = 0

    def __repr__(self) -> str:
        return f"TrustedPublisher({self.repository.name!r}, {self.project!r}, {self.mints} minted)"

    def token(self) -> str:
        with self._lock:
            if self._minted is None or self.clock() + RENEW_BEFORE >= self._minted.expires:
                name = audience(self.repository, timeout=self.timeout)
                identity = ambient_token(name, self.repository, self.environ)
                self._minted = mint(self.repository, self.project, identity, timeout=self.timeout, clock=self.clock)
                self.mints += 1
            return self._minted.token

    def auth(self) -> Any:
        """A ``requests`` auth (Basic ``__token__`` with a fresh token) for a twine ``Repository`` session."""
        import requests.auth

        publisher = self

        class FreshToken(requests.auth.AuthBase):
            def __call__(self, r: Any) -> Any:
                return requests.auth.HTTPBasicAuth("__token__", publisher.token())(r)

        return FreshToken()
