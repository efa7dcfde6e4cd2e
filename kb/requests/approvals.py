"""Approvals: the approver's link (signed, expiring, single use: only a hash of its secret is
stored), what the link opens, and the decision that routes or ends the request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from kb.config import base_url
from kb.errors import Conflict, Expired, Invalid, NotFound
from kb.models import Escalation, RequestApproval, utcnow
from kb.outbox import queue_reliable
from kb.records import ApprovalSnapshot
from kb.requests.routing import AWAITING, DECLINED, route
from kb.requests.types import RequestType

SALT = "kb.request-approval"
DECISIONS = ("approve", "decline")
ROLE_WORDS = {"manager": "the requester's manager", "data-owner": "the folder's owner"}


def _serializer(config: dict[str, Any]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config["SECRET_KEY"], salt=SALT)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lifetime(config: dict[str, Any]) -> int:
    return int(config.get("REQUEST_APPROVAL_SECONDS") or 7 * 24 * 3600)


def ask(
    session: Session,
    kb: Any,
    escalation: Escalation,
    kind: RequestType,
    approver: str,
    now: datetime,
) -> RequestApproval:
    """Record who must approve and send them a link (``kb_approval_requested``)."""
    approval = RequestApproval(
        escalation=escalation,
        approver_email=approver,
        approver_role=kind.approver,
        expires_at=now + timedelta(seconds=lifetime(kb.config)),
        created_at=now,
        status="pending",
    )
    session.add(approval)
    session.flush()
    issue_link(session, kb, approval, kind.title, now)
    return approval


def issue_link(
    session: Session, kb: Any, approval: RequestApproval, title: str, now: datetime | None = None
) -> str:
    """A new link for the approver (any earlier one stops working), sent to them through
    ``kb_approval_requested``; returned for staff to pass on when no plugin sends mail."""
    if approval.status != "pending":
        raise Conflict(f"This request was already {approval.status}.")
    now = now or utcnow()
    secret = secrets.token_urlsafe(24)
    approval.token_hash = _digest(secret)
    approval.expires_at = now + timedelta(seconds=lifetime(kb.config))
    link = _serializer(kb.config).dumps({"a": approval.id, "s": secret})
    base = base_url(kb.config)
    url = f"{base}/approvals/{link}"
    queue_reliable(
        session,
        kb,
        "kb_approval_requested",
        f"approval:{approval.id}:{approval.token_hash[:16]}",
        snapshot(approval, title, kb.config, approve_url=url),
    )
    return url


def snapshot(
    approval: RequestApproval, title: str, config: dict[str, Any], approve_url: str = ""
) -> ApprovalSnapshot:
    escalation = approval.escalation
    base = base_url(config)
    return ApprovalSnapshot(
        escalation_public_id=escalation.public_id,
        request_type=escalation.request_type or "",
        request_title=title,
        summary=escalation.summary,
        requester_name=escalation.requester_name,
        requester_email=escalation.requester_email,
        approver_email=approval.approver_email,
        approver_role=approval.approver_role,
        answers=list(escalation.request_answers or []),
        status=approval.status,
        expires_at=approval.expires_at,
        status_url=f"{base}/escalations/{escalation.public_id}",
        approve_url=approve_url,
        comment=approval.comment,
        decided_at=approval.decided_at,
        decided_by=approval.decided_by,
    )


def for_link(session: Session, config: dict[str, Any], link: str) -> RequestApproval:
    """The approval a link opens. A forged or replaced link is NotFound (404), one past its
    time Expired (410), one already used a Conflict (409) that says what was decided."""
    try:
        data = _serializer(config).loads(link, max_age=lifetime(config))
    except SignatureExpired:
        raise Expired(
            "This approval link has expired. Ask the help desk to send a new one."
        ) from None
    except BadSignature:
        raise NotFound(
            "This approval link is not valid. Check that you copied all of it."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str):
        raise NotFound("This approval link is not valid.")
    approval = (
        session.get(RequestApproval, data.get("a")) if isinstance(data.get("a"), int) else None
    )
    if approval is None:
        raise NotFound("This approval link is not valid (the request no longer exists).")
    if approval.status != "pending":
        when = approval.decided_at.strftime("%d %b %Y") if approval.decided_at else ""
        raise Conflict(
            f"This request was already {approval.status} by {approval.decided_by} {when}. "
            "Each approval link works once."
        )
    if not secrets.compare_digest(approval.token_hash, _digest(data["s"])):
        raise NotFound("This approval link was replaced by a newer one. Use the latest e-mail.")
    if approval.expires_at <= utcnow():
        raise Expired("This approval link has expired. Ask the help desk to send a new one.")
    return approval


def decide(
    session: Session,
    kb: Any,
    link: str,
    decision: str,
    comment: str,
    title: str,
    now: datetime | None = None,
) -> RequestApproval:
    """Approve (the request is routed to its group now) or decline (it ends; the requester is
    told). The link stops working either way."""
    if decision not in DECISIONS:
        raise Invalid("Approve or decline.", fields={"decision": "approve or decline"})
    comment = comment.strip()
    if decision == "decline" and not comment:
        raise Invalid(
            "Tell the requester why you decline.", fields={"comment": "say why you decline"}
        )
    if len(comment) > 2000:
        raise Invalid("The comment is too long.", fields={"comment": "at most 2000 characters"})
    approval = for_link(session, kb.config, link)
    now = now or utcnow()
    # One decision only, even when two arrive at once: the row changes only while pending.
    taken = session.execute(
        update(RequestApproval)
        .where(
            RequestApproval.id == approval.id,
            RequestApproval.status == "pending",
            RequestApproval.token_hash == approval.token_hash,
        )
        .values(
            status="approved" if decision == "approve" else "declined",
            decided_at=now,
            decided_by=approval.approver_email,
            comment=comment,
            token_hash="",
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise Conflict("This request was decided a moment ago. Each approval link works once.")
    session.refresh(approval)
    escalation = approval.escalation
    if escalation.status != AWAITING:
        raise Conflict("This request is no longer waiting for approval.")
    if decision == "approve":
        route(session, kb, escalation, now)
    else:
        escalation.status = DECLINED
        escalation.resolved_at = now
        escalation.resolution_text = f"Declined by {approval.decided_by}: {comment}"
        escalation.resolved_by = approval.decided_by
    queue_reliable(
        session,
        kb,
        "kb_approval_decided",
        f"approval:{approval.id}:{approval.status}",
        snapshot(approval, title, kb.config),
    )
    return approval
