"""What the escalation form already knows, so nothing is asked twice: the values the
diagnostic session captured and the signed-in person's account fill the form's fields and the
escalation step's questions ("The team will need"). The one place that maps variable names
to form fields; the form shows what is known as a summary the person can still edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kb.escalation.intake import EscalationRequest
from kb.escalation.requester import Identity

# Form field -> the session variables (or account fields) that answer it, first match wins.
FIELD_VARIABLES: dict[str, tuple[str, ...]] = {
    "requester_name": ("name",),
    "requester_email": ("email",),
    "requester_phone": ("phone", "phone_number"),
    "requester_location": ("location",),
}


@dataclass(frozen=True)
class Prefill:
    fields: dict[str, str] = field(default_factory=dict)  # form field -> value
    answers: dict[str, str] = field(default_factory=dict)  # escalation question -> value


def known_values(base: EscalationRequest | None, who: Identity | None) -> dict[str, str]:
    """The account's fields, then the session's values over them (typed later, more exact).
    A technician escalating for a caller has no ``who``: only the session speaks."""
    known: dict[str, str] = {}
    if who is not None:
        known.update(name=who.name, email=who.email, phone=who.phone, location=who.location)
    if base is not None:
        known.update({k: str(v) for k, v in base.variables.items()})
    return {k: v.strip() for k, v in known.items() if v is not None and str(v).strip()}


def form_prefill(base: EscalationRequest | None, who: Identity | None) -> Prefill:
    """The escalation form's starting values for a request (``base``: from a session)."""
    known = known_values(base, who)
    fields = {
        name: next((known[v] for v in names if v in known), "")
        for name, names in FIELD_VARIABLES.items()
    }
    answers: dict[str, str] = {}
    if base is not None:
        for question, variable in base.ask_variables.items():
            if question in base.answers_to_ask and known.get(variable):
                answers[question] = known[variable]
    return Prefill(fields={k: v for k, v in fields.items() if v}, answers=answers)


def replies(
    asks: list[str], given: Any, known: dict[str, str], limit: int = 1000
) -> dict[str, str]:
    """The answers to the escalation step's questions as sent (``ask-0``, ``ask-1``...); a
    question left out of the request (a JSON client) keeps what is already known."""
    result = {}
    for index, question in enumerate(asks):
        sent = given.get(f"ask-{index}")
        value = known.get(question, "") if sent is None else sent
        result[question] = str(value or "").strip()[:limit]
    return result
