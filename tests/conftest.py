from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.projects import hatch_env


@pytest.fixture
def isolated_hatch(tmp_path: Path) -> dict[str, str]:
    """Environment variables for a real hatch run isolated inside this test's temp folder."""
    return hatch_env(tmp_path)
