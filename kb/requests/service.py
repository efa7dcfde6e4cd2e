"""Making a request of a type: checking the answers, storing it as an escalation of kind
``request``, and either routing it at once (its type's group and priority, a ticket through
the outbox) or holding it until its approver decides (kb.requests.approvals). Requests never
join an outage: an outage is for things that are broken."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kb.errors import Invalid
from kb.escalation.intake import EMAIL, requester_columns
from kb.escalation.priority import due_times
from kb.models import Escalation, utcnow
from kb.requests import approvals
from kb.requests.routing import AWAITING, route
from kb.requests.types import RequestType


@dataclass
class NewRequest:
    """What a requester gives on a request type's form (or its JSON twin)."""

    requester_name: str
    requester_email: str
    answers: dict[str, str] = field(default_factory=dict)
    requester_phone: str = ""
    requester_location: str = ""
    requester_id: int | None = None
    approver_email: str = ""  # the manager, or a data owner kb does not know


def check_answers(
    kind: RequestType, answers: dict[str, Any]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The answers in the type's order, each ``{name, label, value}``, and a problem for every
    field (``answers.<name>``) that is missing, too long or not one of its choices."""
    problems: dict[str, str] = {}
    checked: list[dict[str, str]] = []
    for question in kind.fields:
        raw = answers.get(question.name, "")
        key = f"answers.{question.name}"
        if not isinstance(raw, str):
            problems[key] = "must be text"
            continue
        value = raw.strip()
        if question.required and not value:
            problems[key] = "is required"
        elif len(value) > question.limit:
            problems[key] = f"at most {question.limit} characters"
        elif value and question.choices and value not in question.choices:
            problems[key] = "choose one of: " + ", ".join(question.choices)
        if value:
            checked.append({"name": question.name, "label": question.label, "value": value})
    return checked, problems


def approver_for(kind: RequestType, given: NewRequest, answers: list[dict[str, str]]) -> str:
    """Who approves: a data owner kb knows for the folder, else the address given."""
    if kind.approver == "data-owner":
        folder = next((a["value"] for a in answers if a["name"] == "folder"), "")
        known = kind.owner_for(folder) if folder else ""
        if known:
            return known.strip().lower()
    return given.approver_email.strip().lower()


def _requester_problems(given: NewRequest, kind: RequestType, approver: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not given.requester_name.strip():
        problems["requester_name"] = "tell us your name"
    email = given.requester_email.strip()
    if not email:
        problems["requester_email"] = "give an e-mail address, so we can tell you what happens"
    elif not EMAIL.match(email) or len(email) > 254:
        problems["requester_email"] = "not an e-mail address"
    for name, limit in (
        ("requester_name", 200),
        ("requester_phone", 50),
        ("requester_location", 200),
    ):
        if len(getattr(given, name)) > limit:
            problems[name] = f"at most {limit} characters"
    if kind.needs_approval:
        who = "your manager's" if kind.approver == "manager" else "the folder owner's"
        if not approver:
            problems["approver_email"] = f"give {who} e-mail address"
        elif not EMAIL.match(approver) or len(approver) > 254:
            problems["approver_email"] = "not an e-mail address"
        elif approver == email.lower():
            problems["approver_email"] = "someone else must approve your request"
    return problems


def summary_of(kind: RequestType, answers: list[dict[str, str]]) -> str:
    """``New software: Adobe Acrobat Pro``: the title and the first answer."""
    first = answers[0]["value"] if answers else ""
    return f"{kind.title}: {first}"[:300] if first else kind.title[:300]


def details_of(answers: list[dict[str, str]]) -> str:
    return "\n".join(f"{a['label']}: {a['value']}" for a in answers)


def submit(
    session: Session, kb: Any, kind: RequestType, given: NewRequest, now: datetime | None = None
) -> Escalation:
    """Store the request; route it now, or hold it and ask its approver. One transaction:
    the caller commits, and an Invalid leaves nothing behind."""
    answers, problems = check_answers(kind, given.answers)
    approver = approver_for(kind, given, answers)
    problems.update(_requester_problems(given, kind, approver))
    if problems:
        raise Invalid("Some details are missing or wrong.", fields=problems)
    now = now or utcnow()
    due = due_times(kind.priority, now, kb.config["SLA_TARGETS"])
    escalation = Escalation(
        public_id=secrets.token_urlsafe(16),
        created_at=now,
        kind="request",
        status=AWAITING if kind.needs_approval else "new",
        request_type=kind.key,
        request_answers=answers,
        summary=summary_of(kind, answers),
        details=details_of(answers),
        service="",
        group=kind.group,
        impact="low",
        urgency="low",
        priority=kind.priority,
        response_due=due.response,
        resolve_due=due.resolution,
        **requester_columns(given),
    )
    session.add(escalation)
    session.flush()
    if kind.needs_approval:
        approvals.ask(session, kb, escalation, kind, approver, now)
    else:
        route(session, kb, escalation, now)
    return escalation
