"""`kb content check`: is a set of article and tree files ready to publish as is?

Offline and without a database: the files are read, parsed and checked against each other
(and kb's default settings). Every problem is one line, ``path: line N: ...`` for articles and
``path: node X: ...`` for trees. The rules, on top of what import already refuses (front
matter, tree validation by ``kb.trees.validate``, duplicate slugs and tree ids):

- links: an article's links to articles (``slug.md`` or ``/articles/slug``) and to trees
  (``/trees/id``) must name one in the set, and a public article must not send its readers to
  an internal article or a technician-only tree (they would get a 404). Articles named by trees
  must exist (the validator's rule, given the set's articles), and a step's
  ``article_section`` must be one of its article's headings. Tree links are only checked when
  the set holds trees, article names in trees only when it holds articles.
- placeholders: no ``{name}`` in an article outside code (code spans and fenced blocks show
  literal text such as ``bcdedit /set {default}``). In a public tree, what self-service shows
  may only use a variable an input sets on every path before the step: the validator proves it
  for texts, asks and follow-ups; this adds step labels, and forbids placeholders where nothing
  is ever filled in (title, summary, answers, choices).
- technician wording: in a public tree every action, check and escalation step has a
  ``text_technician`` (what the technician does there, in technician mode), because those are
  the steps a technician runs for a caller, runs the check at, or takes over at.
- review: a published article has a ``review_by`` date, and no article (archived ones aside) is
  past it on ``today``.
- structure: every article has non-empty ``## Issue``, ``## Environment``, ``## Resolution``
  and ``## Cause`` sections (the editor's template).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import networkx as nx

from kb.articles.document import ArticleDoc, DocumentError, parse_document
from kb.articles.interchange import body_offset, line_of, markdown_files
from kb.articles.render import blank_code, links_in_markdown, render_markdown
from kb.config import Defaults
from kb.trees.article_parts import anchors
from kb.trees.graph import PLACEHOLDER, TreeFormatError, exits, parse_tree, placeholders
from kb.trees.interchange import json_files
from kb.trees.validate import Context, definitely_set, validate_tree

SECTIONS = ("Issue", "Environment", "Resolution", "Cause")
# Steps where a technician acts: runs the action with the caller, runs the check, takes over.
TECHNICIAN_STEPS = ("action", "check", "escalation")
# A template gap in an article: {name}, {start_time}, {who/how many}.
ARTICLE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w /.-]{0,60}\}")
_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t#]*$", re.M)


@dataclass(frozen=True)
class Finding:
    """One problem: the file, where in it ("line 12", "node q_start" or "") and what."""

    path: str
    where: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}: {self.where}: {self.message}"
            if self.where
            else (f"{self.path}: {self.message}")
        )


@dataclass
class CheckReport:
    problems: list[Finding] = field(default_factory=list)
    articles: int = 0
    trees: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [str(problem) for problem in self.problems]


@dataclass
class _Article:
    path: Path
    doc: ArticleDoc
    text: str


@dataclass
class _Tree:
    path: Path
    graph: nx.DiGraph


def content_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """The articles (``*.md``) and trees (``*.json``) under ``paths``."""
    paths = list(paths)
    return markdown_files(paths), json_files(paths)


def check_content(
    paths: Iterable[Path],
    today: date,
    *,
    checks: Mapping[str, Mapping[str, bool]] | None = None,
    groups: Mapping[str, str] | None = None,
) -> CheckReport:
    """Check every article and tree under ``paths`` against the rules above.

    ``checks`` (check name -> parameter -> required) and ``groups`` (support groups) are what
    trees may name; ``checks=None`` leaves check names to import, ``groups=None`` means kb's
    default support groups."""
    md_files, tree_files = content_files(paths)
    report = CheckReport(articles=len(md_files), trees=len(tree_files))
    add = report.problems.append
    articles = _read_articles(md_files, add)
    trees = _read_trees(tree_files, add)
    _duplicates([(a.path, a.doc.slug, line_of(a.text, "slug")) for a in articles], "slug", add)
    _duplicates([(t.path, t.graph.graph.get("id"), None) for t in trees], "tree id", add)
    article_audience = {a.doc.slug: a.doc.audience for a in articles}
    tree_audience = {
        str(t.graph.graph.get("id")): str(t.graph.graph.get("audience", "public")) for t in trees
    }
    context = Context(
        articles=article_audience if md_files else None,
        checks=checks,
        groups=groups if groups is not None else Defaults.SUPPORT_GROUPS,
    )
    for article in articles:
        _check_article(article, today, article_audience, tree_audience if tree_files else None, add)
    bodies = {a.doc.slug: a.doc.body for a in articles}
    for tree in trees:
        _check_tree(tree, context, add)
        _check_article_sections(tree, bodies, add)
    report.problems.sort(key=lambda finding: finding.path)  # stable: each file's in order
    return report


# --- reading -------------------------------------------------------------------------------


def _read_articles(files: list[Path], add) -> list[_Article]:
    found: list[_Article] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            doc = parse_document(text, default_slug=path.stem)
        except (UnicodeDecodeError, OSError):
            add(Finding(str(path), "", "not readable UTF-8 text"))
            continue
        except DocumentError as error:
            for problem in error.problems:
                add(Finding(str(path), _line(problem.line), problem.message))
            continue
        found.append(_Article(path, doc, text))
    return found


def _read_trees(files: list[Path], add) -> list[_Tree]:
    found: list[_Tree] = []
    for path in files:
        try:
            graph = parse_tree(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            add(Finding(str(path), "", "not readable UTF-8 text"))
            continue
        except TreeFormatError as error:
            for problem in error.problems:
                add(Finding(str(path), "", problem))
            continue
        found.append(_Tree(path, graph))
    return found


def _duplicates(items: list[tuple[Path, object, int | None]], what: str, add) -> None:
    by_key: dict[object, list[Path]] = {}
    for path, key, _line_number in items:
        by_key.setdefault(key, []).append(path)
    for path, key, line_number in items:
        others = [str(p) for p in by_key[key] if p != path]
        if others and isinstance(key, str):
            add(
                Finding(
                    str(path),
                    _line(line_number),
                    f"{what} '{key}' is also used by " + ", ".join(others),
                )
            )


def _line(number: int | None) -> str:
    return f"line {number}" if number else ""


# --- articles ------------------------------------------------------------------------------


def _check_article(
    article: _Article,
    today: date,
    articles: Mapping[str, str],
    trees: Mapping[str, str] | None,
    add,
) -> None:
    path, doc = str(article.path), article.doc
    offset = body_offset(article.path)
    public = doc.audience == "public"

    def at(line: int | None, message: str) -> None:
        add(Finding(path, _line(line + offset if line else None), message))

    article_links, tree_links = links_in_markdown(doc.body)
    for slug, line in article_links:
        if slug not in articles:
            at(line, f"link to unknown article '{slug}'")
        elif public and articles[slug] != "public":
            at(
                line,
                f"link to internal article '{slug}': this public article's readers cannot open it",
            )
    for tree_id, line in tree_links if trees is not None else ():
        if tree_id not in trees:
            at(line, f"link to unknown tree '{tree_id}'")
        elif public and trees[tree_id] != "public":
            at(
                line,
                f"link to technician-only tree '{tree_id}': this public article's "
                "readers cannot open it",
            )

    blank = blank_code(doc.body)
    for match in ARTICLE_PLACEHOLDER.finditer(blank):
        line = blank.count("\n", 0, match.start()) + 1
        at(line, f"placeholder {match.group(0)} left in the text: write what the reader sees")

    review_line = line_of(article.text, "review_by")
    if doc.review_by is None:
        if doc.status == "published":
            add(Finding(path, "", "review_by: a published article needs a date to review it by"))
    elif doc.review_by < today and doc.status != "archived":
        add(
            Finding(
                path,
                _line(review_line),
                f"review_by: {doc.review_by.isoformat()} has "
                "passed: review the article and set the next date",
            )
        )

    headings: dict[str, tuple[int, int, int]] = {}  # name -> (line, start, end of section)
    matches = list(_HEADING.finditer(blank))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(blank)
        name = match.group(1).strip().lower()
        headings.setdefault(name, (blank.count("\n", 0, match.start()) + 1, match.end(), end))
    for section in SECTIONS:
        found = headings.get(section.lower())
        if found is None:
            add(Finding(path, "", f"missing section '## {section}'"))
        elif not doc.body[found[1] : found[2]].strip():
            at(found[0], f"section '## {section}' is empty")


# --- trees ---------------------------------------------------------------------------------


def _check_tree(tree: _Tree, context: Context, add) -> None:
    path, graph = str(tree.path), tree.graph

    def at(node: str | None, message: str) -> None:
        add(Finding(path, f"node {node}" if node else "", message))

    for problem in validate_tree(graph, replace(context, expected_id=tree.path.stem)).problems:
        at(problem.node, problem.message)
    if graph.graph.get("audience", "public") != "public":
        return
    _self_service_placeholders(graph, at)
    for node, attrs in graph.nodes(data=True):
        kind = attrs.get("kind")
        text = attrs.get("text_technician")
        if kind in TECHNICIAN_STEPS and not (isinstance(text, str) and text.strip()):
            at(
                node,
                f"text_technician: a public tree's {kind} step needs technician wording "
                "(what the technician does here)",
            )


def _check_article_sections(tree: _Tree, bodies: Mapping[str, str], add) -> None:
    """A step's ``article_section`` names a heading of its article (the validator knows only
    slugs): a missing one would quietly show the summary alone."""
    headings: dict[str, list[str]] = {}
    for node, attrs in tree.graph.nodes(data=True):
        slug, anchor = attrs.get("article"), attrs.get("article_section")
        if not isinstance(anchor, str) or slug not in bodies:
            continue
        if slug not in headings:
            headings[slug] = anchors(render_markdown(bodies[slug]).html)
        if anchor not in headings[slug]:
            add(
                Finding(
                    str(tree.path),
                    f"node {node}",
                    f"article_section: '{anchor}' is not a heading of article '{slug}' "
                    f"(its headings: {', '.join(headings[slug]) or 'none'})",
                )
            )


def _self_service_placeholders(graph: nx.DiGraph, at) -> None:
    """What the validator does not already prove about self-service wording: labels are
    filled like texts (so only variables set before the step), and the title, summary,
    answers and choices are never filled in at all."""
    for name in ("title", "summary"):
        for var in sorted(placeholders(graph.graph.get(name))):
            at(None, f"graph {name}: uses {{{var}}}, which is never filled in")
    start = graph.graph.get("start")
    known = definitely_set(graph, start) if isinstance(start, str) and start in graph else {}
    for node, attrs in graph.nodes(data=True):
        label = attrs.get("label")
        if node in known and isinstance(label, str):
            for var in sorted(placeholders(label) - known[node]):
                at(node, f"label: uses {{{var}}}, which is not set on every path before this step")
        for var in sorted(placeholders(attrs.get("choices"))):
            at(node, f"choices: uses {{{var}}}, which is never filled in")
        for choice in exits(graph, node) if attrs.get("kind") != "check" else ():
            for var in sorted(set(PLACEHOLDER.findall(choice.label))):
                at(node, f"answer '{choice.label}': uses {{{var}}}, which is never filled in")
