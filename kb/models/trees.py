"""Decision trees with revisions (like articles), and the diagnostic sessions that walk them.

A revision holds the whole node-link document; the tree row points at the head and the live
(published) revision and keeps a listing copy of the visible one. A session pins the revision
it started on; each step people take is a row in ``session_steps`` (reports read them).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models.base import Base, UTCDateTime, utcnow
from kb.models.documents import DocumentEvent, DocumentRevision, DocumentStatus, ReviewedDocument
from kb.models.users import User

# Trees follow the lifecycle shared by every reviewed document.
TreeStatus = DocumentStatus


class Tree(ReviewedDocument, Base):
    __tablename__ = "trees"
    document_kind = "tree"
    revision_class = "TreeRevision"
    revision_table = "tree_revisions"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # printer-not-printing

    # Listing copy of the visible revision (live one if published, else head).
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str] = mapped_column(String(100), default="", index=True)
    category: Mapped[str] = mapped_column(String(100), default="")
    audience: Mapped[str] = mapped_column(String(20), default="public", index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def label(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"<Tree {self.id} {self.status}>"


class TreeRevision(DocumentRevision, Base):
    """One saved state of a tree: the node-link document, who, when and why."""

    __tablename__ = "tree_revisions"
    __table_args__ = (UniqueConstraint("tree_id", "number", name="uq_tree_revision_number"),)
    document_kind = "tree"

    tree_id: Mapped[str] = mapped_column(ForeignKey("trees.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    audience: Mapped[str] = mapped_column(String(20), default="public")
    # Loaded only when the parsed graph is not cached already (revisions never change).
    data: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    node_count: Mapped[int] = mapped_column(Integer, default=0)
    # The resolved escalations this revision was built from ("Turn into a branch"): one
    # {"id", "public_id", "ticket"} per escalation; None for revisions made any other way.
    motivated_by: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)

    tree: Mapped[Tree] = relationship(back_populates="revisions", foreign_keys=[tree_id])

    def __repr__(self) -> str:
        return f"<TreeRevision {self.tree_id} #{self.number}>"


class TreeEvent(DocumentEvent, Base):
    """A workflow step on a tree (see DocumentEvent)."""

    __tablename__ = "tree_events"
    document_kind = "tree"
    revision_class = "TreeRevision"
    revision_table = "tree_revisions"

    tree_id: Mapped[str] = mapped_column(ForeignKey("trees.id", ondelete="CASCADE"), index=True)


class SessionStatus(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    ABANDONED = "abandoned"


class SessionOutcome(StrEnum):
    """Whether a session ended in a real fix. ``""``: no ending reached (yet); ``unconfirmed``:
    left on a resolution page without saying; ``fixed``: the person said it fixed it;
    ``workaround``: the person said a workaround ending got them working (not a fix);
    ``not_fixed``: escalated, or the person said a resolution did not fix it."""

    NONE = ""
    UNCONFIRMED = "unconfirmed"
    FIXED = "fixed"
    WORKAROUND = "workaround"
    NOT_FIXED = "not_fixed"


class SessionMode(StrEnum):
    SELF_SERVICE = "self_service"
    TECHNICIAN = "technician"


class TreeSession(Base):
    """One walk through a tree, resumable from its unguessable ``token``."""

    __tablename__ = "tree_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    tree_id: Mapped[str] = mapped_column(ForeignKey("trees.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("tree_revisions.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20), default=SessionMode.SELF_SERVICE.value)
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.ACTIVE.value, index=True)
    current_node: Mapped[str] = mapped_column(String(120))
    path: Mapped[list[str]] = mapped_column(JSON, default=list)  # nodes visited, for back
    step_count: Mapped[int] = mapped_column(Integer, default=0)  # seq of the last step row
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    articles_viewed: Mapped[list[str]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    step_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(30), default="")  # terminal|didnt_help|...
    outcome: Mapped[str] = mapped_column(String(20), default="", server_default="", index=True)

    tree: Mapped[Tree] = relationship()
    revision: Mapped[TreeRevision] = relationship()
    user: Mapped[User | None] = relationship()
    steps: Mapped[list[SessionStep]] = relationship(
        back_populates="session", order_by="SessionStep.seq", cascade="all, delete-orphan"
    )

    @property
    def finished(self) -> bool:
        return self.status != SessionStatus.ACTIVE


class SessionStep(Base):
    """One event of a session: an answer, a value, a check run, back, or the end.

    ``undone`` marks answers taken back with "Back"; they stay for reports.
    """

    __tablename__ = "session_steps"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_session_step_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("tree_sessions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    # answer|value|check|check_error|back|end|fixed|not_fixed
    action: Mapped[str] = mapped_column(String(20))
    node_id: Mapped[str] = mapped_column(String(120), index=True)
    node_kind: Mapped[str] = mapped_column(String(20), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(10), default="")  # check: pass|fail|error
    detail: Mapped[str] = mapped_column(Text, default="")
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    target_node: Mapped[str] = mapped_column(String(120), default="")
    time_spent_ms: Mapped[int] = mapped_column(Integer, default=0)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[TreeSession] = relationship(back_populates="steps")


class StepFlagReason(StrEnum):
    DOESNT_MATCH = "doesnt_match"  # "this step doesn't match my situation"
    WRONG = "wrong"  # "this is wrong"


class TreeStepFlag(Base):
    """ "This step doesn't match my situation" / "this is wrong", said on one step of a
    session: carries the path walked to it, and stays open on the tree's owners' and the
    reviewers' dashboards until an author or reviewer resolves it."""

    __tablename__ = "tree_step_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_id: Mapped[str] = mapped_column(ForeignKey("trees.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("tree_revisions.id", ondelete="SET NULL"), nullable=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("tree_sessions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    node_id: Mapped[str] = mapped_column(String(120), index=True)
    mode: Mapped[str] = mapped_column(String(20), default=SessionMode.SELF_SERVICE.value)
    path: Mapped[list[str]] = mapped_column(JSON, default=list)  # the nodes walked to it
    reason: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    resolution: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    revision: Mapped[TreeRevision | None] = relationship()
