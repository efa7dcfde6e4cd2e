"""The built-in search engine: Whoosh (``whoosh-reloaded``), used the way it is fast.

- One long-lived searcher per thread, reopened only when the index has a new generation.
- Queries are built by hand over the fields that matter (BM25F with field boosts), never
  through Whoosh's query parser, so nothing a person types is syntax to the engine.
- Every term is required first; only when that finds too little does the query widen to any
  term, and then only the rarest terms are matched (the rest only score), because Whoosh scores
  every posting of an OR query. Spelling corrections join a term only when the term is unknown.
- Writes take the index lock with a timeout; the change sequence (not the write) is what makes
  an update durable, so a writer that gives up loses nothing: the next sync applies it.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path
from typing import Any

from whoosh import collectors, fields, index, scoring
from whoosh import query as wq
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.support.charset import accent_map
from whoosh.writing import CLEAR

from kb.search.backend import Hit, SearchRequest, SearchResults, TitleSuggestion
from kb.search.documents import PUBLIC, STAFF, SearchDocument, codes_in
from kb.search.query import ParsedQuery
from kb.search.snippets import snippet as make_snippet
from kb.search.synonyms import Synonyms

log = logging.getLogger(__name__)

META_KEY = "_meta"
TOKENS = r"\w+(?:[.'\u2019]\w+)*"

STEMMED = (
    RegexTokenizer(TOKENS)
    | LowercaseFilter()
    | CharsetFilter(accent_map)
    | StopFilter()
    | StemFilter(cachesize=100_000)
)
PLAIN = RegexTokenizer(TOKENS) | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter()

# Field weights, tuned on tests/search/queries.yaml (bench/search_quality.py prints the effect).
# Two scored fields, not one per part: every extra field multiplies the matchers Whoosh walks
# per query word. "heading" is the title and tags, "content" the summary (twice) and body.
BOOSTS = {"heading": 5.0, "content": 1.0}
CODE_BOOST = 4.0
TITLE_PHRASE_BOOST = 2.0
BODY_PHRASE_BOOST = 1.0
CORRECTION_WEIGHT = 0.7
SYNONYM_WEIGHT = 0.5
PROXIMITY_MAX_TERMS = 4  # words close together rank higher (short queries, every word matched)
PROXIMITY_MAX_DOCS = 500  # ...unless even the rarest word is in more documents than this
WORDS_BODY_CHARS = 1500  # spelling vocabulary: title, summary, tags, start of the body
MIN_RESULTS = 1  # fewer than this with every term required: widen the query
CORE_TERMS = 3  # when widening, match on at most this many of the rarest terms


def make_schema() -> fields.Schema:
    return fields.Schema(
        key=fields.ID(unique=True, stored=True),
        kind=fields.ID(stored=True, sortable=True),
        slug=fields.ID(stored=True),
        title=fields.STORED,
        heading=fields.TEXT(analyzer=STEMMED),
        content=fields.TEXT(analyzer=STEMMED),
        summary=fields.STORED,
        body=fields.STORED,
        tags=fields.KEYWORD(stored=True, commas=True, lowercase=True),
        category=fields.ID(stored=True, sortable=True),
        service=fields.ID(stored=True, sortable=True),
        visibility=fields.ID(stored=True),
        codes=fields.KEYWORD(lowercase=True, scorable=True),
        title_words=fields.TEXT(analyzer=PLAIN, phrase=False),
        words_public=fields.TEXT(analyzer=PLAIN, phrase=False),
        words_staff=fields.TEXT(analyzer=PLAIN, phrase=False),
        version=fields.STORED,
        seq=fields.STORED,
    )


WEIGHTING = scoring.BM25F(B=0.75, K1=1.2, heading_B=0.4)


FACETS = ("kind", "category", "service", "tags")


class FacetCache:
    """Each document's facet values, per segment (segments never change once written, so a
    write only costs the new segment), for counting facets over every match cheaply."""

    def __init__(self) -> None:
        self._segments: dict[str, dict[str, list[list[str]]]] = {}
        self._lock = threading.Lock()

    def _values(self, reader: Any) -> dict[str, list[list[str]]]:
        segment = reader.segment()
        key = segment.segment_id() if segment is not None else str(id(reader))
        with self._lock:
            cached = self._segments.get(key)
        if cached is not None:
            return cached
        size = reader.doc_count_all()
        present = set(reader.indexed_field_names())
        cached = {}
        for fieldname in FACETS:
            lists: list[list[str]] = [[] for _ in range(size)]
            if fieldname in present:
                for btext in reader.lexicon(fieldname):
                    value = btext.decode("utf-8")
                    for docid in reader.postings(fieldname, btext).all_ids():
                        lists[docid].append(value)
            cached[fieldname] = lists
        with self._lock:
            if len(self._segments) > 512:
                self._segments.clear()
            self._segments[key] = cached
        return cached

    def counts(self, searcher: Any, docs: set[int]) -> dict[str, list[tuple[str, int]]]:
        counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        for reader, offset in searcher.reader().leaf_readers():
            values = self._values(reader)
            end = offset + reader.doc_count_all()
            local = [doc - offset for doc in docs if offset <= doc < end]
            for name in FACETS:
                column, counter = values[name], counters[name]
                for doc in local:
                    counter.update(column[doc])
        return {
            name: sorted(((k, n) for k, n in counter.items() if k), key=lambda i: (-i[1], i[0]))
            for name, counter in counters.items()
        }


class _Recording(collectors.WrappingCollector):
    """Passes every match to the scoring collector and remembers its global number."""

    def __init__(self, child: Any, query: wq.Query) -> None:
        super().__init__(child)
        self.query = query
        self.docs: set[int] = set()

    def collect(self, sub_docnum: int) -> Any:
        self.docs.add(self.offset + sub_docnum)
        return self.child.collect(sub_docnum)


class WhooshBatch:
    """Writes made under one lock and committed together with the sequence number."""

    def __init__(self, backend: WhooshBackend, writer: Any) -> None:
        self.backend = backend
        self.writer = writer
        self.dirty = False

    def applied_seq(self) -> int:
        with self.writer.searcher() as searcher:
            stored = searcher.document(key=META_KEY)
        return int(stored["seq"]) if stored else 0

    def upsert(self, doc: SearchDocument) -> None:
        self.writer.update_document(**self.backend._fields(doc))
        self.dirty = True

    def delete(self, key: str) -> None:
        self.writer.delete_by_term("key", key)
        self.dirty = True

    def set_seq(self, seq: int) -> None:
        self.writer.update_document(**self.backend._meta(seq))
        self.dirty = True


class WhooshBackend:
    """A Whoosh index in one folder; safe for many reading processes and one writer at a time."""

    name = "whoosh"

    def __init__(self, path: Path, synonyms: Synonyms | None = None, procs: int = 1) -> None:
        self.path = Path(path)
        self.synonyms = synonyms or Synonyms()
        self.procs = procs
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._facets = FacetCache()
        self._ix = self._open_or_create()

    # --- opening ----------------------------------------------------------------------------

    def _open_or_create(self) -> index.Index:
        self.path.mkdir(parents=True, exist_ok=True)
        if index.exists_in(str(self.path)):
            ix = index.open_dir(str(self.path))
            if set(ix.schema.names()) == set(make_schema().names()):
                return ix
            log.warning("search index at %s has an old schema: starting it empty", self.path)
            ix.close()
        return index.create_in(str(self.path), make_schema())

    def _searcher(self) -> Any:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._ix.searcher(weighting=WEIGHTING)
        elif not searcher.up_to_date():
            # A fresh reader, not searcher.refresh(): Whoosh's reader reuse keeps a segment's
            # old deletion list, so deleted or replaced documents would come back.
            searcher.close()
            searcher = self._ix.searcher(weighting=WEIGHTING)
        self._local.searcher = searcher
        return searcher

    # --- writing ----------------------------------------------------------------------------

    def _fields(self, doc: SearchDocument) -> dict[str, Any]:
        words = " ".join((doc.title, doc.summary, " ".join(doc.tags), doc.body[:WORDS_BODY_CHARS]))
        return {
            "key": doc.key,
            "kind": doc.kind,
            "slug": doc.slug,
            "title": doc.title,
            "heading": "\n".join((doc.title, " ".join(doc.tags))),
            "summary": doc.summary,
            "body": doc.body,
            "content": "\n".join((doc.summary, doc.summary, doc.body)),
            "tags": ",".join(tag.lower() for tag in doc.tags),
            "category": doc.category.lower(),
            "service": doc.service.lower(),
            "visibility": doc.visibility,
            "codes": " ".join(doc.codes),
            "title_words": doc.title,
            # the vocabulary for spelling corrections, kept apart by who may see it
            "words_public": words if doc.visibility == PUBLIC else "",
            "words_staff": words if doc.visibility != PUBLIC else "",
            "version": doc.version,
        }

    def _meta(self, seq: int) -> dict[str, Any]:
        return {"key": META_KEY, "visibility": META_KEY, "seq": seq}

    def applied_seq(self) -> int:
        stored = self._searcher().document(key=META_KEY)
        return int(stored["seq"]) if stored else 0

    @contextmanager
    def batch(self, timeout: float = 10.0) -> Iterator[WhooshBatch | None]:
        """Hold the index's write lock; yields None when another writer kept it past ``timeout``.

        Read what to write *inside* the batch, so a writer that waited never overwrites a
        newer copy with the older one it read before the wait."""
        deadline = time.monotonic() + timeout
        acquired = (
            self._write_lock.acquire(timeout=timeout)
            if timeout > 0
            else self._write_lock.acquire(blocking=False)
        )
        if not acquired:
            yield None
            return
        try:
            try:
                left = max(0.0, deadline - time.monotonic())
                writer = self._ix.writer(timeout=left, delay=0.05)
            except index.LockError:
                yield None
                return
            batch = WhooshBatch(self, writer)
            try:
                yield batch
                if batch.dirty:
                    writer.commit()
                else:
                    writer.cancel()
            except BaseException:
                writer.cancel()
                raise
        finally:
            self._write_lock.release()

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        seq: int,
        progress: Callable[[int], None] | None = None,
        timeout: float = 60.0,
        procs: int | None = None,
    ) -> int:
        """Write every document into new segments and swap them in with one commit."""
        with self._write_lock:
            options: dict[str, Any] = {"timeout": timeout, "delay": 0.1, "limitmb": 256}
            procs = procs or self.procs
            if procs > 1:  # analysis in several processes: the slow part of indexing
                options.update(procs=procs, multisegment=True)
            writer = self._ix.writer(**options)
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**self._fields(doc))
                    count += 1
                    if progress is not None:
                        progress(1)
                writer.add_document(**self._meta(seq))
                writer.commit(mergetype=CLEAR)
            except BaseException:
                writer.cancel()
                raise
            return count

    def versions(self) -> dict[str, str]:
        searcher = self._searcher()
        return {
            stored["key"]: stored.get("version", "")
            for stored in searcher.all_stored_fields()
            if stored.get("key") != META_KEY
        }

    def size_bytes(self) -> int:
        return sum(entry.stat().st_size for entry in self.path.iterdir() if entry.is_file())

    def destroy(self) -> None:
        """Remove the index folder (tests and ``kb index rebuild --from-scratch``)."""
        self._local = threading.local()
        self._ix.close()
        shutil.rmtree(self.path, ignore_errors=True)

    # --- searching --------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        searcher = self._searcher()
        parsed = request.query
        spell_fields = (
            ("words_public", "words_staff") if STAFF in request.visibilities else ("words_public",)
        )
        planner = _Planner(searcher, self.synonyms, spell_fields)
        allowed = self._allowed(searcher, request.visibilities, parsed)
        if allowed is not None and not allowed:  # an empty filter would mean "no filter"
            return SearchResults([], 0, request.page, request.per_page)
        mask = self._mask(parsed)

        strict, corrected = planner.strict(parsed)
        if strict is None:
            return SearchResults([], 0, request.page, request.per_page)
        query, strategy = strict, "fuzzy" if corrected else "all"
        if 1 < planner.word_count <= PROXIMITY_MAX_TERMS and planner.fewest <= PROXIMITY_MAX_DOCS:
            query = planner.with_proximity(query)
        collected = self._collect(searcher, query, allowed, mask, request)
        if len(collected.docs) < MIN_RESULTS and planner.can_widen:
            wider = self._collect(searcher, planner.loose(), allowed, mask, request)
            if len(wider.docs) > len(collected.docs):
                collected, strategy = wider, "any"
        matched = collected.docs
        suggestion = planner.suggestion(parsed, corrected) if corrected and matched else None
        page = max(1, min(request.page, -(-len(matched) // request.per_page) or 1))
        if page != request.page:
            collected = self._collect(searcher, collected.query, allowed, mask, request, page)
        top = collected.results()
        terms = _highlight_terms(collected.query) if request.highlight else ()
        hits = [
            self._hit(hit, terms)
            for hit in top[(page - 1) * request.per_page : page * request.per_page]
        ]
        return SearchResults(
            hits=hits,
            total=len(matched),
            page=page,
            per_page=request.per_page,
            facets=self._facets.counts(searcher, matched) if request.facets and matched else {},
            suggestion=suggestion,
            strategy=strategy,
        )

    def _collect(
        self,
        searcher: Any,
        query: wq.Query,
        allowed: set[int] | None,
        mask: wq.Query | None,
        request: SearchRequest,
        page: int | None = None,
    ) -> _Recording:
        """One pass over the matches: the best ``page * per_page`` scored, and every visible
        match's number remembered (the total and the facets need all of them)."""
        limit = (page or request.page) * request.per_page
        recording = _Recording(collectors.TopCollector(limit=limit), query)
        collector: Any = recording
        if allowed is not None or mask is not None:
            collector = collectors.FilterCollector(recording, allow=allowed, restrict=mask)
        searcher.search_with_collector(query, collector)
        return recording

    def _allowed(
        self, searcher: Any, visibilities: tuple[str, ...], parsed: ParsedQuery
    ) -> set[int] | None:
        """The documents this search may return, as document numbers (None: no limit).

        The visibility set is computed once per searcher generation and kept, because a
        filter query would be run again on every search."""
        allowed: set[int] | None = None
        if STAFF not in visibilities:
            cache = getattr(self._local, "allowed", None)
            if cache is None or cache[0] is not searcher:
                cache = (searcher, {})
                self._local.allowed = cache
            allowed = cache[1].get(visibilities)
            if allowed is None:
                allowed = set(
                    searcher.docs_for_query(wq.Or([wq.Term("visibility", v) for v in visibilities]))
                )
                cache[1][visibilities] = allowed
        if parsed.filters:
            narrowed = set(
                searcher.docs_for_query(
                    wq.And(
                        [
                            wq.Or([wq.Term(fieldname, value) for value in values])
                            for fieldname, values in parsed.filters.items()
                        ]
                    )
                )
            )
            allowed = narrowed if allowed is None else allowed & narrowed
        return allowed

    def _mask(self, parsed: ParsedQuery) -> wq.Query | None:
        if not parsed.excluded:
            return None
        parts = []
        for words in parsed.excluded:
            stems = _analyze(STEMMED, " ".join(words))
            for fieldname in BOOSTS:
                if len(stems) == 1:
                    parts.append(wq.Term(fieldname, stems[0]))
                elif stems:
                    parts.append(wq.Phrase(fieldname, stems))
            if len(words) == 1:
                parts.append(wq.Term("codes", words[0]))
        return wq.Or(parts) if parts else None

    def _hit(self, hit: Any, terms: tuple[str, ...]) -> Hit:
        stored = hit.fields()
        snippet = ""
        if terms:
            snippet = make_snippet(stored.get("body", ""), terms) or make_snippet(
                stored.get("summary", ""), terms, passages=1
            )
        if not snippet:
            snippet = escape(_shorten(stored.get("summary") or stored.get("body", "")))
        return Hit(
            kind=stored["kind"],
            slug=stored["slug"],
            title=stored["title"],
            summary=stored.get("summary", ""),
            snippet=snippet,
            score=round(float(hit.score or 0.0), 4),
            category=stored.get("category", ""),
            service=stored.get("service", ""),
            tags=tuple(t for t in stored.get("tags", "").split(",") if t),
        )

    def suggest_titles(
        self, text: str, visibilities: tuple[str, ...], limit: int = 8
    ) -> list[TitleSuggestion]:
        words = _analyze(PLAIN, text)
        if not words:
            return []
        searcher = self._searcher()
        ends_word = text[-1:].isspace()
        parts: list[wq.Query] = [wq.Term("title_words", word) for word in words[:-1]]
        last = words[-1]
        parts.append(wq.Term("title_words", last) if ends_word else wq.Prefix("title_words", last))
        hits = searcher.search(
            wq.And(parts),
            limit=limit,
            filter=wq.Or([wq.Term("visibility", v) for v in visibilities]),
        )
        return [TitleSuggestion(hit["kind"], hit["slug"], hit["title"]) for hit in hits]


class _Planner:
    """Turns parsed words into Whoosh queries, knowing the index's vocabulary and statistics."""

    def __init__(self, searcher: Any, synonyms: Synonyms, spell_fields: tuple[str, ...]) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.synonyms = synonyms
        present = set(self.reader.indexed_field_names())  # a field nobody used is absent
        self.spell_fields = tuple(f for f in spell_fields if f in present)
        self.concepts: list[tuple[wq.Query, float]] = []  # (query, rarity) per concept
        self.required: list[wq.Query] = []  # quoted phrases
        self.proximity: wq.Query | None = None
        self.word_count = 0

    @property
    def fewest(self) -> float:
        """At most this many documents can contain every word (the rarest word's count)."""
        return min((1 / rarity - 1 for _, rarity in self.concepts), default=0)

    @property
    def can_widen(self) -> bool:
        return len(self.concepts) > 1

    def strict(self, parsed: ParsedQuery) -> tuple[wq.Query | None, dict[str, str]]:
        corrected: dict[str, str] = {}
        stems_in_order: list[str] = []
        for alternatives in self.synonyms.concepts(parsed.words):
            built = self._concept(alternatives, corrected)
            if built is not None:
                self.concepts.append(built)
                first = _analyze(STEMMED, " ".join(alternatives[0]))
                stems_in_order.extend(first)
        for words in parsed.phrases:
            stems = _analyze(STEMMED, " ".join(words))
            if stems:
                self.required.append(
                    wq.Or([wq.Phrase(f, stems, boost=BOOSTS[f]) for f in BOOSTS])
                    if len(stems) > 1
                    else wq.Or([wq.Term(f, stems[0], boost=BOOSTS[f]) for f in BOOSTS])
                )
        self.word_count = len(stems_in_order)
        if len(stems_in_order) > 1:
            self.proximity = wq.Or(
                [
                    wq.Phrase("heading", stems_in_order, slop=2, boost=TITLE_PHRASE_BOOST),
                    wq.Phrase("content", stems_in_order, slop=6, boost=BODY_PHRASE_BOOST),
                ]
            )
        parts = [query for query, _ in self.concepts] + self.required
        if not parts:
            return None, corrected
        return (wq.And(parts) if len(parts) > 1 else parts[0]), corrected

    def loose(self) -> wq.Query:
        """Any term may match, but only the rarest few decide which documents are scored."""
        ranked = sorted(self.concepts, key=lambda item: -item[1])
        core = [query for query, _ in ranked[:CORE_TERMS]]
        rest = [query for query, _ in ranked[CORE_TERMS:]]
        matched: wq.Query = wq.Or(core)
        if self.required:
            matched = wq.And([matched, *self.required])
        if rest:
            matched = wq.AndMaybe(matched, wq.Or(rest))
        return matched  # no proximity pass: it would read positions for every match

    def with_proximity(self, query: wq.Query) -> wq.Query:
        """Rank higher where the words stand close together (reads positions: costly)."""
        return wq.AndMaybe(query, self.proximity) if self.proximity is not None else query

    def _concept(
        self, alternatives: list[tuple[str, ...]], corrected: dict[str, str]
    ) -> tuple[wq.Query, float] | None:
        """One concept (a word and its synonyms) as an OR over fields; None if all stop words."""
        clauses: list[wq.Query] = []
        document_frequency = 0
        for position, words in enumerate(alternatives):
            weight = 1.0 if position == 0 else SYNONYM_WEIGHT
            phrase = " ".join(words)
            stems = _analyze(STEMMED, phrase)
            if not stems:
                continue
            clauses.extend(self._field_clauses(stems, weight, primary=position == 0))
            if len(words) == 1 and codes_in(words[0]):
                clauses.append(wq.Term("codes", words[0], boost=CODE_BOOST * weight))
            if position == 0:
                document_frequency = max(
                    (self.reader.doc_frequency("content", stem) for stem in stems), default=0
                )
                if len(words) == 1 and not codes_in(words[0]):
                    fixes = self._corrections(words[0])
                    if fixes:
                        corrected[words[0]] = fixes[0]
                        for fix in fixes:
                            for stem in _analyze(STEMMED, fix):
                                clauses.extend(
                                    self._field_clauses([stem], CORRECTION_WEIGHT, primary=False)
                                )
                                document_frequency = max(
                                    document_frequency, self.reader.doc_frequency("content", stem)
                                )
        if not clauses:
            return None
        rarity = 1.0 / (1 + document_frequency)
        return wq.Or(clauses), rarity

    def _field_clauses(self, stems: list[str], weight: float, primary: bool) -> list[wq.Query]:
        """The word in every field; a synonym or correction only in title and body, and a
        several-word synonym only as a title phrase (phrases read positions: costly)."""
        fields_ = BOOSTS
        if len(stems) == 1:
            return [wq.Term(f, stems[0], boost=b * weight) for f, b in fields_.items()]
        if not primary:
            fields_ = {"heading": BOOSTS["heading"]}
        return [wq.Phrase(f, stems, boost=b * weight) for f, b in fields_.items()]

    def _corrections(self, word: str) -> list[str]:
        """Known words close to an unknown one (none when the word is known or too short)."""
        plain = _analyze(PLAIN, word)
        if not plain or len(plain[0]) < 4:
            return []
        word = plain[0]
        if self._frequency(word) > 0:
            return []
        # Nearest first, then the most frequent: Whoosh's own corrector would rank a frequent
        # word two edits away above the one-edit word the person meant.
        for distance in range(1, (1 if len(word) <= 5 else 2) + 1):
            found = {
                candidate
                for fieldname in self.spell_fields
                for candidate in self.reader.terms_within(fieldname, word, distance, prefix=1)
                if self.reader.doc_frequency(fieldname, candidate) > 0
            }
            if found:
                return sorted(found, key=lambda w: (-self._frequency(w), w))[:2]
        return []

    def _frequency(self, word: str) -> int:
        return sum(self.reader.doc_frequency(f, word) for f in self.spell_fields)

    def suggestion(self, parsed: ParsedQuery, corrected: dict[str, str]) -> str | None:
        words = [corrected.get(word, word) for word in parsed.words]
        text = " ".join(words)
        return text if words != parsed.words else None


def _highlight_terms(query: wq.Query) -> tuple[str, ...]:
    """The words to mark in snippets: every term the query looked for in a text field."""
    wanted = {"heading", "content", "codes"}
    terms = {
        text.decode("utf-8") if isinstance(text, bytes) else str(text)
        for fieldname, text in query.iter_all_terms(phrases=True)
        if fieldname in wanted
    }
    return tuple(sorted(terms))


def _analyze(analyzer: Any, text: str) -> list[str]:
    return [token.text for token in analyzer(text)]


def _shorten(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"
