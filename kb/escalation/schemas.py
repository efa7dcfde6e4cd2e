"""The input of an escalation request, one class read by the requester's form and by its JSON
twin alike (kb.schemas). A request from a diagnostic session (``session``) may leave out what
the session already says (the summary, the impact and urgency of its escalation step). For a
signed-in person the view puts the account's name and e-mail in place of what was sent
(kb.escalation.requester)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, WithJsonSchema, field_validator

from kb.config import service_catalogue
from kb.escalation.intake import EMAIL
from kb.schemas import WORDS_PATTERN, Level, Schema, documented, text

LEVEL_DOCUMENTED = WithJsonSchema({"type": "string", "enum": ["high", "medium", "low"]})
EMAIL_DOCUMENTED = r"^[a-z0-9._-]{1,64}@[a-z0-9-]{1,63}\.[a-z]{2,10}$"


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError("tell us your name")
    return value


def _catalogue_documented(schema: dict[str, Any]) -> None:
    """The running app's catalogue (the document is built per request)."""
    schema["enum"] = ["", *service_catalogue()]


def _documented_required(schema: dict[str, Any]) -> None:
    """Without a session, these must be given (the validators below say so by field)."""
    schema["required"] = ["summary", "requester_name", "requester_email", "impact", "urgency"]


class EscalationCreate(Schema):
    """Ask the help desk: what is wrong, who you are and how to reach you, how bad it is."""

    model_config = {"json_schema_extra": _documented_required}

    session: Annotated[
        str | None, Field(max_length=100, description="a diagnostic session that escalated")
    ] = None
    summary: Annotated[
        str, Field(max_length=300, **documented(minLength=3, pattern=WORDS_PATTERN))
    ] = ""
    details: text(10_000) = ""
    requester_name: Annotated[
        str,
        Field(
            max_length=200,
            validate_default=True,
            description="a signed-in person's account name is used instead (except from a "
            "technician-mode session, where it names the caller)",
            **documented(pattern=WORDS_PATTERN),
        ),
        AfterValidator(_name),
    ] = ""
    requester_phone: text(50) = ""
    requester_email: Annotated[
        str,
        Field(
            max_length=254,
            validate_default=True,
            description="an e-mail address or (in requester_phone) a phone number; a "
            "signed-in person's account address is used instead",
            **documented(pattern=EMAIL_DOCUMENTED),
        ),
    ] = ""
    requester_location: text(200) = ""
    service: Annotated[
        str,
        Field(
            max_length=100,
            description="the service it is about (SERVICES), or empty; an open outage for it "
            "takes the request",
            json_schema_extra=_catalogue_documented,
        ),
    ] = ""
    impact: Annotated[Level | None, Field(validate_default=True), LEVEL_DOCUMENTED] = None
    urgency: Annotated[Level | None, Field(validate_default=True), LEVEL_DOCUMENTED] = None

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str, info: ValidationInfo) -> str:
        if not info.data.get("session") and len(value.strip()) < 3:
            raise ValueError("describe the problem in a few words")
        return value

    @field_validator("requester_email")
    @classmethod
    def _reachable(cls, value: str, info: ValidationInfo) -> str:
        email = value.strip()
        if not email and not str(info.data.get("requester_phone") or "").strip():
            raise ValueError("give an e-mail address or a phone number")
        if email and not EMAIL.match(email):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if value and value not in service_catalogue():
            raise ValueError("choose a service from the list, or leave it empty")
        return value

    @field_validator("impact", "urgency")
    @classmethod
    def _level(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and not info.data.get("session"):
            raise ValueError("must be high, medium or low")
        return value
