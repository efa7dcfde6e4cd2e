"""The requester's side of an escalation: who is asking (a signed-in person is not asked for
what their account says) and what their status page may truthfully promise (e-mail only when
a plugin sends it; the follow-up with its date)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pluggy
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import followups
from kb.models import Escalation, FollowUp, SessionMode, TreeSession

# Built-in plugins that send e-mail; any other plugin says so with ``KB_SENDS_MAIL = True``.
MAIL_PLUGINS = frozenset({"smtp_notify"})


def sends_mail(pm: pluggy.PluginManager) -> bool:
    """Is a plugin that e-mails people registered (smtp_notify is only when configured)?"""
    return any(
        name in MAIL_PLUGINS or getattr(plugin, "KB_SENDS_MAIL", False) is True
        for name, plugin in pm.list_name_plugin()
        if plugin is not None
    )


def for_a_caller(session: Session, token: str | None) -> bool:
    """An escalation from a technician-mode session is a technician's, for a caller: the form
    asks who the caller is instead of taking the technician's account."""
    if not token:
        return False
    mode = session.scalar(select(TreeSession.mode).where(TreeSession.token == token))
    return mode == SessionMode.TECHNICIAN.value


@dataclass(frozen=True)
class Identity:
    """Who an escalation is from, when an account says so."""

    name: str
    email: str
    phone: str
    location: str


def account_identity(person: Any, on_behalf: bool) -> Identity | None:
    """The signed-in person's name and e-mail (and phone and location as defaults), or None
    when the form must ask: an anonymous visitor, or a technician escalating for a caller."""
    if person is None or not getattr(person, "is_authenticated", False) or on_behalf:
        return None
    return Identity(
        name=person.name or person.email,
        email=person.email,
        phone=person.phone or "",
        location=person.location or "",
    )


@dataclass(frozen=True)
class StatusFacts:
    """What the status page may say beyond the escalation itself."""

    mail: bool  # a plugin e-mails the requester (so "by e-mail" is true)
    followup: FollowUp | None
    followup_delivery: followups.Delivery | None


def status_facts(session: Session, kb: Any, escalation: Escalation) -> StatusFacts:
    followup = followups.for_escalation(session, escalation)
    return StatusFacts(
        mail=sends_mail(kb.pm),
        followup=followup,
        followup_delivery=followups.delivery(session, followup) if followup else None,
    )
