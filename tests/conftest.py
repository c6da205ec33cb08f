from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.projects import hatch_env


@pytest.fixture(autouse=True)
def _not_a_github_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """What starts a GitHub Actions run decides whether a plan publishes: a test that needs it sets it
    (the suite gives the same answers when it runs inside a workflow run)."""
    for name in ("GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITHUB_REF_TYPE", "GITHUB_REF_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def isolated_hatch(tmp_path: Path) -> dict[str, str]:
    """Environment variables for a real hatch run isolated inside this test's temp folder."""
    return hatch_env(tmp_path)


@pytest.fixture
def local_index(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real pypiserver on a free 127.0.0.1 port with upload auth (``tests/support/indexes.py``)."""
    from tests.support.indexes import start_index

    index = start_index(tmp_path, "local")
    yield index
    index.stop()
