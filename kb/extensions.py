"""Flask extensions (created unbound, bound in create_app) and the per-app ``KbState``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, session
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from kb.hooks import notify

if TYPE_CHECKING:
    import pluggy
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


class SignedInProtection(LoginManager):
    """flask-login's "strong" session protection, for sessions that have someone signed in.

    flask-login treats any non-empty session without its identity mark as a stolen one: the
    session of a visitor who is not signed in holds only a CSRF token, so on every request it
    was emptied of flask-login's keys, marked to clear the remember cookie and sent back as a
    new cookie (two Set-Cookie headers and a signature per page view). Such a session has no
    one to protect; it is now treated like an empty one, as flask-login already treats it on a
    visitor's first request."""

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


login_manager = SignedInProtection()
csrf = CSRFProtect()


@dataclass
class KbState:
    """Everything one kb app owns: settings, database, plugins, and services built on them.

    Hooks receive this object as ``kb``; tests build one app each, so nothing leaks between
    them.
    """

    config: dict[str, Any]
    instance_path: Path
    engine: Engine
    sessionmaker: sessionmaker[Session]
    pm: pluggy.PluginManager
    services: dict[str, Any] = field(default_factory=dict)
    # Outbox message kinds other than events, by the area that owns each (kb.outbox).
    outbox_handlers: dict[str, Any] = field(default_factory=dict)
    # What may take a new escalation before a ticket is made (kb.escalation.intake).
    intake_routes: list[Any] = field(default_factory=list)

    def session(self) -> Session:
        """A new database session, tied to this app so after-commit events reach its plugins."""
        session = self.sessionmaker()
        session.info["kb"] = self
        return session

    def notify(self, hook: str, **kwargs: Any) -> None:
        """Fire an event hook, isolating each plugin (see :func:`kb.hooks.notify`)."""
        notify(self.pm, hook, kb=self, **kwargs)


def authenticates_itself(view: Any) -> Any:
    """Mark a view called by another system that proves itself (a signature or a shared
    secret checked by the view): it needs no CSRF token and no signed-in person."""
    view.kb_authenticates_itself = True
    return view


def kb_state(app: Flask | None = None) -> KbState:
    """The KbState of ``app`` (or of the current app)."""
    return (app or current_app).extensions["kb"]
