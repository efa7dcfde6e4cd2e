"""The approval hooks: what a plugin receives, delivered through the outbox after the
transaction that made the request or the decision, and never before."""

from __future__ import annotations

from kb.outbox import dispatch
from kb.records import ApprovalSnapshot
from kb.requests.approvals import decide
from kb.requests.service import NewRequest, submit
from kb.requests.types import request_types


def _submit(kb, commit: bool = True):
    with kb.session() as session:
        escalation = submit(
            session,
            kb,
            request_types(kb)["folder-access"],
            NewRequest(
                requester_name="Robin Diaz",
                requester_email="robin@example.org",
                approver_email="owner@example.org",
                answers={"folder": "S:\\Planning", "access": "read", "reason": "Audit"},
            ),
        )
        public_id = escalation.public_id
        if commit:
            session.commit()
    return public_id


def test_kb_approval_requested(kb, mailbox) -> None:
    public_id = _submit(kb)
    assert mailbox.requested == []  # nothing before the worker delivers
    dispatch(kb)
    (approval,) = mailbox.requested
    assert isinstance(approval, ApprovalSnapshot)
    assert (approval.escalation_public_id, approval.request_type) == (public_id, "folder-access")
    assert (approval.approver_email, approval.approver_role) == ("owner@example.org", "data-owner")
    assert approval.status == "pending" and approval.approve_url.startswith("http://kb.test/")
    assert [a["value"] for a in approval.answers] == ["S:\\Planning", "read", "Audit"]


def test_kb_approval_requested_is_not_sent_for_a_request_rolled_back(kb, mailbox) -> None:
    _submit(kb, commit=False)
    dispatch(kb)
    assert mailbox.requested == []


def test_kb_approval_decided(kb, mailbox) -> None:
    _submit(kb)
    dispatch(kb)
    with kb.session() as session:
        decide(session, kb, mailbox.link(), "approve", "Read only is fine.", "Folder access")
        session.commit()
    dispatch(kb)
    (approval,) = mailbox.decided
    assert (approval.status, approval.comment) == ("approved", "Read only is fine.")
    assert approval.decided_by == "owner@example.org" and approval.decided_at is not None
    assert approval.approve_url == ""  # the link is spent and never travels again
