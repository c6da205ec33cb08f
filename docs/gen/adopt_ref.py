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


def _esc(text: str) -> str:
    """Plain text for Markdown (``<sha>`` is not an HTML tag)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
    lines = [f"- {_esc(change)}" for change in result.changes]
    lines += [f"- *note:* {_esc(note)}" for note in result.notes]
    return "\n".join(lines)


@functools.cache
def _hatch_vcs() -> tuple[str, InitResult]:
    """examples/hatch-vcs-pyproject.toml after ``manta-release init`` (no workflow: only the tables)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text((EXAMPLES / "hatch-vcs-pyproject.toml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
        result = init_project(root, workflow=False)
        return (root / "pyproject.toml").read_text(encoding="utf-8"), result


def hatch_vcs_before() -> str:
    return _fence((EXAMPLES / "hatch-vcs-pyproject.toml").read_text(encoding="utf-8"), "toml",
                  "pyproject.toml (hatch-vcs)")


def hatch_vcs_after() -> str:
    return _fence(_hatch_vcs()[0], "toml", "pyproject.toml (after manta-release init)")


def hatch_vcs_changes() -> str:
    result = _hatch_vcs()[1]
    lines = [f"- {_esc(change)}" for change in result.changes]
    lines += [f"- *note:* {_esc(note)}" for note in result.notes]
    lines += [f"- *conflict:* {_esc(conflict)}" for conflict in result.conflicts]
    return "\n".join(lines)


def raw_options_table() -> str:
    """setuptools-scm's options under hatch-vcs's ``raw-options``, as init reports them when it removes them."""
    from hatch_manta_release.adopt.migrate import RAW_OPTIONS

    rows = ["| `raw-options` key | what init says when it removes it |", "|---|---|"]
    rows += [f"| `{key}` | {_esc(words)} |" for key, words in RAW_OPTIONS.items()]
    rows.append("| any other key | no counterpart here |")
    return "\n".join(rows)
