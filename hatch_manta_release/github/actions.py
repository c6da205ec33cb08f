"""GitHub Actions as a place the commands run in: workflow commands, outputs, the step summary.

Everything this package writes for the runner goes through here, so it is escaped in one place:
a file name or an index message can never inject a workflow command (``::error::`` in a name
prints as text).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from hatch_manta_release.core.errors import MantaError
from hatch_manta_release.core.github_run import on_github_actions
from hatch_manta_release.core.redaction import redact

GITHUB_OUTPUT = "GITHUB_OUTPUT"
GITHUB_STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner's own toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``title=…``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str = "", **properties: str) -> str:
    """The one place a ``::name key=value::message`` line is made."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def emit(line: str, stream: TextIO | None = None) -> None:
    """Write a workflow command on stdout, where the runner reads them."""
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()


def annotate(level: str, message: str, title: str | None = None, environ: Mapping[str, str] | None = None) -> None:
    """A ``warning``/``error``/``notice`` annotation on the run's page (only on GitHub Actions)."""
    if on_github_actions(environ):
        emit(workflow_command(level, message, **({"title": title} if title else {})))


def add_mask(secret: str, environ: Mapping[str, str] | None = None) -> None:
    """Ask the runner to mask ``secret`` in its logs: each line on its own (a mask is one line)."""
    if not on_github_actions(environ):
        return
    stream = getattr(sys.stdout, "unredacted", sys.stdout)  # past the redaction point, or the mask would be ***
    for line in secret.splitlines():
        if line.strip():
            emit(f"::add-mask::{line}", stream)


@contextmanager
def group(title: str, enabled: bool | None = None) -> Iterator[None]:
    """A collapsible log group around a step's output (only on GitHub Actions)."""
    active = on_github_actions() if enabled is None else enabled
    if active:
        emit(workflow_command("group", title))
    try:
        yield
    finally:
        if active:
            emit(workflow_command("endgroup"))


def format_outputs(outputs: Mapping[str, str]) -> str:
    """``key=value`` lines; a value with a line break uses GitHub's ``key<<DELIMITER`` form."""
    lines = []
    for key, value in outputs.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
            lines.extend([f"{key}<<{delimiter}", value, delimiter])
        else:
            lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"


def append_to(path: Path, text: str, variable: str) -> None:
    """Append to the file ``$variable`` names; an unwritable file is a user error naming it."""
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(redact(text))
    except OSError as e:
        raise MantaError(
            f"cannot append to ${variable} ({path}): {e.strerror or e}",
            f"{variable} must name a writable file (GitHub Actions sets it in every step)",
        ) from None


def append_step_summary(markdown: str, environ: Mapping[str, str] | None = None) -> bool:
    """Add Markdown to the job's summary page where ``$GITHUB_STEP_SUMMARY`` is set."""
    path = (os.environ if environ is None else environ).get(GITHUB_STEP_SUMMARY)
    if not path:
        return False
    append_to(Path(path), markdown, GITHUB_STEP_SUMMARY)
    return True
