"""Where the upload credential comes from: the repository's ``token-env`` variable, or Trusted Publishing.

The token is read from this process's environment, stripped, checked for the shape of a PyPI API
token (a warning names the variable and what is wrong, never the value), masked on GitHub Actions,
and kept in a :class:`Credentials` whose ``repr`` hides it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hatch_manta_release.core.config import Repository
from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.github_run import on_github_actions
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


def mask(secret: str, environ: Mapping[str, str], variable: str | None = None) -> None:
    """Hide ``secret`` from every later output of this process, in every form it takes on the wire
    (:mod:`~hatch_manta_release.core.redaction`), and from every child process (``variable``
    and any variable holding it are left out of their environment); on GitHub Actions also have the
    runner hide it in every later log line. Called the moment a secret is read, before anything could
    show it."""
    from hatch_manta_release.core.redaction import register_secret
    from hatch_manta_release.github.actions import add_mask

    register_secret(secret, users=(TOKEN_USERNAME,), variable=variable)
    add_mask(secret, environ)


def _refuse_unsendable(var: str, token: str) -> None:
    """A token that cannot go into an HTTP header is refused here, named by its variable only."""
    if any(c in token for c in "\r\n\0"):
        raise MantaError(
            f"{var} holds a line break or NUL inside the token: it cannot be sent in an HTTP header",
            f"store the token in {var} again, on one line (copy it from the index's token page)",
        )
    try:
        token.encode("latin-1")
    except UnicodeEncodeError:
        raise MantaError(
            f"{var} holds a character that cannot be sent in an HTTP header (non-latin-1)",
            f"store the token in {var} again (API tokens are ASCII; a rich-text copy may hold smart quotes)",
        ) from None


def uses_trusted_publishing(repository: Repository, environ: Mapping[str, str]) -> bool:
    if repository.trusted_publishing is True:
        return True
    if repository.trusted_publishing == "auto":
        has_token = bool(repository.token_env and environ.get(repository.token_env, "").strip())
        return on_github_actions(environ) and not has_token
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
        from hatch_manta_release.core.redaction import register_secret
        from hatch_manta_release.publish.trusted import TrustedPublisher

        info(f"credentials: Trusted Publishing (OIDC) for {repository.name}")
        request_token = environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "")
        register_secret(request_token, users=(), variable="ACTIONS_ID_TOKEN_REQUEST_TOKEN")  # the runner masks it
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
    if raw:
        mask(raw, {}, var)  # as read, a pasted newline and all (the runner's mask is the stripped token's)
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
    mask(token, environ, var)
    _refuse_unsendable(var, token)
    info(f"credentials: the token in ${var} (user {TOKEN_USERNAME}) for {repository.name}")
    return Credentials(TOKEN_USERNAME, token, f"${var}")
