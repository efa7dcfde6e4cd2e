"""The search log: every query, how much it found and what was opened, for content-gap reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.models.base import Base, UTCDateTime, utcnow


class SearchLog(Base):
    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Made when the search is answered, before the row is written (kb/search/search_log.py):
    # result links name the row by it. None for rows logged before searches were batched.
    ref: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    query: Mapped[str] = mapped_column(String(500))  # as typed (trimmed)
    normalized: Mapped[str] = mapped_column(String(500), index=True)  # for grouping
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    audience: Mapped[str] = mapped_column(String(10), default="public")  # public | staff
    results: Mapped[int] = mapped_column(Integer, default=0)
    page: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(10), default="web")  # web | api
    clicked_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    clicked_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    clicked_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
