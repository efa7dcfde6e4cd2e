"""Sending a request to its type's group once nothing (no approval) holds it back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kb.escalation.priority import due_times
from kb.escalation.snapshots import escalation_snapshot
from kb.escalation.tickets import queue_ticket
from kb.models import Escalation
from kb.outbox import queue_reliable

AWAITING = "awaiting_approval"
DECLINED = "declined"


def route(session: Session, kb: Any, escalation: Escalation, now: datetime) -> None:
    """The SLA clock starts now (after any approval); the ticket is queued and
    ``kb_escalation_created`` told, in the caller's transaction."""
    due = due_times(escalation.priority, now, kb.config["SLA_TARGETS"])
    escalation.response_due, escalation.resolve_due = due.response, due.resolution
    escalation.status = "new"
    session.flush()
    queue_ticket(session, escalation)
    queue_reliable(
        session,
        kb,
        "kb_escalation_created",
        f"escalation:{escalation.public_id}",
        escalation_snapshot(escalation, kb.config),
    )
