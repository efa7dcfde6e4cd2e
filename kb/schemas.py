"""One typed schema per action (pydantic v2). An HTML form and its JSON twin read their input
through the same class, so the two cannot disagree, and the OpenAPI document (kb.api.openapi)
shows that class: what a view checks and what the document says are one text.

    class OutageUpdate(Schema):
        text: words(10_000)                   # required, must say something
        expected_restoration_at: When = None  # ISO date-time text, or left out

    values = from_form(OutageUpdate)      # the HTML form's fields
    values = from_json(OutageUpdate)      # the JSON body
    values = from_query(SearchQuery)      # the query string

Input that does not fit is ``Invalid`` (a 422) naming each field with a message a person
understands ("must be at most 300 characters"); pages show it beside the field, JSON answers
carry it in ``fields``. A form's empty box is "not given" for anything but text (a date, a
number, a choice), since a form cannot send null.

Some fields carry ``json_schema_extra`` (see ``documented``): it narrows what the document
promises (the fuzz test sends only that and expects it accepted) to what the services accept
whatever else they check, never widens what the schema refuses. A field whose validity depends
on stored data (an answer the current node offers) is ``Undocumented`` and explained in the
operation's notes. What a JSON twin answers is a ``Record``, the response schema likewise."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from annotated_types import MaxLen
from flask import current_app, request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic.json_schema import GenerateJsonSchema, SkipJsonSchema

from kb.api import json_object
from kb.config import site_zone
from kb.db import MAX_INTEGER
from kb.errors import Invalid
from kb.limits import markdown_problem

S = TypeVar("S", bound="Schema")

WORDS_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 .,:;!?'()/-]*[A-Za-z0-9.!?)]$"


class Schema(BaseModel):
    """The input of one action. Fields it does not name are ignored (a later client may send
    more); the values are read, never changed (frozen)."""

    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class Record(BaseModel):
    """What a JSON twin answers: built by the view, sent with ``answer()``, and the same class
    is the response schema in the API document. Optional parts the view does not set are left
    out of the answer (not sent as null)."""

    model_config = ConfigDict(extra="forbid")

    def answer(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


DateTimeText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""A date and time as the API sends it (ISO 8601 text)."""


def documented(**schema: Any) -> dict[str, Any]:
    """``json_schema_extra`` for a field: the documented (narrower) form, see the module."""
    return {"json_schema_extra": schema}


# --- field types shared by the areas ---------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is required")
    return value


def _at_least_three(value: str) -> str:
    if len(value.strip()) < 3:
        raise ValueError("say it in a few words")
    return value


def _markdown(value: str) -> str:
    problem = markdown_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


def _when(value: Any, info: ValidationInfo) -> datetime | None:
    """A date-time from a form or JSON. Without a zone it is in the validation context's
    ``zone``: the site's TIMEZONE for a page's form (people type their wall-clock time), UTC
    for JSON. Only text: a number is not read as seconds since 1970."""
    zone = (info.context or {}).get("zone", UTC)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if not isinstance(value, str):
        raise ValueError("must be a date and time like 2026-11-23T14:30 (as text)")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date and time like 2026-11-23T14:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone).astimezone(UTC)


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date like 2027-05-31")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date like 2027-05-31") from None


def text(max_length: int) -> Any:
    """Free text up to ``max_length`` characters (may be empty)."""
    return Annotated[str, Field(max_length=max_length)]


def words(max_length: int, minimum: int = 1) -> Any:
    """Text that must say something (``minimum`` 3: a few words, as the services check);
    documented as plain words."""
    check = _at_least_three if minimum >= 3 else _not_blank
    return Annotated[
        str,
        Field(
            max_length=max_length,
            **documented(minLength=max(minimum, 3), pattern=WORDS_PATTERN),
        ),
        AfterValidator(check),
    ]


Id = Annotated[int, Field(ge=1, le=MAX_INTEGER)]
"""A database id or a revision number (a bigger number exists nowhere)."""
OptionalId = Annotated[Id | None, BeforeValidator(_empty_is_none)]
When = Annotated[
    datetime | None,
    BeforeValidator(_when),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A date and time (ISO 8601 text; without a zone it is UTC)."""
Day = Annotated[
    date | None, BeforeValidator(_day), WithJsonSchema({"type": "string", "format": "date"})
]
Undocumented = SkipJsonSchema
"""A field the view reads but the document leaves to the operation's notes, because whether a
value is valid depends on other data (an end after the start)."""
Markdown = Annotated[str, AfterValidator(_markdown)]
Level = Literal["high", "medium", "low"]


# --- reading input -----------------------------------------------------------------------------


def check(model: type[S], data: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> S:
    """``data`` as a ``model``, or Invalid (422) naming each field that does not fit."""
    try:
        return model.model_validate(dict(data), context=dict(context or {}))
    except ValidationError as error:
        fields = field_messages(error)
        raise Invalid(summary(fields), fields=fields) from None


def summary(fields: dict[str, str]) -> str:
    """The one-line message: the problem itself when there is one ("page must be a whole
    number."), else a pointer to the fields."""
    if len(fields) == 1:
        name, problem = next(iter(fields.items()))
        if name == "form":
            return f"{problem}."
        joined = problem.startswith(("is ", "must ", "at ", "not "))
        return f"{name.replace('_', ' ')}{' ' if joined else ': '}{problem}."
    return "Some fields need attention."


def from_json(model: type[S]) -> S:
    """The request's JSON body as ``model``; a model without required fields also takes no
    body at all. A body that is not a JSON object is a 422 (kb.api.json_object)."""
    return check(model, json_object(required=has_required(model)))


def from_form(model: type[S], extra: Mapping[str, Any] | None = None) -> S:
    """The submitted form as ``model`` (``extra`` adds values the page decides, such as the
    button pressed)."""
    return check(
        model,
        {**form_values(model, request.form), **(extra or {})},
        {"zone": site_zone(current_app.config)},
    )


def from_query(model: type[S]) -> S:
    """The query string as ``model``; an empty parameter counts as not given."""
    return check(model, form_values(model, request.args))


def form_values(model: type[Schema], form: Mapping[str, Any]) -> dict[str, Any]:
    """The values a form or query string gives for ``model``'s fields: text as typed; an empty
    box for anything but text is left out (the default applies)."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in form:
            continue
        value = form.get(key)
        if value == "" and info.annotation is not str:
            continue
        values[key] = value
    return values


def has_required(model: type[Schema]) -> bool:
    return any(info.is_required() for info in model.model_fields.values())


# --- messages a person understands -----------------------------------------------------------


def field_messages(error: ValidationError) -> dict[str, str]:
    """The first problem of each field, in words ("must be at most 300 characters")."""
    fields: dict[str, str] = {}
    for problem in error.errors(include_url=False, include_input=False):
        location = problem.get("loc") or ()
        name = str(location[0]) if location else "form"
        fields.setdefault(name, message(problem))
    return fields


def message(problem: Any) -> str:
    kind = problem.get("type", "")
    ctx = problem.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return str(ctx.get("error", problem.get("msg", "")))
    if kind == "string_type":
        return "must be text"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']:,} characters"
    if kind == "string_too_short":
        return "is required" if ctx.get("min_length") == 1 else problem["msg"]
    if kind == "too_long":
        return f"at most {ctx['max_length']} items"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return "must be a number"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind in ("literal_error", "enum"):
        return "must be " + str(ctx.get("expected", "")).replace("'", "")
    if kind in ("dict_type", "model_type"):
        return "must be an object"
    return str(problem.get("msg", "is not valid"))


# --- what the form renderers read ------------------------------------------------------------


def max_length(model: type[Schema], name: str) -> int | None:
    """The length bound of a text field, for a form's ``maxlength``."""
    for item in model.model_fields[name].metadata:
        if isinstance(item, MaxLen):
            return item.max_length
    return None


def choices(model: type[Schema], name: str) -> tuple[str, ...]:
    """The values a choice field takes (a Literal), in order."""
    annotation = model.model_fields[name].annotation
    for candidate in (annotation, *get_args(annotation)):
        if get_origin(candidate) is Literal:
            return tuple(get_args(candidate))
    raise TypeError(f"{model.__name__}.{name} is not a choice")


class DocumentedSchema(GenerateJsonSchema):
    """The JSON schema of a model as the OpenAPI document shows it: no generated titles."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def generate(self, schema: Any, mode: Any = "validation") -> Any:
        generated = super().generate(schema, mode=mode)
        generated.pop("title", None)
        for definition in generated.get("$defs", {}).values():
            definition.pop("title", None)
        return generated
