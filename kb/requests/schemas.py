"""The input of a request (one class for the form and its JSON twin) and of an approver's
decision. The answers to a type's own fields are checked against the type by the service
(kb.requests.service.check_answers), since the fields are configuration."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from kb.schemas import Schema, text


class RequestCreate(Schema):
    """A request of one type: who you are, your approver when the type needs one, and the
    answers to the type's fields by name (``GET /api/v1/request-types`` lists them)."""

    requester_name: text(200) = ""
    requester_email: text(254) = ""
    requester_phone: text(50) = ""
    requester_location: text(200) = ""
    approver_email: Annotated[
        str,
        Field(
            max_length=254,
            description="your manager's address (approver: manager), or the folder owner's "
            "when kb does not know it (approver: data-owner)",
        ),
    ] = ""
    answers: Annotated[
        dict[str, Annotated[str, Field(max_length=5000)]],
        Field(max_length=40, description="field name -> answer"),
    ] = {}


class ApprovalDecision(Schema):
    """Approve or decline a request; a decline says why."""

    decision: Literal["approve", "decline"]
    comment: text(2000) = ""
