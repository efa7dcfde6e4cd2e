"""Ticket delivery through ``kb_create_ticket`` (the outbox's ``ticket`` messages, which this
module queues and delivers), and the local queue's ticket operations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, selectinload

from kb.errors import Conflict, Invalid, NotFound
from kb.escalation.priority import sla_state
from kb.escalation.service import ResolutionInput, record_first_response, resolve_escalation
from kb.escalation.snapshots import escalation_snapshot
from kb.models import Escalation, Ticket, TicketNote, User, utcnow
from kb.outbox import PermanentFailure, enqueue, register_handler
from kb.records import TicketRef

TICKET = "ticket"  # the outbox message kind


def install(kb: Any) -> None:
    """Let the app's outbox deliver ``ticket`` messages."""
    register_handler(kb, TICKET, deliver_ticket_message)


def queue_ticket(session: Session, escalation: Escalation) -> None:
    """Queue the escalation's ticket, in the caller's transaction."""
    enqueue(session, TICKET, f"ticket:{escalation.public_id}", {"escalation_id": escalation.id})


def deliver_ticket_message(kb: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    return deliver_ticket(kb, payload["escalation_id"], key)


def deliver_ticket(kb: Any, escalation_id: int, key: str) -> dict[str, Any]:
    """Ask the ticketing plugins for a ticket; record where it lives."""
    with kb.session() as session:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None:
            raise PermanentFailure(f"escalation {escalation_id} no longer exists")
        if escalation.ticket_ref:
            return {"system": escalation.ticket_system, "ref": escalation.ticket_ref}
        snapshot = escalation_snapshot(escalation, kb.config)
    ref: TicketRef | None = kb.pm.hook.kb_create_ticket(
        kb=kb, escalation=snapshot, idempotency_key=key
    )
    if ref is None:
        raise RuntimeError("no ticketing plugin accepted the escalation")
    with kb.session() as session:
        escalation = session.get(Escalation, escalation_id)
        escalation.ticket_system, escalation.ticket_ref = ref.system, ref.ref
        escalation.ticket_url, escalation.ticket_status = ref.url, ref.status
        if escalation.status == "new":
            escalation.status = "ticketed"
        session.commit()
    return {"system": ref.system, "ref": ref.ref, "url": ref.url}


def create_local_ticket(session: Session, escalation_id: int, key: str) -> Ticket:
    """Idempotent: the same key returns the ticket made the first time."""
    ticket = session.scalar(select(Ticket).where(Ticket.idempotency_key == key))
    if ticket is not None:
        return ticket
    ticket = Ticket(escalation_id=escalation_id, idempotency_key=key, status="open")
    session.add(ticket)
    session.flush()
    return ticket


# --- the local queue --------------------------------------------------------------------------


@dataclass
class QueueRow:
    ticket: Ticket
    escalation: Escalation
    response_state: str
    resolution_state: str

    @property
    def sla_state(self) -> str:
        """The worse of the two clocks."""
        order = ["breached", "missed", "at_risk", "on_track", "met"]
        return min(self.response_state, self.resolution_state, key=order.index)


def queue_row(ticket: Ticket, now: datetime, at_risk: float) -> QueueRow:
    esc = ticket.escalation
    return QueueRow(
        ticket,
        esc,
        sla_state(now, esc.created_at, esc.response_due, esc.first_response_at, at_risk),
        sla_state(now, esc.created_at, esc.resolve_due, esc.resolved_at, at_risk),
    )


def queue(
    session: Session,
    config: dict[str, Any],
    *,
    group: str | None = None,
    priority: str | None = None,
    state: str | None = None,
    assignee_id: int | None = None,
    include_resolved: bool = False,
    now: datetime | None = None,
) -> list[QueueRow]:
    now = now or utcnow()
    query = (
        select(Ticket)
        .join(Escalation, Ticket.escalation_id == Escalation.id)
        # the page shows each row's escalation and assignee: loaded with the rows, not per row
        .options(contains_eager(Ticket.escalation), selectinload(Ticket.assignee))
    )
    if not include_resolved:
        query = query.where(Ticket.status.in_(("open", "in_progress", "reopened")))
    if group:
        query = query.where(Escalation.group == group)
    if priority:
        query = query.where(Escalation.priority == priority)
    if assignee_id:
        query = query.where(Ticket.assignee_id == assignee_id)
    rows = [
        queue_row(t, now, config["SLA_AT_RISK_FRACTION"])
        for t in session.scalars(query.order_by(Escalation.priority, Escalation.resolve_due))
    ]
    if state:
        rows = [r for r in rows if r.sla_state == state]
    return rows


def ticket_by_id(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return ticket


def _note(ticket: Ticket, actor: User | None, kind: str, body: str, public: bool = False) -> None:
    ticket.notes.append(
        TicketNote(
            author_id=actor.id if actor else None,
            author_name=actor.email if actor else "system",
            kind=kind,
            body=body,
            public=public,
        )
    )
    ticket.updated_at = utcnow()


def assign(session: Session, ticket: Ticket, assignee: User | None, actor: User) -> None:
    ticket.assignee = assignee
    if ticket.status == "open":
        ticket.status = "in_progress"
    record_first_response(ticket.escalation)
    _note(ticket, actor, "assign", f"Assigned to {assignee.email}" if assignee else "Unassigned")


def comment(ticket: Ticket, actor: User, body: str, public: bool) -> None:
    if not body.strip():
        raise Invalid("Write something first.", fields={"body": "required"})
    if ticket.status == "resolved":
        raise Conflict("The ticket is resolved; reopen it to work on it.")
    _note(ticket, actor, "comment", body.strip()[:10_000], public)
    if public:
        record_first_response(ticket.escalation)


def resolve(
    session: Session,
    kb: Any,
    ticket: Ticket,
    actor: User,
    text: str,
    articles: list[str],
    create_draft: bool = True,
    followup_days: float | None = None,
    followup_text: str = "",
) -> list[dict[str, str]]:
    """Resolve the ticket and its escalation; returns the named articles the resolution was
    not logged against (not live), each with the reason, also noted on the ticket."""
    if ticket.status == "resolved":
        raise Conflict("This ticket is already resolved.")
    snapshot = resolve_escalation(
        session,
        kb,
        ticket.escalation,
        ResolutionInput(
            resolver=actor.email,
            text=text,
            articles=articles,
            ticket_system="local",
            ticket_ref=str(ticket.id),
            create_draft=create_draft,
            followup_days=followup_days,
            followup_text=followup_text,
        ),
    )
    ticket.status = "resolved"
    _note(ticket, actor, "resolve", text.strip(), public=True)
    skipped = list(snapshot.skipped_articles) if snapshot else []
    if skipped:
        lines = "\n".join(f"- {s['slug']}: {s['reason']}" for s in skipped)
        _note(ticket, actor, "comment", f"Not logged in these articles:\n{lines}", public=False)
    return skipped


def public_notes(session: Session, escalation: Escalation) -> list[TicketNote]:
    """The notes of the escalation's local ticket that its requester may read."""
    ticket = session.scalar(select(Ticket).where(Ticket.escalation_id == escalation.id))
    return [note for note in ticket.notes if note.public] if ticket else []
