"""People and the API tokens integrations use."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.models.base import Base, UTCDateTime, utcnow


class Role(StrEnum):
    """Roles in increasing order of trust; each role can do what the ones before it can."""

    REQUESTER = "requester"
    TECHNICIAN = "technician"
    AUTHOR = "author"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(Base):
    """``session_token`` is what sessions and remember cookies hold instead of the id (it is
    flask-login's "alternative id"): rotating it ends every session of the account at once."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.REQUESTER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    phone: Mapped[str] = mapped_column(String(50), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, index=True, default=new_session_token
    )

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    # flask-login's user protocol, without importing Flask into the models.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    def end_sessions(self) -> None:
        """Every session and remember cookie issued so far stops working."""
        self.session_token = new_session_token()

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(Base):
    """A bearer token for integrations; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="tokens")
