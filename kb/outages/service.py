"""Declare, update and close outages (closing resolves the escalations attached); attach new
escalations to them; tell subscribers. Their records are OutageSnapshot and SubscriptionSnapshot
(kb.records)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.config import base_url
from kb.errors import Conflict, Expired, Invalid, NotFound
from kb.escalation.intake import add_route
from kb.escalation.service import ResolutionInput, resolve_escalation
from kb.models import Escalation, Outage, OutageSubscription, OutageUpdate, utcnow
from kb.outbox import queue_reliable
from kb.records import OutageSnapshot, SubscriptionSnapshot

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IMPACTS = ("high", "medium", "low")


def snapshot(outage: Outage, change: str, config: dict[str, Any]) -> OutageSnapshot:
    base = base_url(config)
    latest = outage.latest_update
    return OutageSnapshot(
        id=outage.id,
        change=change,
        service=outage.service,
        title=outage.title,
        user_message=outage.user_message,
        impact=outage.impact,
        status=outage.status,
        started_at=outage.started_at,
        expected_restoration_at=outage.expected_restoration_at,
        restored_at=outage.restored_at,
        duration_minutes=outage.duration_minutes,
        cause=outage.cause,
        latest_update=latest.text if latest else "",
        url=f"{base}/outages/{outage.id}",
        subscribers=sorted(s.email for s in outage.subscriptions if s.confirmed_at is not None),
    )


def _announce(session: Session, kb: Any, outage: Outage, change: str) -> None:
    session.flush()
    session.refresh(outage)
    queue_reliable(
        session,
        kb,
        "kb_outage_changed",
        f"outage:{outage.id}:{change}:{len(outage.updates)}",
        snapshot(outage, change, kb.config),
    )


def declare(
    session: Session,
    kb: Any,
    *,
    actor: str,
    service: str,
    title: str,
    user_message: str,
    impact: str = "high",
    started_at: datetime | None = None,
    expected_restoration_at: datetime | None = None,
) -> Outage:
    fields = {}
    if not service.strip():
        fields["service"] = "which service is affected?"
    if not title.strip():
        fields["title"] = "required"
    if not user_message.strip():
        fields["user_message"] = "say what users see"
    if impact not in IMPACTS:
        fields["impact"] = "high, medium or low"
    started = started_at or utcnow()
    if expected_restoration_at and expected_restoration_at <= started:
        fields["expected_restoration_at"] = "must be after the start"
    if fields:
        raise Invalid("Some details are missing.", fields=fields)
    existing = open_for_service(session, service.strip())
    if existing is not None:
        raise Conflict(
            f"An outage for {service} is already open: “{existing.title}”. "
            "Post an update to it instead.",
            outage=existing.id,
        )
    outage = Outage(
        service=service.strip(),
        title=title.strip()[:300],
        user_message=user_message.strip(),
        impact=impact,
        started_at=started,
        expected_restoration_at=expected_restoration_at,
        declared_by=actor,
    )
    session.add(outage)
    session.flush()
    _announce(session, kb, outage, "declared")
    return outage


def post_update(
    session: Session,
    kb: Any,
    outage: Outage,
    *,
    actor: str,
    text: str,
    expected_restoration_at: datetime | None = None,
) -> OutageUpdate:
    if outage.status != "open":
        raise Conflict("This outage is closed.")
    if not text.strip():
        raise Invalid("Write the update.", fields={"text": "required"})
    update = OutageUpdate(outage=outage, text=text.strip(), author=actor)
    session.add(update)
    if expected_restoration_at is not None:
        outage.expected_restoration_at = expected_restoration_at
    _announce(session, kb, outage, "updated")
    return update


def close(
    session: Session,
    kb: Any,
    outage: Outage,
    *,
    actor: str,
    cause: str,
    restored_at: datetime | None = None,
) -> Outage:
    """End the outage, record cause and duration, resolve the escalations attached to it."""
    if outage.status != "open":
        raise Conflict("This outage is already closed.")
    if not cause.strip():
        raise Invalid("Record the cause.", fields={"cause": "required"})
    restored = restored_at or utcnow()
    if restored < outage.started_at:
        raise Invalid(
            "Restoration cannot be before the start.", fields={"restored_at": "before the start"}
        )
    outage.status = "closed"
    outage.cause = cause.strip()
    outage.restored_at = restored
    session.add(
        OutageUpdate(outage=outage, author=actor, text=f"Service restored. Cause: {outage.cause}")
    )
    for escalation in attached(session, outage):
        if escalation.status != "resolved":
            resolve_escalation(
                session,
                kb,
                escalation,
                ResolutionInput(
                    resolver=actor,
                    text=f"Fixed when the outage “{outage.title}” ended. Cause: {outage.cause}",
                    ticket_system="outage",
                    ticket_ref=str(outage.id),
                    resolved_at=restored,
                    create_draft=False,
                ),
            )
    _announce(session, kb, outage, "closed")
    return outage


def subscribe(
    session: Session, kb: Any, outage: Outage, email: str, *, confirmed: bool = False
) -> OutageSubscription:
    """Ask for e-mail about ``outage`` at ``email``. Unless ``confirmed`` (the signed-in owner
    of the address asked), the address gets a signed, expiring confirmation link through
    ``kb_outage_subscription_requested`` and no outage mail until the link is used. Asking
    again sends a new link."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise Invalid("Give an e-mail address to send updates to.", fields={"email": "invalid"})
    if outage.status != "open":
        raise Conflict("This outage is over; there will be no more updates.")
    subscription = session.scalar(
        select(OutageSubscription).where(
            OutageSubscription.outage_id == outage.id, OutageSubscription.email == email
        )
    )
    if subscription is None:
        subscription = OutageSubscription(
            outage=outage, email=email, token=secrets.token_urlsafe(16)
        )
        session.add(subscription)
    if confirmed and subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
    session.flush()
    if subscription.confirmed_at is None:
        _request_confirmation(session, kb, outage, subscription)
    return subscription


def _serializer(config: dict[str, Any]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config["SECRET_KEY"], salt="kb.outage-subscription")


def _request_confirmation(
    session: Session, kb: Any, outage: Outage, subscription: OutageSubscription
) -> None:
    config = kb.config
    link = _serializer(config).dumps({"id": subscription.id, "email": subscription.email})
    base = base_url(config)
    seconds = int(config.get("OUTAGE_CONFIRM_SECONDS") or 0)
    queue_reliable(
        session,
        kb,
        "kb_outage_subscription_requested",
        f"outage:{outage.id}:subscription:{subscription.id}:{secrets.token_hex(6)}",
        SubscriptionSnapshot(
            outage_id=outage.id,
            outage_title=outage.title,
            service=outage.service,
            email=subscription.email,
            confirm_url=f"{base}/outages/confirm/{link}",
            expires_at=utcnow() + timedelta(seconds=seconds),
        ),
    )


def subscription_for_link(
    session: Session, config: dict[str, Any], link: str
) -> OutageSubscription:
    """The subscription a confirmation link names; NotFound if forged or gone, Expired if
    older than OUTAGE_CONFIRM_SECONDS."""
    try:
        data = _serializer(config).loads(link, max_age=int(config["OUTAGE_CONFIRM_SECONDS"]))
    except SignatureExpired:
        raise Expired(
            "That confirmation link has expired. Subscribe again on the outage's page."
        ) from None
    except BadSignature:
        raise NotFound("That confirmation link is not valid.") from None
    if not isinstance(data, dict):
        raise NotFound("That confirmation link is not valid.")
    subscription = session.get(OutageSubscription, data.get("id"))
    if subscription is None or subscription.email != data.get("email"):
        raise NotFound("That confirmation link is not valid (perhaps you unsubscribed).")
    return subscription


def confirm(session: Session, config: dict[str, Any], link: str) -> OutageSubscription:
    subscription = subscription_for_link(session, config, link)
    if subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
    return subscription


def unsubscribe(session: Session, token: str) -> None:
    subscription = session.scalar(
        select(OutageSubscription).where(OutageSubscription.token == token)
    )
    if subscription is None:
        raise NotFound("That link is not valid (perhaps you already unsubscribed).")
    session.delete(subscription)


def get(session: Session, outage_id: int) -> Outage:
    outage = session.get(Outage, outage_id)
    if outage is None:
        raise NotFound(f"No outage {outage_id}.")
    return outage


def open_outages(session: Session) -> list[Outage]:
    return list(
        session.scalars(
            select(Outage).where(Outage.status == "open").order_by(Outage.started_at.desc())
        )
    )


def open_for_service(session: Session, service: str) -> Outage | None:
    if not service:
        return None
    return session.scalar(select(Outage).where(Outage.status == "open", Outage.service == service))


def history(session: Session, limit: int = 200) -> list[Outage]:
    return list(
        session.scalars(
            select(Outage)
            .where(Outage.status == "closed")
            .order_by(Outage.started_at.desc())
            .limit(limit)
        )
    )


def attached(session: Session, outage: Outage) -> list[Escalation]:
    return list(
        session.scalars(
            select(Escalation)
            .where(Escalation.outage_id == outage.id)
            .order_by(Escalation.created_at)
        )
    )


def install(kb: Any) -> None:
    """New escalations pass here first: an open outage for their service takes them."""
    add_route(kb, attach_if_known)


def attach_if_known(session: Session, kb: Any, escalation: Escalation) -> bool:
    """While an outage is open for the escalation's service, attach it there instead of
    opening a separate ticket (OUTAGE_ATTACH_ESCALATIONS). The requester's address is
    subscribed: at once if it is their signed-in account's, else once they confirm."""
    if not kb.config.get("OUTAGE_ATTACH_ESCALATIONS", True):
        return False
    outage = open_for_service(session, escalation.service)
    if outage is None:
        return False
    escalation.outage_id = outage.id
    escalation.status = "attached"
    escalation.ticket_system, escalation.ticket_ref = "outage", str(outage.id)
    escalation.ticket_status = "attached to outage"
    if escalation.requester_email:
        requester = escalation.requester
        own_address = requester is not None and requester.email == escalation.requester_email
        subscribe(session, kb, outage, escalation.requester_email, confirmed=own_address)
    return True
