"""Signed webhooks: kb's reliable events POSTed to WEBHOOK_URLS (through the outbox, so a
target that is down gets them later), and an inbound "ticket resolved" endpoint for any other
ticketing system (on when WEBHOOK_INBOUND_SECRET is set). See docs/plugins.md.
"""

from __future__ import annotations

from kb import hookimpl
from kb.plugins.webhooks.outbound import post_event
from kb.plugins.webhooks.views import webhooks_bp


def configured(config) -> bool:
    return bool(config.get("WEBHOOK_URLS")) or bool(config.get("WEBHOOK_INBOUND_SECRET"))


@hookimpl
def kb_check_config(config):
    urls = config.get("WEBHOOK_URLS") or []
    if isinstance(urls, str) or not isinstance(urls, list | tuple):
        return ['WEBHOOK_URLS must be a list, e.g. ["https://..."]']
    problems = [
        f"{url!r} in WEBHOOK_URLS is not an http(s) URL"
        for url in urls
        if not str(url).startswith(("http://", "https://"))
    ]
    if urls and not config.get("WEBHOOK_SECRET"):
        problems.append("WEBHOOK_URLS is set but WEBHOOK_SECRET is not")
    return problems


def _send(kb, hook: str, delivery_key: str, record) -> None:
    if kb.config.get("WEBHOOK_URLS"):
        post_event(kb.config, hook, delivery_key, record)


@hookimpl
def kb_escalation_created(kb, escalation, delivery_key):
    _send(kb, "kb_escalation_created", delivery_key, escalation)


@hookimpl
def kb_ticket_resolved(kb, resolution, delivery_key):
    _send(kb, "kb_ticket_resolved", delivery_key, resolution)


@hookimpl
def kb_followup_due(kb, followup, delivery_key):
    _send(kb, "kb_followup_due", delivery_key, followup)


@hookimpl
def kb_followup_answered(kb, followup, delivery_key):
    _send(kb, "kb_followup_answered", delivery_key, followup)


@hookimpl
def kb_outage_changed(kb, outage, delivery_key):
    _send(kb, "kb_outage_changed", delivery_key, outage)


@hookimpl
def kb_approval_decided(kb, approval, delivery_key):
    _send(kb, "kb_approval_decided", delivery_key, approval)


@hookimpl
def kb_register_blueprints(kb):
    if not kb.config.get("WEBHOOK_INBOUND_SECRET"):
        return None
    return [webhooks_bp]
