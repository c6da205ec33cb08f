"""Troubleshooting, generated from the error classes and the places that raise them.

Every :class:`~hatch_manta_release.core.errors.MantaError` subclass in the package gets an entry:
its docstring's first paragraph is the cause, its ``Fix:`` paragraph the fix. Under it, every
message the code can print with that class, read from the source with :mod:`ast` (each
``SomeError("message", "hint")`` call; run-time values shown as ``<name>``), and the index answers
the publisher translates (each ``Failure(kind, cause, fix)`` in ``publish/``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

import hatch_manta_release
from hatch_manta_release.core.errors import MantaError

PACKAGE = Path(hatch_manta_release.__file__).parent


def import_all() -> None:
    """Import every module so every error class is defined (the CLI imports lazily)."""
    for info in pkgutil.walk_packages([str(PACKAGE)], "hatch_manta_release."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)


def error_classes() -> list[type[MantaError]]:
    """MantaError and all its subclasses, base first, then by name."""
    import_all()
    found: list[type[MantaError]] = []
    todo: list[type[MantaError]] = [MantaError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("hatch_manta_release") and cls not in found:
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return [MantaError, *sorted((c for c in found if c is not MantaError), key=lambda c: c.__name__)]


@dataclass(frozen=True)
class ClassDoc:
    cause: str
    fix: str


def class_doc(cls: type) -> ClassDoc:
    """Cause (the docstring's first paragraph) and fix (its ``Fix:`` paragraph)."""
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc) if p.strip()]
    fix = next((p[4:].strip() for p in paragraphs if p.startswith("Fix:")), "")
    cause = next((p for p in paragraphs if not p.startswith("Fix:")), "")
    return ClassDoc(cause, fix)


@dataclass(frozen=True)
class Site:
    """One message the code can print."""

    name: str  # the class (or "Failure:<kind>")
    message: str
    hint: str
    where: str  # module path and function


def _template(node: ast.expr | None) -> str:
    """A string expression as a template: literal text kept, values as ``<name>``."""
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_template(part) if isinstance(part, ast.Constant) else _placeholder(part)
                       for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _template(node.left) + _template(node.right)
    return _placeholder(node)


def _placeholder(node: ast.expr) -> str:
    value = node.value if isinstance(node, ast.FormattedValue) else node
    if isinstance(value, ast.Name):
        return f"<{value.id}>"
    if isinstance(value, ast.Attribute):
        return f"<{value.attr}>"
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return f"<{value.func.id}(…)>"
    return "<…>"


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _functions(tree: ast.AST) -> dict[ast.AST, str]:
    owner: dict[ast.AST, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(node):
                if child is not node:
                    owner.setdefault(child, node.name)
    return owner


def sites(names: set[str]) -> list[Site]:
    """Every call of an error class (by name) or of ``Failure`` in the package's source."""
    out: list[Site] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner = _functions(tree)
        module = path.relative_to(PACKAGE.parent).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name = node.func.id
            where = f"{module} `{owner.get(node, '<module>')}`"
            if name == "Failure" and node.args:
                kind = _template(node.args[0])
                out.append(Site(f"Failure:{kind}", _template(_argument(node, 1, "cause")),
                                _template(_argument(node, 2, "fix")), where))
            elif name in names and node.args:
                out.append(Site(name, _template(node.args[0]), _template(_argument(node, 1, "hint")), where))
    return out


def anchor(cls: type) -> str:
    return cls.__name__.lower()


def _cell(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return "—"
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _site_table(rows: list[Site]) -> list[str]:
    lines = ["| message | hint | raised in |", "|---|---|---|"]
    lines += [f"| {_cell(s.message)} | {_cell(s.hint)} | {s.where.replace('|', '')} |" for s in rows]
    return [*lines, ""]


def render() -> str:
    classes = error_classes()
    all_sites = sites({c.__name__ for c in classes})
    lines: list[str] = []
    for cls in classes:
        doc = class_doc(cls)
        bases = ", ".join(f"[`{b.__name__}`](#{anchor(b)})" for b in cls.__bases__ if issubclass(b, MantaError))
        lines += [f"## `{cls.__name__}`" + " { #" + anchor(cls) + " }", ""]
        lines += [f"`{cls.__module__}.{cls.__name__}`" + (f", a kind of {bases}" if bases else "")
                  + f"; exit code {cls.exit_code}.", ""]
        lines += [f"**Cause.** {doc.cause or '*undocumented*'}", "", f"**Fix.** {doc.fix or '*undocumented*'}", ""]
        own = [s for s in all_sites if s.name == cls.__name__]
        if own:
            lines += ["Messages it prints:", "", *_site_table(own)]
    failures = [s for s in all_sites if s.name.startswith("Failure:")]
    if failures:
        lines += ["## Index answers { #index-answers }", "",
                  "What an index (or the network) answered, translated by `publish/failures.py` into a cause "
                  "and a fix; `publish` prints them and stops with a [`PublishError`](#publisherror) "
                  "(`--verbose` adds the index's own words).", ""]
        for kind in dict.fromkeys(s.name for s in failures):
            lines += [f"### `{kind.split(':', 1)[1]}`", "", *_site_table([s for s in failures if s.name == kind])]
    return "\n".join(lines)
