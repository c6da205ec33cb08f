"""Troubleshooting, generated from the error classes and the places that raise them.

Every :class:`~hatch_manta_release.core.errors.MantaError` subclass in the package gets an entry:
its docstring's first paragraph is the cause, its ``Fix:`` paragraph the fix. Under it, every
message the code can print with that class, read from the source with :mod:`ast` (each
``SomeError("message", "hint")`` call; run-time values shown as ``<name>``), and the index answers
the publisher translates (each ``Failure(kind, cause, fix)`` in ``publish/``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re
import sys
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


class Scope:
    """What a name stands for where a message is built: the string templates assigned to it in
    the function (a factory's parameters bound to the call's arguments), else a string constant
    of the module, else ``<name>``."""

    def __init__(self, module: object, local: dict[str, str] | None = None) -> None:
        self.module = module
        self.local = local or {}

    def template(self, node: ast.expr | None) -> str:
        """A string expression as a template: literal text kept, values as ``<name>``."""
        if node is None:
            return ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(self.template(part) if isinstance(part, ast.Constant) else self.placeholder(part)
                           for part in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.template(node.left) + self.template(node.right)
        if isinstance(node, ast.IfExp):
            body, orelse = self.template(node.body), self.template(node.orelse)
            return f"[{body or orelse}]" if not (body and orelse) else f"{body} / {orelse}"
        return self.placeholder(node)

    def placeholder(self, node: ast.expr) -> str:
        value = node.value if isinstance(node, ast.FormattedValue) else node
        if isinstance(value, ast.Name):
            if value.id in self.local:
                return self.local[value.id]
            constant = getattr(self.module, value.id, None)
            return constant if isinstance(constant, str) else f"<{value.id}>"
        if isinstance(value, ast.Attribute):
            return f"<{value.attr}>"
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            return f"<{value.func.id}(…)>"
        return "<…>"


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) and _is_text(node.orelse)
    return isinstance(node, ast.JoinedStr)


def _local_strings(assignments: list[ast.Assign | ast.AugAssign], scope: Scope) -> dict[str, str]:
    """Names assigned only strings in a function: their templates (several joined by ``/``)."""
    found: dict[str, list[str]] = {}
    other: set[str] = set()
    for node in sorted(assignments, key=lambda n: (n.lineno, n.col_offset)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if not _is_text(node.value):
                other.add(target.id)
            elif isinstance(node, ast.AugAssign) and found.get(target.id):
                found[target.id][-1] += f"[{scope.template(node.value)}]"
            else:
                found.setdefault(target.id, []).append(scope.template(node.value))
    return {name: " / ".join(dict.fromkeys(t)) for name, t in found.items() if name not in other}


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


@dataclass(frozen=True)
class Factory:
    """A function that returns an error (``_fail(path, value, allowed) -> ConfigError``)."""

    cls: str
    call: ast.Call
    params: list[ast.arg]
    defaults: dict[str, ast.expr]
    module: object


Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Index:
    """One walk of a module: its calls and returns with their innermost function, each function's
    assignments, and a :class:`Scope` per function (built on first use)."""

    module: object
    calls: list[tuple[ast.Call, Function | None]]
    returns: list[tuple[ast.Return, Function | None]]
    assignments: dict[Function, list[ast.Assign | ast.AugAssign]]
    scopes: dict[Function | None, Scope]

    def scope(self, function: Function | None) -> Scope:
        if function not in self.scopes:
            scope = Scope(self.module)
            scope.local = _local_strings(self.assignments.get(function, []), scope) if function else {}
            self.scopes[function] = scope
        return self.scopes[function]


def _index(tree: ast.Module, module: object) -> Index:
    index = Index(module, [], [], {}, {})
    stack: list[tuple[ast.AST, Function | None]] = [(tree, None)]
    while stack:
        node, function = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            index.calls.append((node, function))
        elif isinstance(node, ast.Return):
            index.returns.append((node, function))
        elif isinstance(node, ast.Assign | ast.AugAssign) and function is not None:
            index.assignments.setdefault(function, []).append(node)
        stack.extend((child, function) for child in ast.iter_child_nodes(node))
    index.calls.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    return index


def _factories(indexes: list[Index], names: set[str]) -> dict[str, Factory]:
    found = {}
    for index in indexes:
        for ret, node in index.returns:
            call = ret.value
            if node is None or not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                                    and call.func.id in names):
                continue
            params = [*node.args.args, *node.args.kwonlyargs]
            pos_defaults = dict(zip([a.arg for a in node.args.args][::-1], node.args.defaults[::-1], strict=False))
            kw_defaults = {a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                           if d is not None}
            found[node.name] = Factory(call.func.id, call, params, pos_defaults | kw_defaults, index.module)
    return found


def _bind(factory: Factory, call: ast.Call, scope: Scope) -> Scope:
    """The factory's names, with its parameters bound to the templates of ``call``'s arguments."""
    outer = Scope(factory.module)
    bound = {name: outer.template(value) for name, value in factory.defaults.items()}
    for param, arg in zip(factory.params, call.args, strict=False):
        bound[param.arg] = scope.template(arg)
    bound.update({k.arg: scope.template(k.value) for k in call.keywords if k.arg})
    return Scope(factory.module, bound)


@functools.cache
def _modules() -> list[tuple[Path, Index]]:
    import_all()
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        module = sys.modules.get(name.removesuffix(".__init__"))
        out.append((path, _index(ast.parse(path.read_text(encoding="utf-8")), module)))
    return out


def sites(names: set[str]) -> list[Site]:
    """Every message built by an error class (by name), by a function returning one, or by ``Failure``."""
    modules = _modules()
    factories = _factories([index for _, index in modules], names)
    out: list[Site] = []
    for path, index in modules:
        where_module = path.relative_to(PACKAGE.parent).as_posix()
        for node, function in index.calls:
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            if not node.args or not (name == "Failure" or name in names or name in factories):
                continue
            scope = index.scope(function)
            where = f"{where_module} `{function.name if function else '<module>'}`"
            if name == "Failure":
                out.append(Site(f"Failure:{scope.template(node.args[0])}", scope.template(_argument(node, 1, "cause")),
                                scope.template(_argument(node, 2, "fix")), where))
            elif name in names and (function is None or function.name not in factories):
                out.append(Site(name, scope.template(node.args[0]), scope.template(_argument(node, 1, "hint")), where))
            elif name in factories:
                factory = factories[name]
                inner = _bind(factory, node, scope)
                out.append(Site(factory.cls, inner.template(_argument(factory.call, 0, "message")),
                                inner.template(_argument(factory.call, 1, "hint")), where))
    return out


FIELDS = {  # the Finding dataclasses' field names for each part (core.findings, and older local ones)
    "level": ("level", "status"),
    "message": ("message", "summary"),
    "cause": ("detail", "cause"),
    "fix": ("hint", "fix"),
    "subject": ("subject", "check"),
}
QUIET_LEVELS = {"ok", "skip", "info"}


@dataclass(frozen=True)
class FindingSite:
    """One problem ``check`` or ``doctor`` can report."""

    module: str
    subject: str
    level: str
    message: str
    fix: str
    where: str


def findings() -> list[FindingSite]:
    """Every ``Finding(...)`` the package builds with a problem level, its fields bound by name."""
    import dataclasses

    out: list[FindingSite] = []
    factories = _factories([index for _, index in _modules()], {"Finding"})  # doctor's _finding(...)
    for path, index in _modules():
        cls = getattr(index.module, "Finding", None)
        if cls is None or not dataclasses.is_dataclass(cls):
            continue
        names = [f.name for f in dataclasses.fields(cls)]
        short = path.relative_to(PACKAGE.parent).as_posix()
        for node, function in index.calls:
            assert isinstance(node.func, ast.Name)
            scope = index.scope(function)
            if node.func.id == "Finding" and (function is None or function.name not in factories):
                call = node
            elif node.func.id in factories and factories[node.func.id].module is index.module:
                call, scope = factories[node.func.id].call, _bind(factories[node.func.id], node, scope)
            else:
                continue
            bound = dict(zip(names, call.args, strict=False))
            bound.update({k.arg: k.value for k in call.keywords if k.arg})

            def part(role: str, bound: dict[str, ast.expr] = bound, scope: Scope = scope) -> str:
                return next((scope.template(bound[n]) for n in FIELDS[role] if n in bound), "")

            level = part("level")
            if level in QUIET_LEVELS:
                continue
            message = part("message") + (f" ({part('cause')})" if part("cause") else "")
            out.append(FindingSite(short, part("subject"), level, message, part("fix"),
                                   f"{short} `{function.name if function else '<module>'}`"))
    return list(dict.fromkeys(out))


def _findings_section() -> list[str]:
    found = findings()
    if not found:
        return []
    lines = ["## Findings of `check` and `doctor` { #findings }", "",
             "Problems `release:check` (over `dist/`) and `release:doctor` (over the whole set-up) report "
             "without stopping at the first; each comes with its fix.", ""]
    for module in dict.fromkeys(f.module for f in found):
        lines += [f"### `{module}`", "", "| about | level | finding | fix |", "|---|---|---|---|"]
        for f in (f for f in found if f.module == module):
            lines.append(f"| {_cell(f.subject)} | {f.level.strip('<>')} | {_cell(f.message)} | {_cell(f.fix)} |")
        lines.append("")
    return lines


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else "*undocumented*"


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
        lines += [f"**Cause.** {_sentence(doc.cause)}", "", f"**Fix.** {_sentence(doc.fix)}", ""]
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
            name = kind.split(":", 1)[1]
            lines += [f"### `{name}`" + " { #index-" + name + " }", "",
                      *_site_table([s for s in failures if s.name == kind])]
    return "\n".join([*lines, *_findings_section()])
