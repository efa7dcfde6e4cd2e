"""The input of each step of a troubleshooting session, one class each, read by the step
pages' forms and by their JSON twins alike (kb.schemas). Which answers a step takes depends on
the session's current node, so the engine checks the answer itself; these classes check the
shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from kb.schemas import Schema, Undocumented, documented, text

Mode = Literal["self_service", "technician"]
Notes = Annotated[str, Field(max_length=10_000, **documented(maxLength=2000))]


def _scalar(value: Any) -> Any:
    if value is not None and not isinstance(value, str | int | float):
        raise ValueError("must be sent as text or a number")
    return value


class SessionStart(Schema):
    """Start a diagnostic (technician mode needs a technician; ``revision: head`` tries out
    an unpublished draft, for authors)."""

    tree: Annotated[str, Field(min_length=1, max_length=100)]
    mode: Annotated[Mode | None, Field(**documented(enum=["self_service"]))] = None
    revision: Literal["head"] | None = None


class SessionAnswer(Schema):
    """Answer the current step: ``answer`` is the label of one of node.answers, ``value`` the
    input an input step asks for (both depend on the node: explained in the API notes, not
    the document); notes are kept in technician mode."""

    answer: Undocumented[text(1000) | None] = None
    value: Undocumented[Annotated[str | int | float | None, BeforeValidator(_scalar)]] = None
    notes: Notes | None = None


class SessionNotes(Schema):
    """End the session as escalated ("this didn't help"), with notes for the help desk."""

    notes: Notes | None = None


class StepFlag(Schema):
    """Flag a step of the session: ``doesnt_match`` ("this step doesn't match my situation")
    or ``wrong`` ("this is wrong"), with a comment; ``node`` is the step (default: the current
    one; it must be on the session's path)."""

    reason: Literal["doesnt_match", "wrong"]
    comment: text(2000) = ""
    node: Undocumented[Annotated[str | None, Field(max_length=120)]] = None


class StepFlagResolve(Schema):
    """Resolve a step flag, saying what was done (optional)."""

    resolution: text(2000) = ""


class StepFlagQuery(Schema):
    """``all`` (any value): resolved flags too."""

    all: Annotated[str | None, Field(max_length=5)] = None
