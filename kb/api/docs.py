"""What each JSON endpoint reads and answers, declared next to its view so the OpenAPI
document (kb.api.openapi) says what the code does.

    @bp.post("/api/v1/things")
    @api_doc(body=ThingCreate, response=Thing, status=201)
    def create_thing():
        values = from_json(ThingCreate)

``body`` and ``query`` name the kb.schemas.Schema class the view reads its input through (the
same class its HTML form uses), so the document shows exactly what is checked; a body whose
schema has no required field may be left out. ``response`` is the schema of the success
answer (a Schema class, or a JSON schema built with ``obj``/``array`` for answers that are not
a record), sent with ``status``; ``notes`` become the operation's description. What the
document calls valid must be accepted (tests/test_fuzz_api.py checks). A few bounds cannot be
written in JSON schema (an expected end after the start, an answer the current node offers):
such fields are left out of the document (kb.schemas.Undocumented) and explained in ``notes``.

tests/test_openapi.py fails when a JSON endpoint has no description."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

Schema = dict[str, Any]
Model = type[BaseModel]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ApiDoc:
    """``query`` and ``body`` may still be hand-written JSON schema (a mapping of parameter to
    schema, a body schema with ``body_required``) for views not yet reading a Schema class."""

    query: Model | dict[str, Schema] | None = None
    body: Model | Schema | None = None
    body_required: bool = True
    response: Model | Schema | None = None
    status: int = 200
    notes: str = ""


def api_doc(
    *,
    query: Model | dict[str, Schema] | None = None,
    body: Model | Schema | None = None,
    body_required: bool = True,
    response: Model | Schema | None = None,
    status: int = 200,
    notes: str = "",
) -> Callable[[F], F]:
    """Attach an ApiDoc to a view (put it right under the route decorator)."""

    def decorate(view: F) -> F:
        view.kb_api_doc = ApiDoc(  # type: ignore[attr-defined]
            query=query,
            body=body,
            body_required=body_required,
            response=response,
            status=status,
            notes=notes,
        )
        return view

    return decorate


def doc_of(view: Callable[..., Any], endpoint: str) -> ApiDoc | None:
    return getattr(view, "kb_api_doc", None)


# --- building blocks -------------------------------------------------------------------------


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    """A response object: the named properties, more may follow in later versions."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def body(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    """A request body: the fields the view reads (others are ignored)."""
    return obj(properties, required)


def array(items: Schema, max_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def whole(minimum: int = 1, maximum: int = 10_000) -> Schema:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def text(max_length: int = 1000) -> Schema:
    """Free text: anything printable up to ``max_length`` characters."""
    return {"type": "string", "maxLength": max_length}


def one_of(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
NULLABLE_INT: Schema = {"type": ["integer", "null"]}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object"}
