"""A Whoosh index generation read into numpy arrays, so a query costs array arithmetic
instead of Whoosh walking its posting lists one document at a time in Python.

Segments never change once written, so what is read from one (a term's postings, field
lengths, facet values, analysed titles) is kept per segment and survives new generations; a
generation only adds its deletion marks and stitches its segments' arrays together.
Statistics (document counts, average lengths) are computed over live documents only, so scores
do not depend on how the index happens to be split into segments or on deleted documents.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Hashable, Iterable
from typing import Any, NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from kb.lru import LRU
from kb.search.analysis import index_terms
from kb.search.backend import FACET_FIELDS, MAX_FACET_VALUES

Postings = tuple[np.ndarray, np.ndarray]  # (document numbers int32, term frequencies float32)
EMPTY: Postings = (np.zeros(0, np.int32), np.zeros(0, np.float32))
FACETS = FACET_FIELDS  # as the contract names them
MAX_CACHED_TERMS = 100_000  # per segment: beyond this the cache starts again
FACET_VALUES = MAX_FACET_VALUES


def read_postings(reader: Any, fieldname: str, text: str) -> Postings:
    """Every posting of a term in one segment, deleted documents included, as arrays.

    Reads Whoosh 3's posting blocks directly (zlib-compressed pickles: C speed) instead of
    stepping a matcher per document; ``whoosh-reloaded`` is pinned, and anything unexpected
    falls back to the public matcher interface."""
    btext = text.encode("utf-8")
    try:
        matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    except (TermNotFound, KeyError, AttributeError):
        return EMPTY
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.asarray(ids, np.int32), np.asarray(weights, np.float32)
    id_parts: list[np.ndarray] = []
    tf_parts: list[np.ndarray] = []
    while True:
        matcher._read_data()
        deltas, weights, _ = matcher._data
        count = matcher._blocklength
        id_parts.append(np.cumsum(np.asarray(deltas, np.int64)).astype(np.int32))
        if weights is None:
            tf_parts.append(np.ones(count, np.float32))
        elif isinstance(weights, float):
            tf_parts.append(np.full(count, weights, np.float32))
        else:
            tf_parts.append(np.asarray(weights, np.float32))
        if matcher._lastblock:
            break
        matcher._next_block()
    if len(id_parts) == 1:
        return id_parts[0], tf_parts[0]
    return np.concatenate(id_parts), np.concatenate(tf_parts)


class TitleTerms(NamedTuple):
    title: tuple[str, ...]
    title_pairs: frozenset[tuple[str, str]]
    summary_pairs: frozenset[tuple[str, str]]


class SegmentStats:
    """What kb reads from one immutable segment, loaded on first use and then kept."""

    def __init__(self, segment_id: str, size: int) -> None:
        self.segment_id = segment_id
        self.size = size
        self._postings: dict[tuple[str, str], Postings] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self._facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._titles: dict[int, TitleTerms] = {}
        self._keys: dict[int, str] = {}
        self._vocabulary: dict[str, list[str]] | None = None

    def postings(self, reader: Any, fieldname: str, text: str) -> Postings:
        cached = self._postings.get((fieldname, text))
        if cached is None:
            if len(self._postings) > MAX_CACHED_TERMS:
                self._postings.clear()
            cached = read_postings(reader, fieldname, text)
            self._postings[(fieldname, text)] = cached
        return cached

    def lengths(self, reader: Any, fieldname: str) -> np.ndarray:
        cached = self._lengths.get(fieldname)
        if cached is None:
            length = reader.doc_field_length
            cached = np.fromiter(
                (length(doc, fieldname, 0) or 0 for doc in range(self.size)),
                np.float32,
                self.size,
            )
            self._lengths[fieldname] = cached
        return cached

    def facet(self, reader: Any, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, document numbers, value numbers): one pair per document and value."""
        cached = self._facets.get(fieldname)
        if cached is None:
            values: list[str] = []
            docs: list[np.ndarray] = []
            codes: list[np.ndarray] = []
            if fieldname in reader.indexed_field_names():
                for btext in reader.lexicon(fieldname):
                    ids, _ = self.postings(reader, fieldname, btext.decode("utf-8"))
                    docs.append(ids)
                    codes.append(np.full(len(ids), len(values), np.int32))
                    values.append(btext.decode("utf-8"))
            cached = (
                values,
                np.concatenate(docs) if docs else np.zeros(0, np.int32),
                np.concatenate(codes) if codes else np.zeros(0, np.int32),
            )
            self._facets[fieldname] = cached
        return cached

    def title_terms(self, reader: Any, doc: int) -> TitleTerms:
        """The analysed title and summary of a document (for proximity in re-ranking)."""
        cached = self._titles.get(doc)
        if cached is None:
            stored = reader.stored_fields(doc)
            title = tuple(index_terms(stored.get("title", "")))
            summary = index_terms(stored.get("summary", ""))
            cached = TitleTerms(
                title,
                frozenset(itertools.pairwise(title)),
                frozenset(itertools.pairwise(summary)),
            )
            self._titles[doc] = cached
        return cached

    def vocabulary(self, reader: Any, fieldname: str, initial: str) -> list[str]:
        """The segment's words in a field that start with ``initial`` (spelling candidates)."""
        if self._vocabulary is None:
            buckets: dict[str, list[str]] = {}
            if fieldname in reader.indexed_field_names():
                for btext in reader.lexicon(fieldname):
                    word = btext.decode("utf-8")
                    buckets.setdefault(word[:1], []).append(word)
            self._vocabulary = buckets
        return self._vocabulary.get(initial, [])

    def key(self, reader: Any, doc: int) -> str:
        cached = self._keys.get(doc)
        if cached is None:
            cached = reader.stored_fields(doc).get("key", "")
            self._keys[doc] = cached
        return cached


class SegmentCache:
    """Segment statistics shared by every generation that still contains the segment."""

    def __init__(self) -> None:
        self._segments: dict[str, SegmentStats] = {}
        self._lock = threading.Lock()

    def get(self, segment_id: str, size: int) -> SegmentStats:
        with self._lock:
            stats = self._segments.get(segment_id)
            if stats is None:
                stats = self._segments[segment_id] = SegmentStats(segment_id, size)
            return stats

    def keep_only(self, segment_ids: Iterable[str]) -> None:
        """Forget segments that a merge has removed from the index."""
        wanted = set(segment_ids)
        with self._lock:
            for gone in [key for key in self._segments if key not in wanted]:
                del self._segments[gone]


class Generation:
    """One generation of the index: its reader, live documents, and global arrays.

    Document numbers are global (segment offset + local number), as Whoosh numbers them. All
    reading goes through ``lock``: Whoosh's file objects are not safe across threads."""

    def __init__(self, ix: Any, cache: SegmentCache, weighting: Any, answers_kept: int = 0) -> None:
        self.reader = ix.reader()
        self.searcher = Searcher(self.reader, weighting=weighting, fromindex=ix)
        self.generation = self.reader.generation()
        self.lock = threading.RLock()
        self.leaves: list[tuple[SegmentStats, Any, int]] = []
        live_parts = []
        for leaf, offset in self.reader.leaf_readers():
            segment = leaf.segment()
            size = leaf.doc_count_all()
            segment_id = segment.segment_id() if segment is not None else f"ram-{id(leaf)}"
            self.leaves.append((cache.get(segment_id, size), leaf, offset))
            live = np.ones(size, bool)
            deleted = list(segment.deleted_docs()) if segment is not None else []
            if deleted:
                live[np.asarray(deleted, np.int64)] = False
            live_parts.append(live)
        self.size = sum(stats.size for stats, _, _ in self.leaves)
        self.live = np.concatenate(live_parts) if live_parts else np.zeros(0, bool)
        self.live_count = int(self.live.sum())
        self._terms: dict[tuple[str, str], Postings] = {}
        self._lengths: dict[tuple[str, tuple[str, ...]], tuple[np.ndarray, float]] = {}
        self._facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._masks: dict[tuple[str, str], np.ndarray] = {}
        self._seq: int | None = None
        self._ranks: dict[str, np.ndarray] = {}
        # Whole answers, by request: the same question on the same generation has the same
        # answer, and a help desk's questions repeat (everyone searches "vpn" during an outage).
        self.results: LRU[Hashable, Any] = LRU(answers_kept)
        cache.keep_only(stats.segment_id for stats, _, _ in self.leaves)

    def applied_seq(self) -> int:
        """The change sequence number stored with this generation (0 for a new index)."""
        if self._seq is None:
            stored = self.searcher.document(key="_meta")
            self._seq = int(stored["seq"]) if stored else 0
        return self._seq

    # --- per term -----------------------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> Postings:
        """A term's postings over the whole generation, live documents only."""
        key = (fieldname, text)
        cached = self._terms.get(key)
        if cached is not None:
            return cached
        id_parts, tf_parts = [], []
        for stats, leaf, offset in self.leaves:
            ids, tf = stats.postings(leaf, fieldname, text)
            if len(ids):
                id_parts.append(ids + offset if offset else ids)
                tf_parts.append(tf)
        if not id_parts:
            cached = EMPTY
        else:
            ids = np.concatenate(id_parts) if len(id_parts) > 1 else id_parts[0]
            tf = np.concatenate(tf_parts) if len(tf_parts) > 1 else tf_parts[0]
            keep = self.live[ids]
            cached = (ids, tf) if keep.all() else (ids[keep], tf[keep])
        if len(self._terms) > MAX_CACHED_TERMS:
            self._terms.clear()
        self._terms[key] = cached
        return cached

    def lengths(
        self, fieldname: str, population: np.ndarray, key: tuple[str, ...]
    ) -> tuple[np.ndarray, float]:
        """Every document's length in a field, and the average over a population (``key``
        names it for the cache)."""
        cached = self._lengths.get((fieldname, key))
        if cached is None:
            parts = [stats.lengths(leaf, fieldname) for stats, leaf, _ in self.leaves]
            lengths = np.concatenate(parts) if parts else np.zeros(0, np.float32)
            counted = lengths[population]
            average = float(counted.mean()) if len(counted) and counted.any() else 1.0
            cached = (lengths, max(average, 1.0))
            self._lengths[(fieldname, key)] = cached
        return cached

    # --- facets and filters -------------------------------------------------------------------

    def facet(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(values, documents, value numbers) over the whole generation, live documents only."""
        cached = self._facets.get(fieldname)
        if cached is None:
            values: list[str] = []
            numbers: dict[str, int] = {}
            doc_parts, code_parts = [], []
            for stats, leaf, offset in self.leaves:
                local_values, docs, codes = stats.facet(leaf, fieldname)
                mapping = np.asarray(
                    [numbers.setdefault(v, len(numbers)) for v in local_values], np.int32
                )
                doc_parts.append(docs + offset)
                code_parts.append(mapping[codes] if len(codes) else codes)
            values = list(numbers)
            docs = np.concatenate(doc_parts) if doc_parts else np.zeros(0, np.int32)
            codes = np.concatenate(code_parts) if code_parts else np.zeros(0, np.int32)
            keep = self.live[docs] if len(docs) else np.zeros(0, bool)
            cached = (values, docs[keep], codes[keep])
            self._facets[fieldname] = cached
        return cached

    def mask(self, fieldname: str, values: Iterable[str]) -> np.ndarray:
        """Live documents having any of ``values`` in a keyword field."""
        wanted = tuple(sorted(set(values)))
        key = (fieldname, "\x1f".join(wanted))
        cached = self._masks.get(key)
        if cached is None:
            cached = np.zeros(self.size, bool)
            for value in wanted:
                ids, _ = self.postings(fieldname, value)
                cached[ids] = True
            if len(self._masks) > 256:
                self._masks.clear()
            self._masks[key] = cached
        return cached

    def facet_counts(self, matched: np.ndarray) -> dict[str, list[tuple[str, int]]]:
        """How many matched documents carry each value of each facet."""
        counts: dict[str, list[tuple[str, int]]] = {}
        for fieldname in FACETS:
            values, docs, codes = self.facet(fieldname)
            if not values:
                counts[fieldname] = []
                continue
            tally = np.bincount(codes[matched[docs]], minlength=len(values))
            present = np.flatnonzero(tally)
            ranks = self._value_ranks(fieldname, values)
            order = present[np.lexsort((ranks[present], -tally[present]))][:FACET_VALUES]
            counts[fieldname] = [(values[i], int(tally[i])) for i in order.tolist() if values[i]]
        return counts

    def _value_ranks(self, fieldname: str, values: list[str]) -> np.ndarray:
        """Each facet value's alphabetical rank (equal counts are listed alphabetically)."""
        cached = self._ranks.get(fieldname)
        if cached is None or len(cached) != len(values):
            cached = np.empty(len(values), np.int32)
            cached[np.argsort(np.asarray(values, dtype=object))] = np.arange(len(values))
            self._ranks[fieldname] = cached
        return cached

    # --- per document -------------------------------------------------------------------------

    def _locate(self, doc: int) -> tuple[SegmentStats, Any, int]:
        for stats, leaf, offset in reversed(self.leaves):
            if doc >= offset:
                return stats, leaf, doc - offset
        raise IndexError(doc)

    def title_terms(self, doc: int) -> TitleTerms:
        stats, leaf, local = self._locate(doc)
        return stats.title_terms(leaf, local)

    def vocabulary(self, fieldname: str, initial: str) -> list[list[str]]:
        """Per segment, the words of a field starting with ``initial`` (deleted ones too:
        callers check frequencies over live documents)."""
        return [stats.vocabulary(leaf, fieldname, initial) for stats, leaf, _ in self.leaves]

    def key(self, doc: int) -> str:
        stats, leaf, local = self._locate(doc)
        return stats.key(leaf, local)

    def stored(self, doc: int) -> dict[str, Any]:
        return self.reader.stored_fields(doc)
