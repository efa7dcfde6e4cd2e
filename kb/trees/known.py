"""What a session already knows, so nobody is asked twice: the values typed earlier in the
session, and (in self-service, for the person who started it) their account's name, e-mail,
phone and location. A question whose ``answered_by`` maps a known value to one of its answers
is answered from it; an input whose variable is known shows it as an editable default."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Account fields a tree may name as variables (the User model's profile), by variable name.
ACCOUNT_VARIABLES = ("name", "email", "phone", "location")

WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class KnownAnswer:
    """The answer a known value gives to a question, and where the value came from."""

    answer: str
    variable: str
    value: str
    source: str  # "session" (typed earlier) or "account"

    @property
    def detail(self) -> str:
        """Stored on the step (``SessionStep.detail``) so the transcript can say where from."""
        return f"{self.source}:{self.variable}"


def account_values(user: Any, owner_id: int | None, technician: bool) -> dict[str, str]:
    """The account's profile as variables, only for the person who started a self-service
    session (a technician's account says nothing about the caller; a shared address says
    nothing about whoever opens it)."""
    if technician or user is None or not getattr(user, "is_authenticated", False):
        return {}
    if owner_id is None or getattr(user, "id", None) != owner_id:
        return {}
    values = {
        "name": getattr(user, "name", "") or "",
        "email": getattr(user, "email", "") or "",
        "phone": getattr(user, "phone", "") or "",
        "location": getattr(user, "location", "") or "",
    }
    return {k: str(v).strip() for k, v in values.items() if str(v).strip()}


def merged(variables: Mapping[str, Any], account: Mapping[str, str]) -> dict[str, Any]:
    """Values typed in the session win over the account's (they are newer and specific)."""
    return {**account, **dict(variables)}


def _words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(text)]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return size > 0 and any(haystack[i : i + size] == needle for i in range(len(haystack)))


def match_answer(mapping: Mapping[str, str], value: Any) -> str | None:
    """The answer ``value`` maps to: a key whose words appear, in order, as whole words of
    the value (case ignored: "iPhone" matches "my iPhone 15"). None when no key matches or keys
    leading to different answers do (ambiguous: ask the person)."""
    words = _words(str(value))
    found = {answer for key, answer in mapping.items() if _contains(words, _words(str(key)))}
    return found.pop() if len(found) == 1 else None


def answer_from(
    attrs: Mapping[str, Any],
    answers: list[str],
    variables: Mapping[str, Any],
    account: Mapping[str, str],
) -> KnownAnswer | None:
    """The answer a question's ``answered_by`` gives from what is known, or None (ask)."""
    rule = attrs.get("answered_by")
    if attrs.get("kind") != "question" or not isinstance(rule, dict):
        return None
    variable, mapping = rule.get("variable"), rule.get("answers")
    if not isinstance(variable, str) or not isinstance(mapping, dict):
        return None
    if variable in variables:
        value, source = variables[variable], "session"
    elif variable in account:
        value, source = account[variable], "account"
    else:
        return None
    answer = match_answer(mapping, value)
    if answer is None or answer not in answers:
        return None
    return KnownAnswer(answer, variable, str(value), source)


def default_for(
    attrs: Mapping[str, Any], variables: Mapping[str, Any], account: Mapping[str, str]
) -> str | None:
    """An input's prefill: the value its variable already has (a choice input only when the
    value is one of its choices)."""
    var = attrs.get("var")
    if attrs.get("kind") != "input" or not isinstance(var, str):
        return None
    known = merged(variables, account)
    if var not in known or str(known[var]).strip() == "":
        return None
    value = str(known[var])
    if attrs.get("input_type") == "choice" and value not in (attrs.get("choices") or []):
        return None
    return value


def describe(detail: str, value: str, answer: str) -> str:
    """How the transcript says a question was answered for the person."""
    source, _, _variable = detail.partition(":")
    where = "your account" if source == "account" else "what you told us"
    return f"Answered from {where}: {value} (so: {answer})"
