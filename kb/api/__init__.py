"""The JSON API under /api/v1, and the one way its views read a request body."""

from __future__ import annotations

from typing import Any

from flask import request

from kb.errors import Invalid


def json_object(required: bool = True) -> dict[str, Any]:
    """The request's JSON object. With ``required=False`` a missing body reads as ``{}``; a
    body that is not an object (a list, a string, broken JSON) is always a 422, never a 500."""
    payload = request.get_json(silent=True)
    if payload is None and not required and not request.get_data(cache=True):
        return {}
    if not isinstance(payload, dict):
        raise Invalid("Send a JSON object (Content-Type: application/json).")
    return payload
