"""Record changes to searchable content in the same transaction as the change itself."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.models.changes import Change


def record_change(session: Session, kind: str, key: str) -> None:
    """Note that ``kind``/``key`` changed; committed (or rolled back) with the caller's work."""
    session.add(Change(kind=kind, key=key))


def changes_since(session: Session, seq: int) -> list[Change]:
    return list(session.scalars(select(Change).where(Change.seq > seq).order_by(Change.seq)))


def last_seq(session: Session) -> int:
    return session.scalar(select(func.max(Change.seq))) or 0
