"""The input of each outage action, one class each, read by the status pages' forms and by
their JSON twins alike (kb.schemas). Times whose validity depends on the outage (an expected
end after the start) are read here but explained in the API notes, not the document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from kb.models import utcnow
from kb.schemas import (
    DateTimeText,
    Level,
    Record,
    Schema,
    Undocumented,
    When,
    documented,
    words,
)

Message = Annotated[words(10_000), Field(**documented(maxLength=2000))]


class OutageDeclare(Schema):
    """Declare an outage: what users see and should do, from when, until when (expected)."""

    service: words(100)
    title: words(300)
    user_message: Message
    impact: Level = "high"
    started_at: Undocumented[When] = None
    expected_restoration_at: Undocumented[When] = None

    @field_validator("expected_restoration_at")
    @classmethod
    def _after_the_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        started = info.data.get("started_at") or utcnow()
        if value is not None and value <= started:
            raise ValueError("must be after the start")
        return value


class OutageUpdate(Schema):
    """A timestamped update, optionally moving the expected restoration."""

    text: Message
    expected_restoration_at: Undocumented[When] = None


class OutageClose(Schema):
    """Close the outage with its cause (restored now unless said otherwise)."""

    cause: Message
    restored_at: Undocumented[When] = None


def _email_documented(schema: dict[str, Any]) -> None:
    """Anonymous callers must give the address (a signed-in person's own is the default)."""
    schema["required"] = ["email"]


class Subscribe(Schema):
    """E-mail updates of an outage; a signed-in person's own address by default."""

    model_config = {"json_schema_extra": _email_documented}

    email: Annotated[
        str,
        Field(
            max_length=254,
            **documented(pattern=r"^[a-z0-9._-]{1,64}@[a-z0-9-]{1,63}\.[a-z]{2,10}$"),
        ),
    ] = ""


class SubscriptionRecord(Record):
    email: str
    confirmed: bool


class OutageNote(Record):
    at: DateTimeText
    text: str


class OutageRecord(Record):
    """An outage as the API answers it."""

    id: int
    service: str
    title: str
    user_message: str
    impact: str
    status: Literal["open", "closed"]
    started_at: DateTimeText
    expected_restoration_at: DateTimeText | None
    restored_at: DateTimeText | None
    duration_minutes: int | None
    cause: str
    updates: list[OutageNote]


class OutageLists(Record):
    open: list[OutageRecord]
    past: list[OutageRecord]
