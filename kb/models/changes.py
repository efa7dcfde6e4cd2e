"""The change sequence: one row per committed change to searchable content, so every derived
copy (each node's search index) can catch up from the last sequence number it applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.models.base import Base, UTCDateTime, utcnow


class Change(Base):
    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # article | tree
    key: Mapped[str] = mapped_column(String(120), index=True)  # slug or tree id
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
