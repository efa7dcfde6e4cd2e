"""The inbound webhook endpoint: another ticketing system says a ticket is resolved. The
sender proves itself with a signature, not a session, so it takes no CSRF token."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from kb.api import parse_json
from kb.api.docs import BOOLEAN, STRING, api_doc, array, body, obj, text, whole
from kb.errors import Invalid, Unauthorized
from kb.extensions import authenticates_itself, kb_state
from kb.plugins.webhooks import signing
from kb.plugins.webhooks.inbound import (
    DEFAULT_SOURCE,
    inbound_secret,
    parse_resolution,
    receive_resolution,
    valid_source,
)

webhooks_bp = Blueprint("webhooks", __name__)


@webhooks_bp.post("/api/v1/webhooks/ticket-resolved")
@api_doc(
    body=body(
        {
            "escalation": text(64),
            "ticket_ref": text(120),
            "ticket_system": text(40),
            "resolution": text(20_000),
            "resolver": text(254),
            "articles": array(text(200)),
            "create_draft": BOOLEAN,
            "followup_days": whole(1, 365),
        },
        required=["resolution", "resolver"],
    ),
    response=obj(
        {"escalation": STRING, "status": STRING, "changed": BOOLEAN},
        required=["escalation", "status", "changed"],
    ),
    notes="Signed: X-KB-Source, X-KB-Delivery, X-KB-Timestamp and X-KB-Signature "
    "(docs/plugins.md); escalation or ticket_ref names the request.",
)
@authenticates_itself
def inbound_ticket_resolved():
    """Another ticketing system says a ticket kb escalated is resolved."""
    state = kb_state()
    source = request.headers.get("X-KB-Source", "").strip() or DEFAULT_SOURCE
    if not valid_source(source):
        raise Unauthorized("X-KB-Source must be a short name (letters, digits, . _ -).")
    secret = inbound_secret(state.config, source)
    delivery = request.headers.get("X-KB-Delivery", "").strip()
    body = request.get_data(cache=True)
    # The signature first (it covers the delivery id): an unsigned caller gets a 401 whatever
    # else is missing, and only a proven sender hears about its delivery id.
    signing.verify(
        secret,
        request.headers.get("X-KB-Timestamp", ""),
        body,
        request.headers.get("X-KB-Signature", ""),
        source=source,
        delivery=delivery,
        tolerance=float(state.config.get("WEBHOOK_TOLERANCE_SECONDS") or 300),
    )
    if not delivery or len(delivery) > 120:
        raise Invalid(
            "X-KB-Delivery must carry the delivery's id (at most 120 characters).",
            fields={"X-KB-Delivery": "required"},
        )
    payload = parse_json(body)
    result = receive_resolution(state, source, delivery, parse_resolution(payload))
    return jsonify(result)
