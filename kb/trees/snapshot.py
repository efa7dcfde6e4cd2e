"""What tree hooks receive: a plain, detached picture of a decision tree after a commit."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TreeSnapshot:
    id: str  # the tree id, e.g. "printer-not-printing"
    status: str  # draft | in_review | published | archived
    live: bool  # a revision is published and the tree is not archived
    revision_id: int | None
    title: str
    summary: str = ""
    service: str = ""
    category: str = ""
    audience: str = "public"  # public | technician
    tags: list[str] = field(default_factory=list)
    text: str = ""  # the node texts, for full-text search (``graph.searchable_text``)
