"""MkDocs hooks: fill the generated parts of the pages from the code, at every build.

A page asks for a generated part with a line ``<!-- gen: NAME -->``; :data:`PARTS` maps each name
to the function that renders it from the code. An unknown name fails the build.

Pages may also link to files of the repository outside ``docs/`` (``../benchmarks/README.md``):
those files are added to the site under ``repo/`` (Markdown as pages, anything else as a file) and
the links rewritten, so the site is complete on its own and ``--strict`` can check every link.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

GEN = Path(__file__).resolve().parent

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- gen: (?P<name>[a-z0-9-]+) -->[ \t]*$", re.M)
LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")
REPO_DIR = "repo"


def parts() -> dict[str, Callable[[], str]]:
    """Every generated part, by the name a page uses."""
    if str(GEN) not in sys.path:  # MkDocs restores sys.path after loading a hook module
        sys.path.insert(0, str(GEN))
    import adopt_ref
    import commands_ref
    import config_ref
    import errors_ref
    import publishing_ref
    import tags_ref
    import workflow_ref

    return {
        "config-reference": config_ref.render,
        "troubleshooting": errors_ref.render,
        "commands": commands_ref.render,
        "workflow-jobs": workflow_ref.render,
        "tag-mapping": tags_ref.mapping_table,
        "tag-refused": tags_ref.refused_table,
        "tag-labels": tags_ref.labels_table,
        "dev-versions": tags_ref.development_table,
        "version-order": tags_ref.ordering,
        "tag-numeric-suffix": tags_ref.numeric_suffix_table,
        "tag-skipped": tags_ref.skipped_warning,
        "publishers": publishing_ref.publisher_table,
        "adopt-before-pyproject": adopt_ref.before_pyproject,
        "adopt-before-workflow": adopt_ref.before_workflow,
        "adopt-after-pyproject": adopt_ref.after_pyproject,
        "adopt-after-workflow": adopt_ref.after_workflow,
        "adopt-changes": adopt_ref.changes,
        "hatch-vcs-before": adopt_ref.hatch_vcs_before,
        "hatch-vcs-after": adopt_ref.hatch_vcs_after,
        "hatch-vcs-changes": adopt_ref.hatch_vcs_changes,
        "hatch-vcs-raw-options": adopt_ref.raw_options_table,
        "repositories": publishing_ref.repository_table,
    }


def expand(markdown: str, where: str = "") -> str:
    """Replace every ``<!-- gen: NAME -->`` line with its part."""
    table = parts()

    def one(match: re.Match[str]) -> str:
        name, indent = match.group("name"), match.group("indent")
        if name not in table:
            raise ValueError(f"{where}: unknown generated part {name!r}; known: {', '.join(table)}")
        return "\n".join(indent + line if line else line for line in table[name]().rstrip("\n").splitlines())

    return MARKER.sub(one, markdown)


def real_path(src_uri: str) -> str:
    """Where a page of the site lives in the repository (``index.md`` → ``docs/index.md``)."""
    return src_uri[len(REPO_DIR) + 1 :] if src_uri.startswith(REPO_DIR + "/") else f"docs/{src_uri}"


def site_path(repo_path: str) -> str:
    """Where a repository file is in the site: ``docs/x.md`` → ``x.md``, others under ``repo/``."""
    return repo_path[len("docs/") :] if repo_path.startswith("docs/") else f"{REPO_DIR}/{repo_path}"


def repo_links(src_uri: str, markdown: str, root: Path) -> dict[str, str]:
    """Relative link targets of a page, mapped to the repository file each names (files only)."""
    found = {}
    base = posixpath.dirname(real_path(src_uri))
    for match in LINK.finditer(markdown):
        target = match.group("target")
        if "://" in target or target.startswith(("mailto:", "/")):
            continue
        path = posixpath.normpath(posixpath.join(base, target))
        if not path.startswith("../") and (root / path).is_file():
            found[target] = path
    return found


def on_files(files: Any, config: Any) -> Any:
    """Add the repository files outside ``docs/`` that pages link to (and that those link to)."""
    from mkdocs.structure.files import File

    root = Path(config["docs_dir"]).resolve().parent
    todo = [(f.src_uri, Path(f.abs_src_path).read_text(encoding="utf-8")) for f in files.documentation_pages()]
    added: set[str] = set()
    while todo:
        src_uri, markdown = todo.pop()
        for path in repo_links(src_uri, markdown, root).values():
            if path.startswith("docs/") or path in added:
                continue
            added.add(path)
            content = (root / path).read_text(encoding="utf-8")
            files.append(File.generated(config, site_path(path), content=content))
            if path.endswith(".md"):
                todo.append((site_path(path), content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Generated parts in; links to repository files pointed at their place in the site."""
    src = page.file.src_uri
    markdown = expand(markdown, src)
    targets = repo_links(src, markdown, Path(config["docs_dir"]).resolve().parent)

    def relink(match: re.Match[str]) -> str:
        target = match.group("target")
        if target not in targets:
            return match.group(0)
        new = posixpath.relpath(site_path(targets[target]), posixpath.dirname(src) or ".")
        return f"]({new}{match.group('anchor') or ''})"

    return LINK.sub(relink, markdown)
