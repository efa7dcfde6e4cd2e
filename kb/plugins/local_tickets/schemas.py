"""The input of each action on kb's own ticket queue, one class each, read by the queue pages
and by their JSON twins alike (kb.schemas)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from kb.escalation.priority import PRIORITIES
from kb.limits import too_long
from kb.schemas import Schema, documented, text, words

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
State = Literal["on_track", "at_risk", "breached"]
Priority = Literal["P1", "P2", "P3", "P4"]
assert Priority.__args__ == PRIORITIES  # type: ignore[attr-defined]


def _not_too_many(articles: list[str]) -> list[str]:
    problem = too_long(articles)
    if problem:
        raise ValueError(problem)
    return articles


class QueueQuery(Schema):
    """Which tickets the queue shows."""

    group: text(100) | None = None
    priority: Priority | None = None
    state: State | None = None
    mine: Annotated[bool, Field(description="only tickets assigned to me")] = False
    resolved: Annotated[bool, Field(description="resolved tickets too")] = False


class TicketResolve(Schema):
    """Resolve a ticket: what fixed it and the articles used (logged in their resolution
    logs; ``create_draft`` proposes a new article when none was used)."""

    resolution: words(10_000)
    articles: Annotated[
        list[Annotated[str, Field(max_length=120)]],
        AfterValidator(_not_too_many),
        Field(
            **documented(
                maxItems=20,
                items={
                    "type": "string",
                    "pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                    "maxLength": 120,
                },
            )
        ),
    ] = []
    create_draft: bool = True
    followup_days: Annotated[float | None, Field(ge=0, le=365)] = None
    followup_text: text(10_000) = ""


class TicketAssign(Schema):
    assignee: Annotated[str, Field(max_length=254, description="an e-mail; empty: nobody")] = ""


class TicketComment(Schema):
    body: words(10_000)
    public: bool = False
