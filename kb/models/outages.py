"""Declared outages: what is down, what users see, updates, cause and duration, subscribers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models.base import Base, UTCDateTime, utcnow


class Outage(Base):
    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300))
    user_message: Mapped[str] = mapped_column(Text)  # what users see
    impact: Mapped[str] = mapped_column(String(10), default="high")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open|closed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expected_restoration_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cause: Mapped[str] = mapped_column(Text, default="")
    declared_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    updates: Mapped[list[OutageUpdate]] = relationship(
        back_populates="outage", order_by="OutageUpdate.at.desc()", cascade="all, delete-orphan"
    )
    subscriptions: Mapped[list[OutageSubscription]] = relationship(
        back_populates="outage", cascade="all, delete-orphan"
    )

    @property
    def duration_minutes(self) -> int | None:
        if self.restored_at is None:
            return None
        return int((self.restored_at - self.started_at).total_seconds() // 60)

    @property
    def latest_update(self) -> OutageUpdate | None:
        return self.updates[0] if self.updates else None


class OutageUpdate(Base):
    __tablename__ = "outage_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outage_id: Mapped[int] = mapped_column(ForeignKey("outages.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(254), default="")

    outage: Mapped[Outage] = relationship(back_populates="updates")


class OutageSubscription(Base):
    __tablename__ = "outage_subscriptions"
    __table_args__ = (UniqueConstraint("outage_id", "email", name="uq_outage_subscriber"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outage_id: Mapped[int] = mapped_column(ForeignKey("outages.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token: Mapped[str] = mapped_column(String(64), unique=True)  # for unsubscribing
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the address's owner opened the confirmation link (or subscribed their own
    # signed-in address); unconfirmed subscriptions get no outage mail.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    outage: Mapped[Outage] = relationship(back_populates="subscriptions")
