"""Which tag pushes start a workflow: its ``on:`` read as YAML, and GitHub's filter patterns.

``doctor`` uses this to tell whether a pushed release tag starts the generated workflow, and the
workflow scan (:mod:`hatch_manta_release.github.scan`) to find other workflows that publish on the
same tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hatch_manta_release.core.errors import MantaError


def tag_pattern(prefix: str) -> str:
    """The ``on.push.tags`` filter for release tags: the prefix, then a digit.

    GitHub's filter syntax treats ``* ? + [ ] !`` and ``\\`` specially; the config already refuses
    ``* ? [ ] \\`` in a prefix, so only ``+`` (and a leading ``!``) need escaping.
    """
    escaped = prefix.replace("+", "\\+")
    if escaped.startswith("!"):
        escaped = "\\" + escaped
    return f"{escaped}[0-9]*"


def triggers_of(document: Any) -> Mapping[str, Any]:
    """``on:`` as a mapping of event -> settings (``on: push`` and ``on: [a, b]`` included)."""
    if not isinstance(document, Mapping):
        return {}
    on = document.get("on", document.get(True))  # a YAML 1.1 reader turns the key `on` into true
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(event): None for event in on}
    return on if isinstance(on, Mapping) else {}


def _patterns(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def tag_patterns_of(document: Any) -> list[str] | None:
    """The ``on.push.tags`` filters of a loaded workflow.

    ``None`` when pushing a tag does not trigger the workflow at all, ``["**"]`` when every tag
    does (``on: push`` without ref filters); ``tags-ignore`` entries come back negated (``!x``).
    """
    triggers = triggers_of(document)
    if "push" not in triggers:
        return None
    push = triggers["push"]
    if push is None:
        return ["**"]
    return _push_filters(push) if isinstance(push, Mapping) else None


def _push_filters(push: Mapping[str, Any]) -> list[str] | None:
    if "tags" in push:
        return _patterns(push["tags"])
    if "tags-ignore" in push:
        return ["**", *(f"!{p}" for p in _patterns(push["tags-ignore"]))]
    if "branches" in push or "branches-ignore" in push:
        return None  # only branch filters: tag pushes do not trigger it
    return ["**"]


def push_tag_patterns(text: str) -> list[str] | None:
    """:func:`tag_patterns_of` for a workflow's text; ``None`` too when it is not valid YAML."""
    from hatch_manta_release.github.yamlio import load

    try:
        return tag_patterns_of(load(text))
    except MantaError:
        return None


def github_pattern_regex(pattern: str) -> re.Pattern[str]:
    """A regex for one GitHub Actions filter pattern (``*``, ``**``, ``?``, ``+``, ``[...]``, ``\\``)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            if pattern[i : i + 2] == "**":
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c in "?+" and out:
            out[-1] = f"(?:{out[-1]}){c}"
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                out.append("[" + pattern[i + 1 : end] + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def tag_triggers(patterns: list[str], tag: str) -> bool:
    """Whether pushing ``tag`` triggers a workflow with these ``tags`` filters (``!`` negates)."""
    matched = False
    for pattern in patterns:
        if pattern.startswith("!"):
            if matched and github_pattern_regex(pattern[1:]).match(tag):
                matched = False
        elif github_pattern_regex(pattern).match(tag):
            matched = True
    return matched
