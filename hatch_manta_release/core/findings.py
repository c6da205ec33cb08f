"""One shape for what a check finds (``check`` over dist/, ``doctor`` over the setup).

A finding is data: its level, what is wrong (or fine), and the fix; the CLI renders it. An error
that stops a command is a :class:`~hatch_manta_release.core.errors.MantaError` with the same two
parts (message = cause, hint = fix).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Level = Literal["ok", "info", "warning", "error", "skip"]


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str  # what was found: the cause, or a summary when all is well
    hint: str | None = None  # the fix
    subject: str | None = None  # what it is about: a file of dist/, or the name of a doctor check
    detail: str | None = None  # more on the cause, where the message is a summary

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
