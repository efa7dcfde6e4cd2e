"""Signed webhooks: X-KB-Signature is the hex HMAC-SHA256 of ``f"{timestamp}.{body}"``.

The same scheme signs what kb sends and verifies what it receives, so two kb sites can talk
to each other, and a receiver needs a dozen lines in any language.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from kb.errors import Unauthorized


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {"X-KB-Timestamp": timestamp, "X-KB-Signature": signature(secret, timestamp, body)}


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    given: str,
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> None:
    """Raise Unauthorized unless ``given`` signs ``body`` at ``timestamp``, and the timestamp
    is within ``tolerance`` seconds of now (a captured delivery cannot be replayed later)."""
    if not timestamp or not given:
        raise Unauthorized("Missing X-KB-Timestamp or X-KB-Signature.")
    try:
        sent = int(timestamp)
    except ValueError:
        raise Unauthorized("X-KB-Timestamp must be Unix time in seconds.") from None
    expected = signature(secret, timestamp, body)
    given = given.strip().removeprefix("sha256=")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthorized("The signature does not match.")
    current = now if now is not None else time.time()
    if abs(current - sent) > tolerance:
        raise Unauthorized(
            f"X-KB-Timestamp is more than {int(tolerance)} seconds away from now: "
            "check the sender's clock, or this is a replay."
        )
