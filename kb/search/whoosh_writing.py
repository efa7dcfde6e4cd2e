"""Writing Whoosh segments faster: the same files, written with fewer Python steps.

Whoosh 3 writes every posting through four Python calls (a length look-up, an add with
type assertions, block bookkeeping), and its sorting pool pickles every posting to disk and
back once a rebuild outgrows its memory limit; together most of the time a rebuild took.

- :class:`BulkW3Codec` writes the identical format (segments are read back by Whoosh's own
  ``W3Codec``), looking each document's field length up once per field and handing the posting
  writer whole blocks.
- :class:`TermPool` replaces the writer's sorting pool: postings are kept per term as they
  arrive (documents arrive in order, so each term's list is already sorted), and when the pool
  outgrows its limit it writes sorted runs one term at a time, not one posting at a time.

``whoosh-reloaded`` is pinned, so the private attributes used here cannot move.
"""

from __future__ import annotations

import heapq
import pickle
from array import array
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter


class BulkW3Codec(W3Codec):
    """Whoosh's W3 codec with the bulk field writer below (writing only)."""

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return BulkFieldWriter(self, storage, segment)


class BulkFieldWriter(W3FieldWriter):
    def add_postings(
        self, schema: Any, lengths: Any, items: Iterable[tuple[str, bytes, int, float, bytes]]
    ) -> None:
        """Postings arrive sorted by field, term and document, as Whoosh's pool yields them."""
        field_lengths: list[int] | None = None
        fieldname: str | None = None
        text: bytes | None = None
        ids: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for item_field, btext, docnum, weight, value in items:
            if docnum == -1:  # Whoosh's spelling-graph entries: kb's fields have none
                continue
            if item_field != fieldname:
                if text is not None:
                    self._write_term(text, ids, weights, values, field_lengths)
                    text, ids, weights, values = None, [], [], []
                if fieldname is not None:
                    self.finish_field()
                fieldname = item_field
                self.start_field(fieldname, schema[fieldname])
                field_lengths = _lengths(lengths, fieldname)
            if btext != text:
                if text is not None:
                    self._write_term(text, ids, weights, values, field_lengths)
                    ids, weights, values = [], [], []
                text = btext
            ids.append(docnum)
            weights.append(weight)
            values.append(value or b"")
        if text is not None:
            self._write_term(text, ids, weights, values, field_lengths)
        if fieldname is not None:
            self.finish_field()

    def _write_term(
        self,
        btext: bytes,
        ids: list[int],
        weights: list[float],
        values: list[bytes],
        field_lengths: list[int] | None,
    ) -> None:
        """One term's postings, as blocks of the codec's block size; the last block is left
        buffered for ``finish_term`` to write, as Whoosh's own writer does."""
        self.start_term(btext)
        writer = self._postwriter
        limit = writer._blocklimit
        for start in range(0, len(ids), limit):
            block = ids[start : start + limit]
            block_weights = weights[start : start + limit]
            writer._ids = array("I", block)
            writer._weights = array("f", block_weights)
            writer._values = [v for v in values[start : start + limit] if v]
            writer._maxweight = max(0, max(block_weights))
            known = [n for n in (field_lengths[d] for d in block) if n] if field_lengths else []
            writer._minlength = min(known) if known else None
            writer._maxlength = max(known) if known else 0
            if start + limit < len(ids):
                writer._write_block()
        self.finish_term()


def _lengths(lengths: Any, fieldname: str) -> list[int] | None:
    """Every document's length in a field (as Whoosh stores it), read once."""
    if lengths is None:
        return None
    length = lengths.doc_field_length
    return [length(doc, fieldname) or 0 for doc in range(lengths.doc_count_all())]


Posting = tuple[str, bytes, int, float, bytes]
TermKey = tuple[str, bytes]


class TermPool:
    """A drop-in for Whoosh's ``PostingPool`` (``add``, ``iter_postings``, ``cleanup``)."""

    def __init__(self, tempstore: Any, limitmb: int = 256) -> None:
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []
        self.spills = 0  # runs written (kept after cleanup, for tests and figures)
        self._terms: dict[TermKey, tuple[array, array, list[bytes]]] = {}
        self._unsorted: set[TermKey] = set()

    @classmethod
    def install(cls, writer: Any, limitmb: int = 256) -> None:
        """Put a term pool into a fresh single-process Whoosh writer."""
        writer.pool = cls(writer._tempstorage, limitmb=limitmb)

    def add(self, item: Posting) -> None:
        fieldname, btext, docnum, weight, value = item
        key = (fieldname, btext)
        entry = self._terms.get(key)
        if entry is None:
            entry = self._terms[key] = (array("I"), array("f"), [])
            self.fieldnames.add(fieldname)
            self.size += 120 + len(btext)
        elif docnum < entry[0][-1]:
            self._unsorted.add(key)
        entry[0].append(docnum)
        entry[1].append(weight)
        entry[2].append(value or b"")
        self.size += 16 + len(value or b"")
        if self.size > self.limit:
            self._spill()

    def _sorted_terms(self) -> Iterator[tuple[TermKey, tuple[array, array, list[bytes]]]]:
        for key in sorted(self._terms):
            ids, weights, values = self._terms[key]
            if key in self._unsorted:
                order = sorted(range(len(ids)), key=ids.__getitem__)
                ids = array("I", (ids[i] for i in order))
                weights = array("f", (weights[i] for i in order))
                values = [values[i] for i in order]
            yield key, (ids, weights, values)

    def _spill(self) -> None:
        """Write the terms held so far as one sorted run, a record per term."""
        name = f"kbpool{len(self.runs)}.run"
        with self.tempstore.create_file(name).raw_file() as run:
            for key, (ids, weights, values) in self._sorted_terms():
                pickle.dump((key, ids.tobytes(), weights.tobytes(), values), run, 5)
        self.runs.append(name)
        self.spills += 1
        self._terms, self._unsorted, self.size = {}, set(), 0

    def _read_run(self, name: str) -> Iterator[tuple[TermKey, array, array, list[bytes]]]:
        run: BinaryIO = self.tempstore.open_file(name).raw_file()
        with run:
            while True:
                try:
                    key, ids, weights, values = pickle.load(run)
                except EOFError:
                    return
                yield key, array("I", ids), array("f", weights), values

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting, sorted by field, term and document."""
        if not self.runs:
            for (fieldname, btext), (ids, weights, values) in self._sorted_terms():
                for docnum, weight, value in zip(ids, weights, values, strict=True):
                    yield fieldname, btext, docnum, weight, value
            return
        if self._terms:
            self._spill()
        merged = heapq.merge(
            *(
                ((record[0], number, record) for record in self._read_run(name))
                for number, name in enumerate(self.runs)
            )
        )
        pending: list[tuple[int, int, float, bytes]] = []
        current: TermKey | None = None
        for key, _, (_, ids, weights, values) in merged:
            if key != current:
                yield from _flush(current, pending)
                current, pending = key, []
            pending.extend(zip(ids, range(len(ids)), weights, values, strict=True))
        yield from _flush(current, pending)

    def cleanup(self) -> None:
        for name in self.runs:
            self.tempstore.delete_file(name)
        self.runs = []


def _flush(key: TermKey | None, pending: list[tuple[int, int, float, bytes]]) -> Iterator[Posting]:
    if key is None:
        return
    fieldname, btext = key
    for docnum, _, weight, value in sorted(pending, key=lambda row: row[0]):
        yield fieldname, btext, docnum, weight, value
