"""The endpoint Request Tracker's scrip calls when a ticket is resolved. It proves itself with
a shared secret (RT_SCRIP_SECRET), not a session, so it takes no CSRF token."""

from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request

from kb.api import request_json
from kb.api.docs import STRING, api_doc, body, obj, whole
from kb.db import get_db
from kb.errors import Invalid, KbError, NotFound, Unauthorized
from kb.escalation.service import by_ticket
from kb.extensions import authenticates_itself, kb_state
from kb.limits import whole_number
from kb.plugins.request_tracker import tickets as rt_tickets
from kb.plugins.request_tracker.client import RTError

rt_bp = Blueprint("request_tracker", __name__)


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
    escalation = by_ticket(get_db(), rt_tickets.SYSTEM, ref)
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
