"""The package keeps its shape: short functions, and the core importable without the release tools."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hatch_manta_release"
MAX_FUNCTION_LINES = 60


def long_functions() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(PACKAGE)} {node.name}")
    return found


def test_no_function_over_60_lines() -> None:
    assert long_functions() == []


def test_core_imports_only_stdlib_and_packaging() -> None:
    """core/ runs inside every build of every adopting project."""
    allowed_roots = {"packaging", "hatch_manta_release", "tomli", "__future__"}
    import sys

    stdlib = set(sys.stdlib_module_names)
    for path in sorted((PACKAGE / "core").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root in stdlib or root in allowed_roots, f"{path.name} imports {name}"
                if root == "hatch_manta_release":
                    assert name.startswith("hatch_manta_release.core"), f"{path.name} imports {name}"
