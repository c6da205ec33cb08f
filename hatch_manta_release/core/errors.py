"""User-facing errors.

A :class:`MantaError` is a user mistake or an environment problem (a bad tag, a malformed config,
a shallow clone, a refused upload). The CLI prints it as one line of cause and one of fix, never a
traceback; anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


class MantaError(Exception):
    """An error the user can fix; ``hint`` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(MantaError):
    """``[tool.manta-release]`` (or a related table) is malformed."""

    exit_code = 2


class TagError(MantaError):
    """A git tag cannot be turned into a release version."""


class GitError(MantaError):
    """git is missing, the tree is not a repository, or history/tags are incomplete."""
