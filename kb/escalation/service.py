"""Creating escalations (with their outbox rows, in one transaction) and recording how they
were resolved, wherever the ticket lived."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.errors import Conflict, Invalid
from kb.escalation.events import escalation_snapshot, queue_reliable
from kb.escalation.outbox import enqueue
from kb.escalation.priority import LEVELS, due_times, priority_for
from kb.escalation.snapshots import ResolutionSnapshot
from kb.limits import too_long
from kb.models import Escalation, Ticket, TicketNote, utcnow

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
        requester_name=request.requester_name.strip(),
        requester_email=request.requester_email.strip().lower(),
        requester_phone=request.requester_phone.strip(),
        requester_location=request.requester_location.strip(),
        requester_id=request.requester_id,
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
    from kb.outages.service import attach_if_known

    attach_if_known(session, kb, escalation)
    if escalation.ticket_ref is None:
        enqueue(
            session, "ticket", f"ticket:{escalation.public_id}", {"escalation_id": escalation.id}
        )
    queue_reliable(
        session,
        kb,
        "kb_escalation_created",
        f"escalation:{escalation.public_id}",
        escalation_snapshot(escalation, config),
    )
    return escalation


@dataclass
class ResolutionInput:
    resolver: str
    text: str
    articles: list[str] = field(default_factory=list)
    ticket_system: str = ""
    ticket_ref: str = ""
    resolved_at: datetime | None = None
    create_draft: bool = True
    followup_days: float | None = None
    followup_text: str = ""


def resolve_escalation(
    session: Session, kb: Any, escalation: Escalation, resolution: ResolutionInput
) -> ResolutionSnapshot | None:
    """Record the resolution, write it back into the articles used (or a new draft), schedule
    any follow-up and queue ``kb_ticket_resolved``. Idempotent: resolving a resolved escalation
    with the same text does nothing."""
    from kb.escalation import followups, writeback

    text = resolution.text.strip()
    if not text:
        raise Invalid("Describe the resolution.", fields={"resolution": "required"})
    too_many = too_long(resolution.articles)
    if too_many:
        raise Invalid(f"Name {too_many} as articles used.", fields={"articles": too_many})
    if escalation.status == "resolved":
        if escalation.resolution_text == text:
            return None
        raise Conflict("This escalation is already resolved.")
    when = resolution.resolved_at or utcnow()
    system = resolution.ticket_system or escalation.ticket_system or "local"
    reference = resolution.ticket_ref or escalation.ticket_ref or escalation.public_id
    entry = {
        "ticket": f"{system}:{reference}",
        "date": when.date().isoformat(),
        "resolver": resolution.resolver,
        "resolution": text,
    }
    # A reopened escalation resolved again without naming articles goes back to the same ones
    # (including the draft made the first time), never into a second draft.
    slugs = resolution.articles or list(escalation.resolution_articles or [])
    written = writeback.write_back(
        session,
        escalation,
        entry,
        slugs,
        resolution.create_draft,
        actor_name=f"{system} ticket {reference}",
    )
    articles, draft_slug = written.written, written.draft
    escalation.status = "resolved"
    escalation.resolved_at = when
    escalation.resolution_text = text
    escalation.resolved_by = resolution.resolver
    escalation.resolution_articles = articles + ([draft_slug] if draft_slug else [])
    escalation.ticket_status = "resolved"
    if escalation.first_response_at is None:
        escalation.first_response_at = when
    followup = None
    if resolution.followup_days:
        followup = followups.schedule(
            session,
            text=resolution.followup_text or "Check that the problem is still fixed.",
            due_at=when + timedelta(days=resolution.followup_days),
            escalation=escalation,
        )
    base = (kb.config.get("BASE_URL") or "").rstrip("/")
    snapshot = ResolutionSnapshot(
        escalation_id=escalation.id,
        escalation_public_id=escalation.public_id,
        ticket_system=system,
        ticket_ref=reference,
        resolved_at=when,
        resolver=resolution.resolver,
        text=text,
        articles=articles,
        draft_article=draft_slug,
        skipped_articles=written.skipped,
        tree_id=escalation.tree_id,
        node_id=escalation.node_id,
        requester_name=escalation.requester_name,
        requester_email=escalation.requester_email,
        status_url=f"{base}/escalations/{escalation.public_id}",
        followup_url=f"{base}/followups/{followup.token}" if followup else "",
    )
    queue_reliable(
        session,
        kb,
        "kb_ticket_resolved",
        f"resolved:{escalation.public_id}:{int(when.timestamp())}",
        snapshot,
    )
    return snapshot


def record_first_response(escalation: Escalation, when: datetime | None = None) -> None:
    if escalation.first_response_at is None:
        escalation.first_response_at = when or utcnow()
    if escalation.status in ("new", "ticketed"):
        escalation.status = "in_progress"


def reopen(session: Session, escalation: Escalation, reason: str) -> None:
    """The requester says it is not fixed: the escalation and its local ticket open again."""
    escalation.status = "reopened"
    escalation.reopened_at = utcnow()
    escalation.resolved_at = None
    escalation.ticket_status = "reopened"
    ticket = session.scalar(select(Ticket).where(Ticket.escalation_id == escalation.id))
    if ticket is not None:
        ticket.status = "reopened"
        ticket.updated_at = utcnow()
        session.add(
            TicketNote(
                ticket=ticket,
                author_name="requester",
                kind="reopen",
                body=reason or "The requester says the problem is not fixed.",
                public=True,
            )
        )


def by_public_id(session: Session, public_id: str) -> Escalation | None:
    return session.scalar(select(Escalation).where(Escalation.public_id == public_id))
