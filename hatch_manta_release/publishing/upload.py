"""Upload one file with the legacy upload API (what ``twine upload`` speaks), with retries.

The form is twine's own: :class:`twine.package.PackageFile` reads the metadata and the digests
exactly as ``twine upload`` does (and refuses what twine refuses). The POST is made here, in the
calling thread, with the credential in an ``Authorization`` header of this process only: no child
process, no command line, no environment variable of anything else ever holds the token.

Transient failures (connection refused or reset, timeouts, 429, 5xx) are retried with exponential
backoff. An upload whose answer was lost may have landed: when the retry is answered "file
exists", the index is asked for the file's sha256, and an identical file counts as uploaded.
"""

from __future__ import annotations

import base64
import io
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .failures import Context, Failure, from_exception, from_response
from .http import Response, request


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    source: str  # "$PYPI_API_TOKEN", "the token minted by Trusted Publishing", "no credentials"
    trusted_publishing: bool = False

    def __repr__(self) -> str:  # never show the password, even in a traceback's locals
        return f"Credentials(username={self.username!r}, source={self.source!r})"

    def header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass
class UploadResult:
    filename: str
    ok: bool
    attempts: int
    note: str = ""  # "landed on an earlier attempt" etc.
    failure: Failure | None = None
    maybe_landed: bool = False  # an attempt lost its answer after sending: the file may be on the index
    response: Response | None = None


class FormError(Exception):
    """twine refused to read the file (broken metadata, unsupported Metadata-Version)."""


def upload_form(path: Path) -> list[tuple[str, str]]:
    """The form fields twine sends for ``path`` (metadata, file type, python version, digests)."""
    from twine import exceptions as twine_exceptions
    from twine.package import PackageFile

    try:
        package = PackageFile.from_filename(str(path), comment=None)
        metadata: dict[str, Any] = dict(package.metadata_dictionary())
    except (twine_exceptions.TwineException, ValueError) as e:
        raise FormError(f"{path.name}: twine cannot read it: {e}") from e
    fields: list[tuple[str, str]] = []
    for key, value in metadata.items():
        if value is None:
            continue
        if key == "gpg_signature":
            continue
        if key == "project_urls" and isinstance(value, dict):
            fields.extend((key, f"{name}, {url}") for name, url in value.items())
        elif key == "keywords" and isinstance(value, list):
            fields.append((key, ", ".join(value)))
        elif isinstance(value, list | tuple):
            fields.extend((key, str(item)) for item in value)
        else:
            fields.append((key, str(value)))
    fields += [(":action", "file_upload"), ("protocol_version", "1")]
    return fields


def multipart(fields: list[tuple[str, str]], filename: str, content: bytes) -> tuple[list[bytes], str]:
    """The form as chunks (the file's bytes are sent as they are, not copied into one body)."""
    boundary = "manta-" + secrets.token_hex(16)
    head = io.BytesIO()
    for name, value in fields:
        head.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        head.write(value.encode() + b"\r\n")
    head.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    return [head.getvalue(), content, f"\r\n--{boundary}--\r\n".encode()], f"multipart/form-data; boundary={boundary}"


def upload_file(
    path: Path,
    sha256: str,
    url: str,
    credentials: Credentials | None,
    ctx: Context,
    *,
    retries: int = 3,
    retry_delay: float = 1.0,
    timeout: float = 300.0,
    confirm: Callable[[str], str | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> UploadResult:
    """Upload ``path``; ``confirm(filename)`` returns the index's sha256 for it (or None)."""
    try:
        fields = upload_form(path)
    except FormError as e:
        return UploadResult(
            path.name,
            False,
            0,
            failure=Failure(
                "rejected", str(e), "rebuild the file (`manta-release build`) and run `manta-release check`"
            ),
        )
    body, content_type = multipart(fields, path.name, path.read_bytes())
    headers = {"Content-Type": content_type, "Content-Length": str(sum(len(chunk) for chunk in body))}
    if credentials is not None:
        headers["Authorization"] = credentials.header()
    attempt = 0
    retried_after_loss = maybe_landed = False
    while True:
        attempt += 1
        failure: Failure
        response: Response | None = None
        try:
            response = request("POST", url, data=body, headers=headers, timeout=timeout)
        except OSError as e:
            failure = from_exception(e, ctx, url)
            retried_after_loss = True
            if not isinstance(e, ConnectionRefusedError):
                maybe_landed = True
        else:
            if response.status in {200, 201}:
                note = f"on attempt {attempt}" if attempt > 1 else ""
                return UploadResult(path.name, True, attempt, note=note, response=response)
            failure = from_response(response, ctx, path.name)
            if failure.kind == "exists" and confirm is not None:
                # Identical content already there: an earlier attempt (ours, or a parallel run) landed.
                try:
                    on_index = confirm(path.name)
                except Exception:  # a failed confirmation keeps the original answer
                    on_index = None
                if on_index is not None and on_index == sha256:
                    note = "landed on an earlier attempt" if retried_after_loss else "already on the index (identical)"
                    return UploadResult(path.name, True, attempt, note=note, response=response)
            if failure.transient:
                retried_after_loss = maybe_landed = True
        if not failure.transient or attempt > retries:
            return UploadResult(
                path.name, False, attempt, failure=failure, response=response, maybe_landed=maybe_landed
            )
        sleep(retry_delay * (2 ** (attempt - 1)))
