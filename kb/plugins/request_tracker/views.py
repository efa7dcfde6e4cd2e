"""The endpoint Request Tracker's scrip calls when a ticket is resolved. It proves itself with
a shared secret (RT_SCRIP_SECRET), not a session, so it takes no CSRF token. It only records
the notice and answers 202: the worker reads the ticket from RT afterwards (notices.py)."""

from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request

from kb.api import request_json
from kb.api.docs import STRING, api_doc, body, obj, whole
from kb.db import get_db
from kb.errors import Invalid, NotFound, Unauthorized
from kb.escalation.service import by_ticket
from kb.extensions import authenticates_itself, kb_state
from kb.limits import whole_number
from kb.plugins.request_tracker import notices
from kb.plugins.request_tracker import tickets as rt_tickets

rt_bp = Blueprint("request_tracker", __name__)


def _number(payload, name: str) -> int | None:
    value = payload.get(name) if isinstance(payload, dict) else None
    return None if isinstance(value, bool) else whole_number(str(value or "").strip())


@rt_bp.post("/api/v1/integrations/rt/ticket-resolved")
@api_doc(
    body=body({"ticket": whole(1, 10**9), "transaction": whole(1, 10**12)}, required=["ticket"]),
    response=obj(
        {"ticket": STRING, "escalation": STRING, "outcome": STRING},
        required=["ticket", "escalation", "outcome"],
    ),
    status=202,
    notes="Called by an RT scrip; send X-KB-RT-Secret. kb reads the ticket from RT later.",
)
@authenticates_itself
def rt_ticket_resolved():
    """Called by an RT scrip on resolution. Only the ticket (and transaction) number is read
    from the payload: the worker asks RT itself whether and how the ticket was resolved."""
    state = kb_state()
    secret = state.config.get("RT_SCRIP_SECRET") or ""
    if not secret:
        raise NotFound("The RT scrip endpoint is off: set RT_SCRIP_SECRET to turn it on.")
    given = request.headers.get("X-KB-RT-Secret", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized("Missing or wrong X-KB-RT-Secret.")
    payload = request_json()
    number = _number(payload, "ticket")
    if number is None:
        raise Invalid('Send {"ticket": <RT ticket number>}.', fields={"ticket": "a number"})
    given_transaction = isinstance(payload, dict) and payload.get("transaction") not in (None, "")
    transaction = _number(payload, "transaction") if given_transaction else None
    if given_transaction and (transaction is None or transaction > 10**12):
        raise Invalid(
            '"transaction" must be RT\'s transaction number.', fields={"transaction": "a number"}
        )
    ref = str(number)
    session = get_db()
    escalation = by_ticket(session, rt_tickets.SYSTEM, ref)
    if escalation is None:
        raise NotFound(f"RT ticket {ref} was not created by kb.")
    public_id = escalation.public_id
    _, new = notices.record(session, escalation.id, ref, transaction)
    outcome = "queued" if new else "already_queued"
    return jsonify({"ticket": ref, "escalation": public_id, "outcome": outcome}), 202
