"""Request Tracker 5 over its REST2 API: escalations become RT tickets, and RT's resolutions
come back into kb (a periodic poll, and an endpoint an RT scrip calls on resolution, whose
notices the worker delivers through the outbox).

On when RT_URL is set (with RT_TOKEN, or RT_USER and RT_PASSWORD); see docs/plugins.md.
It answers ``kb_create_ticket`` before the local queue, so a site with RT gets its tickets
there.
"""

from __future__ import annotations

import logging

from kb import hookimpl
from kb.models import FollowUp
from kb.outbox import PermanentFailure
from kb.plugins.request_tracker import notices
from kb.plugins.request_tracker import tickets as rt_tickets
from kb.plugins.request_tracker.client import RTError
from kb.plugins.request_tracker.views import rt_bp
from kb.records import Job, TicketRef

log = logging.getLogger(__name__)


def configured(config) -> bool:
    return bool(config.get("RT_URL"))


@hookimpl
def kb_check_config(config):
    problems = []
    if not (config.get("RT_TOKEN") or (config.get("RT_USER") and config.get("RT_PASSWORD"))):
        problems.append(
            "RT_URL is set but not how to sign in: set RT_TOKEN, or RT_USER and RT_PASSWORD"
        )
    if not str(config["RT_URL"]).startswith(("http://", "https://")):
        problems.append(f"RT_URL {config['RT_URL']!r} is not an http(s) URL")
    return problems


@hookimpl
def kb_create_ticket(kb, escalation, idempotency_key):
    client = rt_tickets.client_for(kb.config)
    try:
        ticket_id, status = rt_tickets.find_or_create(
            client, escalation, idempotency_key, kb.config
        )
    except RTError as error:
        if error.permanent:
            raise PermanentFailure(str(error)) from error
        raise
    return TicketRef(
        system=rt_tickets.SYSTEM, ref=ticket_id, url=client.ticket_url(ticket_id), status=status
    )


@hookimpl
def kb_followup_answered(kb, followup, delivery_key):
    if followup.status != "not_fixed" or followup.ticket_system != rt_tickets.SYSTEM:
        return
    if not followup.ticket_ref:
        return
    with kb.session() as session:
        row = session.get(FollowUp, followup.id)
        comment = row.answer_comment if row else ""
    outcome = rt_tickets.reopen_ticket(
        rt_tickets.client_for(kb.config), followup.ticket_ref, followup, comment, kb.config
    )
    log.info("RT ticket %s: %s (follow-up not fixed)", followup.ticket_ref, outcome)


def poll(kb) -> rt_tickets.FollowReport:
    report = rt_tickets.follow_tickets(kb, rt_tickets.client_for(kb.config))
    for line in report.errors:
        log.warning("request_tracker poll: %s", line)
    if report.resolved:
        log.info("request_tracker poll: %d tickets resolved in RT", report.resolved)
    return report


@hookimpl
def kb_register_jobs(kb):
    return [Job("request_tracker.poll", float(kb.config["RT_POLL_SECONDS"]), poll)]


@hookimpl
def kb_register_blueprints(kb):
    # Called once per app at start-up (web and worker alike): the moment to let the app's
    # outbox deliver the scrip's notices, which the blueprint's endpoint queues.
    notices.install(kb)
    return [rt_bp]
