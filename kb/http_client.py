"""One small HTTP client for the integrations (standard library only): every status comes back
as a response, redirects are not followed, and network failures raise ``TransportError``."""

from __future__ import annotations

import http.client
import json
import ssl
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


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """Send one request and return the answer, whatever its status. Header names are sent
    as written (X-KB-Signature, not X-kb-signature)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"{url!r} is not an http(s) address")
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers=headers or {})
        answer = connection.getresponse()
        return Response(answer.status, answer.read(), dict(answer.getheaders()))
    except (http.client.HTTPException, OSError) as error:
        raise TransportError(f"{method} {url}: {error or type(error).__name__}") from error
    finally:
        connection.close()


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
