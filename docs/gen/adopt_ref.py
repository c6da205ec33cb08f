"""Getting started's "after" files, produced by running ``init`` on the "before" example.

``examples/before-pyproject.toml`` and ``examples/before-publish.yml`` are the hand-written
starting point (a project with a compiled part and hand-written release YAML); the adopted
``pyproject.toml``, the list of changes and the new ``release.yml`` are what
``adopt.init.init_project`` writes for it, at every build.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from hatch_manta_release.adopt.init import InitResult, init_project
from hatch_manta_release.github.workflow import WORKFLOW_PATH

EXAMPLES = Path(__file__).resolve().parent / "examples"


def _fence(text: str, lang: str, title: str) -> str:
    return f'```{lang} title="{title}"\n{text.rstrip()}\n```'


@functools.cache
def adopted() -> tuple[str, str, InitResult]:
    """(pyproject.toml, release.yml, what init reported) after ``manta-release init``."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text((EXAMPLES / "before-pyproject.toml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
        result = init_project(root)
        return ((root / "pyproject.toml").read_text(encoding="utf-8"),
                (root / WORKFLOW_PATH).read_text(encoding="utf-8"), result)


def before_pyproject() -> str:
    return _fence((EXAMPLES / "before-pyproject.toml").read_text(encoding="utf-8"), "toml", "pyproject.toml")


def before_workflow() -> str:
    return _fence((EXAMPLES / "before-publish.yml").read_text(encoding="utf-8"), "yaml",
                  ".github/workflows/publish.yml")


def after_pyproject() -> str:
    return _fence(adopted()[0], "toml", "pyproject.toml")


def after_workflow() -> str:
    return _fence(adopted()[1], "yaml", WORKFLOW_PATH.as_posix())


def changes() -> str:
    result = adopted()[2]
    lines = [f"- {change}" for change in result.changes]
    lines += [f"- *note:* {note}" for note in result.notes]
    return "\n".join(lines)
