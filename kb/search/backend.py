"""The contract between kb and a search engine, written down so another engine can replace Whoosh.

A backend only stores and ranks. kb decides *what* is indexed (published content, read from the
database's change sequence, already stripped of what no reader may see) and *who* may see it
(each request carries the visibilities of the person searching). Plugins register backends
through the ``kb_register_search_backends`` hook as ``(name, factory)`` pairs, ``factory(kb)``
building one :class:`SearchBackend` per app; the setting ``SEARCH_BACKEND`` names the one to
use, and an unknown name stops the app at start-up. :mod:`kb.search.conformance` checks a
backend against everything said here.

What a backend receives:

- :class:`~kb.search.documents.SearchDocument`: one flat document per live article or tree,
  keyed ``"<kind>:<slug>"``, with a ``visibility`` of ``"public"`` or ``"staff"`` and a
  ``version`` hash. Unpublished, archived and deleted content never arrives (kb deletes it by
  key instead); a public tree's document holds only its self-service text, never its
  technician wording. The text is plain (Markdown reduced to words), not HTML.
- :class:`SearchRequest`: a :class:`~kb.search.query.ParsedQuery` (free words, "quoted
  phrases", -exclusions and field filters, all lower case) with the visibilities allowed.

What it must guarantee, beyond the shapes below:

- **Visibility is absolute.** A document whose visibility is not in the request is invisible
  everywhere: not in hits, ``total``, ``facets``, ``suggestion``, snippets, title suggestions,
  nor in the statistics that order results. A request's whole answer is the same whether or
  not documents it may not see exist.
- **Order depends only on the documents and the query**: never on the page size, how the index
  is split, or the order documents were written. Equal scores are ordered by key.
- **Writes are atomic with their sequence number** (see :class:`IndexBatch`), so an index
  that missed changes (a crash, a second app node with its own index) knows where to resume.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kb.search.documents import PUBLIC, STAFF, SearchDocument
from kb.search.query import ParsedQuery

__all__ = [
    "FACET_FIELDS",
    "KINDS",
    "MAX_FACET_VALUES",
    "PUBLIC",
    "STAFF",
    "BackendFactory",
    "Facets",
    "Hit",
    "IndexBatch",
    "ParsedQuery",
    "SearchBackend",
    "SearchDocument",
    "SearchRequest",
    "SearchResults",
    "TitleSuggestion",
    "Visibilities",
]

KINDS = ("article", "tree")  # SearchDocument.kind, Hit.kind, the "kind" filter and facet
# The facets a search reports, named as ParsedQuery.filters names the fields they filter.
FACET_FIELDS = ("kind", "category", "service", "tags")
MAX_FACET_VALUES = 50  # the most frequent values of each facet that a search reports

Visibilities = tuple[str, ...]  # ("public",) for everyone, ("public", "staff") for technicians
Facets = dict[str, list[tuple[str, int]]]  # facet field -> [(value, documents)], most first


@dataclass(frozen=True)
class SearchRequest:
    """One search, as kb asks it of a backend.

    ``query`` is never empty (it has words or phrases; kb answers an empty query itself).
    Its parts, all lower case:

    - ``words``: free words in the order typed. A document matches when it has enough of
      them (at least one; how many more a backend requires is its ranking choice). A backend
      may add synonyms and spelling corrections, as Whoosh does through
      :func:`kb.search.planning.plan`.
    - ``phrases``: quoted phrases as word lists. When some visible document has the words
      adjacent and in order, only such documents match.
    - ``excluded``: ``-word`` and ``-"a phrase"``. A document containing one never matches.
    - ``filters``: field -> values, fields among :data:`FACET_FIELDS`. A document matches a
      field when it has any of the values (compared ignoring case), and every field given.

    ``visibilities`` lists what the searcher may see (:data:`PUBLIC`, and :data:`STAFF` for
    technicians and above). ``page`` counts from 1; ``per_page`` is 1-100. ``facets=False``
    and ``highlight=False`` let a caller skip work it does not need (facets may then be
    empty; snippets need not mark matches).
    """

    query: ParsedQuery
    visibilities: Visibilities
    page: int = 1
    per_page: int = 10
    facets: bool = True
    highlight: bool = True


@dataclass(frozen=True)
class Hit:
    """One result. ``kind``, ``slug``, ``title`` and ``summary`` are the document's own, as
    plain text (pages escape them). ``category``, ``service`` and ``tags`` are the document's,
    in lower case (kb shows them as authors wrote them, and matches outages by service).

    ``snippet`` is HTML that pages insert as it is: the document's text with ``&``, ``<`` and
    ``>`` escaped, and the query's matches wrapped in ``<mark>``...``</mark>``, the only markup
    allowed (no attributes, never nested). When nothing matches in the text (a title match),
    the start of the summary or body, escaped.

    ``score`` is the backend's own relevance (higher is better), shown to technicians; kb sets
    it to None for everyone else because it says too much about the index.
    """

    kind: str
    slug: str
    title: str
    summary: str
    snippet: str
    score: float | None
    category: str = ""
    service: str = ""
    tags: tuple[str, ...] = ()


@dataclass
class SearchResults:
    """One page of results.

    - ``hits``: the page, best first, no document twice.
    - ``total``: exactly how many visible documents match (not an estimate); paging through
      every page yields exactly ``total`` distinct hits.
    - ``page``: the page returned; a request past the last page gets the last page.
    - ``facets``: for each of :data:`FACET_FIELDS`, the values carried by the matching
      documents (all of them, not only this page) with how many carry each, most first, equal
      counts alphabetically, at most :data:`MAX_FACET_VALUES`, values in lower case. A field
      no matching document has is an empty list or absent.
    - ``suggestion``: "Did you mean", a corrected query that finds something for the same
      searcher, or None. Backends without spelling correction always give None.
    - ``strategy``: how wide the engine cast: ``"all"`` (the best result has every word),
      ``"any"`` (it lacks one) or ``"fuzzy"`` (a spelling correction was needed).
    """

    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: Facets = field(default_factory=dict)
    suggestion: str | None = None
    strategy: str = "all"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class TitleSuggestion:
    """A title offered while someone types (``kind``/``slug`` locate the document)."""

    kind: str
    slug: str
    title: str


@runtime_checkable
class IndexBatch(Protocol):
    """Writes made while holding the index's write lock, committed together on leaving
    :meth:`SearchBackend.batch` without an error, and discarded together on an error.

    The sequence number is the last entry of kb's change sequence the index has applied. kb
    reads changes after :meth:`applied_seq`, writes the documents they touch, then
    :meth:`set_seq`; the documents and the number become visible together, or not at all.
    """

    def applied_seq(self) -> int:
        """The sequence number as committed before this batch (0 for a new index)."""
        ...

    def upsert(self, doc: SearchDocument) -> None:
        """Index ``doc``, replacing any document with the same ``doc.key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the document with this key; a key that is not indexed is not an error."""
        ...

    def set_seq(self, seq: int) -> None:
        """Record ``seq`` as applied, committed with this batch's writes."""
        ...


@runtime_checkable
class SearchBackend(Protocol):
    """A search engine for one app. kb calls it from several threads and processes (every
    web worker and the background worker build their own instance on the same index), so
    writes are serialised by :meth:`batch` and readers must see each commit whole."""

    name: str  # the name it is registered under

    def applied_seq(self) -> int:
        """The last change-sequence number this index has committed (0 for a new index).

        kb compares it with the database before every search: lower means changes are waiting
        (applied then), higher means the index belongs to another database (rebuilt)."""
        ...

    def batch(self, timeout: float) -> AbstractContextManager[IndexBatch | None]:
        """Hold the index's write lock for the ``with`` block and yield an :class:`IndexBatch`.

        Yields None when another writer (this process or another) kept the lock for more than
        ``timeout`` seconds (0: do not wait); kb then leaves its changes to the next sync,
        which loses nothing. What is written is committed on leaving the block, atomically
        with the sequence number, and discarded if the block raises."""
        ...

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        seq: int,
        progress: Callable[[int], None] | None,
        procs: int | None = None,
    ) -> int:
        """Replace the whole index with ``documents`` and sequence number ``seq``; return how
        many were indexed.

        Readers keep seeing the old index until the new one is complete; if ``documents``
        raises, the old index stays as it was. ``progress(n)`` (when given) is called as
        documents are indexed, the ``n`` adding up to the count. ``procs`` is a hint for
        parallel analysis that a backend may ignore."""
        ...

    def versions(self) -> dict[str, str]:
        """Every indexed document's key and the ``version`` it was indexed with (``kb index
        check`` compares them with the database to find missing, stale and extra ones)."""
        ...

    def search(self, request: SearchRequest) -> SearchResults:
        """One page of the documents matching ``request`` that it may see (see
        :class:`SearchRequest` and :class:`SearchResults`). Never raises for what a person
        can type."""
        ...

    def suggest_titles(
        self, text: str, visibilities: Visibilities, limit: int
    ) -> list[TitleSuggestion]:
        """At most ``limit`` titles of visible documents whose title has every word of
        ``text``, the last word as a prefix (someone is typing it) unless ``text`` ends with a
        space. ``text`` is raw input of at most 100 characters; nothing known gives ``[]``."""
        ...

    def size_bytes(self) -> int:
        """The index's size on disk or in the engine, for ``kb index status``."""
        ...


BackendFactory = Callable[[Any], SearchBackend]  # factory(kb) -> the app's backend
