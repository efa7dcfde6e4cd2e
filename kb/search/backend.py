"""The contract between kb and a search engine, so Whoosh could be replaced by a plugin.

A backend is created per app by a factory that plugins register through
``kb_register_search_backends``; ``SEARCH_BACKEND`` names the one to use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from kb.search.documents import SearchDocument
from kb.search.query import ParsedQuery


@dataclass(frozen=True)
class SearchRequest:
    query: ParsedQuery
    visibilities: tuple[str, ...]  # ("public",) or ("public", "staff")
    page: int = 1
    per_page: int = 10
    facets: bool = True
    highlight: bool = True


@dataclass(frozen=True)
class Hit:
    kind: str
    slug: str
    title: str
    summary: str
    snippet: str  # HTML: escaped text, only <mark> is markup
    score: float | None  # None for searchers below technician: it says too much about the index
    category: str = ""
    service: str = ""
    tags: tuple[str, ...] = ()


@dataclass
class SearchResults:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None  # "Did you mean", already known to find something
    strategy: str = "all"  # all | any | fuzzy: how wide the engine had to cast

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class TitleSuggestion:
    kind: str
    slug: str
    title: str


class IndexBatch(Protocol):
    def applied_seq(self) -> int: ...

    def upsert(self, doc: SearchDocument) -> None: ...

    def delete(self, key: str) -> None: ...

    def set_seq(self, seq: int) -> None: ...


class SearchBackend(Protocol):
    name: str

    def applied_seq(self) -> int:
        """The last change-sequence number this index has applied."""

    def batch(self, timeout: float) -> AbstractContextManager[IndexBatch | None]:
        """Hold the index's write lock (None when another writer kept it past ``timeout``);
        what is written in the batch is committed together, with the sequence number."""

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        seq: int,
        progress: Callable[[int], None] | None,
        procs: int | None = None,
    ) -> int:
        """Replace the whole index; readers see the old one until the new one is complete."""

    def versions(self) -> dict[str, str]:
        """Every indexed document's key and version."""

    def search(self, request: SearchRequest) -> SearchResults: ...

    def suggest_titles(
        self, text: str, visibilities: tuple[str, ...], limit: int
    ) -> list[TitleSuggestion]: ...

    def size_bytes(self) -> int: ...
