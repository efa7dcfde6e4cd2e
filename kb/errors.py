"""Domain errors, and the one handler that turns them (and HTTP errors) into pages or JSON."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class KbError(Exception):
    """Base of every error a person can be told about; ``status`` is the HTTP status."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        body.update(self.details)
        return body


class NotFound(KbError):
    status = 404
    code = "not_found"


class Forbidden(KbError):
    status = 403
    code = "forbidden"


class Unauthorized(KbError):
    status = 401
    code = "unauthorized"


class Conflict(KbError):
    """A write lost a race (for example an edit over a newer revision); details carry both sides."""

    status = 409
    code = "conflict"


class StaleWrite(Conflict):
    """Someone else changed the same record between our read and our write; retrying from
    fresh data is safe."""


class Expired(KbError):
    """A link or token that was genuine but is too old to use."""

    status = 410
    code = "expired"


class Unavailable(KbError):
    """A part of kb that depends on something not running or not configured (search engine)."""

    status = 503
    code = "unavailable"


class Invalid(KbError):
    """Input that cannot be accepted; ``fields`` maps a field name to what is wrong with it."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None, **details: Any):
        super().__init__(message, **details)
        self.fields = fields or {}

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        if self.fields:
            body["fields"] = self.fields
        return body


class Taken(Invalid):
    """A name (an article's address, a tree's id) another record already has: the request is
    well formed but conflicts with what exists, so it is a 409. Like Invalid it names the
    field, and forms show the message beside it."""

    status = 409
    code = "conflict"


class PluginError(KbError):
    """A plugin could not be loaded or misbehaved at start-up; the message names it."""

    status = 500
    code = "plugin_error"


class ConfigError(KbError):
    """The configuration is wrong, found at start-up; ``problems`` has one line for each thing
    to fix, so a person reads them all at once instead of meeting them one by one later."""

    status = 500
    code = "configuration_error"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The configuration has problems: " + "; ".join(problems))
        self.problems = problems


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors; browsers get pages."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def discard_transaction() -> None:
    """Roll back the request's database session, so nothing half-written is committed later
    and the error page (whose layout reads the database) renders on a clean session."""
    session = g.get("kb_db")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # a broken connection must not hide the original error
        log.exception("rolling back after an error failed")


def error_response(status: int, code: str, message: str, body: dict[str, Any] | None = None):
    discard_transaction()
    if wants_json():
        payload = body or {"error": code, "message": message}
        response: Response = jsonify(payload)
        response.status_code = status
        return response
    return (
        render_template("error.html", status=status, code=code, message=message, body=body or {}),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    """Map domain errors, HTTP errors and anything unexpected to a clean 4xx/5xx answer."""

    @app.errorhandler(KbError)
    def handle_kb_error(error: KbError):
        return error_response(error.status, error.code, error.message, error.to_dict())

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        return error_response(
            400,
            "csrf",
            "The form expired or did not come from this site. Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        response = app.make_response(error_response(status, code, error.description or error.name))
        # Keep what the exception says besides its page: Allow on a 405, Retry-After, ...
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            500, "internal_error", "Something went wrong on our side. The error has been logged."
        )
