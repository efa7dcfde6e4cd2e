"""A plain, untuned Whoosh ranker: the yardstick kb's tuned search is compared against.

Nothing here is tuned on kb's judged queries: two text fields with Whoosh's defaults
(StandardAnalyzer, BM25F with its default parameters), every query word optional, no boosts,
no synonyms, no stemming. If kb ranks worse than this on a corpus, kb's tuning hurts there.

    from reference_ranker import ReferenceRanker, from_kb_documents

    ranker = ReferenceRanker([("a1", "Reset a password", "Open My Account ...")])
    ranker.search("forgot password", limit=10)  # -> ["a1"]

    ranker = from_kb_documents(kb.search.documents.live_documents(session))
    ranker.search("vpn error 809", 10)  # -> ["article:vpn-error-809", ...]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from whoosh import fields, qparser
from whoosh.filedb.filestore import RamStorage

if TYPE_CHECKING:
    from kb.search.documents import SearchDocument

# What survives of user text: words, keeping inner dots ("github.com", "v2.1"). Everything
# else (quotes, brackets, colons, * ? ~ ^ + -) is query-parser syntax and is dropped; words are
# lower-cased so AND/OR/NOT/TO are words, not operators.
_WORD = re.compile(r"\w+(?:\.\w+)*")


def plain_query(text: str) -> str:
    """User text reduced to space-separated lower-case words the parser cannot read as syntax."""
    return " ".join(_WORD.findall(text.lower()))


class ReferenceRanker:
    """An in-memory Whoosh index of (key, title, body), searched with an OR of the words."""

    def __init__(self, documents: Iterable[tuple[str, str, str]]) -> None:
        self.schema = fields.Schema(
            key=fields.ID(stored=True, unique=True), title=fields.TEXT, body=fields.TEXT
        )
        self._index = RamStorage().create_index(self.schema)
        writer = self._index.writer()
        count = 0
        for key, title, body in documents:
            writer.add_document(key=key, title=title, body=body)
            count += 1
        writer.commit()
        self.size = count
        self._parser = qparser.MultifieldParser(
            ["title", "body"], self.schema, group=qparser.OrGroup
        )
        self._searcher = self._index.searcher()

    def search(self, text: str, limit: int = 10) -> list[str]:
        """The keys of the best ``limit`` documents for ``text``, best first."""
        words = plain_query(text)
        if not words:
            return []
        query = self._parser.parse(words)
        return [hit["key"] for hit in self._searcher.search(query, limit=limit)]

    def close(self) -> None:
        self._searcher.close()


def from_kb_documents(
    docs: Iterable[SearchDocument], visibilities: Iterable[str] | None = None
) -> ReferenceRanker:
    """The reference over kb's own index documents: key ``kind:slug``, title, and summary plus
    body as the body. ``visibilities`` (e.g. ``("public",)``) keeps only what that audience may
    see, as kb's search does; None keeps everything given."""
    allowed = set(visibilities) if visibilities is not None else None
    return ReferenceRanker(
        (doc.key, doc.title, f"{doc.summary}\n\n{doc.body}")
        for doc in docs
        if allowed is None or doc.visibility in allowed
    )
