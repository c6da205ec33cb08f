"""User-facing errors.

A :class:`MantaError` is a user mistake or an environment problem (a bad tag, a malformed config,
a shallow clone, a refused upload). The CLI prints it as one line of cause and one of fix, never a
traceback; anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


class MantaError(Exception):
    """An error the user can fix; ``hint`` says how.

    Fix: follow the ``hint:`` line printed under the message: it names the key, tag, file or
    variable to change.
    """

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
    """``[tool.manta-release]`` (or a related table of ``pyproject.toml``) is malformed.

    Fix: correct the key the message names; every key's type and allowed values are in the
    configuration reference, and ``hatch run release:doctor`` checks the whole file.
    """

    exit_code = 2


class TagError(MantaError):
    """A git tag cannot be turned into a release version.

    Fix: tag the release in an accepted form (``v1.2.0``, ``v1.2.0-rc.1``, ``v1.2.0rc1``), add
    the label under ``prerelease-labels`` or set ``tag-prefix``; remove a wrong tag with
    ``git tag -d <tag>`` and ``git push --delete origin <tag>``.
    """


class GitError(MantaError):
    """git is missing, the tree is not a repository, or history/tags are incomplete.

    Fix: run in a git checkout with its history and tags: ``fetch-depth: 0`` on actions/checkout
    in a workflow, ``git fetch --tags --unshallow`` locally; install git if it is missing.
    """
