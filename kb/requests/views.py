"""Request pages: the "Ask the help desk" chooser, each type's form and its JSON twin, the
approver's page (reached by the signed link, no account needed) and the staff's "new
approval link" for help desks that send no e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from kb.api import json_object
from kb.api.docs import STRING, api_doc, obj
from kb.auth.policy import require
from kb.db import get_db
from kb.errors import Invalid, NotFound
from kb.escalation.requester import account_identity, sends_mail
from kb.escalation.service import by_public_id
from kb.extensions import kb_state
from kb.requests import approvals
from kb.requests.schemas import ApprovalDecision, RequestCreate
from kb.requests.service import NewRequest, submit
from kb.requests.types import RequestType, request_types
from kb.schemas import check, form_values

bp = Blueprint("requests", __name__)

ANSWER = "answer-"  # the form's name prefix for a type's own fields


def _type(key: str) -> RequestType:
    kind = request_types(kb_state()).get(key)
    if kind is None:
        raise NotFound("There is no such kind of request. Choose one on the list.")
    return kind


def _title(key: str | None) -> str:
    kind = request_types(kb_state()).get(key or "")
    return kind.title if kind else (key or "Request")


def _new_request(given: RequestCreate) -> NewRequest:
    """What was sent, with a signed-in person's account name and e-mail in their place."""
    who = account_identity(current_user if current_user.is_authenticated else None, False)
    return NewRequest(
        requester_name=who.name if who else given.requester_name,
        requester_email=who.email if who else given.requester_email,
        requester_phone=given.requester_phone,
        requester_location=given.requester_location,
        requester_id=current_user.id if current_user.is_authenticated else None,
        approver_email=given.approver_email,
        answers=dict(given.answers),
    )


def _form_input(form: Mapping[str, Any]) -> dict[str, Any]:
    answers = {k.removeprefix(ANSWER): v for k, v in form.items() if k.startswith(ANSWER)}
    return {**form_values(RequestCreate, form), "answers": answers}


@bp.get("/requests")
def choose():
    return render_template("requests/choose.html", types=request_types(kb_state()).values())


@bp.route("/requests/<key>", methods=["GET", "POST"])
def new_request(key: str):
    kind = _type(key)
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = get_db()
        try:
            given = check(RequestCreate, _form_input(request.form))
            escalation = submit(session, kb_state(), kind, _new_request(given))
            session.commit()
        except Invalid as error:
            session.rollback()
            errors = error.fields or {"form": error.message}
        else:
            return redirect(url_for("escalation.status", public_id=escalation.public_id))
    who = account_identity(current_user if current_user.is_authenticated else None, False)
    return render_template(
        "requests/new.html",
        kind=kind,
        who=who,
        errors=errors,
        form=request.form,
        prefill={"requester_phone": who.phone, "requester_location": who.location} if who else {},
        known_owners=bool(kind.owners),
    ), (422 if errors else 200)


@bp.get("/api/v1/request-types")
@api_doc(response=obj({"types": {"type": "array", "items": {"type": "object"}}}))
def types_api():
    return jsonify({"types": [kind.as_json() for kind in request_types(kb_state()).values()]})


@bp.post("/api/v1/requests/<key>")
@api_doc(
    body=RequestCreate,
    response=obj(
        {"id": STRING, "status": STRING, "priority": STRING, "status_url": STRING},
        required=["id", "status", "priority", "status_url"],
    ),
    status=201,
)
def create_api(key: str):
    kind = _type(key)
    given = check(RequestCreate, json_object())
    session = get_db()
    escalation = submit(session, kb_state(), kind, _new_request(given))
    session.commit()
    return jsonify(
        {
            "id": escalation.public_id,
            "status": escalation.status,
            "priority": escalation.priority,
            "status_url": url_for("escalation.status", public_id=escalation.public_id),
        }
    ), 201


# --- the approver ------------------------------------------------------------------------------


@bp.route("/approvals/<link>", methods=["GET", "POST"])
def approve(link: str):
    """The approver's page: the request, then Approve / Decline with a comment."""
    session = get_db()
    approval = approvals.for_link(session, kb_state().config, link)
    errors: dict[str, str] = {}
    if request.method == "POST":
        title = _title(approval.escalation.request_type)
        try:
            given = check(ApprovalDecision, form_values(ApprovalDecision, request.form))
            approvals.decide(session, kb_state(), link, given.decision, given.comment, title)
            session.commit()
        except Invalid as error:
            session.rollback()
            errors = error.fields or {"form": error.message}
        else:
            return render_template("requests/decided.html", approval=approval)
    return render_template(
        "requests/approve.html",
        approval=approval,
        escalation=approval.escalation,
        title=_title(approval.escalation.request_type),
        errors=errors,
        form=request.form,
    ), (422 if errors else 200)


@bp.post("/api/v1/approvals/<link>")
@api_doc(
    body=ApprovalDecision,
    response=obj({"id": STRING, "status": STRING}, required=["id", "status"]),
)
def approve_api(link: str):
    session = get_db()
    given = check(ApprovalDecision, json_object())
    approval = approvals.for_link(session, kb_state().config, link)
    approvals.decide(
        session,
        kb_state(),
        link,
        given.decision,
        given.comment,
        _title(approval.escalation.request_type),
    )
    session.commit()
    return jsonify({"id": approval.escalation.public_id, "status": approval.status})


@bp.post("/escalations/<public_id>/approval-link")
@login_required
def new_approval_link(public_id: str):
    """Staff: a fresh approval link to pass on by hand (any earlier link stops working)."""
    require(current_user, "ticket.work")
    session = get_db()
    escalation = by_public_id(session, public_id)
    if escalation is None or escalation.approval is None:
        raise NotFound("This request needs no approval.")
    url = approvals.issue_link(
        session, kb_state(), escalation.approval, _title(escalation.request_type)
    )
    session.commit()
    if not url.startswith("http"):
        url = request.host_url.rstrip("/") + url
    return render_template(
        "requests/link.html", escalation=escalation, url=url, mail=sends_mail(kb_state().pm)
    )
