"""kb's own ticket queue, on by default so escalations work with nothing else installed.

Answers ``kb_create_ticket`` last (``trylast``): a site that connects Request Tracker or another
system gets its tickets there, and can switch this off with DISABLED_PLUGINS = ["local_tickets"].
"""

from __future__ import annotations

from kb import hookimpl
from kb.config import base_url
from kb.escalation.tickets import create_local_ticket
from kb.plugins.local_tickets.views import bp
from kb.records import TicketRef


@hookimpl(trylast=True)
def kb_create_ticket(kb, escalation, idempotency_key):
    with kb.session() as session:
        ticket = create_local_ticket(session, escalation.id, idempotency_key)
        session.commit()
        base = base_url(kb.config)
        return TicketRef(
            system="local",
            ref=str(ticket.id),
            url=f"{base}/queue/{ticket.id}",
            status=ticket.status,
        )


@hookimpl
def kb_register_blueprints(kb):
    return [bp]
