"""Endpoints other systems call: Request Tracker's scrip, and inbound webhooks. They prove
themselves with a shared secret or a signature, not a session, so they take no CSRF token."""

from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from kb.api import parse_json, request_json
from kb.api.docs import BOOLEAN, STRING, api_doc, array, body, obj, text, whole
from kb.db import get_db
from kb.errors import Invalid, KbError, NotFound, Unauthorized
from kb.extensions import authenticates_itself, kb_state
from kb.integrations import rt_tickets, signing
from kb.integrations.rt_client import RTError
from kb.integrations.webhooks import (
    DEFAULT_SOURCE,
    inbound_secret,
    parse_resolution,
    receive_resolution,
    valid_source,
)
from kb.limits import whole_number
from kb.models import Escalation

rt_bp = Blueprint("request_tracker", __name__)
webhooks_bp = Blueprint("webhooks", __name__)


class UpstreamError(KbError):
    """The system kb had to ask did not answer properly."""

    status = 502
    code = "upstream_error"


@rt_bp.post("/api/v1/integrations/rt/ticket-resolved")
@api_doc(
    body=body({"ticket": whole(1, 10**9)}, required=["ticket"]),
    response=obj(
        {"ticket": STRING, "escalation": STRING, "outcome": STRING},
        required=["ticket", "escalation", "outcome"],
    ),
    notes="Called by an RT scrip; send X-KB-RT-Secret.",
)
@authenticates_itself
def rt_ticket_resolved():
    """Called by an RT scrip on resolution. Only the ticket number is read from the payload:
    kb asks RT itself whether and how the ticket was resolved."""
    state = kb_state()
    secret = state.config.get("RT_SCRIP_SECRET") or ""
    if not secret:
        raise NotFound("The RT scrip endpoint is off: set RT_SCRIP_SECRET to turn it on.")
    given = request.headers.get("X-KB-RT-Secret", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized("Missing or wrong X-KB-RT-Secret.")
    payload = request_json()
    ticket = payload.get("ticket") if isinstance(payload, dict) else None
    number = None if isinstance(ticket, bool) else whole_number(str(ticket or "").strip())
    if number is None:
        raise Invalid('Send {"ticket": <RT ticket number>}.', fields={"ticket": "a number"})
    ref = str(number)
    escalation = get_db().scalar(
        select(Escalation).where(
            Escalation.ticket_system == rt_tickets.SYSTEM, Escalation.ticket_ref == ref
        )
    )
    if escalation is None:
        raise NotFound(f"RT ticket {ref} was not created by kb.")
    escalation_id, public_id = escalation.id, escalation.public_id
    get_db().close()
    try:
        outcome = rt_tickets.sync_ticket(
            state, rt_tickets.client_for(state.config), escalation_id, ref
        )
    except RTError as error:
        raise UpstreamError(f"Could not read the ticket from RT: {error}") from error
    return jsonify({"ticket": ref, "escalation": public_id, "outcome": outcome})


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
