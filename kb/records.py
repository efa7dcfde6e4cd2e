"""The plain records that plugins receive from hooks: escalations, request approvals,
resolutions, follow-ups, outages, outage subscriptions, diagnostic sessions, and the ticket
reference a ticketing plugin returns.

They are frozen dataclasses, detached from the database, and travel through the outbox as
JSON (:func:`to_dict`, :func:`from_dict`). This module imports nothing of kb, so a plugin (and
``kb.hookspecs``) can use them without loading the app.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
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
    """What ``kb_create_ticket`` and ``kb_escalation_created`` receive."""

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
    # "incident", or "request" made through a request type's form (kb.requests): its type's
    # key and the answers given, each {"name", "label", "value"}; ``details`` repeats them as
    # text for plugins that only read that.
    kind: str = "incident"
    request_type: str = ""
    request_answers: list[dict[str, str]] = field(default_factory=list)
    approved_by: str = ""


@dataclass(frozen=True)
class ApprovalSnapshot:
    """What ``kb_approval_requested`` (to the approver: ``approve_url``) and
    ``kb_approval_decided`` (to the requester: ``status``, ``comment``) receive."""

    escalation_public_id: str
    request_type: str
    request_title: str
    summary: str
    requester_name: str
    requester_email: str
    approver_email: str
    approver_role: str  # manager | data-owner
    answers: list[dict[str, str]]
    status: str  # pending | approved | declined
    expires_at: datetime
    status_url: str
    approve_url: str = ""  # only in kb_approval_requested
    comment: str = ""
    decided_at: datetime | None = None
    decided_by: str = ""


@dataclass(frozen=True)
class ResolutionSnapshot:
    """What ``kb_ticket_resolved`` receives."""

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
    """What ``kb_followup_due`` and ``kb_followup_answered`` receive."""

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


@dataclass(frozen=True)
class OutageSnapshot:
    """What ``kb_outage_changed`` receives."""

    id: int
    change: str  # declared | updated | closed
    service: str
    title: str
    user_message: str
    impact: str
    status: str
    started_at: datetime
    expected_restoration_at: datetime | None = None
    restored_at: datetime | None = None
    duration_minutes: int | None = None
    cause: str = ""
    latest_update: str = ""
    url: str = ""
    subscribers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SubscriptionSnapshot:
    """What ``kb_outage_subscription_requested`` receives."""

    outage_id: int
    outage_title: str
    service: str
    email: str
    confirm_url: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionSnapshot:
    """A detached copy of a diagnostic session (what ``kb_session_escalated`` receives)."""

    token: str
    tree_id: str
    tree_title: str
    service: str
    revision_id: int
    revision_number: int
    mode: str  # self_service | technician
    status: str  # escalated (for this hook)
    end_reason: str  # terminal (reached an escalation node) | didnt_help | not_fixed
    node_id: str  # where it ended
    started_at: datetime
    ended_at: datetime | None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    transcript_text: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    # The escalation node: group, group_name, impact, urgency, ask, text (None for
    # "This didn't help", which has no node of its own).
    terminal: dict[str, Any] | None = None
    articles_viewed: list[str] = field(default_factory=list)
    checks_run: list[dict[str, Any]] = field(default_factory=list)
    requester_id: int | None = None


@dataclass(frozen=True)
class Job:
    """A periodic job a plugin gives the background worker (``kb_register_jobs``): ``run(kb)``
    is called every ``interval`` seconds; an exception is logged and the job runs again next
    time. ``name`` must be unique among jobs."""

    name: str
    interval: float
    run: Callable[[Any], object]
