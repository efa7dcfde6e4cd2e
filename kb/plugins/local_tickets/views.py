"""The local ticket queue for technicians (registered by the local_tickets plugin)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from kb.api import json_object
from kb.api.docs import (
    BOOLEAN,
    INTEGER,
    SLUG,
    STRING,
    api_doc,
    array,
    body,
    obj,
    one_of,
    text,
    words,
)
from kb.auth.policy import require
from kb.auth.users import find_user
from kb.db import get_db
from kb.errors import Invalid
from kb.escalation import tickets
from kb.escalation.priority import PRIORITIES
from kb.escalation.resilience import with_retries
from kb.extensions import kb_state
from kb.models import Article, Role, User, utcnow

bp = Blueprint("queue", __name__)

ROW = obj(
    {"id": INTEGER, "status": STRING, "summary": STRING, "group": STRING, "priority": STRING},
    required=["id", "status"],
)
STATES = ("on_track", "at_risk", "breached")


def _filters() -> dict:
    args = request.args
    state = args.get("state") or None
    priority = args.get("priority") or None
    if state and state not in STATES:
        raise Invalid("state must be on_track, at_risk or breached.", fields={"state": "unknown"})
    if priority and priority not in PRIORITIES:
        raise Invalid("priority must be P1-P4.", fields={"priority": "unknown"})
    mine = args.get("mine") == "1"
    return {
        "group": args.get("group") or None,
        "priority": priority,
        "state": state,
        "assignee_id": current_user.id if mine else None,
        "include_resolved": args.get("resolved") == "1",
    }


def _row_json(row: tickets.QueueRow) -> dict:
    esc = row.escalation
    return {
        "id": row.ticket.id,
        "status": row.ticket.status,
        "summary": esc.summary,
        "group": esc.group,
        "priority": esc.priority,
        "sla": row.sla_state,
        "response_due": esc.response_due.isoformat(),
        "resolve_due": esc.resolve_due.isoformat(),
        "assignee": row.ticket.assignee.email if row.ticket.assignee else None,
        "requester": esc.requester_name,
        "escalation": esc.public_id,
    }


@bp.get("/queue")
@login_required
def queue():
    require(current_user, "ticket.work")
    config = kb_state().config
    filters = _filters()
    rows = tickets.queue(get_db(), config, **filters)
    counts = {s: sum(1 for r in rows if r.sla_state == s) for s in STATES}
    from kb.outages.service import attached, open_outages

    session = get_db()
    outages = [(o, attached(session, o)) for o in open_outages(session)]
    return render_template(
        "escalation/queue.html",
        rows=rows,
        outages=outages,
        filters=filters,
        counts=counts,
        groups=config.get("SUPPORT_GROUPS") or {},
        priorities=PRIORITIES,
        states=STATES,
        args=request.args,
    )


@bp.get("/api/v1/queue")
@api_doc(
    query={
        "group": text(100),
        "priority": one_of("P1", "P2", "P3", "P4"),
        "state": one_of("on_track", "at_risk", "breached"),
        "mine": one_of("0", "1"),
        "resolved": one_of("0", "1"),
    },
    response=obj({"items": array(ROW), "total": INTEGER}, required=["items", "total"]),
)
@login_required
def queue_api():
    require(current_user, "ticket.work")
    rows = tickets.queue(get_db(), kb_state().config, **_filters())
    return jsonify({"items": [_row_json(r) for r in rows], "total": len(rows)})


@bp.get("/queue/<int:ticket_id>")
@login_required
def ticket(ticket_id: int):
    require(current_user, "ticket.work")
    session = get_db()
    config = kb_state().config
    item = tickets.ticket_by_id(session, ticket_id)
    row = tickets.queue_row(item, utcnow(), config["SLA_AT_RISK_FRACTION"])
    staff = session.scalars(
        select(User)
        .where(
            User.role.in_([r.value for r in Role if r.rank >= Role.TECHNICIAN.rank]),
            User.active.is_(True),
        )
        .order_by(User.email)
    ).all()
    viewed = session.scalars(
        select(Article).where(Article.slug.in_(item.escalation.articles_viewed or []))
    ).all()
    return render_template(
        "escalation/ticket.html",
        ticket=item,
        row=row,
        staff=staff,
        viewed=viewed,
        group_name=(config.get("SUPPORT_GROUPS") or {}).get(
            item.escalation.group, item.escalation.group
        ),
    )


@bp.post("/queue/<int:ticket_id>/assign")
@login_required
def assign(ticket_id: int):
    require(current_user, "ticket.work")
    session = get_db()
    item = tickets.ticket_by_id(session, ticket_id)
    email = request.form.get("assignee", "").strip()
    assignee = find_user(session, email) if email else None
    if email and assignee is None:
        raise Invalid(f"No user {email}.", fields={"assignee": "unknown"})
    tickets.assign(session, item, assignee, current_user)
    session.commit()
    flash("Assignment saved.", "success")
    return redirect(url_for("queue.ticket", ticket_id=ticket_id))


@bp.post("/queue/<int:ticket_id>/comment")
@login_required
def comment(ticket_id: int):
    require(current_user, "ticket.work")
    session = get_db()
    item = tickets.ticket_by_id(session, ticket_id)
    tickets.comment(
        item, current_user, request.form.get("body", ""), public=request.form.get("public") == "1"
    )
    session.commit()
    flash("Comment added.", "success")
    return redirect(url_for("queue.ticket", ticket_id=ticket_id))


@bp.post("/queue/<int:ticket_id>/resolve")
@login_required
def resolve(ticket_id: int):
    require(current_user, "ticket.work")
    form = request.form
    articles = [
        s.strip()
        for s in form.getlist("articles") + form.get("more_articles", "").split(",")
        if s.strip()
    ]
    followup = form.get("followup_days", "").strip()
    try:
        days = float(followup) if followup else None
    except ValueError:
        raise Invalid(
            "Follow-up days must be a number.", fields={"followup_days": "number"}
        ) from None
    user_id = current_user.id

    def work(session):
        return tickets.resolve(
            session,
            kb_state(),
            tickets.ticket_by_id(session, ticket_id),
            session.get(User, user_id),
            form.get("resolution", ""),
            articles,
            create_draft=form.get("create_draft") == "1",
            followup_days=days,
            followup_text=form.get("followup_text", ""),
        )

    skipped = with_retries(kb_state(), work)
    flash("Resolved. The resolution has been written into the knowledge base.", "success")
    for item in skipped:
        flash(f"Not logged in {item['slug']}: {item['reason']}", "info")
    return redirect(url_for("queue.ticket", ticket_id=ticket_id))


@bp.post("/api/v1/queue/<int:ticket_id>/resolve")
@api_doc(
    body=body(
        {
            "resolution": words(10_000),
            "articles": array(SLUG, max_items=20),
            "create_draft": BOOLEAN,
        },
        required=["resolution"],
    ),
    response=obj({**ROW["properties"], "skipped": array(obj({"slug": STRING}))}, required=["id"]),
)
@login_required
def resolve_api(ticket_id: int):
    require(current_user, "ticket.work")
    payload = json_object()
    articles = payload.get("articles") or []
    if not isinstance(articles, list) or not all(isinstance(a, str) for a in articles):
        raise Invalid("articles must be a list of slugs.", fields={"articles": "list"})
    user_id = current_user.id

    def work(session):
        return tickets.resolve(
            session,
            kb_state(),
            tickets.ticket_by_id(session, ticket_id),
            session.get(User, user_id),
            str(payload.get("resolution", "")),
            articles,
            create_draft=bool(payload.get("create_draft", True)),
        )

    skipped = with_retries(kb_state(), work)
    item = tickets.ticket_by_id(get_db(), ticket_id)
    row = _row_json(tickets.queue_row(item, utcnow(), kb_state().config["SLA_AT_RISK_FRACTION"]))
    return jsonify({**row, "skipped": skipped})
