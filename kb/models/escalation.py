"""Escalations, the outbox that delivers them, the local ticket queue, follow-ups, and the
receipts that make inbound webhooks replay-proof."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models.base import Base, UTCDateTime, utcnow
from kb.models.users import User


class Escalation(Base):
    """A problem handed to people: who, what was tried (the transcript), where it goes, by when."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # new -> ticketed -> in_progress -> resolved -> (reopened -> ...) ; closed
    # a request that needs approval: awaiting_approval -> new ... | declined
    kind: Mapped[str] = mapped_column(String(20), default="incident", server_default="incident")
    # incident (something is broken) | request (a request type's form, kb.requests)

    summary: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str] = mapped_column(String(100), default="", index=True)
    group: Mapped[str] = mapped_column(String(60), index=True)
    impact: Mapped[str] = mapped_column(String(10))
    urgency: Mapped[str] = mapped_column(String(10))
    priority: Mapped[str] = mapped_column(String(4), index=True)
    response_due: Mapped[datetime] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    requester_name: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str] = mapped_column(String(254), default="")
    requester_phone: Mapped[str] = mapped_column(String(50), default="")
    requester_location: Mapped[str] = mapped_column(String(200), default="")
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    # Where it came from: the diagnostic session and its transcript, frozen at escalation.
    session_token: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    tree_id: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    tree_revision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    node_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    transcript_text: Mapped[str] = mapped_column(Text, default="")
    answers_to_ask: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    articles_viewed: Mapped[list[str]] = mapped_column(JSON, default=list)
    checks_run: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    # The ticket that carries it, in whatever system.
    ticket_system: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ticket_ref: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    ticket_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    ticket_status: Mapped[str] = mapped_column(String(40), default="")

    resolution_text: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str] = mapped_column(String(254), default="")
    resolution_articles: Mapped[list[str]] = mapped_column(JSON, default=list)
    outage_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)

    # A request: its type's key and the answers to the type's fields, as asked at the time.
    request_type: Mapped[str | None] = mapped_column(String(60), nullable=True, index=True)
    request_answers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)

    requester: Mapped[User | None] = relationship()
    approval: Mapped[RequestApproval | None] = relationship(
        back_populates="escalation", uselist=False
    )


class RequestApproval(Base):
    """Who must approve a request, the hash of the one link that lets them, and what they
    decided. The approver needs no account: the signed link is their proof."""

    __tablename__ = "request_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), unique=True
    )
    approver_email: Mapped[str] = mapped_column(String(254))
    approver_role: Mapped[str] = mapped_column(String(20))  # manager | data-owner
    token_hash: Mapped[str] = mapped_column(String(64), default="")  # "" once used
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # pending -> approved | declined
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(254), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="approval")


class OutboxMessage(Base):
    """Work to deliver outside kb, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # idempotency key
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # pending -> delivering -> done | pending (retry) | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Ticket(Base):
    """A ticket in kb's own queue (the local_tickets plugin)."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), unique=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # open -> in_progress -> resolved -> (reopened) ; closed
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    escalation: Mapped[Escalation] = relationship()
    assignee: Mapped[User | None] = relationship()
    notes: Mapped[list[TicketNote]] = relationship(
        back_populates="ticket", order_by="TicketNote.at", cascade="all, delete-orphan"
    )


class TicketNote(Base):
    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    author_name: Mapped[str] = mapped_column(String(254), default="")
    kind: Mapped[str] = mapped_column(String(20), default="comment")  # comment|assign|resolve|...
    body: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown to the requester
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="notes")


class FollowUp(Base):
    """ "Confirm in 2 days that the printer still works": due to technicians, answered by the
    requester through an unguessable link."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    session_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tree_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    requester_email: Mapped[str] = mapped_column(String(254), default="")
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    # scheduled -> notified -> fixed | not_fixed ; cancelled
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answer_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    escalation: Mapped[Escalation | None] = relationship()


class WebhookReceipt(Base):
    """Inbound deliveries already accepted, so a replayed delivery is refused."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("source", "delivery_id", name="uq_receipt_delivery"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    delivery_id: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
