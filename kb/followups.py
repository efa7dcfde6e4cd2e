"""Follow-ups: "confirm with the requester in 2 days that the printer still works".

Scheduled by a resolved ticket (kb.escalation) or by a diagnostic that ended at a resolution
node (kb.trees); both call down here, so this module knows neither. A "not fixed" answer
reopens the escalation and its local ticket.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.config import base_url
from kb.errors import Conflict, Invalid, NotFound
from kb.models import Escalation, FollowUp, OutboxMessage, Ticket, TicketNote, utcnow
from kb.outbox import queue_reliable
from kb.records import FollowUpSnapshot

OPEN = ("scheduled", "notified")
DUE_KEY = "followup-due:{token}:"  # + the plugin's name: the outbox key of each delivery


def followup_snapshot(followup: FollowUp, config: dict[str, Any]) -> FollowUpSnapshot:
    """The follow-up as the record ``kb_followup_due`` and ``kb_followup_answered`` carry."""
    base = base_url(config)
    escalation = followup.escalation
    return FollowUpSnapshot(
        id=followup.id,
        token=followup.token,
        text=followup.text,
        due_at=followup.due_at,
        status=followup.status,
        answer_url=f"{base}/followups/{followup.token}",
        escalation_public_id=escalation.public_id if escalation else None,
        ticket_system=escalation.ticket_system if escalation else None,
        ticket_ref=escalation.ticket_ref if escalation else None,
        requester_email=followup.requester_email,
        requester_name=followup.requester_name,
        tree_id=followup.tree_id,
        answer_comment=followup.answer_comment,
    )


def schedule(
    session: Session,
    *,
    text: str,
    due_at: datetime,
    escalation: Escalation | None = None,
    session_token: str | None = None,
    tree_id: str | None = None,
    requester_email: str = "",
    requester_name: str = "",
) -> FollowUp:
    if not text.strip():
        raise Invalid("Say what to check.", fields={"text": "required"})
    followup = FollowUp(
        token=secrets.token_urlsafe(16),
        text=text.strip(),
        due_at=due_at,
        escalation=escalation,
        session_token=session_token,
        tree_id=tree_id or (escalation.tree_id if escalation else None),
        requester_email=requester_email or (escalation.requester_email if escalation else ""),
        requester_name=requester_name or (escalation.requester_name if escalation else ""),
    )
    session.add(followup)
    session.flush()
    return followup


def cancel_for_session(session: Session, token: str) -> int:
    """A person who says "still not fixed" on a resolution needs no "did it stay fixed?"
    question later: the follow-ups that ending scheduled, not yet sent, are cancelled."""
    followups = session.scalars(
        select(FollowUp).where(FollowUp.session_token == token, FollowUp.status == "scheduled")
    ).all()
    for followup in followups:
        followup.status = "cancelled"
    return len(followups)


def run_due(kb: Any, now: datetime | None = None) -> int:
    """Fire ``kb_followup_due`` (through the outbox) for each follow-up that fell due."""
    now = now or utcnow()
    with kb.session() as session:
        due = session.scalars(
            select(FollowUp).where(FollowUp.status == "scheduled", FollowUp.due_at <= now)
        ).all()
        for followup in due:
            followup.status = "notified"
            followup.notified_at = now
            queue_reliable(
                session,
                kb,
                "kb_followup_due",
                DUE_KEY.format(token=followup.token).rstrip(":"),
                followup_snapshot(followup, kb.config),
            )
        session.commit()
        return len(due)


def by_token(session: Session, token: str) -> FollowUp:
    followup = session.scalar(select(FollowUp).where(FollowUp.token == token))
    if followup is None:
        raise NotFound("This follow-up link is not valid.")
    return followup


def answer(session: Session, kb: Any, followup: FollowUp, fixed: bool, comment: str = "") -> None:
    """The requester's answer; "not fixed" reopens the ticket."""
    if followup.status not in OPEN:
        raise Conflict("This follow-up has already been answered. Thank you.")
    followup.status = "fixed" if fixed else "not_fixed"
    followup.answered_at = utcnow()
    followup.answer_comment = comment.strip()[:2000]
    if not fixed and followup.escalation is not None:
        reopen(session, followup.escalation, followup.answer_comment)
    queue_reliable(
        session,
        kb,
        "kb_followup_answered",
        f"followup-answer:{followup.token}",
        followup_snapshot(followup, kb.config),
    )


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


def for_technicians(
    session: Session, now: datetime | None = None, horizon: timedelta = timedelta(days=2)
) -> list[FollowUp]:
    """Open follow-ups due within ``horizon``, oldest first (overdue at the top)."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(FollowUp)
            .where(FollowUp.status.in_(OPEN), FollowUp.due_at <= now + horizon)
            .order_by(FollowUp.due_at)
        )
    )


# --- what pages say about a follow-up ------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """Whether anyone was told that a follow-up fell due, from its outbox deliveries.

    ``state``: ``not_due`` (still scheduled), ``not_sent`` (due, but no plugin takes follow-up
    notifications, so nobody was told), ``pending`` (queued or being retried), ``sent``
    (delivered by ``plugins`` at ``at``) or ``failed`` (every delivery gave up)."""

    state: str
    at: datetime | None = None
    plugins: list[str] = field(default_factory=list)

    @property
    def notified(self) -> bool:
        return self.state == "sent"

    @property
    def by(self) -> list[str]:
        """The plugins that delivered it, by name (not those registered without one)."""
        return [name for name in self.plugins if not name.isdigit()]


def delivery(session: Session, followup: FollowUp) -> Delivery:
    """What became of the ``kb_followup_due`` notification of ``followup``: "notified" is only
    true once a plugin's delivery succeeded, never because the follow-up fell due."""
    if followup.notified_at is None:
        return Delivery("not_due")
    messages = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.key.startswith(DUE_KEY.format(token=followup.token), autoescape=True)
        )
    ).all()
    done = [m for m in messages if m.status == "done" and not (m.result or {}).get("skipped")]
    if done:
        return Delivery(
            "sent",
            at=max(m.delivered_at or followup.notified_at for m in done),
            plugins=sorted(m.key.rsplit(":", 1)[1] for m in done),
        )
    if any(m.status in ("pending", "delivering") for m in messages):
        return Delivery("pending")
    return Delivery("failed" if messages else "not_sent")


def for_escalation(session: Session, escalation: Escalation) -> FollowUp | None:
    """The escalation's latest follow-up (open or answered), for its requester's page."""
    return session.scalars(
        select(FollowUp)
        .where(FollowUp.escalation_id == escalation.id, FollowUp.status != "cancelled")
        .order_by(FollowUp.due_at.desc(), FollowUp.id.desc())
    ).first()
