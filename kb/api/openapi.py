"""The OpenAPI document of /api/v1, built from the app's own routes so it cannot drift."""

from __future__ import annotations

import inspect
import re
from typing import Any

from flask import Flask

from kb import __name__ as package
from kb.api.docs import ApiDoc, doc_of

PARAM = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}


def _summary(view: Any, endpoint: str) -> str:
    doc = inspect.getdoc(view) or ""
    if doc:
        return doc.splitlines()[0].rstrip(".")
    name = endpoint.rsplit(".", 1)[-1].replace("_", " ")
    return name[:1].upper() + name[1:]


def build(app: Flask, version: str = "0.1.0") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
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
                success["content"] = {"application/json": {"schema": doc.response}}
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
            query = [
                {"name": name, "in": "query", "required": False, "schema": schema}
                for name, schema in doc.query.items()
            ]
            if doc.notes:
                operation["description"] = doc.notes
            if parameters or query:
                operation["parameters"] = parameters + query
            if doc.body is not None and method in ("POST", "PUT", "PATCH"):
                operation["requestBody"] = {
                    "required": doc.body_required,
                    "content": {"application/json": {"schema": doc.body}},
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
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object"},
                    },
                }
            },
        },
        "security": [{"session": []}, {"token": []}, {}],
    }
