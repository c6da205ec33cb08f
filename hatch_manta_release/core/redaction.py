"""The one redaction point: secrets in every form they take on the wire, and URL credentials.

A token can come back to us from an index (an error page that echoes the request), a proxy, an
exception's text or a child's output — not only literally: as the base64 of the Basic credentials
``__token__:<token>``, percent-encoded in a URL or form, or wrapped across lines in an HTML page.
Every line the commands print, write to the step summary or put into an error passes through
:func:`redact`; every child process gets :func:`child_env`, which holds no secret variable.

Standard library only; process-wide on purpose: a secret registered once (when the token is
read) is hidden from every later output, whoever prints it.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

MASK = "***"
# Variables the Actions runner gives a job for Trusted Publishing: the request token is a secret.
OIDC_REQUEST_VARIABLES = ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")
# ``scheme://user:password@host`` and ``scheme://token@host``: the userinfo goes, the host stays.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#]*)@")
_MIN_SECRET = 6  # shorter values (an empty or one-letter variable) would mask ordinary text

_lock = threading.Lock()
_patterns: list[re.Pattern[str]] = []
_registered: set[str] = set()
_secret_variables: set[str] = set(OIDC_REQUEST_VARIABLES)


def _forms(secret: str, users: Iterable[str]) -> set[str]:
    """Every spelling of ``secret`` that may reach an output."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret), urllib.parse.quote(secret)}
    for user in users:
        pair = f"{user}:{secret}".encode()
        forms.add(base64.b64encode(pair).decode("ascii"))
        forms.add(base64.b64encode(pair).decode("ascii").rstrip("="))
    raw = secret.encode("utf-8", "surrogatepass")
    forms.add(base64.b64encode(raw).decode("ascii").rstrip("="))
    forms.add(base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="))
    # A secret with a line break inside: each line is masked on its own too.
    forms.update(line.strip() for line in secret.splitlines())
    return {f for f in forms if len(f) >= _MIN_SECRET}


def _wrapped(form: str) -> re.Pattern[str]:
    """``form`` also when an HTML page or a MIME body wrapped it across lines."""
    return re.compile(r"\s*".join(re.escape(c) for c in form))


def register_secret(secret: str, *, users: Iterable[str] = ("__token__",), variable: str | None = None) -> None:
    """Hide ``secret`` (and its Basic-auth pairs with ``users``) from every later output."""
    if variable:
        register_secret_variable(variable)
    if not secret or len(secret) < _MIN_SECRET:
        return
    with _lock:
        key = secret + "\0" + "\0".join(users)
        if key in _registered:
            return
        _registered.add(key)
        # Longest first, so a form that contains another is removed whole.
        for form in sorted(_forms(secret, users), key=len, reverse=True):
            _patterns.append(_wrapped(form))


def register_secret_variable(name: str) -> None:
    """An environment variable that holds a secret: :func:`child_env` leaves it out."""
    with _lock:
        _secret_variables.add(name)


def redact(text: str) -> str:
    """``text`` without any registered secret, in any of its forms, and without URL userinfo."""
    if not text:
        return text
    for pattern in list(_patterns):
        text = pattern.sub(MASK, text)
    return redact_url_credentials(text)


def redact_url_credentials(text: str) -> str:
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)


def url_has_credentials(url: str) -> bool:
    return _USERINFO.search(url) is not None


def child_env(
    environ: Mapping[str, str] | None = None, *, extra_secret_variables: Iterable[str] = ()
) -> dict[str, str]:
    """The environment for a child process: every secret variable removed, by name and by value."""
    env = dict(os.environ if environ is None else environ)
    with _lock:
        names = _secret_variables | set(extra_secret_variables)
        secrets = [k.split("\0", 1)[0] for k in _registered]
    for name in names:
        env.pop(name, None)
    for name, value in list(env.items()):
        if value and any(secret in value for secret in secrets):
            env.pop(name)
    return env


def forget_all() -> None:
    """For tests: start from no registered secret."""
    with _lock:
        _patterns.clear()
        _registered.clear()
        _secret_variables.clear()
        _secret_variables.update(OIDC_REQUEST_VARIABLES)


class RedactingStream:
    """A text stream that redacts what is written to it before passing it on.

    The CLI puts one around ``sys.stdout`` and ``sys.stderr`` at start-up, so rich, click,
    ``print`` and workflow commands all pass the same point. rich writes one ``print`` call at a
    time, so a secret never straddles two writes.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    @property
    def unredacted(self) -> TextIO:
        """The stream underneath: only for ``::add-mask::``, whose whole point is to name the secret to the runner."""
        return self._stream

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, buffer…
        return getattr(self._stream, name)


def install_stream_redaction() -> None:
    """Redact everything this process writes to stdout and stderr (idempotent)."""
    import sys

    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
