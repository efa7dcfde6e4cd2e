"""The search-backend conformance suite: every promise of :mod:`kb.search.backend`, checked
through the contract only, so the author of another engine can prove theirs keeps them.

Use it from your backend package's tests (it needs pytest, which kb itself does not)::

    # tests/test_kb_conformance.py
    from kb.search.conformance import SearchBackendConformance
    from my_engine import MyBackend


    class TestMyBackend(SearchBackendConformance):
        def make_backend(self, path):
            return MyBackend(path)

pytest collects every ``test_*`` check of the base class for the subclass. Each check builds
its backends with :meth:`SearchBackendConformance.make_backend` in a fresh folder; calling it
twice with the same folder must give two handles on one index, as two kb processes have. Put
``pytest.register_assert_rewrite("kb.search.conformance")`` in your ``conftest.py`` for
detailed failure messages.

The documents use made-up words, so the checks hold for any analysis (stemming, synonyms,
spelling correction) and say nothing about ranking quality beyond the contract.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kb.search.backend import (
    FACET_FIELDS,
    KINDS,
    MAX_FACET_VALUES,
    PUBLIC,
    STAFF,
    IndexBatch,
    SearchBackend,
    SearchRequest,
    SearchResults,
    TitleSuggestion,
    Visibilities,
)
from kb.search.documents import SearchDocument
from kb.search.query import parse

EVERYONE: Visibilities = (PUBLIC,)
TECHNICIANS: Visibilities = (PUBLIC, STAFF)


def _doc(kind: str, slug: str, title: str, **fields: Any) -> SearchDocument:
    return SearchDocument(kind=kind, slug=slug, title=title, **fields)


PRINTING = {"category": "Printing and Scanning", "service": "Printers"}

PUBLIC_DOCS: tuple[SearchDocument, ...] = (
    _doc(
        "article",
        "zorblax-printer",
        "Zorblax printer jams",
        summary="The zorblax printer jams on thick paper.",
        body="Open the tray. Take out the quibbit roller and clean it with a dry cloth.",
        tags=["printing", "zorblax"],
        **PRINTING,
    ),
    _doc(
        "article",
        "zorblax-toner",
        "Replace zorblax toner",
        summary="When prints fade, order new toner.",
        body="Order toner for the zorblax model. Frobnitz cartridges last longer.",
        tags=["printing"],
        **PRINTING,
    ),
    _doc(
        "tree",
        "wibble-wifi",
        "Wibble wifi drops",
        summary="The laptop loses the wibble network.",
        body="Forget the wibble network and join it again.",
        tags=["wifi"],
        category="Network",
        service="Wifi",
    ),
    _doc("article", "phrase-order", "Kettle notes", body="The snark kettle boils over."),
    _doc("article", "phrase-reverse", "Whistle notes", body="A kettle snark whistles loudly."),
    _doc(
        "article",
        "update-code",
        "Update stops with an error",
        body="Windows update fails with 0x80070643 after the restart.",
    ),
    _doc(
        "article",
        "update-code-near",
        "Another update error",
        body="Windows update fails with 0x80070644 before the restart.",
    ),
    _doc("article", "tie-c", "Lumpkin tie", body="Lumpkin drawer."),
    _doc("article", "tie-a", "Lumpkin tie", body="Lumpkin drawer."),
    _doc("article", "tie-b", "Lumpkin tie", body="Lumpkin drawer."),
    _doc("article", "lumpkin-one", "Lumpkin shelf", body="A lumpkin shelf, lumpkin sized."),
    _doc("article", "lumpkin-two", "Desk lamp", body="The lumpkin lamp flickers."),
    _doc("tree", "lumpkin-three", "Chair height", body="Raise the chair; lumpkin lever."),
    _doc("article", "filler-one", "Mouse pointer", body="The pointer trembles on glossy desks."),
    _doc("article", "filler-two", "Headset echo", body="Callers hear an echo from the headset."),
)

# Technicians only. Their words, tags, categories and services appear in no public document.
STAFF_DOCS: tuple[SearchDocument, ...] = (
    _doc(
        "article",
        "staff-vault",
        "Glimmerstone vault recovery",
        summary="Recover the glimmerstone vault.",
        body="Technicians reset the glimmerstone vault with the zorblax master key.",
        tags=["secretive", "printing"],
        category="Restricted Ops",
        service="Vaultery",
        visibility=STAFF,
    ),
    _doc(
        "tree",
        "staff-tree",
        "Plonkster escalation script",
        summary="Run the plonkster script.",
        body="Run plonkster with the force flag on the lumpkin server.",
        tags=["secretive"],
        category="Restricted Ops",
        service="Vaultery",
        visibility=STAFF,
    ),
)
STAFF_ONLY = ("glimmerston", "plonkster", "secretive", "restricted", "vaultery", "staff-")

# What the visibility checks ask as someone who is not a technician.
PUBLIC_QUERIES = (
    "zorblax",
    "zorblax key master",
    "glimmerstone",
    "glimmerstne vault",
    "plonkster force",
    "plonkstr",
    "lumpkin",
    "lumpkin server",
    "printing",
    "zorblax tag:secretive",
    'zorblax category:"restricted ops"',
    "lumpkin service:vaultery",
    "zorblax -printer",
)


class _SnippetParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.depth = 0
        self.marks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "mark" or attrs:
            self.problems.append(f"<{tag}> with {attrs}")
        elif self.depth:
            self.problems.append("nested <mark>")
        self.depth += 1
        self.marks += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag != "mark" or not self.depth:
            self.problems.append(f"</{tag}>")
        self.depth -= 1

    def handle_comment(self, data: str) -> None:
        self.problems.append("a comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("a declaration")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("a declaration")


_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)")


def snippet_problems(snippet: str) -> list[str]:
    """What makes ``snippet`` unsafe as a result's HTML (empty when it is safe): markup other
    than ``<mark>``, attributes, nesting, unbalanced marks, a bare ``&``."""
    parser = _SnippetParser()
    parser.feed(snippet)
    parser.close()
    problems = list(parser.problems)
    if parser.depth:
        problems.append("an unclosed <mark>")
    if "<" in re.sub(r"</?mark>", "", snippet) or ">" in re.sub(r"</?mark>", "", snippet):
        problems.append("an unescaped < or >")
    if _BARE_AMPERSAND.search(snippet):
        problems.append("an unescaped &")
    return problems


def snippet_text(snippet: str) -> str:
    """The text a reader sees in a snippet."""
    return unescape(re.sub(r"</?mark>", "", snippet))


class SearchBackendConformance:
    """Subclass it (name the subclass ``Test...``) and implement :meth:`make_backend`."""

    def make_backend(self, path: Path) -> SearchBackend:
        """A backend on the index stored at ``path`` (a folder that may not exist yet)."""
        raise NotImplementedError("implement make_backend(path) in your subclass")

    # --- helpers -------------------------------------------------------------------------

    def write(
        self,
        backend: SearchBackend,
        upsert: Iterable[SearchDocument] = (),
        delete: Iterable[str] = (),
        seq: int | None = None,
    ) -> None:
        """One batch: upserts, deletions and (by default) the next sequence number."""
        with backend.batch(5.0) as batch:
            assert batch is not None, "batch() yielded None although no one else writes"
            assert isinstance(batch, IndexBatch)
            for doc in upsert:
                batch.upsert(doc)
            for key in delete:
                batch.delete(key)
            batch.set_seq(batch.applied_seq() + 1 if seq is None else seq)

    def filled(self, path: Path, staff: bool = True) -> SearchBackend:
        backend = self.make_backend(path)
        self.write(backend, PUBLIC_DOCS + (STAFF_DOCS if staff else ()), seq=1)
        return backend

    def search(
        self,
        backend: SearchBackend,
        text: str,
        who: Visibilities = EVERYONE,
        page: int = 1,
        per_page: int = 10,
        **options: Any,
    ) -> SearchResults:
        query = parse(text)
        assert not query.empty, f"the suite asks only real queries, not {text!r}"
        results = backend.search(
            SearchRequest(query=query, visibilities=who, page=page, per_page=per_page, **options)
        )
        self.assert_well_formed(results, text)
        return results

    def keys(self, results: SearchResults) -> list[str]:
        return [f"{hit.kind}:{hit.slug}" for hit in results.hits]

    def every_key(
        self, backend: SearchBackend, text: str, who: Visibilities = EVERYONE
    ) -> list[str]:
        return self.keys(self.search(backend, text, who, per_page=100))

    def assert_well_formed(self, results: SearchResults, text: str) -> None:
        assert isinstance(results, SearchResults), f"{text!r}: not a SearchResults"
        keys = self.keys(results)
        assert len(keys) == len(set(keys)), f"{text!r}: a document twice on one page: {keys}"
        assert len(results.hits) <= results.per_page, f"{text!r}: more hits than per_page"
        assert results.total >= len(results.hits), f"{text!r}: total below the hits shown"
        assert 1 <= results.page <= results.pages, (
            f"{text!r}: page {results.page} of {results.pages}"
        )
        assert results.strategy in ("all", "any", "fuzzy"), f"{text!r}: {results.strategy!r}"
        assert results.suggestion is None or isinstance(results.suggestion, str)
        for hit in results.hits:
            assert hit.kind in KINDS, f"{text!r}: kind {hit.kind!r}"
            assert hit.score is None or isinstance(hit.score, int | float)
            for value in (hit.category, hit.service, *hit.tags):
                assert value == value.lower(), f"{text!r}: {value!r} is not in lower case"
            assert not snippet_problems(hit.snippet), (
                f"{text!r}: unsafe snippet for {hit.slug}: {snippet_problems(hit.snippet)}: "
                f"{hit.snippet!r}"
            )
        assert set(results.facets) <= set(FACET_FIELDS), f"{text!r}: facets {set(results.facets)}"
        for name, values in results.facets.items():
            assert len(values) <= MAX_FACET_VALUES, f"{text!r}: more than 50 {name} values"
            assert all(count > 0 and value == value.lower() for value, count in values), (
                f"{text!r}: facet {name} {values}"
            )
            order = sorted(values, key=lambda item: (-item[1], item[0]))
            assert values == order, f"{text!r}: facet {name} not most first, then by value"

    def public_view(self, backend: SearchBackend, text: str) -> dict[str, Any]:
        """Everything a person who is not a technician learns from a search."""
        results = self.search(backend, text, EVERYONE, per_page=100)
        return {
            "keys": self.keys(results),
            "total": results.total,
            "facets": {name: values for name, values in results.facets.items() if values},
            "suggestion": results.suggestion,
            "strategy": results.strategy,
            "hits": [replace(hit, score=None) for hit in results.hits],
            "scores": [hit.score for hit in results.hits],
        }

    # --- the shape of the contract ---------------------------------------------------------

    def test_is_a_search_backend(self, tmp_path: Path) -> None:
        backend = self.make_backend(tmp_path / "index")
        assert isinstance(backend, SearchBackend), "lacks a method of kb.search.backend"
        assert isinstance(backend.name, str) and backend.name, "a backend has a name"

    def test_an_empty_index_answers_every_call(self, tmp_path: Path) -> None:
        backend = self.make_backend(tmp_path / "index")
        assert backend.applied_seq() == 0
        assert backend.versions() == {}
        results = self.search(backend, "zorblax printer", TECHNICIANS)
        assert (results.total, results.hits, results.suggestion) == (0, [], None)
        assert all(not values for values in results.facets.values())
        assert backend.suggest_titles("zorb", TECHNICIANS, 8) == []
        assert isinstance(backend.size_bytes(), int) and backend.size_bytes() >= 0

    # --- writing ---------------------------------------------------------------------------

    def test_indexed_documents_are_found_with_their_fields(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        results = self.search(backend, "quibbit")
        assert self.keys(results) == ["article:zorblax-printer"] and results.total == 1
        hit = results.hits[0]
        source = PUBLIC_DOCS[0]
        assert (hit.kind, hit.slug, hit.title, hit.summary) == (
            source.kind,
            source.slug,
            source.title,
            source.summary,
        )
        assert (hit.category, hit.service) == ("printing and scanning", "printers")
        assert sorted(hit.tags) == ["printing", "zorblax"]
        assert "quibbit" in snippet_text(hit.snippet).lower()
        assert "<mark>" in hit.snippet, "a snippet marks what matched"

    def test_versions_list_every_document_as_indexed(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        expected = {doc.key: doc.version for doc in PUBLIC_DOCS + STAFF_DOCS}
        assert backend.versions() == expected

    def test_an_upsert_replaces_the_document_everywhere(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        old = PUBLIC_DOCS[0]
        new = replace(
            old,
            title="Zorblax printer feeds twice",
            summary="Double feeds.",
            body="Fan the paper before loading.",
            tags=["paper"],
            category="Paper",
        )
        self.write(backend, [new])
        assert self.search(backend, "quibbit").total == 0, "the old text is still found"
        assert self.keys(self.search(backend, "feeds")) == [new.key]
        results = self.search(backend, "zorblax")
        assert results.total == 2 and self.keys(results).count(new.key) == 1
        assert ("printing and scanning", 1) in results.facets.get("category", [])
        assert ("paper", 1) in results.facets.get("category", [])
        assert backend.versions()[new.key] == new.version
        titles = [s.title for s in backend.suggest_titles("zorblax", EVERYONE, 8)]
        assert "Zorblax printer jams" not in titles and new.title in titles

    def test_a_repeated_search_sees_writes_made_in_between(self, tmp_path: Path) -> None:
        """A backend may keep answers (Whoosh does, per index generation), but never past a
        write, and never so that a caller changing one answer changes the next."""
        backend = self.filled(tmp_path / "index")
        first = self.search(backend, "zorblax")
        first.hits.clear()
        first.facets.clear()
        again = self.search(backend, "zorblax")
        assert again.total == 2 and len(again.hits) == 2 and again.facets, "a kept answer changed"
        added = _doc("article", "zorblax-stapler", "Zorblax stapler jams", summary="Staples.")
        self.write(backend, [added])
        after = self.search(backend, "zorblax")
        assert after.total == 3 and added.key in self.keys(after), "an answer outlived a write"
        self.write(backend, delete=[added.key])
        assert added.key not in self.keys(self.search(backend, "zorblax"))

    def test_a_deleted_document_is_gone_everywhere(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        gone = PUBLIC_DOCS[0]
        self.write(backend, delete=[gone.key, "article:never-indexed"])
        assert gone.key not in backend.versions()
        for who in (EVERYONE, TECHNICIANS):
            assert self.search(backend, "quibbit", who).total == 0
            results = self.search(backend, "zorblax", who)
            assert gone.key not in self.keys(results)
            assert ("zorblax", 1) not in results.facets.get("tags", [])
            titles = backend.suggest_titles("zorblax printer", who, 8)
            assert gone.title not in [s.title for s in titles]

    # --- who sees what ---------------------------------------------------------------------

    def test_a_change_of_visibility_applies_at_once(self, tmp_path: Path) -> None:
        """An article made internal disappears for everyone; one made public appears."""
        backend = self.filled(tmp_path / "index")
        hidden = replace(PUBLIC_DOCS[0], visibility=STAFF)
        opened = replace(STAFF_DOCS[0], visibility=PUBLIC, tags=["printing"], category="")
        self.write(backend, [hidden, opened])
        assert self.every_key(backend, "quibbit") == []
        assert backend_titles(backend, "zorblax printer") == []
        assert self.every_key(backend, "quibbit", TECHNICIANS) == [hidden.key]
        assert self.every_key(backend, "glimmerstone") == [opened.key]
        results = self.search(backend, "zorblax")
        assert sorted(self.keys(results)) == ["article:staff-vault", "article:zorblax-toner"]
        assert ("zorblax", 1) not in results.facets.get("tags", [])

    def test_technicians_find_staff_documents(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        assert self.keys(self.search(backend, "glimmerstone", TECHNICIANS)) == [
            "article:staff-vault"
        ]
        assert self.keys(self.search(backend, "plonkster", TECHNICIANS)) == ["tree:staff-tree"]
        results = self.search(backend, "zorblax", TECHNICIANS)
        assert results.total == 3
        assert ("restricted ops", 1) in results.facets.get("category", [])
        suggestions = backend.suggest_titles("glimmer", TECHNICIANS, 8)
        assert [(s.kind, s.slug) for s in suggestions] == [("article", "staff-vault")]

    def test_staff_documents_leak_nowhere_for_everyone_else(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        for text in PUBLIC_QUERIES:
            results = self.search(backend, text, EVERYONE, per_page=100)
            seen = repr(results).lower()
            leaked = [word for word in STAFF_ONLY if word in seen]
            assert not leaked, f"{text!r} shows {leaked} to everyone: {results!r}"
        for typed in ("glimm", "glimmerstone vault", "plonk", "zorblax master"):
            shown = backend.suggest_titles(typed, EVERYONE, 8)
            assert all(s.slug not in ("staff-vault", "staff-tree") for s in shown), typed

    def test_everyone_elses_answers_do_not_depend_on_staff_documents(self, tmp_path: Path) -> None:
        """Not in totals, facets, suggestions, snippets, nor the statistics behind the order
        and the scores: the public answer is the same with or without staff documents."""
        without = self.filled(tmp_path / "without", staff=False)
        with_staff = self.filled(tmp_path / "with")
        for text in PUBLIC_QUERIES:
            expected, actual = self.public_view(without, text), self.public_view(with_staff, text)
            scores = (expected.pop("scores"), actual.pop("scores"))
            assert actual == expected, f"staff documents change what everyone sees for {text!r}"
            assert scores[1] == pytest.approx(scores[0]), f"scores move for {text!r}"
        for typed in ("zorb", "lumpkin", "glimm", "plonk"):
            assert backend_titles(with_staff, typed) == backend_titles(without, typed), typed

    # --- the query language ----------------------------------------------------------------

    def test_a_quoted_phrase_needs_its_words_together(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        assert self.keys(self.search(backend, '"snark kettle"')) == ["article:phrase-order"]
        assert self.keys(self.search(backend, '"kettle snark"')) == ["article:phrase-reverse"]
        both = self.every_key(backend, "snark kettle")
        assert sorted(both) == ["article:phrase-order", "article:phrase-reverse"]

    def test_an_excluded_word_or_phrase_never_matches(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        assert self.every_key(backend, "zorblax -toner") == ["article:zorblax-printer"]
        assert self.every_key(backend, 'zorblax -"thick paper"') == ["article:zorblax-toner"]
        results = self.search(backend, "zorblax -toner")
        assert results.total == 1
        assert results.facets.get("tags", []) == [("printing", 1), ("zorblax", 1)]
        assert self.every_key(backend, "quibbit -zorblax") == []

    def test_filters_narrow_by_field_ignoring_case(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        keys = ["article:zorblax-printer", "article:zorblax-toner"]
        assert sorted(self.every_key(backend, 'zorblax category:"Printing and Scanning"')) == keys
        assert sorted(self.every_key(backend, "zorblax service:PRINTERS")) == keys
        assert self.every_key(backend, "zorblax tag:zorblax") == ["article:zorblax-printer"]
        assert self.every_key(backend, "zorblax kind:tree") == []
        assert self.every_key(backend, "wibble kind:tree") == ["tree:wibble-wifi"]
        assert self.every_key(backend, "wibble kind:article") == []
        assert self.every_key(backend, "zorblax tag:printing service:wifi") == []
        either = self.every_key(backend, "zorblax wibble tag:zorblax tag:wifi")
        assert sorted(either) == ["article:zorblax-printer", "tree:wibble-wifi"]

    def test_error_codes_match_exactly(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        assert self.every_key(backend, "0x80070643") == ["article:update-code"]
        assert self.every_key(backend, "0x80070644") == ["article:update-code-near"]

    def test_what_a_person_can_type_never_fails(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        for text in (
            "the",
            "a of to",
            "?!*&<>",
            '"unterminated phrase',
            "tag:zorblax",
            "-zorblax",
            "ÜNÏCÖDÉ ünïcödé 漢字",
            "x" * 500,
            " ".join(["zorblax"] * 40),
            "category:nothing zorblax",
        ):
            query = parse(text)
            if query.empty:
                continue  # kb answers an empty query itself
            self.search(backend, text, TECHNICIANS)
        assert isinstance(backend.suggest_titles("<script>", EVERYONE, 8), list)
        assert isinstance(backend.suggest_titles("the ", EVERYONE, 8), list)

    # --- results, pages and facets ---------------------------------------------------------

    def test_pages_partition_one_order_whatever_the_page_size(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        for text, who in (("lumpkin", EVERYONE), ("lumpkin zorblax", TECHNICIANS)):
            everything = self.search(backend, text, who, per_page=100)
            order = self.keys(everything)
            assert everything.total == len(order) and len(order) >= 6, (text, order)
            for per_page in (1, 2, 4):
                pages: list[str] = []
                for page in range(1, everything.total // per_page + 2):
                    results = self.search(backend, text, who, page=page, per_page=per_page)
                    assert results.total == everything.total, f"{text!r}: total moves"
                    if results.page == page:
                        pages.extend(self.keys(results))
                assert pages == order, f"{text!r} at {per_page} per page: {pages} != {order}"
            last = self.search(backend, text, who, page=99, per_page=4)
            assert last.page == last.pages, "a page past the last gets the last page"
            assert self.keys(last) == order[(last.pages - 1) * 4 :]

    def test_equal_scores_are_ordered_by_key(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        order = self.every_key(backend, "lumpkin tie")
        ties = [key for key in order if key.startswith("article:tie-")]
        assert ties == ["article:tie-a", "article:tie-b", "article:tie-c"], order

    def test_order_does_not_depend_on_how_the_index_was_written(self, tmp_path: Path) -> None:
        """Built at once, or piece by piece in another order with every document written
        twice (as edits leave an index): the same answers."""
        at_once = self.make_backend(tmp_path / "at-once")
        at_once.rebuild(PUBLIC_DOCS + STAFF_DOCS, 1, None)
        piecemeal = self.make_backend(tmp_path / "piecemeal")
        documents = list(reversed(PUBLIC_DOCS + STAFF_DOCS))
        for _ in range(2):
            for start in range(0, len(documents), 3):
                self.write(piecemeal, documents[start : start + 3])
        for text in ("lumpkin", "zorblax printer", "lumpkin zorblax wibble", "update error"):
            for who in (EVERYONE, TECHNICIANS):
                one = self.search(at_once, text, who, per_page=100)
                other = self.search(piecemeal, text, who, per_page=100)
                assert self.keys(one) == self.keys(other), f"{text!r}: order moves"
                assert one.total == other.total and one.facets == other.facets, text
                assert [h.score for h in other.hits] == pytest.approx([h.score for h in one.hits])

    def test_facets_count_every_match_not_only_the_page(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        results = self.search(backend, "zorblax", per_page=1)
        assert results.total == 2 and len(results.hits) == 1
        facets = {name: values for name, values in results.facets.items() if values}
        assert facets == {
            "kind": [("article", 2)],
            "category": [("printing and scanning", 2)],
            "service": [("printers", 2)],
            "tags": [("printing", 2), ("zorblax", 1)],
        }
        mixed = self.search(backend, "zorblax wibble", per_page=1)
        assert mixed.facets.get("kind") == [("article", 2), ("tree", 1)]

    # --- snippets --------------------------------------------------------------------------

    def test_snippets_are_escaped_text_with_only_mark(self, tmp_path: Path) -> None:
        hostile = _doc(
            "article",
            "hostile",
            "Gadgetron <b>bold</b> title",
            summary='<img src=x onerror="alert(1)"> & a "quoted" summary',
            body=(
                'Click <script>alert("x")</script> & then <mark>zap</mark> the gadgetron '
                "<a href='javascript:alert(1)'>now</a> &amp; again & <!-- note --> 3 < 4 > 2"
            ),
        )
        titled = _doc(
            "article",
            "title-only",
            "Snozzberry <i>help</i>",
            summary='<iframe src="https://evil.example"></iframe> & more',
            body="<style>body{}</style> Nothing else & nothing more.",
        )
        backend = self.make_backend(tmp_path / "index")
        self.write(backend, [hostile, titled])
        for text, key in (("gadgetron", "hostile"), ("snozzberry", "title-only")):
            for highlight in (True, False):
                results = self.search(backend, text, highlight=highlight)
                assert [hit.slug for hit in results.hits] == [key]
                hit = results.hits[0]
                assert not snippet_problems(hit.snippet), (
                    hit.snippet,
                    snippet_problems(hit.snippet),
                )
                assert hit.title == (hostile if key == "hostile" else titled).title, (
                    "titles stay text"
                )
        hit = self.search(backend, "gadgetron").hits[0]
        assert "gadgetron" in snippet_text(hit.snippet)
        assert re.search(r"<mark>gadgetron</mark>", hit.snippet, re.IGNORECASE)

    # --- spelling ---------------------------------------------------------------------------

    def test_a_suggestion_finds_something_for_the_same_person(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        for text, who in (
            ("zorblx printr", EVERYONE),
            ("quibit", EVERYONE),
            ("glimmerstne", TECHNICIANS),
            ("glimmerstne", EVERYONE),
            ("plonkstr", EVERYONE),
        ):
            suggestion = self.search(backend, text, who).suggestion
            if suggestion is not None:
                assert suggestion != text
                assert self.search(backend, suggestion, who).total > 0, (text, suggestion)

    # --- title suggestions -------------------------------------------------------------------

    def test_title_suggestions_complete_the_last_word(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        found = backend.suggest_titles("zorb", EVERYONE, 8)
        assert all(isinstance(s, TitleSuggestion) for s in found)
        assert sorted((s.kind, s.slug, s.title) for s in found) == [
            ("article", "zorblax-printer", "Zorblax printer jams"),
            ("article", "zorblax-toner", "Replace zorblax toner"),
        ]
        assert [s.slug for s in backend.suggest_titles("zorblax jam", EVERYONE, 8)] == [
            "zorblax-printer"
        ]
        assert len(backend.suggest_titles("lumpkin", EVERYONE, 2)) == 2, "limit"
        assert backend.suggest_titles("zzzqqq", EVERYONE, 8) == []

    # --- the sequence number -------------------------------------------------------------------

    def test_a_batch_commits_its_documents_with_the_sequence_number(self, tmp_path: Path) -> None:
        backend = self.make_backend(tmp_path / "index")
        with backend.batch(5.0) as batch:
            assert batch is not None
            assert batch.applied_seq() == 0
            batch.upsert(PUBLIC_DOCS[0])
            batch.set_seq(7)
        assert backend.applied_seq() == 7
        other = self.make_backend(tmp_path / "index")  # another process, the same index
        assert other.applied_seq() == 7
        assert self.keys(self.search(other, "quibbit")) == ["article:zorblax-printer"]
        self.write(other, [PUBLIC_DOCS[1]], seq=9)
        assert backend.applied_seq() == 9, "a handle sees what another one committed"
        assert self.keys(self.search(backend, "frobnitz")) == ["article:zorblax-toner"]
        with backend.batch(5.0) as batch:
            assert batch is not None and batch.applied_seq() == 9

    def test_a_batch_that_fails_writes_nothing(self, tmp_path: Path) -> None:
        backend = self.make_backend(tmp_path / "index")
        self.write(backend, [PUBLIC_DOCS[0]], seq=3)
        with pytest.raises(RuntimeError, match="crash"), backend.batch(5.0) as batch:
            assert batch is not None
            batch.upsert(PUBLIC_DOCS[1])
            batch.delete(PUBLIC_DOCS[0].key)
            batch.set_seq(4)
            raise RuntimeError("crash while writing")
        assert backend.applied_seq() == 3
        assert backend.versions() == {PUBLIC_DOCS[0].key: PUBLIC_DOCS[0].version}
        assert self.search(backend, "frobnitz").total == 0
        assert self.search(backend, "quibbit").total == 1
        self.write(backend, [PUBLIC_DOCS[1]], seq=4)  # the lock was released
        assert backend.applied_seq() == 4

    def test_one_writer_at_a_time(self, tmp_path: Path) -> None:
        backend = self.make_backend(tmp_path / "index")
        other = self.make_backend(tmp_path / "index")
        with backend.batch(5.0) as held:
            assert held is not None
            with backend.batch(0) as second:
                assert second is None, "a second writer got the lock"
            started = time.monotonic()
            with other.batch(0.3) as third:
                assert third is None, "a writer in another process got the lock"
            assert time.monotonic() - started < 5, "batch(timeout) waited far past its timeout"
            held.upsert(PUBLIC_DOCS[0])
            held.set_seq(1)
        with other.batch(1.0) as batch:
            assert batch is not None, "the lock is free again"
            assert batch.applied_seq() == 1

    # --- rebuilding ----------------------------------------------------------------------------

    def test_a_rebuild_replaces_everything(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        kept = replace(PUBLIC_DOCS[1], body="Frobnitz only now.")
        added = _doc("article", "new-one", "Snozzberry setup", body="Snozzberry.")
        counted: list[int] = []
        assert backend.rebuild(iter([kept, added]), 42, counted.append) == 2
        assert sum(counted) == 2, "progress adds up to the documents indexed"
        assert backend.applied_seq() == 42
        assert backend.versions() == {kept.key: kept.version, added.key: added.version}
        assert self.every_key(backend, "zorblax quibbit glimmerstone", TECHNICIANS) == [kept.key]
        assert self.every_key(backend, "snozzberry") == [added.key]
        assert self.make_backend(tmp_path / "index").applied_seq() == 42
        assert backend.rebuild([], 43, None) == 0
        assert (backend.applied_seq(), backend.versions()) == (43, {})
        assert self.search(backend, "frobnitz", TECHNICIANS).total == 0

    def test_readers_see_the_old_index_until_a_rebuild_is_complete(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        reader = self.make_backend(tmp_path / "index")
        seen: list[tuple[int, int]] = []

        def documents() -> Iterator[SearchDocument]:
            yield _doc("article", "new-one", "Snozzberry setup", body="Snozzberry.")
            seen.append(
                (self.search(reader, "quibbit").total, self.search(reader, "snozzberry").total)
            )
            yield _doc("article", "new-two", "Snozzberry again", body="Snozzberry.")

        backend.rebuild(documents(), 5, None)
        assert seen == [(1, 0)], "mid-rebuild, readers saw a half-built index"
        assert self.search(reader, "snozzberry").total == 2
        assert self.search(reader, "quibbit").total == 0

    def test_a_failed_rebuild_keeps_the_old_index(self, tmp_path: Path) -> None:
        backend = self.filled(tmp_path / "index")
        before = backend.versions()

        def documents() -> Iterator[SearchDocument]:
            yield _doc("article", "new-one", "Snozzberry setup", body="Snozzberry.")
            raise RuntimeError("the database went away")

        with pytest.raises(RuntimeError, match="went away"):
            backend.rebuild(documents(), 99, None)
        assert backend.applied_seq() == 1
        assert backend.versions() == before
        assert self.search(backend, "snozzberry").total == 0
        assert self.search(backend, "quibbit").total == 1
        self.write(backend, [PUBLIC_DOCS[0]])  # the lock was released


def backend_titles(backend: SearchBackend, typed: str) -> list[tuple[str, str, str]]:
    return sorted((s.kind, s.slug, s.title) for s in backend.suggest_titles(typed, EVERYONE, 8))
