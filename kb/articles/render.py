"""Markdown to safe HTML: parse and render with a fresh Python-Markdown per document, then
sanitise with nh3. Links to other articles (``slug.md``) and trees (``/trees/<id>``) are
rewritten and collected so import can report broken ones."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from pygments.formatters import HtmlFormatter

PIPELINE_VERSION = "2"  # 2: tables in a focusable region that scrolls sideways
ARTICLE_LINK = re.compile(r"^(?:\./)?([a-z0-9]+(?:-[a-z0-9]+)*)\.md(#[\w-]*)?$")
TREE_LINK = re.compile(r"^/trees/([a-z0-9]+(?:-[a-z0-9]+)*)/?$")
# An article's own address written out (``/articles/<slug>``): a link to it all the same.
ARTICLE_PATH = re.compile(r"^/articles/([a-z0-9]+(?:-[a-z0-9]+)*)/?(#[\w-]*)?$")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "samp",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass
class Rendered:
    html: str
    toc: list[dict[str, Any]]
    article_links: list[tuple[str, int]] = field(default_factory=list)  # (slug, line)
    tree_links: list[tuple[str, int]] = field(default_factory=list)


class _LinkCollector(Treeprocessor):
    """Rewrites ``other-slug.md`` to ``/articles/other-slug`` and records both kinds of link."""

    def __init__(self, md: markdown.Markdown, found: Rendered, article_url: str) -> None:
        super().__init__(md)
        self.found = found
        self.article_url = article_url

    def run(self, root: etree.Element) -> None:
        for anchor in root.iter("a"):
            href = anchor.get("href", "")
            match = ARTICLE_LINK.match(href)
            if match:
                slug, fragment = match.group(1), match.group(2) or ""
                anchor.set("href", self.article_url.format(slug=slug) + fragment)
                self.found.article_links.append((slug, 0))
                continue
            match = TREE_LINK.match(href)
            if match:
                self.found.tree_links.append((match.group(1), 0))


class _LinkExtension(Extension):
    def __init__(self, found: Rendered, article_url: str) -> None:
        super().__init__()
        self.found = found
        self.article_url = article_url

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinkCollector(md, self.found, self.article_url), "kb_links", 1)


def base_extensions() -> list[Any]:
    return [
        "markdown.extensions.tables",
        "markdown.extensions.fenced_code",
        "markdown.extensions.codehilite",
        "markdown.extensions.toc",
        "markdown.extensions.admonition",
        "markdown.extensions.sane_lists",
        "markdown.extensions.def_list",
    ]


EXTENSION_CONFIG = {
    "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
    "markdown.extensions.toc": {"toc_depth": "2-3", "permalink": False},
}


def pipeline_key(extra_extensions: list[Any]) -> str:
    """Fingerprint of the pipeline: cached HTML is reused only while this stays the same."""
    names = [
        PIPELINE_VERSION,
        markdown.__version__,
        nh3.__version__ if hasattr(nh3, "__version__") else "nh3",
    ]
    names += [
        e if isinstance(e, str) else f"{type(e).__module__}.{type(e).__qualname__}"
        for e in extra_extensions
    ]
    return hashlib.sha256("|".join(names).encode()).hexdigest()[:32]


def render_markdown(
    text: str, extra_extensions: list[Any] | None = None, article_url: str = "/articles/{slug}"
) -> Rendered:
    """Render one document. A fresh Markdown instance each time: it holds per-document state."""
    found = Rendered(html="", toc=[])
    md = markdown.Markdown(
        extensions=[
            *base_extensions(),
            *(extra_extensions or []),
            _LinkExtension(found, article_url),
        ],
        extension_configs=EXTENSION_CONFIG,
        output_format="html",
    )
    raw = md.convert(text)
    found.html = scrollable_tables(sanitise(raw))
    found.toc = _simplify_toc(getattr(md, "toc_tokens", []))
    found.article_links = _with_lines(text, found.article_links, lambda s: f"{s}.md")
    found.tree_links = _with_lines(text, found.tree_links, lambda s: f"/trees/{s}")
    return found


def sanitise(html: str) -> str:
    """Keep formatting, drop scripts, event handlers, styles and dangerous URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_TABLE_START = re.compile(r"<table(?=[\s>])")
TABLE_REGION = '<div class="table-scroll" role="region" tabindex="0" aria-label="Table">'


def scrollable_tables(html: str) -> str:
    """Each table in a region that scrolls sideways on a narrow screen instead of widening the
    page, reachable with the keyboard like kb's own data tables. Runs on sanitised HTML, so
    the wrapper is kb's markup, never the author's; and there ``<table`` and ``</table>`` only
    occur as tags (nh3 escapes ``<`` in text and in attribute values)."""
    if "<table" not in html:
        return html
    return _TABLE_START.sub(TABLE_REGION + "<table", html).replace("</table>", "</table></div>")


def _simplify_toc(tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": t["id"],
            "name": nh3.clean(t["name"], tags=set()),
            "children": _simplify_toc(t.get("children", [])),
        }
        for t in tokens
    ]


def _with_lines(text: str, links: list[tuple[str, int]], needle) -> list[tuple[str, int]]:
    """Attach the source line of each link, for messages like ``file.md: line 12``."""
    lines = text.splitlines()
    located = []
    for slug, _ in links:
        target = "(" + needle(slug)
        line = next((n for n, content in enumerate(lines, 1) if target in content), 0)
        located.append((slug, line))
    return located


_FENCE = re.compile(r"^ {0,3}(```|~~~)[^\n]*\n.*?^ {0,3}\1[^\n]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)[^`].*?\1", re.S)
_INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def blank_code(text: str) -> str:
    """``text`` with fenced code blocks and code spans blanked out (offsets and line breaks
    kept), for checks that must not read what is shown as code."""
    blank = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), blank)


def links_in_markdown(text: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The article and tree links of a document with their lines, without rendering it.

    Import checks every file's links; rendering each one for that was half of a bulk import.
    Code (fenced blocks and spans) is blanked first, keeping offsets, so a link shown as code
    is not a link, as in rendering."""
    blank = blank_code(text)
    articles: list[tuple[str, int]] = []
    trees: list[tuple[str, int]] = []
    found = [(m.start(1), m.group(1)) for m in _INLINE_LINK.finditer(blank)]
    found += [(m.start(1), m.group(1)) for m in _REFERENCE.finditer(blank)]
    for position, href in sorted(found):
        line = blank.count("\n", 0, position) + 1
        match = ARTICLE_LINK.match(href) or ARTICLE_PATH.match(href)
        if match:
            articles.append((match.group(1), line))
            continue
        match = TREE_LINK.match(href)
        if match:
            trees.append((match.group(1), line))
    return articles, trees


def pygments_css() -> str:
    return HtmlFormatter(style="default").get_style_defs(".highlight")
