"""The built-in search engine: Whoosh (``whoosh-reloaded``) for storage, numpy for ranking.

- Whoosh keeps the index on disk (segments, postings, stored fields, the write lock) and is
  what several processes and nodes share safely; kb analyses text itself in one fast pass
  (:mod:`kb.search.analysis`).
- Ranking never walks Whoosh's matchers: each generation's postings, lengths and facet values
  are read into numpy arrays once (:mod:`kb.search.whoosh_stats`) and ranked with array
  arithmetic (:mod:`kb.search.ranking`), so every matching document is scored exactly and
  totals and facets are exact at no extra cost. Only quoted phrases (positions) and title
  suggestions (prefixes) use Whoosh's own queries.
- Segments are written by :mod:`kb.search.whoosh_writing` in Whoosh's own format, faster.
- Writes take the index lock with a timeout; the change sequence (not the write) is what makes
  an update durable, so a writer that gives up loses nothing: the next sync applies it.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh import fields, index, scoring
from whoosh import query as wq
from whoosh.writing import CLEAR

from kb.search.analysis import INDEX_STOP, PlainWords, StemmedText, stem, words
from kb.search.backend import Hit, SearchRequest, SearchResults, TitleSuggestion
from kb.search.documents import SearchDocument
from kb.search.planning import QueryPlan, plan
from kb.search.ranking import Population, rank
from kb.search.snippets import snippet as make_snippet
from kb.search.synonyms import Synonyms
from kb.search.whoosh_stats import Generation, SegmentCache
from kb.search.whoosh_writing import BulkW3Codec, TermPool

log = logging.getLogger(__name__)

META_KEY = "_meta"
# Bumped whenever what is indexed changes meaning (fields, analysis): an index in another
# format is started again and filled from the database.
FORMAT = 3
# Answers kept per index generation (each a page of hits with snippets, a few kB); a write to
# the index opens a new generation, which starts with none. SEARCH_ANSWERS_KEPT overrides it.
ANSWERS_KEPT = 512


def make_schema() -> fields.Schema:
    return fields.Schema(
        key=fields.ID(unique=True, stored=True),
        kind=fields.ID(stored=True),
        slug=fields.ID(stored=True),
        title=fields.STORED,
        heading=StemmedText(),  # title and tags
        content=StemmedText(),  # summary (twice) and body
        summary=fields.STORED,
        body=fields.STORED,
        tags=fields.KEYWORD(stored=True, commas=True, lowercase=True),
        category=fields.ID(stored=True),
        service=fields.ID(stored=True),
        visibility=fields.ID(stored=True),
        codes=fields.KEYWORD(lowercase=True, scorable=True),
        title_words=PlainWords(),  # title suggestions as you type
        version=fields.STORED,
        seq=fields.STORED,
        format=fields.STORED,
    )


# Only Whoosh's own queries use it (phrases, title suggestions); kb ranks in kb.search.ranking.
WEIGHTING = scoring.BM25F()


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

    def __init__(
        self,
        path: Path,
        synonyms: Synonyms | None = None,
        procs: int = 1,
        answers_kept: int = ANSWERS_KEPT,
    ) -> None:
        self.path = Path(path)
        self.synonyms = synonyms or Synonyms()
        self.procs = procs
        self.answers_kept = max(0, answers_kept)
        self._write_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._segments = SegmentCache()
        self._gen: Generation | None = None
        self._ix = self._open_or_create()

    # --- opening ----------------------------------------------------------------------------

    def _open_or_create(self) -> index.Index:
        self.path.mkdir(parents=True, exist_ok=True)
        if index.exists_in(str(self.path)):
            try:
                ix = index.open_dir(str(self.path))
                with ix.searcher() as searcher:
                    meta = searcher.document(key=META_KEY)
                    fresh = meta is None and searcher.doc_count() == 0  # created, not written
                same_fields = set(ix.schema.names()) == set(make_schema().names())
                if same_fields and (fresh or (meta or {}).get("format") == FORMAT):
                    return ix
                ix.close()
            except Exception as error:  # an index this version cannot read is derived data
                log.warning("search index at %s cannot be opened (%s)", self.path, error)
            log.warning("search index at %s is in an older format: starting it empty", self.path)
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(self.path), make_schema())
        try:  # the format mark, so a later version knows what it finds
            writer = ix.writer(timeout=5.0, codec=BulkW3Codec())
        except index.LockError:
            return ix  # another process is creating it and will write the mark
        writer.update_document(**self._meta(0))
        writer.commit()
        return ix

    # --- writing ----------------------------------------------------------------------------

    def _fields(self, doc: SearchDocument) -> dict[str, Any]:
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
            "version": doc.version,
        }

    def _meta(self, seq: int) -> dict[str, Any]:
        return {"key": META_KEY, "visibility": META_KEY, "seq": seq, "format": FORMAT}

    def applied_seq(self) -> int:
        gen = self._generation()
        with gen.lock:
            return gen.applied_seq()

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
                writer = self._ix.writer(timeout=left, delay=0.05, codec=BulkW3Codec())
            except index.LockError:
                yield None
                return
            TermPool.install(writer)
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
            options: dict[str, Any] = {
                "timeout": timeout,
                "delay": 0.1,
                "limitmb": 256,
                "codec": BulkW3Codec(),
            }
            procs = procs or self.procs
            if procs > 1:  # analysis in several processes: the slow part of indexing
                options.update(procs=procs, multisegment=True)
            writer = self._ix.writer(**options)
            if procs <= 1:
                TermPool.install(writer, limitmb=options["limitmb"])
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
        gen = self._generation()
        with gen.lock:
            return {
                stored["key"]: stored.get("version", "")
                for stored in gen.searcher.all_stored_fields()
                if stored.get("key") != META_KEY
            }

    def size_bytes(self) -> int:
        return sum(entry.stat().st_size for entry in self.path.iterdir() if entry.is_file())

    def destroy(self) -> None:
        """Remove the index folder (tests and ``kb index rebuild --from-scratch``)."""
        self._gen = None
        self._ix.close()
        shutil.rmtree(self.path, ignore_errors=True)

    # --- searching --------------------------------------------------------------------------

    def _generation(self) -> Generation:
        """The newest generation's arrays, opened once and shared by every thread."""
        current = self._gen
        if current is not None and current.generation == self._ix.latest_generation():
            return current
        with self._gen_lock:
            current = self._gen
            if current is None or current.generation != self._ix.latest_generation():
                # A fresh reader, never searcher.refresh(): Whoosh's reader reuse keeps a
                # segment's old deletion list, so deleted or replaced documents would come back.
                current = Generation(self._ix, self._segments, WEIGHTING, self.answers_kept)
                self._gen = current
            return current

    def search(self, request: SearchRequest) -> SearchResults:
        gen = self._generation()
        key = _request_key(request)
        results = gen.results.get(key)
        if results is None:
            with gen.lock:
                results = self._search(gen, request)
            gen.results.put(key, results)
        return replace(results, hits=list(results.hits), facets=dict(results.facets))

    def _search(self, gen: Generation, request: SearchRequest) -> SearchResults:
        parsed = request.query
        visible = gen.mask("visibility", request.visibilities)
        spelling = _Spelling(gen, visible)
        query_plan = plan(parsed, self.synonyms, spelling.known, spelling.nearby)
        empty = SearchResults([], 0, request.page, request.per_page)
        if query_plan.empty:
            return empty
        seen = visible & gen.live
        population = Population(
            seen, tuple(sorted(request.visibilities)), int(np.count_nonzero(seen))
        )
        allowed = seen
        for fieldname, values in parsed.filters.items():
            allowed = allowed & gen.mask(fieldname, values)
        excluded = self._excluded(gen, query_plan)
        if excluded is not None:
            allowed = allowed & ~excluded
        phrases = self._phrase_docs(gen, query_plan)
        if not allowed.any():
            return empty
        limit = request.page * request.per_page
        ranked = rank(gen, query_plan, population, allowed, limit, phrases)
        if not ranked.total:
            return empty
        page = max(1, min(request.page, -(-ranked.total // request.per_page)))
        if page != request.page:
            ranked = rank(gen, query_plan, population, allowed, page * request.per_page, phrases)
        terms = query_plan.highlight_terms() if request.highlight else ()
        window = ranked.docs[(page - 1) * request.per_page : page * request.per_page]
        hits = [self._hit(gen, doc, ranked.scores[doc], terms) for doc in window]
        suggestion = None
        if query_plan.corrections and ranked.corrected_found:
            suggestion = query_plan.suggestion(
                parsed.words, lambda typed, term: spelling.spelled(typed, term, ranked.docs)
            )
        strategy = "fuzzy" if suggestion else "all" if ranked.every_word else "any"
        return SearchResults(
            hits=hits,
            total=ranked.total,
            page=page,
            per_page=request.per_page,
            facets=gen.facet_counts(ranked.matched) if request.facets else {},
            suggestion=suggestion,
            strategy=strategy,
        )

    def _excluded(self, gen: Generation, query_plan: QueryPlan) -> np.ndarray | None:
        """Documents containing a -word or -"phrase"."""
        if not query_plan.excluded and not query_plan.excluded_codes:
            return None
        mask = np.zeros(gen.size, bool)
        for terms in query_plan.excluded:
            if len(terms) == 1:
                for fieldname in ("heading", "content"):
                    mask[gen.postings(fieldname, terms[0])[0]] = True
            else:
                mask |= self._phrase_mask(gen, terms)
        for code in query_plan.excluded_codes:
            mask[gen.postings("codes", code)[0]] = True
        return mask

    def _phrase_docs(self, gen: Generation, query_plan: QueryPlan) -> np.ndarray | None:
        """Documents containing every quoted phrase (None when nothing was quoted)."""
        if not query_plan.phrases:
            return None
        mask = np.ones(gen.size, bool)
        for terms in query_plan.phrases:
            mask &= self._phrase_mask(gen, terms)
        return mask

    def _phrase_mask(self, gen: Generation, terms: tuple[str, ...]) -> np.ndarray:
        query = wq.Or([wq.Phrase(fieldname, list(terms)) for fieldname in ("heading", "content")])
        mask = np.zeros(gen.size, bool)
        docs = list(gen.searcher.docs_for_query(query))
        if docs:
            mask[np.asarray(docs, np.int64)] = True
        return mask

    def _hit(self, gen: Generation, doc: int, score: float, terms: tuple[str, ...]) -> Hit:
        stored = gen.stored(doc)
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
            score=round(score, 4),
            category=stored.get("category", ""),
            service=stored.get("service", ""),
            tags=tuple(t for t in stored.get("tags", "").split(",") if t),
        )

    def suggest_titles(
        self, text: str, visibilities: tuple[str, ...], limit: int = 8
    ) -> list[TitleSuggestion]:
        typed = [w for w in words(text) if w and w not in INDEX_STOP]
        if not typed:
            return []
        ends_word = text[-1:].isspace()
        parts: list[wq.Query] = [wq.Term("title_words", word) for word in typed[:-1]]
        last = typed[-1]
        parts.append(wq.Term("title_words", last) if ends_word else wq.Prefix("title_words", last))
        gen = self._generation()
        with gen.lock:
            hits = gen.searcher.search(
                wq.And(parts),
                limit=limit,
                filter=wq.Or([wq.Term("visibility", v) for v in visibilities]),
            )
            return [TitleSuggestion(hit["kind"], hit["slug"], hit["title"]) for hit in hits]


class _Spelling:
    """Corrections from the index's own terms, limited to documents the searcher may see.

    The vocabulary is the stemmed terms of titles, tags, summaries and bodies (no second copy
    of every word in the index, which cost more than a third of indexing); a typed word is
    known when its stem is, and a suggestion is spelled as a visible document spells it."""

    FIELDS = ("heading", "content")

    def __init__(self, gen: Generation, visible: np.ndarray) -> None:
        self.gen = gen
        self.visible = visible & gen.live

    def frequency(self, term: str) -> int:
        seen = np.zeros(0, np.int32)
        for fieldname in self.FIELDS:
            ids, _ = self.gen.postings(fieldname, term)
            seen = np.union1d(seen, ids) if len(seen) else ids
        return int(np.count_nonzero(self.visible[seen])) if len(seen) else 0

    def known(self, word: str) -> bool:
        term = stem(word)
        return any(
            bool(self.visible[self.gen.postings(fieldname, term)[0]].any())
            for fieldname in self.FIELDS
        )

    def nearby(self, word: str) -> list[str]:
        """Terms one edit from the word or its stem (two for longer words; a transposition is
        one edit), nearest first, then the most frequent. Typos rarely touch the first letter,
        and keeping it makes the look-up cheap."""
        limit = 1 if len(word) <= 5 else 2
        forms = {word, stem(word)}
        found: dict[str, int] = {}
        for fieldname in self.FIELDS:
            for terms in self.gen.vocabulary(fieldname, word[:1]):
                for form in forms:
                    for candidate, distance, _ in process.extract(
                        form,
                        terms,
                        scorer=DamerauLevenshtein.distance,
                        score_cutoff=limit,
                        limit=None,
                    ):
                        if candidate not in forms and len(candidate) > 2:
                            found[candidate] = min(distance, found.get(candidate, distance))
        ranked = sorted((distance, -self.frequency(c), c) for c, distance in found.items())
        return [c for _, minus_frequency, c in ranked if minus_frequency < 0][:2]

    def spelled(self, typed: str, term: str, docs: list[int]) -> str:
        """The word closest to what was typed among those the first documents of ``docs``
        write for the term (the term itself if none has it)."""
        forms: set[str] = set()
        for doc in docs[:5]:
            stored = self.gen.stored(doc)
            text = "\n".join(stored.get(name, "") for name in ("title", "summary", "body"))
            forms.update(word for word in words(text[:20_000]) if stem(word) == term)
            if forms:
                break
        if not forms:
            return term
        return min(forms, key=lambda form: (DamerauLevenshtein.distance(typed, form), form))


def _shorten(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _request_key(request: SearchRequest) -> tuple:
    """Everything an answer depends on besides the index generation (and the synonyms, which
    are fixed for a backend's life)."""
    query = request.query
    return (
        tuple(query.words),
        tuple(map(tuple, query.phrases)),
        tuple(map(tuple, query.excluded)),
        tuple(sorted((name, tuple(values)) for name, values in query.filters.items())),
        tuple(request.visibilities),
        request.page,
        request.per_page,
        request.facets,
        request.highlight,
    )
