"""kb-teams-notify: new escalations and outage news posted to a chat channel (a Microsoft
Teams incoming webhook, or anything else that takes ``{"text": ...}``), and a page for
technicians saying where they go.

Written from docs/plugins.md alone. Settings (``instance/config.py`` or ``KB_*``):

- ``TEAMS_WEBHOOK_URL``: the channel's webhook, ``https://`` only. Unset: the plugin is quiet.
- ``TEAMS_ALLOW_INSECURE_LOCALHOST``: allow ``http://127.0.0.1`` too (tests, a local relay).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from kb import hookimpl
from kb.auth.policy import require
from kb.db import get_db
from kb.extensions import kb_state
from kb.http_client import send_json
from kb.models import Escalation
from kb.outbox import PermanentFailure

SETTING = "TEAMS_WEBHOOK_URL"
INSECURE = "TEAMS_ALLOW_INSECURE_LOCALHOST"

bp = Blueprint("teams_notify", __name__, template_folder="templates")


def url_problem(url: object, allow_insecure_localhost: bool) -> str | None:
    """Why ``url`` cannot be the webhook, or None when it can."""
    if not isinstance(url, str):
        return f"{SETTING} must be a string, not {type(url).__name__}"
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if allow_insecure_localhost and parts.scheme == "http" and parts.hostname == "127.0.0.1":
        return None
    allowed = "https:// URL" + (" (or http://127.0.0.1)" if allow_insecure_localhost else "")
    return f"{SETTING} must be an {allowed}, not {url!r}"


@hookimpl
def kb_check_config(config):
    url = config.get(SETTING)
    if not url:
        return []  # installed but not configured: nothing is sent
    problem = url_problem(url, config.get(INSECURE) is True)
    return [problem] if problem else []


def post(kb, text: str, delivery_key: str) -> None:
    """Post one message; raise to have the outbox retry it."""
    url = kb.config.get(SETTING)
    if not url:
        return
    response = send_json(
        "POST",
        url,
        {"text": text},
        # The same on every retry of this delivery: a relay that keeps it can drop duplicates
        # (Teams itself cannot, so a retry after a lost answer may post twice).
        headers={"X-KB-Delivery": delivery_key},
        timeout=10,
    )  # no answer at all raises TransportError: retried
    if response.ok:
        return
    error = f"{SETTING} answered {response.status}: {response.text[:200]}"
    if 400 <= response.status < 500 and response.status not in (408, 429):
        raise PermanentFailure(error)  # a request the channel refuses will never work
    raise RuntimeError(error)


@hookimpl
def kb_escalation_created(kb, escalation, delivery_key):
    who = escalation.requester_name + (
        f", {escalation.requester_location}" if escalation.requester_location else ""
    )
    text = (
        f"**{escalation.priority}** {escalation.summary}\n\n"
        f"{escalation.group_name or escalation.group} · from {who} · "
        f"respond by {escalation.response_due:%Y-%m-%d %H:%M} UTC\n\n{escalation.status_url}"
    )
    post(kb, text, delivery_key)


@hookimpl
def kb_outage_changed(kb, outage, delivery_key):
    heading = {"declared": "Outage", "updated": "Outage update", "closed": "Outage over"}
    lines = [f"**{heading.get(outage.change, 'Outage')}: {outage.title}** ({outage.service})"]
    if outage.change == "closed":
        lines.append(f"Restored after {outage.duration_minutes} minutes. {outage.cause}".strip())
    else:
        lines.append(outage.latest_update or outage.user_message)
    if outage.url:
        lines.append(outage.url)
    post(kb, "\n\n".join(lines), delivery_key)


@hookimpl
def kb_register_blueprints(kb):
    return [bp]


@bp.get("/teams")
@login_required
def channel():
    require(current_user, "ticket.work")  # technicians and above; 403 for requesters
    url = kb_state().config.get(SETTING) or ""
    escalations = get_db().scalars(
        select(Escalation).order_by(Escalation.created_at.desc()).limit(20)
    )
    return render_template(
        "teams_notify/channel.html", host=urlsplit(url).hostname or "", escalations=escalations
    )
