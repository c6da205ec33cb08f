"""Where the upload credential comes from: the repository's ``token-env`` variable, or Trusted Publishing.

The token is read from this process's environment, stripped, checked for the shape of a PyPI API
token (a warning names the variable and what is wrong, never the value), masked on GitHub Actions,
and kept in a :class:`Credentials` whose ``repr`` hides it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hatch_manta_release.core.config import Repository
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.tokens import PYPI_TOKEN as _PYPI_TOKEN
from hatch_manta_release.core.tokens import PYPI_TOKEN_MIN_LENGTH
from hatch_manta_release.publish.upload import Credentials

TOKEN_USERNAME = "__token__"  # noqa: S105 - the fixed user name of API tokens


def token_warnings(var: str, raw: str) -> list[str]:
    """What is odd about a token, described without showing any of it."""
    warnings = []
    token = raw.strip()
    if token != raw:
        warnings.append(f"{var} has leading or trailing whitespace (a pasted newline?); it was removed")
    if token[:1] in "\"'" and token[-1:] == token[:1]:
        warnings.append(f"{var} is wrapped in quotes; store the token without them")
    elif not _PYPI_TOKEN.match(token):
        reason = "does not start with 'pypi-'" if not token.startswith("pypi-") else "has unexpected characters"
        if token.startswith("pypi-") and len(token) < PYPI_TOKEN_MIN_LENGTH:
            reason = f"is only {len(token)} characters long (a truncated copy?)"
        warnings.append(
            f"{var} does not look like a PyPI API token: it {reason}; PyPI and TestPyPI will refuse it "
            "(fine for an index that takes other passwords)"
        )
    return warnings


def mask(secret: str, environ: Mapping[str, str]) -> None:
    """On GitHub Actions, have the runner hide ``secret`` in every later log line (before anything could show it)."""
    from hatch_manta_release.github.actions import add_mask

    add_mask(secret, environ)


def uses_trusted_publishing(repository: Repository, environ: Mapping[str, str]) -> bool:
    if repository.trusted_publishing is True:
        return True
    if repository.trusted_publishing == "auto":
        has_token = bool(repository.token_env and environ.get(repository.token_env, "").strip())
        return environ.get("GITHUB_ACTIONS") == "true" and not has_token
    return False


def resolve_credentials(
    repository: Repository,
    project: str,
    version: str,
    environ: Mapping[str, str],
    *,
    warn: Callable[[str], None],
    info: Callable[[str], None],
) -> Credentials:
    """The credential for ``repository``; raises :class:`MantaError` naming what is missing."""
    if uses_trusted_publishing(repository, environ):
        from hatch_manta_release.publish.trusted import TrustedPublisher

        info(f"credentials: Trusted Publishing (OIDC) for {repository.name}")
        publisher = TrustedPublisher(repository, project, environ=environ)
        token = publisher.token()  # minted once now, so a refusal shows before anything is uploaded
        mask(token, environ)
        return Credentials(
            TOKEN_USERNAME,
            token,
            "the token minted by Trusted Publishing",
            trusted_publishing=True,
            publisher=publisher,
        )

    var = repository.token_env
    if not var:
        why = (
            "Trusted Publishing is off"
            if repository.trusted_publishing is False
            else 'trusted-publishing = "auto" applies on GitHub Actions only'
        )
        raise MantaError(
            f"repository {repository.name} has no token-env and {why}: nothing to upload with",
            f'set token-env = "PYPI_API_TOKEN" (a variable holding the token) or trusted-publishing = true in '
            f"[tool.manta-release.repositories.{repository.name}]",
        )
    raw = environ.get(var)
    if raw is None or not raw.strip():
        state = "is empty" if raw is not None else "is not set"
        hint = (
            f"set {var} to an API token for {repository.name} (in the workflow: `env: {var}: "
            f"${{{{ secrets.{var} }}}}` - a secret that does not exist expands to an empty string)"
        )
        if repository.trusted_publishing is False:
            hint += f", or use Trusted Publishing (trusted-publishing = true for {repository.name})"
        raise MantaError(f"{var} {state}: no token to upload to {repository.name} with", hint)
    for message in token_warnings(var, raw):
        warn(message)
    token = raw.strip()
    mask(token, environ)
    info(f"credentials: the token in ${var} (user {TOKEN_USERNAME}) for {repository.name}")
    return Credentials(TOKEN_USERNAME, token, f"${var}")
