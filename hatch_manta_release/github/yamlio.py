"""Workflow YAML in and out through ruamel.yaml's round-trip mode.

One library writes and reads every workflow, so no config value can break the YAML (ruamel quotes
what needs quoting) and a hand-written workflow is read as YAML, not by pattern. Round-trip mode
keeps what a YAML reader would drop: the ``# v6.1.0`` comment beside a pinned ``uses:`` (dependabot
and renovate bump it with the SHA) and the line of every key, for messages that point at a line.

GitHub's parser also reads YAML 1.1 spellings (``yes``, ``on``, ``1:30``) as booleans and numbers,
so such strings are always quoted here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from hatch_manta_release.core.errors import MantaError


class WorkflowYAMLError(MantaError):
    """A workflow file that is not valid YAML.

    Fix: correct the file at the line the message names, or regenerate it from the configuration
    (``hatch run release:workflow``).
    """


@dataclass(frozen=True)
class Commented:
    """A mapping value written with a trailing ``# comment``."""

    value: Any
    comment: str


@dataclass(frozen=True)
class Flow:
    """A short list written inline: ``[a, b]``."""

    items: tuple[Any, ...]


# YAML 1.1 booleans and sexagesimal numbers: strings to YAML 1.2 (ruamel), not to every reader.
_YAML11_SPECIAL = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$"
)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long line (an expression, a command)
    return yaml


def to_node(value: Any) -> Any:
    """Plain mappings and lists (with :class:`Commented` and :class:`Flow`) as ruamel nodes."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            if isinstance(item, Commented):
                node[key] = to_node(item.value)
                node.yaml_add_eol_comment(f"# {item.comment}", key)
            else:
                node[key] = to_node(item)
        return node
    if isinstance(value, Flow):
        seq = CommentedSeq(to_node(v) for v in value.items)
        seq.fa.set_flow_style()
        return seq
    if isinstance(value, Sequence) and not isinstance(value, str):
        return CommentedSeq(to_node(v) for v in value)
    if isinstance(value, str) and _YAML11_SPECIAL.match(value):
        return SingleQuotedScalarString(value)
    return value


def dump(document: Any) -> str:
    """Block-style YAML text for a mapping or a list."""
    stream = io.StringIO()
    _yaml().dump(to_node(document), stream)
    return stream.getvalue()


def load(text: str, source: str = "workflow") -> Any:
    """Read YAML in round-trip mode (comments and lines kept); one line of cause on bad YAML."""
    try:
        return _yaml().load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise WorkflowYAMLError(f"{source}: not valid YAML{where}: {problem}",
                                "fix the file, or regenerate it") from None


def eol_comment(mapping: Any, key: str) -> str | None:
    """The ``# comment`` after ``key: value`` on the same line, without the ``#``, or None."""
    items = getattr(getattr(mapping, "ca", None), "items", {})
    token = items.get(key, [None, None, None])[2] if key in items else None
    if token is None:
        return None
    first = token.value.split("\n", 1)[0].strip()
    return first[1:].strip() or None if first.startswith("#") else None


def line_of(mapping: Any, key: str) -> int | None:
    """The 1-based line of ``key`` in a loaded mapping, or None when unknown."""
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None
