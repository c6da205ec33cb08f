"""The documentation site: it builds strictly, its generated pages match the code, every link resolves.

The site is built once (a real ``mkdocs build --strict``, the command ``hatch run docs:build`` runs)
and served on 127.0.0.1 by a real HTTP server; the link check crawls it as a browser would.
"""

from __future__ import annotations

import html.parser
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "gen"))

import commands_ref  # noqa: E402
import config_ref  # noqa: E402
import errors_ref  # noqa: E402
import tags_ref  # noqa: E402
import workflow_ref  # noqa: E402

pytest.importorskip("mkdocs", reason="the docs extra (mkdocs, mkdocs-material) is not installed")


# ----------------------------------------------------------------------------- the built site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        check=False, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


class _Page(html.parser.HTMLParser):
    """The ids and the link targets of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "link" and values.get("href") and values.get("rel") in ("stylesheet", "canonical"):
            self.links.append(str(values["href"]))
        if tag in ("script", "img") and values.get("src"):
            self.links.append(str(values["src"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def page_of(site: Path, name: str) -> _Page:
    return parse((site / name / "index.html").read_text(encoding="utf-8"))


def text_of(site: Path, name: str) -> str:
    return " ".join("".join(page_of(site, name).text).split())


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# ----------------------------------------------------------------------------- links


@pytest.mark.slow
def test_every_internal_link_and_anchor_resolves(served: str) -> None:
    """Crawl the served site from its home page: every internal link answers 200 and every
    ``#anchor`` is an id on the page it points to."""
    pages: dict[str, _Page] = {}
    todo = [served]
    broken: list[str] = []
    anchors: list[tuple[str, str, str]] = []
    while todo:
        url = todo.pop()
        if url in pages:
            continue
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read()
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as e:
            broken.append(f"{url}: {e.code}")
            continue
        pages[url] = parse(body.decode("utf-8")) if kind == "text/html" else _Page()
        for href in pages[url].links:
            target = urllib.parse.urljoin(url, href)
            if not target.startswith(served):
                continue
            base, _, fragment = target.partition("#")
            if fragment:
                anchors.append((url, base, urllib.parse.unquote(fragment)))
            if base not in pages:
                todo.append(base)
    assert not broken
    missing = [f"{src} -> {base}#{fragment}" for src, base, fragment in anchors
               if base in pages and fragment not in pages[base].ids]
    assert not missing
    assert len([u for u in pages if u.endswith("/")]) >= 13  # every page of the nav was reached


# ----------------------------------------------------------------------------- configuration


def test_config_reference_documents_exactly_the_validators_keys() -> None:
    documented = [spec.key for spec in config_ref.specs()]
    missing = sorted(set(config_ref.code_keys()) - set(documented))
    assert not missing, "give these keys their words (type, allowed, example, doc) in the config code's key table"
    assert sorted(documented) == sorted(config_ref.code_keys())
    assert len(documented) == len(set(documented))
    for spec in config_ref.specs():
        assert spec.type and spec.allowed and spec.example and spec.doc, spec.key


def _example_config(spec: config_ref.Spec) -> object:
    text = f"[{config_ref.example_table(spec.key)}]\n{spec.key.rsplit('.', 1)[-1]} = {spec.example}\n"
    data = tomllib.loads(text)
    return data["tool"]["manta-release"]


def test_every_example_is_accepted_by_the_validator() -> None:
    from hatch_manta_release.core.config import parse_config

    for spec in config_ref.specs():
        parse_config(_example_config(spec), project_name="example")


@pytest.mark.slow
def test_configuration_page_matches_the_code(site: Path) -> None:
    from hatch_manta_release.core import config
    from hatch_manta_release.core.platforms import KNOWN_PLATFORMS

    page = page_of(site, "configuration")
    text = text_of(site, "configuration")
    for key in config_ref.code_keys():
        assert config_ref.anchor(key) in page.ids, key
    notes = {spec.key: spec.default_note for spec in config_ref.specs() if spec.default_note}
    for key, value in config_ref.defaults().items():
        shown = notes[key].format(default=value) if key in notes else value
        for part in shown.replace("`", "").split("<br>"):
            assert part in text, key
    for name in KNOWN_PLATFORMS:
        assert name in text
    assert '"cibuildwheel" or "native"' in text
    assert config.Config().tag_prefix == "v" and 'tag-prefix = "v"' in text


def test_a_new_key_in_the_validator_without_words_shows_as_undocumented(monkeypatch: pytest.MonkeyPatch) -> None:
    from hatch_manta_release.core import config

    monkeypatch.setattr(config, "TOP_KEYS", (*config.TOP_KEYS, "brand-new"), raising=True)
    monkeypatch.setattr(config.Config, "brand_new", None, raising=False)
    assert "### `brand-new` { #brand-new }" in config_ref.render()
    assert "*undocumented*" in config_ref.render()


# ----------------------------------------------------------------------------- troubleshooting


def test_every_error_class_documents_its_cause_and_fix() -> None:
    classes = errors_ref.error_classes()
    assert len(classes) >= 10
    undocumented = [c.__name__ for c in classes
                    if not errors_ref.class_doc(c).cause or not errors_ref.class_doc(c).fix]
    assert not undocumented, "give each a docstring: a cause paragraph and a 'Fix:' paragraph"


@pytest.mark.slow
def test_troubleshooting_has_an_entry_for_every_error_class(site: Path) -> None:
    page = page_of(site, "troubleshooting")
    text = text_of(site, "troubleshooting")
    for cls in errors_ref.error_classes():
        assert errors_ref.anchor(cls) in page.ids, cls.__name__
        assert " ".join(errors_ref.class_doc(cls).cause.replace("`", "").split()).lower() in text.lower()
    # the messages are the code's: one known message from each of three modules
    assert "does not start with the tag prefix" in text
    assert "a new repository needs" in text
    assert "refused the token in" in text
    assert "pushing a tag does not trigger the workflow" in text  # a doctor finding


def test_every_raise_site_of_a_documented_class_is_found() -> None:
    """The source scan finds every ``raise SomeError(`` of the package (by a plain text count)."""
    names = {c.__name__ for c in errors_ref.error_classes()}
    found = errors_ref.sites(names)
    for name in names:
        pattern = re.compile(rf"raise {name}\(")
        count = sum(len(pattern.findall(p.read_text(encoding="utf-8"))) for p in errors_ref.PACKAGE.rglob("*.py"))
        assert len([s for s in found if s.name == name]) >= count, name


# ----------------------------------------------------------------------------- commands


@pytest.mark.slow
def test_commands_page_shows_each_commands_own_help(site: Path) -> None:
    from hatch_manta_release.cli.commands import COMMANDS

    page = page_of(site, "commands")
    text = text_of(site, "commands")
    for name in COMMANDS:
        assert name in page.ids
        assert f"release:{name}" in text
        first_option = re.search(r"^\s+(--[a-z-]+)", commands_ref.help_text(name), re.M)
        if first_option:
            assert first_option.group(1) in text, name


# ----------------------------------------------------------------------------- the workflow


@pytest.mark.parametrize("pure", [True, False])
def test_workflow_diagram_edges_are_the_rendered_needs(pure: bool) -> None:
    """The diagram's edges are exactly the ``needs:`` of the YAML the workflow code renders."""
    from ruamel.yaml import YAML

    from hatch_manta_release.core.config import Config
    from hatch_manta_release.github.workflow import render_workflow

    document = YAML(typ="safe").load(render_workflow(Config(project_name=workflow_ref.EXAMPLE), pure))
    expected = set()
    for job_id, job in document["jobs"].items():
        needs = job.get("needs", [])
        for need in [needs] if isinstance(needs, str) else needs:
            expected.add(f"{need} --> {job_id}")
    diagram = workflow_ref.mermaid(pure)
    edges = {line.strip() for line in diagram.splitlines() if "-->" in line}
    assert edges == expected
    for job_id in document["jobs"]:
        assert re.search(rf"^\s+(subgraph )?{re.escape(job_id)}\[", diagram, re.M), job_id


@pytest.mark.slow
def test_every_generated_part_was_filled(site: Path) -> None:
    left = [str(p.relative_to(site)) for p in site.rglob("*.html") if "<!-- gen:" in p.read_text(encoding="utf-8")]
    assert not left
    assert "<code>1.0.0.dev1</code> &lt; <code>1.0.0a1</code>" in (site / "tags-and-versions" / "index.html").read_text(
        encoding="utf-8")


@pytest.mark.slow
def test_workflow_page_has_both_diagrams(site: Path) -> None:
    html_text = (site / "workflow" / "index.html").read_text(encoding="utf-8")
    assert html_text.count('class="mermaid"') == 2


# ----------------------------------------------------------------------------- tags and hand-written pages


def test_tag_examples_are_what_the_code_says() -> None:
    from hatch_manta_release.core.errors import TagError
    from hatch_manta_release.core.tags import version_from_tag

    for tag in tags_ref.REFUSED:
        with pytest.raises(TagError):
            version_from_tag(tag)
    for tag in tags_ref.ACCEPTED:
        version_from_tag(tag)
    assert tags_ref.mapping_table().count("\n") == len(tags_ref.ACCEPTED) + 1


def _toml_blocks(text: str) -> list[str]:
    import textwrap

    blocks = re.findall(r"^([ \t]*)```toml[^\n]*\n(.*?)^[ \t]*```", text, re.M | re.S)
    return [textwrap.dedent(block) for _, block in blocks]


def test_toml_in_the_hand_written_pages_is_valid_and_accepted() -> None:
    """Every TOML snippet parses; every ``[tool.manta-release]`` one passes the validator."""
    from hatch_manta_release.core.config import parse_config

    checked = 0
    for path in sorted(DOCS.rglob("*.md")):
        for block in _toml_blocks(path.read_text(encoding="utf-8")):
            if "..." in block or "…" in block:
                continue
            data = tomllib.loads(block)
            table = data.get("tool", {}).get("manta-release")
            if table is not None:
                parse_config(table, project_name="example")
                checked += 1
    assert checked >= 3


def test_the_pages_link_to_every_guide() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for path in sorted(DOCS.rglob("*.md")):
        assert path.relative_to(DOCS).as_posix() in nav, path
