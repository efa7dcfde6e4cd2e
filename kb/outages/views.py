"""Outage pages and their JSON twins; the banner comes from a context processor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from kb.api.docs import api_doc
from kb.articles.reading import facet_counts
from kb.auth.policy import can, require
from kb.db import get_db
from kb.errors import Invalid
from kb.extensions import kb_state
from kb.models import Outage, OutageSubscription
from kb.outages import service
from kb.outages.schemas import (
    OutageClose,
    OutageDeclare,
    OutageLists,
    OutageNote,
    OutageRecord,
    OutageUpdate,
    Subscribe,
    SubscriptionRecord,
)
from kb.schemas import choices, from_form, from_json

bp = Blueprint("outages", __name__)


def outage_record(outage: Outage) -> OutageRecord:
    return OutageRecord(
        id=outage.id,
        service=outage.service,
        title=outage.title,
        user_message=outage.user_message,
        impact=outage.impact,
        status=outage.status,
        started_at=outage.started_at.isoformat(),
        expected_restoration_at=outage.expected_restoration_at.isoformat()
        if outage.expected_restoration_at
        else None,
        restored_at=outage.restored_at.isoformat() if outage.restored_at else None,
        duration_minutes=outage.duration_minutes,
        cause=outage.cause,
        updates=[OutageNote(at=u.at.isoformat(), text=u.text) for u in outage.updates],
    )


def outage_json(outage: Outage) -> dict[str, Any]:
    return outage_record(outage).answer()


def init_banner(app: Flask) -> None:
    @app.context_processor
    def _open_outages() -> dict[str, Any]:
        if "kb_outages" not in g:
            try:
                g.kb_outages = service.open_outages(get_db())
            except Exception:  # the banner must never break a page (e.g. during start-up)
                g.kb_outages = []
        return {"open_outages": g.kb_outages}


@bp.get("/outages")
def index():
    session = get_db()
    return render_template(
        "outages/index.html", current=service.open_outages(session), past=service.history(session)
    )


@bp.get("/outages/<int:outage_id>")
def show(outage_id: int):
    session = get_db()
    outage = service.get(session, outage_id)
    attached = service.attached(session, outage) if can(current_user, "ticket.work") else []
    return render_template("outages/show.html", outage=outage, attached=attached)


@bp.route("/outages/new", methods=["GET", "POST"])
@login_required
def declare():
    require(current_user, "outage.declare")
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = get_db()
        try:
            values = from_form(OutageDeclare)
            outage = service.declare(
                session, kb_state(), actor=current_user.email, **values.model_dump()
            )
            session.commit()
        except Invalid as error:
            session.rollback()
            errors = error.fields
        else:
            flash("Outage declared: every page now shows the banner.", "success")
            return redirect(url_for("outages.show", outage_id=outage.id))
    return render_template(
        "outages/new.html",
        errors=errors,
        form=request.form,
        services=_services(),
        impacts=choices(OutageDeclare, "impact"),
    ), (422 if errors else 200)


def _services() -> list[str]:
    return [value for value, _ in facet_counts(get_db(), current_user)["service"]]


@bp.post("/outages/<int:outage_id>/updates")
@login_required
def add_update(outage_id: int):
    require(current_user, "outage.declare")
    session = get_db()
    outage = service.get(session, outage_id)
    values = from_form(OutageUpdate)
    service.post_update(
        session, kb_state(), outage, actor=current_user.email, **values.model_dump()
    )
    session.commit()
    flash("Update posted.", "success")
    return redirect(url_for("outages.show", outage_id=outage_id))


@bp.post("/outages/<int:outage_id>/close")
@login_required
def close(outage_id: int):
    require(current_user, "outage.declare")
    session = get_db()
    outage = service.get(session, outage_id)
    values = from_form(OutageClose)
    service.close(session, kb_state(), outage, actor=current_user.email, **values.model_dump())
    session.commit()
    flash(f"Outage closed after {outage.duration_minutes} minutes.", "success")
    return redirect(url_for("outages.show", outage_id=outage_id))


@bp.post("/outages/<int:outage_id>/subscribe")
def subscribe(outage_id: int):
    subscription = _subscribe(outage_id, from_form(Subscribe))
    if subscription.confirmed_at is not None:
        flash(f"We will e-mail updates to {subscription.email}.", "success")
    else:
        flash(
            f"We sent a link to {subscription.email}: updates start once it is opened "
            "and confirmed.",
            "info",
        )
    return redirect(url_for("outages.show", outage_id=outage_id))


def _subscribe(outage_id: int, given: Subscribe) -> OutageSubscription:
    """A signed-in person's own address needs no confirmation; any other gets a link."""
    session = get_db()
    outage = service.get(session, outage_id)
    own = current_user.email if current_user.is_authenticated else ""
    email = (given.email or own).strip().lower()
    subscription = service.subscribe(
        session, kb_state(), outage, email, confirmed=bool(own) and email == own
    )
    session.commit()
    return subscription


@bp.post("/api/v1/outages/<int:outage_id>/subscriptions")
@api_doc(body=Subscribe, response=SubscriptionRecord, status=201)
def subscribe_api(outage_id: int):
    """Ask for e-mail updates of an open outage (confirmed by a link unless it is your own)."""
    subscription = _subscribe(outage_id, from_json(Subscribe))
    return jsonify(
        SubscriptionRecord(
            email=subscription.email, confirmed=subscription.confirmed_at is not None
        ).answer()
    ), 201


@bp.route("/outages/confirm/<link>", methods=["GET", "POST"])
def confirm_subscription(link: str):
    """The link from the confirmation mail: a page with a button (so a mail scanner that
    follows links confirms nothing), and the button confirms."""
    session = get_db()
    config = kb_state().config
    if request.method == "POST":
        subscription = service.confirm(session, config, link)
        session.commit()
        return render_template("outages/confirm.html", subscription=subscription, done=True)
    subscription = service.subscription_for_link(session, config, link)
    return render_template(
        "outages/confirm.html",
        subscription=subscription,
        done=subscription.confirmed_at is not None,
    )


@bp.get("/outages/unsubscribe/<token>")
def unsubscribe(token: str):
    session = get_db()
    service.unsubscribe(session, token)
    session.commit()
    return render_template("outages/unsubscribed.html")


@bp.get("/api/v1/outages")
@api_doc(response=OutageLists)
def list_api():
    session = get_db()
    return jsonify(
        {
            "open": [outage_json(o) for o in service.open_outages(session)],
            "past": [outage_json(o) for o in service.history(session, 50)],
        }
    )


@bp.get("/api/v1/outages/<int:outage_id>")
@api_doc(response=OutageRecord)
def get_api(outage_id: int):
    return jsonify(outage_json(service.get(get_db(), outage_id)))


@bp.post("/api/v1/outages")
@api_doc(
    notes="Also read: started_at and expected_restoration_at (ISO date-times, the expected "
    "end after the start; a local time without zone is UTC).",
    body=OutageDeclare,
    response=OutageRecord,
    status=201,
)
@login_required
def declare_api():
    require(current_user, "outage.declare")
    values = from_json(OutageDeclare)
    session = get_db()
    outage = service.declare(session, kb_state(), actor=current_user.email, **values.model_dump())
    session.commit()
    return jsonify(outage_json(outage)), 201


@bp.post("/api/v1/outages/<int:outage_id>/updates")
@api_doc(
    body=OutageUpdate,
    response=OutageRecord,
    status=201,
    notes="Also read: expected_restoration_at (an ISO date-time after the start).",
)
@login_required
def update_api(outage_id: int):
    require(current_user, "outage.declare")
    session = get_db()
    outage = service.get(session, outage_id)
    values = from_json(OutageUpdate)
    service.post_update(
        session, kb_state(), outage, actor=current_user.email, **values.model_dump()
    )
    session.commit()
    return jsonify(outage_json(outage)), 201


@bp.post("/api/v1/outages/<int:outage_id>/close")
@api_doc(
    body=OutageClose,
    response=OutageRecord,
    notes="Also read: restored_at (an ISO date-time, not before the start; default now).",
)
@login_required
def close_api(outage_id: int):
    require(current_user, "outage.declare")
    session = get_db()
    outage = service.get(session, outage_id)
    values = from_json(OutageClose)
    service.close(session, kb_state(), outage, actor=current_user.email, **values.model_dump())
    session.commit()
    return jsonify(outage_json(outage))
