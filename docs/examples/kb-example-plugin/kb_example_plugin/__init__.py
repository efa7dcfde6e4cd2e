"""An example kb plugin: new escalations are posted to a chat channel, and technicians get a
page listing the latest escalations.

Installed as a package with an entry point in group "kb" (see pyproject.toml), so kb loads it
at start-up; ``kb plugins`` shows it with its version and hooks.
"""

from __future__ import annotations

import json
import urllib.request

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from kb import hookimpl
from kb.auth.policy import require
from kb.db import get_db
from kb.models import Escalation

bp = Blueprint("example_chat", __name__, template_folder="templates")


@hookimpl
def kb_escalation_created(kb, escalation, delivery_key):
    """Post the escalation to the chat channel.

    A reliable event: kb calls this from its outbox, retrying with backoff if it raises, so a
    chat server that is down gets the message later. ``delivery_key`` is the same on every
    retry; a chat webhook cannot use it, so a retry after a lost answer may post twice.
    """
    url = kb.config.get("EXAMPLE_CHAT_WEBHOOK_URL")
    if not url:
        return
    text = (
        f":rotating_light: **{escalation.priority}** {escalation.summary} "
        f"({escalation.group_name}, from {escalation.requester_name}) {escalation.status_url}"
    )
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # non-2xx raises: retried
        response.read()


@hookimpl
def kb_register_blueprints(kb):
    return [bp]


@bp.get("/example/escalations")
@login_required
def latest_escalations():
    require(current_user, "ticket.work")  # technicians and above, like the queue
    escalations = get_db().scalars(
        select(Escalation).order_by(Escalation.created_at.desc()).limit(20)
    )
    return render_template("example_chat/latest.html", escalations=escalations)
