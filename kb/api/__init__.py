"""The JSON API under /api/v1, and the one way its views read a request body."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import current_app, request

from kb.errors import Invalid, KbError

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")
DEFAULT_MAX_DEPTH = 32


class NotJson(KbError):
    """The body does not parse as JSON at all (400)."""


def nesting_depth(data: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, found without parsing it (brackets
    inside strings do not count), so a body nested ten thousand deep costs one linear scan."""
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", data))
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _check_text(value: Any) -> None:
    """Refuse strings that cannot be stored or shown: a lone surrogate such as "\\ud800"."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise KbError(
                "The JSON text contains a lone surrogate (like \\ud800), which is not a "
                "character: send UTF-8 text."
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def parse_json(data: bytes | str, max_depth: int | None = None) -> Any:
    """Parse a JSON request body: nesting beyond ``max_depth`` (JSON_MAX_DEPTH) is a 422,
    broken JSON and lone surrogates are a 400. Every JSON body kb reads goes through here."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if max_depth is None:
        max_depth = int(current_app.config.get("JSON_MAX_DEPTH") or DEFAULT_MAX_DEPTH)
    if nesting_depth(raw) > max_depth:
        raise Invalid(f"The JSON is nested too deeply (at most {max_depth} levels).")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise NotJson("The body is not valid JSON.") from None
    _check_text(value)
    return value


def request_json() -> Any:
    """The request's JSON body through parse_json, or None when it is not JSON at all."""
    if not request.is_json:
        return None
    data = request.get_data(cache=True)
    if not data.strip():
        return None
    try:
        return parse_json(data)
    except NotJson:
        return None  # the caller says what it expected


def json_object(required: bool = True) -> dict[str, Any]:
    """The request's JSON object. With ``required=False`` a missing body reads as ``{}``; a
    body that is not an object (a list, a string, broken JSON) is always a 422, never a 500;
    nesting deeper than JSON_MAX_DEPTH is a 422, a lone surrogate a 400."""
    payload = request_json()
    if payload is None and not required and not request.get_data(cache=True):
        return {}
    if not isinstance(payload, dict):
        raise Invalid("Send a JSON object (Content-Type: application/json).")
    return payload
