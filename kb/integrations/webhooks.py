"""Webhooks both ways: kb's reliable events POSTed, signed, to the configured targets; and
"ticket resolved" accepted from any other ticketing system, once per delivery."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from kb.errors import Conflict, Invalid, NotFound, Unauthorized
from kb.escalation.resilience import with_retries
from kb.escalation.service import ResolutionInput, by_public_id, resolve_escalation
from kb.integrations.http import TransportError, send
from kb.integrations.signing import signed_headers
from kb.limits import too_long
from kb.models import Escalation, WebhookReceipt
from kb.outbox import PermanentFailure
from kb.records import to_dict

EVENTS = {
    "kb_escalation_created": "escalation.created",
    "kb_ticket_resolved": "ticket.resolved",
    "kb_followup_due": "followup.due",
    "kb_followup_answered": "followup.answered",
    "kb_outage_changed": "outage.changed",
}
RETRYABLE_4XX = (408, 429)
SOURCE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


class WebhookFailed(Exception):
    """A target did not accept a delivery; the outbox tries again later."""


# --- outbound ---------------------------------------------------------------------------------


def event_body(event: str, delivery_key: str, record: Any) -> bytes:
    payload = {"event": event, "delivery": delivery_key, "data": to_dict(record)}
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def post_event(config: dict[str, Any], hook: str, delivery_key: str, record: Any) -> int:
    """POST the event to every target; raise if any did not take it (PermanentFailure when
    every refusal was a 4xx that retrying cannot fix). Returns how many targets took it."""
    event = EVENTS[hook]
    body = event_body(event, delivery_key, record)
    secret = config["WEBHOOK_SECRET"]
    source = config.get("WEBHOOK_SOURCE") or "kb"
    timeout = float(config.get("WEBHOOK_TIMEOUT_SECONDS") or 10)
    transient: list[str] = []
    permanent: list[str] = []
    delivered = 0
    for url in config.get("WEBHOOK_URLS") or []:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "kb-webhooks",
            "X-KB-Event": event,
            **signed_headers(secret, body, source=source, delivery=delivery_key),
        }
        try:
            response = send("POST", url, body=body, headers=headers, timeout=timeout)
        except TransportError as error:
            transient.append(str(error))
            continue
        if response.ok:
            delivered += 1
        elif 400 <= response.status < 500 and response.status not in RETRYABLE_4XX:
            permanent.append(f"{url} answered {response.status}: {response.text[:200]}")
        else:
            transient.append(f"{url} answered {response.status}: {response.text[:200]}")
    if transient:
        raise WebhookFailed("; ".join(transient + permanent))
    if permanent:
        raise PermanentFailure("; ".join(permanent))
    return delivered


# --- inbound ----------------------------------------------------------------------------------


DEFAULT_SOURCE = "webhook"


def inbound_secret(config: dict[str, Any], source: str) -> str:
    """WEBHOOK_INBOUND_SECRET is a mapping source -> secret (the sender names itself in
    X-KB-Source), or one secret for a single sender that sends no X-KB-Source (its source is
    "webhook"). One secret cannot tell senders apart, so it does not accept other names."""
    secret = config.get("WEBHOOK_INBOUND_SECRET")
    if isinstance(secret, dict):
        found = secret.get(source)
        if not found:
            raise Unauthorized(f"No inbound secret is configured for source {source!r}.")
        return str(found)
    if source != DEFAULT_SOURCE:
        raise Unauthorized(
            f"X-KB-Source {source!r} needs its own secret: set WEBHOOK_INBOUND_SECRET to a "
            f'mapping like {{"{source}": "..."}}, or leave X-KB-Source out.'
        )
    return str(secret)


@dataclass
class InboundResolution:
    """What another ticketing system tells kb about a resolved ticket."""

    text: str
    resolver: str
    escalation: str = ""  # kb's escalation id (``public_id`` in kb's outbound events)
    ticket_ref: str = ""
    ticket_system: str = ""
    articles: list[str] = field(default_factory=list)
    create_draft: bool = True
    followup_days: float | None = None


def _text(data: dict, name: str, limit: int, fields: dict[str, str]) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        fields[name] = "must be a string"
        return ""
    value = str(value).strip()
    if len(value) > limit:
        fields[name] = f"at most {limit} characters"
    return value


def parse_resolution(data: Any) -> InboundResolution:
    """Validate a payload, naming every field that is wrong."""
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.")
    fields: dict[str, str] = {}
    escalation = _text(data, "escalation", 64, fields)
    ticket_ref = _text(data, "ticket_ref", 120, fields)
    ticket_system = _text(data, "ticket_system", 40, fields)
    text = _text(data, "resolution", 20_000, fields)
    resolver = _text(data, "resolver", 254, fields)
    if not escalation and not ticket_ref and "escalation" not in fields:
        fields["escalation"] = "give the escalation id or the ticket_ref"
    if not text and "resolution" not in fields:
        fields["resolution"] = "required"
    if not resolver and "resolver" not in fields:
        fields["resolver"] = "required: who resolved it"
    articles = data.get("articles") or []
    if not isinstance(articles, list) or not all(
        isinstance(a, str) and 0 < len(a) <= 200 for a in articles
    ):
        fields["articles"] = "must be a list of article slugs"
        articles = []
    elif too_long(articles):
        fields["articles"] = f"must be a list of article slugs, {too_long(articles)}"
        articles = []
    create_draft = data.get("create_draft", True)
    if not isinstance(create_draft, bool):
        fields["create_draft"] = "must be true or false"
    followup = data.get("followup_days")
    if followup is not None and (
        isinstance(followup, bool)
        or not isinstance(followup, int | float)
        or not 0 < followup <= 365
    ):
        fields["followup_days"] = "a number of days between 0 and 365"
        followup = None
    if fields:
        raise Invalid("The payload is not a valid ticket resolution.", fields=fields)
    return InboundResolution(
        text=text,
        resolver=resolver,
        escalation=escalation,
        ticket_ref=ticket_ref,
        ticket_system=ticket_system,
        articles=[a.strip() for a in articles],
        create_draft=bool(create_draft),
        followup_days=float(followup) if followup else None,
    )


def find_escalation(session, resolution: InboundResolution) -> Escalation:
    if resolution.escalation:
        escalation = by_public_id(session, resolution.escalation)
    else:
        query = select(Escalation).where(Escalation.ticket_ref == resolution.ticket_ref)
        if resolution.ticket_system:
            query = query.where(Escalation.ticket_system == resolution.ticket_system)
        matches = session.scalars(query.limit(2)).all()
        if len(matches) > 1:
            raise Invalid(
                "Several escalations have that ticket_ref: give ticket_system as well.",
                fields={"ticket_system": "required to tell them apart"},
            )
        escalation = matches[0] if matches else None
    if escalation is None:
        raise NotFound("No escalation matches this resolution.")
    if resolution.ticket_ref and escalation.ticket_ref not in (None, resolution.ticket_ref):
        raise NotFound("No escalation matches this resolution.")
    return escalation


def receive_resolution(
    kb: Any, source: str, delivery_id: str, resolution: InboundResolution
) -> dict[str, Any]:
    """Record the delivery and resolve the escalation in one transaction, so a replayed
    delivery is refused and a failed one leaves nothing behind."""

    def work(session) -> dict[str, Any]:
        if session.scalar(
            select(WebhookReceipt.id).where(
                WebhookReceipt.source == source, WebhookReceipt.delivery_id == delivery_id
            )
        ):
            raise Conflict("This delivery was already received.", delivery=delivery_id)
        escalation = find_escalation(session, resolution)
        snapshot = resolve_escalation(
            session,
            kb,
            escalation,
            ResolutionInput(
                resolver=resolution.resolver,
                text=resolution.text,
                articles=resolution.articles,
                ticket_system=resolution.ticket_system or escalation.ticket_system or source,
                ticket_ref=resolution.ticket_ref or escalation.ticket_ref or "",
                create_draft=resolution.create_draft,
                followup_days=resolution.followup_days,
            ),
        )
        session.add(WebhookReceipt(source=source, delivery_id=delivery_id))
        answer = {
            "escalation": escalation.public_id,
            "status": escalation.status,
            "articles": list(escalation.resolution_articles or []),
            "draft_article": snapshot.draft_article if snapshot else None,
            "changed": snapshot is not None,
        }
        if snapshot and snapshot.skipped_articles:  # named, but not live: not logged there
            answer["skipped"] = list(snapshot.skipped_articles)
        return answer

    return with_retries(kb, work)


def valid_source(source: str) -> bool:
    return bool(SOURCE.match(source))
