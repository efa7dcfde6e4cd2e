"""Resolving escalations, wherever their ticket lived (kb's queue, an external system, an
outage that ended), and finding them. Creating them is kb.escalation.intake."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import followups
from kb.config import base_url
from kb.errors import Conflict, Invalid
from kb.escalation import writeback
from kb.limits import too_long
from kb.models import Escalation, utcnow
from kb.outbox import queue_reliable
from kb.records import ResolutionSnapshot


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
    base = base_url(kb.config)
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


def by_public_id(session: Session, public_id: str) -> Escalation | None:
    return session.scalar(select(Escalation).where(Escalation.public_id == public_id))


def by_ticket(session: Session, system: str, ref: str) -> Escalation | None:
    """The escalation whose ticket is ``ref`` in ticketing system ``system`` (the
    ``TicketRef`` a ``kb_create_ticket`` provider returned), or None."""
    return session.scalar(
        select(Escalation).where(Escalation.ticket_system == system, Escalation.ticket_ref == ref)
    )
