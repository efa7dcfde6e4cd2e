"""What each JSON endpoint reads and answers, declared next to its view so the OpenAPI
document (kb.api.openapi) says what the code does.

    @bp.get("/api/v1/things")
    @api_doc(query={"page": PAGE}, response=obj({"items": array(THING)}, required=["items"]))
    def things(): ...

``query`` maps each query parameter to its JSON schema (all optional); ``body`` is the JSON
schema of the request body (``body_required=False`` when it may be left out); ``response`` is
the schema of the success answer, sent with ``status``; ``notes`` become the operation's
description. What the document calls valid must be accepted (tests/test_fuzz_api.py checks),
so a body names the fields the view reads with the bounds the services check; fields it does
not name are ignored. A few bounds cannot be written in JSON schema (an expected end after the
start, an answer the current node offers): such fields are explained in ``notes`` instead.

tests/test_openapi.py fails when a JSON endpoint has no description."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

Schema = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ApiDoc:
    query: dict[str, Schema] = field(default_factory=dict)
    body: Schema | None = None
    body_required: bool = True
    response: Schema | None = None
    status: int = 200
    notes: str = ""


def api_doc(
    *,
    query: dict[str, Schema] | None = None,
    body: Schema | None = None,
    body_required: bool = True,
    response: Schema | None = None,
    status: int = 200,
    notes: str = "",
) -> Callable[[F], F]:
    """Attach an ApiDoc to a view (put it right under the route decorator)."""

    def decorate(view: F) -> F:
        view.kb_api_doc = ApiDoc(  # type: ignore[attr-defined]
            query=dict(query or {}),
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


def words(max_length: int = 200) -> Schema:
    """Text that must say something: at least three characters once the spaces around it are
    stripped (as the services do), starting with a letter or digit."""
    return {
        "type": "string",
        "minLength": 3,
        "maxLength": max_length,
        "pattern": r"^[A-Za-z0-9][A-Za-z0-9 .,:;!?'()/-]*[A-Za-z0-9.!?)]$",
    }


def one_of(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
NULLABLE_INT: Schema = {"type": ["integer", "null"]}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object"}
SLUG: Schema = {"type": "string", "pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 120}
TAG: Schema = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9 .+#/-]{0,58}$"}
FILTER: Schema = {"type": "string", "maxLength": 100}
