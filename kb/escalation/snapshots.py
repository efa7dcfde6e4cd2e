"""An escalation as the plugin-facing record (:class:`kb.records.EscalationSnapshot`) that
``kb_create_ticket`` and ``kb_escalation_created`` receive."""

from __future__ import annotations

from typing import Any

from kb.config import base_url
from kb.models import Escalation
from kb.records import EscalationSnapshot


def escalation_snapshot(escalation: Escalation, config: dict[str, Any]) -> EscalationSnapshot:
    groups = config.get("SUPPORT_GROUPS") or {}
    base = base_url(config)
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
        kind=escalation.kind or "incident",
        request_type=escalation.request_type or "",
        request_answers=list(escalation.request_answers or []),
        approved_by=escalation.approval.decided_by
        if escalation.approval is not None and escalation.approval.status == "approved"
        else "",
    )
