"""The local ticket queue for technicians (registered by the local_tickets plugin)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from kb.api.docs import (
    INTEGER,
    STRING,
    api_doc,
    array,
    obj,
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
from kb.outages.service import attached, open_outages
from kb.plugins.local_tickets.schemas import (
    QueueQuery,
    TicketAssign,
    TicketComment,
    TicketResolve,
)
from kb.schemas import from_form, from_json, from_query

bp = Blueprint("queue", __name__)

ROW = obj(
    {"id": INTEGER, "status": STRING, "summary": STRING, "group": STRING, "priority": STRING},
    required=["id", "status"],
)
STATES = ("on_track", "at_risk", "breached")


def _filters() -> dict:
    query = from_query(QueueQuery)
    return {
        "group": query.group,
        "priority": query.priority,
        "state": query.state,
        "assignee_id": current_user.id if query.mine else None,
        "include_resolved": query.resolved,
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
    query=QueueQuery,
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
    email = from_form(TicketAssign).assignee.strip()
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
    given = from_form(TicketComment, {"public": request.form.get("public") == "1"})
    tickets.comment(item, current_user, given.body, public=given.public)
    session.commit()
    flash("Comment added.", "success")
    return redirect(url_for("queue.ticket", ticket_id=ticket_id))


@bp.post("/queue/<int:ticket_id>/resolve")
@login_required
def resolve(ticket_id: int):
    require(current_user, "ticket.work")
    form = request.form
    # The form's own encoding: ticked article boxes plus a comma-separated box, and a
    # checkbox that is absent when not ticked.
    articles = [
        s.strip()
        for s in form.getlist("articles") + form.get("more_articles", "").split(",")
        if s.strip()
    ]
    given = from_form(
        TicketResolve, {"articles": articles, "create_draft": form.get("create_draft") == "1"}
    )
    skipped = _resolve(ticket_id, given)
    flash("Resolved. The resolution has been written into the knowledge base.", "success")
    for item in skipped:
        flash(f"Not logged in {item['slug']}: {item['reason']}", "info")
    return redirect(url_for("queue.ticket", ticket_id=ticket_id))


def _resolve(ticket_id: int, given: TicketResolve) -> list[dict]:
    """Resolve the ticket as the signed-in technician, in a transaction of its own (retried on a
    lost race); answers what could not be logged in the articles named."""
    user_id = current_user.id

    def work(session):
        return tickets.resolve(
            session,
            kb_state(),
            tickets.ticket_by_id(session, ticket_id),
            session.get(User, user_id),
            given.resolution,
            given.articles,
            create_draft=given.create_draft,
            followup_days=given.followup_days,
            followup_text=given.followup_text,
        )

    return with_retries(kb_state(), work)


@bp.post("/api/v1/queue/<int:ticket_id>/resolve")
@api_doc(
    body=TicketResolve,
    response=obj({**ROW["properties"], "skipped": array(obj({"slug": STRING}))}, required=["id"]),
)
@login_required
def resolve_api(ticket_id: int):
    require(current_user, "ticket.work")
    given = from_json(TicketResolve)
    skipped = _resolve(ticket_id, given)
    item = tickets.ticket_by_id(get_db(), ticket_id)
    row = _row_json(tickets.queue_row(item, utcnow(), kb_state().config["SLA_AT_RISK_FRACTION"]))
    return jsonify({**row, "skipped": skipped})
