"""Writing Whoosh segments faster: the same files, posting lists written a block at a time.

Whoosh 3 writes every posting through four Python calls (a length look-up, an add with
type assertions, block bookkeeping), which was most of the time an index rebuild took. This
codec writes the identical format (segments are read back by Whoosh's own ``W3Codec``), but
looks each document's field length up once per field and hands the posting writer whole
blocks. ``whoosh-reloaded`` is pinned, so the private attributes used here cannot move.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

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
