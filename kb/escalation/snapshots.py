"""Plain records that hooks receive for escalations, tickets, resolutions and follow-ups.

They travel through the outbox as JSON, so each converts to and from a dict.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(record: Any) -> dict[str, Any]:
    """A JSON-ready dict: datetimes become ISO 8601 strings."""
    data = dataclasses.asdict(record)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a record, parsing ISO strings back into datetimes where the field says so."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        if item.name not in data:
            continue
        value = data[item.name]
        hint = hints[item.name]
        wants_datetime = hint is datetime or (
            isinstance(hint, types.UnionType) and datetime in typing.get_args(hint)
        )
        if wants_datetime and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values[item.name] = value
    return cls(**values)


@dataclass(frozen=True)
class TicketRef:
    """What a ticketing plugin returns from kb_create_ticket: where the ticket lives."""

    system: str  # "local", "rt", ...
    ref: str  # the ticket's id in that system
    url: str = ""
    status: str = "open"


@dataclass(frozen=True)
class EscalationSnapshot:
    id: int
    public_id: str
    created_at: datetime
    summary: str
    details: str
    service: str
    group: str
    group_name: str
    impact: str
    urgency: str
    priority: str
    response_due: datetime
    resolve_due: datetime
    requester_name: str
    requester_email: str = ""
    requester_phone: str = ""
    requester_location: str = ""
    tree_id: str | None = None
    node_id: str | None = None
    session_token: str | None = None
    transcript_text: str = ""
    answers_to_ask: dict[str, str] = field(default_factory=dict)
    articles_viewed: list[str] = field(default_factory=list)
    checks_run: list[dict[str, Any]] = field(default_factory=list)
    status_url: str = ""
    ticket_system: str | None = None
    ticket_ref: str | None = None
    outage_id: int | None = None


@dataclass(frozen=True)
class ResolutionSnapshot:
    escalation_id: int
    escalation_public_id: str
    ticket_system: str
    ticket_ref: str
    resolved_at: datetime
    resolver: str
    text: str
    articles: list[str] = field(default_factory=list)
    draft_article: str | None = None  # slug of the draft created when no article covered it
    # named articles the resolution was not logged against: [{"slug", "reason"}]
    skipped_articles: list[dict[str, str]] = field(default_factory=list)
    tree_id: str | None = None
    node_id: str | None = None
    requester_name: str = ""
    requester_email: str = ""
    status_url: str = ""
    followup_url: str = ""  # the requester's "still fixed?" link, when a follow-up was set


@dataclass(frozen=True)
class FollowUpSnapshot:
    id: int
    token: str
    text: str
    due_at: datetime
    status: str
    answer_url: str = ""
    escalation_public_id: str | None = None
    ticket_system: str | None = None
    ticket_ref: str | None = None
    requester_email: str = ""
    requester_name: str = ""
    tree_id: str | None = None
    answer_comment: str = ""
