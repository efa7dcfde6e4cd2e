"""Follow-ups: "confirm with the requester in 2 days that the printer still works"."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.errors import Conflict, Invalid, NotFound
from kb.escalation.events import followup_snapshot, queue_reliable
from kb.models import Escalation, FollowUp, utcnow

OPEN = ("scheduled", "notified")


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
                f"followup-due:{followup.token}",
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
    from kb.escalation.service import reopen

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
