"""A toy search backend that keeps the contract in a JSON file, and broken variants of it.

It shows the conformance suite is engine-neutral (a backend that is not Whoosh passes it) and
that each variant's one deliberate mistake fails it. Scoring only counts the query's terms
in each document, so no statistic of other documents can leak into it.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from html import escape
from itertools import chain
from pathlib import Path

from kb.search.analysis import INDEX_STOP, index_terms, words
from kb.search.backend import (
    FACET_FIELDS,
    MAX_FACET_VALUES,
    Hit,
    SearchRequest,
    SearchResults,
    TitleSuggestion,
)
from kb.search.documents import SearchDocument
from kb.search.snippets import snippet as make_snippet

_LOCKS: dict[str, threading.Lock] = {}  # one write lock per index folder, shared by handles
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(path.resolve()), threading.Lock())


class MemoryBatch:
    def __init__(self, seq: int, docs: dict[str, SearchDocument]) -> None:
        self.seq = self._committed = seq
        self.docs = docs

    def applied_seq(self) -> int:
        return self._committed

    def upsert(self, doc: SearchDocument) -> None:
        self.docs[doc.key] = doc

    def delete(self, key: str) -> None:
        self.docs.pop(key, None)

    def set_seq(self, seq: int) -> None:
        self.seq = seq


class MemoryBackend:
    """The whole index in ``index.json``, replaced atomically on every commit."""

    name = "memory"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.file = self.path / "index.json"
        self.lock = _lock_for(self.path)

    # --- storage -------------------------------------------------------------------------

    def load(self) -> tuple[int, dict[str, SearchDocument]]:
        if not self.file.exists():
            return 0, {}
        data = json.loads(self.file.read_text())
        docs = {key: SearchDocument(**fields) for key, fields in data["docs"].items()}
        return data["seq"], docs

    def save(self, seq: int, docs: dict[str, SearchDocument]) -> None:
        temporary = self.path / f".index.{os.getpid()}.{threading.get_ident()}"
        payload = {"seq": seq, "docs": {key: asdict(doc) for key, doc in docs.items()}}
        temporary.write_text(json.dumps(payload))
        os.replace(temporary, self.file)

    def applied_seq(self) -> int:
        return self.load()[0]

    @contextmanager
    def batch(self, timeout: float) -> Iterator[MemoryBatch | None]:
        acquired = self.lock.acquire(timeout=timeout) if timeout > 0 else self.lock.acquire(False)
        if not acquired:
            yield None
            return
        try:
            seq, docs = self.load()
            batch = MemoryBatch(seq, dict(docs))
            yield batch
            self.save(batch.seq, batch.docs)
        finally:
            self.lock.release()

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        seq: int,
        progress: Callable[[int], None] | None,
        procs: int | None = None,
    ) -> int:
        with self.lock:
            docs: dict[str, SearchDocument] = {}
            for doc in documents:
                docs[doc.key] = doc
                if progress is not None:
                    progress(1)
            self.save(seq, docs)
            return len(docs)

    def versions(self) -> dict[str, str]:
        return {key: doc.version for key, doc in self.load()[1].items()}

    def size_bytes(self) -> int:
        return self.file.stat().st_size if self.file.exists() else 0

    # --- searching -----------------------------------------------------------------------

    def visible(self, docs: Iterable[SearchDocument], visibilities: tuple[str, ...]):
        return [doc for doc in docs if doc.visibility in visibilities]

    def facet_values(self, doc: SearchDocument, name: str) -> list[str]:
        if name == "tags":
            return [tag.lower() for tag in doc.tags]
        return [str(getattr(doc, name)).lower()]

    def fields(self, doc: SearchDocument) -> list[list[str]]:
        return [
            index_terms(text) for text in (doc.title, " ".join(doc.tags), doc.summary, doc.body)
        ]

    def has_phrase(self, doc: SearchDocument, phrase: tuple[str, ...]) -> bool:
        size = len(phrase)
        return any(
            tuple(terms[i : i + size]) == phrase
            for terms in self.fields(doc)
            for i in range(len(terms) - size + 1)
        )

    def search(self, request: SearchRequest) -> SearchResults:
        query = request.query
        typed = [*query.words, *chain.from_iterable(query.phrases)]
        wanted = list(dict.fromkeys(index_terms(" ".join(typed))))
        phrases = [tuple(index_terms(" ".join(p))) for p in query.phrases]
        excluded = [tuple(index_terms(" ".join(e))) for e in query.excluded]
        empty = SearchResults([], 0, request.page, request.per_page)
        if not wanted:
            return empty
        scored: list[tuple[float, str, SearchDocument]] = []
        phrased: set[str] = set()
        for doc in self.visible(self.load()[1].values(), request.visibilities):
            counts = Counter(term for terms in self.fields(doc) for term in terms)
            if any(self.has_phrase(doc, e) if len(e) > 1 else counts[e[0]] for e in excluded if e):
                continue
            if any(
                not set(values) & set(self.facet_values(doc, name))
                for name, values in query.filters.items()
            ):
                continue
            found = [term for term in wanted if counts[term]]
            if not found:
                continue
            if all(self.has_phrase(doc, p) for p in phrases if len(p) > 1):
                phrased.add(doc.key)
            score = len(found) + 0.01 * sum(min(counts[t], 5) for t in found)
            scored.append((round(score, 4), doc.key, doc))
        if phrased:
            scored = [row for row in scored if row[1] in phrased]
        return self.page_of(self.order(scored), request, wanted)

    def order(self, scored: list[tuple[float, str, SearchDocument]]):
        return sorted(scored, key=lambda row: (-row[0], row[1]))

    def page_of(self, ranked, request: SearchRequest, wanted: list[str]) -> SearchResults:
        total = len(ranked)
        if not total:
            return SearchResults([], 0, request.page, request.per_page)
        page = max(1, min(request.page, -(-total // request.per_page)))
        window = ranked[(page - 1) * request.per_page : page * request.per_page]
        hits = [self.hit(doc, score, tuple(wanted)) for score, _, doc in window]
        best = set(chain.from_iterable(self.fields(ranked[0][2])))
        return SearchResults(
            hits=hits,
            total=total,
            page=page,
            per_page=request.per_page,
            facets=self.facets([doc for _, _, doc in ranked]) if request.facets else {},
            strategy="all" if set(wanted) <= best else "any",
        )

    def facets(self, docs: list[SearchDocument]) -> dict[str, list[tuple[str, int]]]:
        result = {}
        for name in FACET_FIELDS:
            tally = Counter(v for doc in docs for v in self.facet_values(doc, name) if v)
            result[name] = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
            result[name] = result[name][:MAX_FACET_VALUES]
        return result

    def snippet(self, doc: SearchDocument, terms: tuple[str, ...]) -> str:
        found = make_snippet(doc.body, terms) or make_snippet(doc.summary, terms, passages=1)
        return found or escape((doc.summary or doc.body)[:200], quote=False)

    def hit(self, doc: SearchDocument, score: float, terms: tuple[str, ...]) -> Hit:
        return Hit(
            kind=doc.kind,
            slug=doc.slug,
            title=doc.title,
            summary=doc.summary,
            snippet=self.snippet(doc, terms),
            score=score,
            category=doc.category.lower(),
            service=doc.service.lower(),
            tags=tuple(tag.lower() for tag in doc.tags),
        )

    def suggest_titles(
        self, text: str, visibilities: tuple[str, ...], limit: int
    ) -> list[TitleSuggestion]:
        typed = [w for w in words(text) if w not in INDEX_STOP]
        if not typed:
            return []
        whole, last = typed[:-1], typed[-1]
        found = []
        for doc in sorted(self.visible(self.load()[1].values(), visibilities), key=lambda d: d.key):
            title = words(doc.title)
            if not all(w in title for w in whole):
                continue
            if (last in title) if text[-1:].isspace() else any(w.startswith(last) for w in title):
                found.append(TitleSuggestion(doc.kind, doc.slug, doc.title))
        return found[:limit]


# --- one mistake each ----------------------------------------------------------------------


class IgnoresVisibility(MemoryBackend):
    """Shows technicians' documents to everyone."""

    def visible(self, docs, visibilities):
        return list(docs)


class FacetsCountStaff(MemoryBackend):
    """Results are right, but facets are counted before the visibility filter."""

    def search(self, request: SearchRequest) -> SearchResults:
        results = super().search(request)
        everything = super().search(replace(request, visibilities=("public", "staff")))
        results.facets = everything.facets
        return results


class RawSnippets(MemoryBackend):
    """Marks matches but does not escape the text around them."""

    def snippet(self, doc: SearchDocument, terms: tuple[str, ...]) -> str:
        text = doc.body
        for term in terms:
            text = text.replace(term, f"<mark>{term}</mark>")
        return text[:200]


class CommitsOnError(MemoryBackend):
    """Writes a batch even when the code writing it failed."""

    @contextmanager
    def batch(self, timeout: float) -> Iterator[MemoryBatch | None]:
        if not self.lock.acquire(timeout=max(timeout, 0.01)):
            yield None
            return
        seq, docs = self.load()
        batch = MemoryBatch(seq, dict(docs))
        try:
            yield batch
        finally:
            self.save(batch.seq, batch.docs)
            self.lock.release()


class TiesByWriteOrder(MemoryBackend):
    """Breaks equal scores by the order documents were written, not by key."""

    def order(self, scored):
        return sorted(scored, key=lambda row: -row[0])


class ForgetsDeletes(MemoryBackend):
    """Never deletes anything."""

    @contextmanager
    def batch(self, timeout: float) -> Iterator[MemoryBatch | None]:
        with super().batch(timeout) as batch:
            if batch is not None:
                batch.delete = lambda key: None  # type: ignore[method-assign]
            yield batch
