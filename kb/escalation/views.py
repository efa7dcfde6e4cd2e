"""Requester-facing escalation pages (form, status), follow-up answers, the technicians'
follow-up list and the admins' outbox page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from kb import followups, outbox
from kb.api import json_object
from kb.api.docs import STRING, api_doc, obj
from kb.auth.policy import can, require
from kb.config import service_catalogue
from kb.db import get_db
from kb.errors import Invalid, NotFound
from kb.escalation import tickets
from kb.escalation.intake import EscalationRequest, create_escalation, escalation_request
from kb.escalation.prefill import form_prefill
from kb.escalation.prefill import replies as ask_replies
from kb.escalation.priority import sla_state
from kb.escalation.requester import Identity, account_identity, for_a_caller, status_facts
from kb.escalation.schemas import EscalationCreate
from kb.escalation.service import by_public_id
from kb.extensions import kb_state
from kb.models import utcnow
from kb.outages.service import open_outages
from kb.schemas import check, form_values
from kb.trees.handoff import transcript_text_for

bp = Blueprint("escalation", __name__)

IMPACT_CHOICES = [
    ("low", "Just me"),
    ("medium", "My team or several people"),
    ("high", "A whole department, site or service"),
]
URGENCY_CHOICES = [
    ("low", "I can keep working; it is an inconvenience"),
    ("medium", "My work is slowed down"),
    ("high", "I cannot work at all / a deadline is at risk"),
]


def _prefill_from_session(token: str | None) -> EscalationRequest | None:
    """The diagnostic session's transcript and escalation node, if the session exists."""
    if not token:
        return None
    return escalation_request(get_db(), kb_state(), token, current_user)


def transcript_shown(token: str | None, as_sent: str) -> str:
    """What was tried, as this person may see it: technicians and above get the transcript as
    it is sent to the help desk; others get it rebuilt from the session through the tree's
    self-service projection (nothing if the session is gone)."""
    if not token or can(current_user, "tree.read_internal"):
        return as_sent
    groups = kb_state().config.get("SUPPORT_GROUPS") or {}
    return transcript_text_for(get_db(), token, current_user, groups) or ""


def identity(token: str | None) -> Identity | None:
    """Who is asking, when their account says so (see kb.escalation.requester)."""
    person = current_user if current_user.is_authenticated else None
    return account_identity(person, for_a_caller(get_db(), token))


def with_identity(values: Mapping[str, Any], who: Identity | None) -> dict[str, Any]:
    """The request's values with the account's name and e-mail in place of anything sent."""
    if who is None:
        return dict(values)
    return {**values, "requester_name": who.name, "requester_email": who.email}


def request_from(
    given: EscalationCreate,
    answers: Mapping[str, Any],
    base: EscalationRequest | None,
    known: Mapping[str, str] | None = None,
) -> EscalationRequest:
    """The escalation to create: what the person gave (form or JSON, through one schema),
    filled in from the diagnostic session's escalation step; ``answers`` holds the answers
    to the step's questions (``ask-0``, ``ask-1``...), ``known`` what was known of them."""
    config = kb_state().config
    asks = list(base.answers_to_ask) if base else []
    replies = ask_replies(asks, answers, dict(known or {}))
    person = current_user if current_user.is_authenticated else None
    values = dict(
        summary=given.summary.strip() or (base.summary if base else ""),
        details=given.details.strip(),
        requester_name=given.requester_name,
        requester_email=given.requester_email,
        requester_phone=given.requester_phone,
        requester_location=given.requester_location,
        requester_id=person.id if person else None,
        impact=(base.impact if base and base.impact else given.impact or ""),
        urgency=(base.urgency if base and base.urgency else given.urgency or ""),
        group=base.group if base else config["DEFAULT_ESCALATION_GROUP"],
        service=base.service if base and base.service else given.service,
    )
    if base is None:
        return EscalationRequest(**values)
    base_fields = {k: v for k, v in base.__dict__.items() if k not in values}
    base_fields["answers_to_ask"] = replies
    return EscalationRequest(**values, **base_fields)


@bp.route("/escalations/new", methods=["GET", "POST"])
def new_escalation():
    token = request.values.get("session")
    base = _prefill_from_session(token)
    if token and base is None:
        raise NotFound("That diagnostic session does not exist or has not ended in escalation.")
    errors: dict[str, str] = {}
    who = identity(token)
    prefill = form_prefill(base, who)
    if request.method == "POST":
        session = get_db()
        try:
            given = check(
                EscalationCreate,
                with_identity(
                    {**form_values(EscalationCreate, request.form), "session": token}, who
                ),
            )
            escalation = create_escalation(
                session, kb_state(), request_from(given, request.form, base, prefill.answers)
            )
            session.commit()
        except Invalid as error:
            session.rollback()
            errors = error.fields
        else:
            return redirect(url_for("escalation.status", public_id=escalation.public_id))
    return render_template(
        "escalation/new.html",
        services=service_catalogue(),
        outages={outage.service: outage for outage in open_outages(get_db())},
        base=base,
        who=who,
        transcript_text=transcript_shown(token, base.transcript_text) if base else "",
        token=token,
        errors=errors,
        prefill=prefill.fields,
        known_answers=prefill.answers,
        impact_choices=IMPACT_CHOICES,
        urgency_choices=URGENCY_CHOICES,
        form=request.form,
    ), (422 if errors else 200)


@bp.get("/escalations/<public_id>")
def status(public_id: str):
    escalation = by_public_id(get_db(), public_id)
    if escalation is None:
        raise NotFound("No such request. Check the link you were given.")
    config = kb_state().config
    now = utcnow()
    return render_template(
        "escalation/status.html",
        escalation=escalation,
        facts=status_facts(get_db(), kb_state(), escalation),
        now=now,
        transcript_text=transcript_shown(escalation.session_token, escalation.transcript_text),
        group_name=(config.get("SUPPORT_GROUPS") or {}).get(escalation.group, escalation.group),
        response_state=sla_state(
            now,
            escalation.created_at,
            escalation.response_due,
            escalation.first_response_at,
            config["SLA_AT_RISK_FRACTION"],
        ),
        public_notes=_public_notes(escalation),
    )


def _public_notes(escalation):
    return tickets.public_notes(get_db(), escalation)


@bp.get("/api/v1/escalations/<public_id>")
@api_doc(
    response=obj(
        {
            "id": STRING,
            "status": STRING,
            "summary": STRING,
            "priority": STRING,
            "group": STRING,
            "created_at": STRING,
            "response_due": STRING,
            "resolve_due": STRING,
            "ticket": {"type": ["object", "null"]},
            "resolution": {"type": ["string", "null"]},
            "kind": STRING,
            "request_type": {"type": ["string", "null"]},
            "answers": {"type": "array", "items": {"type": "object"}},
            "approval": {"type": ["object", "null"]},
        },
        required=["id", "status", "summary", "priority"],
    )
)
def status_api(public_id: str):
    escalation = by_public_id(get_db(), public_id)
    if escalation is None:
        raise NotFound("No such request.")
    return jsonify(
        {
            "id": escalation.public_id,
            "status": escalation.status,
            "summary": escalation.summary,
            "priority": escalation.priority,
            "group": escalation.group,
            "created_at": escalation.created_at.isoformat(),
            "response_due": escalation.response_due.isoformat(),
            "resolve_due": escalation.resolve_due.isoformat(),
            "ticket": {
                "system": escalation.ticket_system,
                "ref": escalation.ticket_ref,
                "status": escalation.ticket_status,
            }
            if escalation.ticket_ref
            else None,
            "resolution": escalation.resolution_text or None,
            "kind": escalation.kind,
            "request_type": escalation.request_type,
            "answers": list(escalation.request_answers or []),
            "approval": _approval_json(escalation.approval),
        }
    )


def _approval_json(approval: Any) -> dict[str, Any] | None:
    """Who must approve a request and what they decided (a request's status, as on the page)."""
    if approval is None:
        return None
    return {
        "approver": approval.approver_email,
        "role": approval.approver_role,
        "status": approval.status,
        "decided_at": approval.decided_at.isoformat() if approval.decided_at else None,
        "comment": approval.comment or None,
    }


@bp.post("/api/v1/escalations")
@api_doc(
    body=EscalationCreate,
    response=obj(
        {"id": STRING, "priority": STRING, "status_url": STRING},
        required=["id", "priority", "status_url"],
    ),
    status=201,
)
def create_api():
    payload = json_object()
    token = payload.get("session")  # a session that is not there is a 404 before the fields
    base = _prefill_from_session(token) if isinstance(token, str) else None
    if token and base is None:
        raise NotFound("That diagnostic session does not exist or has not ended in escalation.")
    who = identity(token)
    given = check(EscalationCreate, with_identity(payload, who))
    session = get_db()
    known = form_prefill(base, who).answers
    escalation = create_escalation(session, kb_state(), request_from(given, payload, base, known))
    session.commit()
    return jsonify(
        {
            "id": escalation.public_id,
            "priority": escalation.priority,
            "status_url": url_for("escalation.status", public_id=escalation.public_id),
        }
    ), 201


# --- follow-ups ---------------------------------------------------------------------------


@bp.route("/followups/<token>", methods=["GET", "POST"])
def answer_followup(token: str):
    session = get_db()
    followup = followups.by_token(session, token)
    if request.method == "POST":
        fixed = request.form.get("fixed")
        if fixed not in ("yes", "no"):
            raise Invalid("Answer yes or no.", fields={"fixed": "yes or no"})
        followups.answer(
            session, kb_state(), followup, fixed == "yes", request.form.get("comment", "")
        )
        session.commit()
        flash(
            "Thank you. "
            + (
                "Glad it is still working."
                if fixed == "yes"
                else "We have reopened your request and will be in touch."
            ),
            "success",
        )
        return redirect(url_for("escalation.answer_followup", token=token))
    return render_template("escalation/followup.html", followup=followup)


@bp.get("/followups")
@login_required
def followup_list():
    require(current_user, "ticket.work")
    session = get_db()
    items = followups.for_technicians(session)
    return render_template(
        "escalation/followups.html",
        items=[(item, followups.delivery(session, item)) for item in items],
        now=utcnow(),
    )


# --- outbox (admins) ------------------------------------------------------------------------


@bp.get("/admin/outbox")
@login_required
def outbox_page():
    require(current_user, "outbox.manage")
    session = get_db()
    counts = outbox.status_counts(session)
    problems = outbox.troubled(session)
    return render_template("escalation/outbox.html", counts=counts, problems=problems)


@bp.post("/admin/outbox/<int:message_id>/retry")
@login_required
def outbox_retry(message_id: int):
    require(current_user, "outbox.manage")
    session = get_db()
    outbox.retry_dead(session, message_id)
    session.commit()
    flash("The delivery will be retried within a minute.", "success")
    return redirect(url_for("escalation.outbox_page"))
