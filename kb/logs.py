"""Logs with a request id: every request gets one, every log record made while serving it
carries it, and the response hands it back (``X-Request-ID``), so a person's error page and the
server's log lines can be matched.

- The id comes from the ``X-Request-ID`` header only when kb sits behind a proxy it trusts
  (``TRUSTED_PROXIES`` > 0; the proxy sets the header, e.g. nginx's ``$request_id``) and the
  value is well-formed; otherwise kb makes one. A client talking to kb directly cannot choose
  the id that appears in the logs.
- ``LOG_FORMAT`` is ``text`` (one readable line) or ``json`` (one object per line: time, level,
  logger, message, request_id, method, path; the access line adds status and duration_ms).
- One access line per request (logger ``kb.access``; health checks at DEBUG, so a load
  balancer polling them does not fill the log). Paths are logged with capability parameters
  (a diagnostic session's address, an escalation's id, signed links) replaced by ``*``; query
  strings are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

HEADER = "X-Request-ID"
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
# URL parameters that are capabilities (whoever holds them may act): never written to a log.
SECRET_PARAMETERS = frozenset({"token", "public_id", "link"})
ACCESS_LOGGER = "kb.access"
QUIET_ENDPOINTS = ("health.",)  # access lines at DEBUG
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
NO_REQUEST = "-"

access_log = logging.getLogger(ACCESS_LOGGER)


# --- the record factory: request fields on every record -------------------------------------


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {"request_id": NO_REQUEST}
    return {
        "request_id": g.get("request_id", NO_REQUEST),
        "method": request.method,
        "path": g.get("log_path") or request.path,
    }


def install_record_factory() -> None:
    """Once per process: every record (kb's, Flask's, libraries') gets the request's fields.
    Wraps whatever factory is in place, so another library's factory keeps working."""
    current = logging.getLogRecordFactory()
    if getattr(current, "kb_request_fields", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        for name, value in _request_fields().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return record

    factory.kb_request_fields = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


# --- formatting ------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the fields a log pipeline indexes, nothing else."""

    FIELDS = ("request_id", "method", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):  # a record made before the factory was installed
            record.request_id = NO_REQUEST
        return super().format(record)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (not when the handler was
    made), so a replaced stderr (a test's capture, a daemon's redirect) is followed."""

    kb_handler = True

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def install_handler(log_format: str, level: str | int) -> logging.Handler:
    """kb's one handler, on the root logger (so libraries' records share the format), replacing
    the one an earlier app in this process installed."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "kb_handler", False):
            root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(formatter_for(log_format))
    root.addHandler(handler)
    kb_logger = logging.getLogger("kb")
    kb_logger.setLevel(level)
    kb_logger.removeHandler(default_handler)  # Flask's own would print kb's records twice
    return handler


# --- per request ---------------------------------------------------------------------------


def request_id_from(header: str | None, trusted: bool) -> str:
    """The proxy's id when it is trusted and well-formed, else a new one."""
    if trusted and header and REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def loggable_path() -> str:
    """The request's path with capability parameters replaced by ``*``."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_PARAMETERS and str(value):
            path = path.replace(str(value), "*")
    return path


def init_request_logging(app: Flask) -> None:
    """Give each request an id, log one access line, return the id in the response."""
    install_record_factory()
    install_handler(app.config["LOG_FORMAT"], app.config.get("LOG_LEVEL", "INFO"))
    trusted = int(app.config.get("TRUSTED_PROXIES") or 0) > 0

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(HEADER), trusted)
        g.log_path = loggable_path()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id is None:  # a before_request ahead of ours answered
            return response
        response.headers[HEADER] = request_id
        started = g.get("request_started", time.perf_counter())
        duration = round((time.perf_counter() - started) * 1000, 1)
        quiet = (request.endpoint or "").startswith(QUIET_ENDPOINTS) and response.status_code < 400
        access_log.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %s %.1fms",
            request.method,
            g.get("log_path") or request.path,
            response.status_code,
            duration,
            extra={"status": response.status_code, "duration_ms": duration},
        )
        return response
