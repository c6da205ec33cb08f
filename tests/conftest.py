from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.projects import hatch_env


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
