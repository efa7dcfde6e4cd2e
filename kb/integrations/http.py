"""One small HTTP client for the integrations (standard library only): every status comes back
as a response, redirects are not followed, and network failures raise ``TransportError``."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


class TransportError(Exception):
    """The request never got an HTTP answer (refused, reset, timed out, bad address)."""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None  # the 3xx comes back as a response


_OPENER = urllib.request.build_opener(_NoRedirects)


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """Send one request and return the answer, whatever its status."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise TransportError(f"{url!r} is not an http(s) address")
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Response(answer.status, answer.read(), dict(answer.headers.items()))
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.read(), dict(error.headers.items()))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TransportError(f"{method} {url}: {reason}") from error


def send_json(
    method: str,
    url: str,
    payload: Any = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    body = None if payload is None else json.dumps(payload).encode()
    all_headers = {"Accept": "application/json", **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    return send(method, url, body=body, headers=all_headers, timeout=timeout)
