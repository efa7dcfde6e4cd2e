"""Building the records that reliable event hooks receive, and queueing those events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kb.escalation.outbox import enqueue_event
from kb.escalation.snapshots import (
    EscalationSnapshot,
    FollowUpSnapshot,
    ResolutionSnapshot,
    from_dict,
    to_dict,
)
from kb.models import Escalation, FollowUp


def escalation_snapshot(escalation: Escalation, config: dict[str, Any]) -> EscalationSnapshot:
    groups = config.get("SUPPORT_GROUPS") or {}
    base = (config.get("BASE_URL") or "").rstrip("/")
    return EscalationSnapshot(
        id=escalation.id,
        public_id=escalation.public_id,
        created_at=escalation.created_at,
        summary=escalation.summary,
        details=escalation.details,
        service=escalation.service,
        group=escalation.group,
        group_name=groups.get(escalation.group, escalation.group),
        impact=escalation.impact,
        urgency=escalation.urgency,
        priority=escalation.priority,
        response_due=escalation.response_due,
        resolve_due=escalation.resolve_due,
        requester_name=escalation.requester_name,
        requester_email=escalation.requester_email,
        requester_phone=escalation.requester_phone,
        requester_location=escalation.requester_location,
        tree_id=escalation.tree_id,
        node_id=escalation.node_id,
        session_token=escalation.session_token,
        transcript_text=escalation.transcript_text,
        answers_to_ask=dict(escalation.answers_to_ask or {}),
        articles_viewed=list(escalation.articles_viewed or []),
        checks_run=list(escalation.checks_run or []),
        status_url=f"{base}/escalations/{escalation.public_id}",
        ticket_system=escalation.ticket_system,
        ticket_ref=escalation.ticket_ref,
        outage_id=escalation.outage_id,
    )


def followup_snapshot(followup: FollowUp, config: dict[str, Any]) -> FollowUpSnapshot:
    base = (config.get("BASE_URL") or "").rstrip("/")
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


REBUILD = {
    "kb_escalation_created": EscalationSnapshot,
    "kb_ticket_resolved": ResolutionSnapshot,
    "kb_followup_due": FollowUpSnapshot,
    "kb_followup_answered": FollowUpSnapshot,
}


def rebuild_argument(hook: str, data: dict[str, Any]) -> Any:
    if hook == "kb_outage_changed":
        from kb.outages.service import OutageSnapshot

        return from_dict(OutageSnapshot, data)
    if hook == "kb_outage_subscription_requested":
        from kb.outages.service import SubscriptionSnapshot

        return from_dict(SubscriptionSnapshot, data)
    cls = REBUILD.get(hook)
    if cls is None:
        from kb.escalation.outbox import PermanentFailure

        raise PermanentFailure(f"no record type for {hook}")
    return from_dict(cls, data)


def queue_reliable(session: Session, kb, hook: str, key: str, record: Any) -> None:
    """Queue ``hook`` for every implementing plugin, in the caller's transaction."""
    enqueue_event(session, kb.pm, hook, key, to_dict(record))
