"""Creating escalations: the request (most of it filled from the diagnostic session), its
checks, and the escalation stored with its ticket delivery and notifications in one
transaction, or attached to an open outage for its service instead of a ticket."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.errors import Invalid
from kb.escalation.priority import LEVELS, due_times, priority_for
from kb.escalation.snapshots import escalation_snapshot
from kb.escalation.tickets import queue_ticket
from kb.models import Escalation, utcnow
from kb.outbox import queue_reliable
from kb.trees.handoff import escalated_snapshot, escalation_fields

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class EscalationRequest:
    """Everything an escalation needs; the diagnostic session fills most of it."""

    summary: str
    requester_name: str
    group: str
    impact: str
    urgency: str
    requester_email: str = ""
    requester_phone: str = ""
    requester_location: str = ""
    requester_id: int | None = None
    details: str = ""
    service: str = ""
    session_token: str | None = None
    tree_id: str | None = None
    tree_revision_id: int | None = None
    node_id: str | None = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    transcript_text: str = ""
    answers_to_ask: dict[str, str] = field(default_factory=dict)
    articles_viewed: list[str] = field(default_factory=list)
    checks_run: list[dict[str, Any]] = field(default_factory=list)
    # What the session knew (kb.escalation.prefill fills the form from it; not stored).
    variables: dict[str, Any] = field(default_factory=dict)
    ask_variables: dict[str, str] = field(default_factory=dict)


def validate_request(request: EscalationRequest, config: dict[str, Any]) -> None:
    fields: dict[str, str] = {}
    if not request.requester_name.strip():
        fields["requester_name"] = "tell us your name"
    email, phone = request.requester_email.strip(), request.requester_phone.strip()
    if not email and not phone:
        fields["requester_email"] = "give an e-mail address or a phone number"
    elif email and not EMAIL.match(email):
        fields["requester_email"] = "not an e-mail address"
    if len(request.summary.strip()) < 3:
        fields["summary"] = "describe the problem in a few words"
    groups = config.get("SUPPORT_GROUPS") or {}
    if groups and request.group not in groups:
        fields["group"] = f"unknown support group {request.group!r}"
    for name in ("impact", "urgency"):
        if getattr(request, name) not in LEVELS:
            fields[name] = "high, medium or low"
    for name, limit in (
        ("requester_name", 200),
        ("requester_email", 254),
        ("requester_phone", 50),
        ("requester_location", 200),
        ("summary", 300),
        ("details", 10_000),
    ):
        if len(str(getattr(request, name))) > limit:
            fields[name] = f"at most {limit} characters"
    if fields:
        raise Invalid("Some details are missing or wrong.", fields=fields)


def requester_columns(who: Any) -> dict[str, Any]:
    """An escalation's requester columns from a form's or request's fields, as every kind of
    escalation stores them (trimmed; the e-mail address in lower case)."""
    return {
        "requester_name": who.requester_name.strip(),
        "requester_email": who.requester_email.strip().lower(),
        "requester_phone": who.requester_phone.strip(),
        "requester_location": who.requester_location.strip(),
        "requester_id": who.requester_id,
    }


def create_escalation(
    session: Session, kb: Any, request: EscalationRequest, now: datetime | None = None
) -> Escalation:
    """Store the escalation, its ticket delivery and its notifications in one transaction.

    A second escalation of the same diagnostic session returns the first (double submits).
    """
    config = kb.config
    if request.session_token:
        existing = session.scalar(
            select(Escalation).where(Escalation.session_token == request.session_token)
        )
        if existing is not None:
            return existing
    validate_request(request, config)
    now = now or utcnow()
    priority = priority_for(request.impact, request.urgency, config["PRIORITY_MATRIX"])
    due = due_times(priority, now, config["SLA_TARGETS"])
    escalation = Escalation(
        public_id=secrets.token_urlsafe(16),
        created_at=now,
        status="new",
        summary=request.summary.strip(),
        details=request.details.strip(),
        service=request.service,
        group=request.group,
        impact=request.impact,
        urgency=request.urgency,
        priority=priority,
        response_due=due.response,
        resolve_due=due.resolution,
        **requester_columns(request),
        session_token=request.session_token,
        tree_id=request.tree_id,
        tree_revision_id=request.tree_revision_id,
        node_id=request.node_id,
        transcript=request.transcript,
        transcript_text=request.transcript_text,
        answers_to_ask=request.answers_to_ask,
        articles_viewed=request.articles_viewed,
        checks_run=request.checks_run,
    )
    session.add(escalation)
    session.flush()
    route(session, kb, escalation)
    if escalation.ticket_ref is None:
        queue_ticket(session, escalation)
    queue_reliable(
        session,
        kb,
        "kb_escalation_created",
        f"escalation:{escalation.public_id}",
        escalation_snapshot(escalation, config),
    )
    return escalation


Route = Callable[[Session, Any, Escalation], bool]


def add_route(kb: Any, take: Route) -> None:
    """Let ``take(session, kb, escalation)`` claim new escalations before a ticket is made (it
    answers True when it took one, having set the escalation's status and ticket fields). The
    outages area registers one: an open outage for the service takes the request."""
    kb.intake_routes.append(take)


def route(session: Session, kb: Any, escalation: Escalation) -> bool:
    """Offer a new escalation to each route in turn; the first that takes it wins."""
    return any(take(session, kb, escalation) for take in kb.intake_routes)


def escalation_request(
    session: Session, kb: Any, token: str, viewer: Any = None
) -> EscalationRequest | None:
    """The escalation form's starting point for an escalated session ``viewer`` may open (None:
    an anonymous visitor), or None."""
    snapshot = escalated_snapshot(session, token, kb.config.get("SUPPORT_GROUPS") or {}, viewer)
    if snapshot is None:
        return None
    default_group = kb.config.get("DEFAULT_ESCALATION_GROUP", "service-desk")
    return EscalationRequest(**escalation_fields(snapshot, default_group))
