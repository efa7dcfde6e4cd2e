"""The OpenAPI document of /api/v1, built from the app's own routes and the schema classes
its views read (kb.schemas), so it cannot drift: request bodies, query parameters and the
records answered are the pydantic models' own JSON schema, kept once under
``components/schemas`` and referred to by name."""

from __future__ import annotations

import inspect
import re
from typing import Any, Literal

from flask import Flask
from pydantic import BaseModel

from kb import __name__ as package
from kb.api.docs import ApiDoc, doc_of
from kb.schemas import DocumentedSchema

PARAM = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}


def _summary(view: Any, endpoint: str) -> str:
    doc = inspect.getdoc(view) or ""
    if doc:
        return doc.splitlines()[0].rstrip(".")
    name = endpoint.rsplit(".", 1)[-1].replace("_", " ")
    return name[:1].upper() + name[1:]


class Components:
    """The named schemas of the document: each model once, under its class name."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def add(self, name: str, schema: dict[str, Any]) -> None:
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are both called {name!r}")

    def ref(
        self, model: type[BaseModel], mode: Literal["validation", "serialization"]
    ) -> dict[str, Any]:
        generated = model.model_json_schema(
            ref_template="#/components/schemas/{model}",
            schema_generator=DocumentedSchema,
            mode=mode,
        )
        for name, definition in generated.pop("$defs", {}).items():
            self.add(name, definition)
        self.add(model.__name__, generated)
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The named schema a ``$ref`` points to."""
        return self.schemas[schema["$ref"].rsplit("/", 1)[-1]]

    def schema(self, given: Any, mode: Literal["validation", "serialization"]) -> Any:
        """A model as a reference; a hand-written schema with the models inside it (an
        ``array(HistoryEntry)``) referred to the same way."""
        if isinstance(given, type) and issubclass(given, BaseModel):
            return self.ref(given, mode)
        if isinstance(given, dict):
            return {key: self.schema(value, mode) for key, value in given.items()}
        if isinstance(given, list):
            return [self.schema(value, mode) for value in given]
        return given


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: a query string has no null, so ``X | None`` is X."""
    options = schema.get("anyOf")
    if options:
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1:
            schema = {**kept[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    if schema.get("default", 0) is None:
        schema = {k: v for k, v in schema.items() if k != "default"}
    return schema


def query_parameters(query: Any) -> list[dict[str, Any]]:
    """The query parameters of a Schema class (or a hand-written mapping of name to schema)."""
    if isinstance(query, type) and issubclass(query, BaseModel):
        generated = query.model_json_schema(schema_generator=DocumentedSchema)
        required = set(generated.get("required", []))
        return [
            {"name": name, "in": "query", "required": name in required, "schema": _not_null(s)}
            for name, s in generated.get("properties", {}).items()
        ]
    return [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in (query or {}).items()
    ]


def build(app: Flask, version: str = "0.1.0") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    components = Components()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1"):
            continue
        parameters, path = [], rule.rule
        for match in PARAM.finditer(rule.rule):
            name, converter = match.group("name"), match.group("converter") or "string"
            schema = TYPES.get(converter, {"type": "string"})
            if converter == "any":
                options = re.search(r"any\(([^)]*)\)", match.group(0))
                schema = {
                    "type": "string",
                    "enum": [o.strip() for o in options.group(1).split(",")],
                }
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
            path = path.replace(match.group(0), "{" + name + "}")
        view = app.view_functions[rule.endpoint]
        doc = doc_of(view, rule.endpoint) or ApiDoc()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            success: dict[str, Any] = {"description": "OK" if doc.status == 200 else "Created"}
            if doc.response is not None:
                response = components.schema(doc.response, "serialization")
                success["content"] = {"application/json": {"schema": response}}
            operation: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": _summary(view, rule.endpoint),
                "tags": [rule.endpoint.split(".")[0]],
                "responses": {
                    str(doc.status): success,
                    "4XX": {
                        "description": "A problem with the request",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
            query = query_parameters(doc.query)
            if doc.notes:
                operation["description"] = doc.notes
            if parameters or query:
                operation["parameters"] = parameters + query
            if doc.body is not None and method in ("POST", "PUT", "PATCH"):
                schema = components.schema(doc.body, "validation")
                operation["requestBody"] = {
                    "required": bool(components.resolve(schema).get("required"))
                    if "$ref" in schema
                    else doc.body_required,
                    "content": {"application/json": {"schema": schema}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{package} API",
            "version": version,
            "description": "JSON twins of kb's pages. Browsers use their session and send "
            "the CSRF token in X-CSRFToken; integrations send Authorization: Bearer "
            "<token> (kb user token).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "kb_session"},
                "token": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                **components.schemas,
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object"},
                    },
                },
            },
        },
        "security": [{"session": []}, {"token": []}, {}],
    }
