"""Outbound webhooks: kb's reliable events POSTed, signed, to WEBHOOK_URLS; a refusal raises
so the outbox tries again later (or gives up when retrying cannot help)."""

from __future__ import annotations

import json
from typing import Any

from kb.http_client import TransportError, send
from kb.outbox import PermanentFailure
from kb.plugins.webhooks.signing import signed_headers
from kb.records import to_dict

EVENTS = {
    "kb_escalation_created": "escalation.created",
    "kb_ticket_resolved": "ticket.resolved",
    "kb_followup_due": "followup.due",
    "kb_followup_answered": "followup.answered",
    "kb_outage_changed": "outage.changed",
    "kb_approval_decided": "approval.decided",
}
RETRYABLE_4XX = (408, 429)


class WebhookFailed(Exception):
    """A target did not accept a delivery; the outbox tries again later."""


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
            response = send(
                "POST",
                url,
                body=body,
                headers=headers,
                timeout=timeout,
                ca_bundle=config.get("CA_BUNDLE") or None,
            )
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
