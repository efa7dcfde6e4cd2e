"""Signed webhooks: X-KB-Signature is the hex HMAC-SHA256 of the base string

    f"{timestamp}\\n{source}\\n{delivery}\\n" followed by the body's bytes

(X-KB-Timestamp, X-KB-Source, X-KB-Delivery, one per line; headers cannot hold a newline, so
the parts cannot be shifted into each other). Signing the delivery id and the source means a
captured request cannot be replayed under a new delivery id or another sender's name.

The same scheme signs what kb sends and verifies what it receives, so two kb sites can talk
to each other, and a receiver needs a dozen lines in any language.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from kb.errors import Unauthorized


def base_string(timestamp: str, source: str, delivery: str, body: bytes) -> bytes:
    return f"{timestamp}\n{source}\n{delivery}\n".encode() + body


def signature(secret: str, timestamp: str, source: str, delivery: str, body: bytes) -> str:
    message = base_string(timestamp, source, delivery, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: bytes, *, source: str, delivery: str, now: float | None = None
) -> dict[str, str]:
    """The four headers of a signed delivery; the signature covers all of them and the body."""
    timestamp = str(int(now if now is not None else time.time()))
    return {
        "X-KB-Source": source,
        "X-KB-Delivery": delivery,
        "X-KB-Timestamp": timestamp,
        "X-KB-Signature": signature(secret, timestamp, source, delivery, body),
    }


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    given: str,
    *,
    source: str,
    delivery: str,
    tolerance: float = 300,
    now: float | None = None,
) -> None:
    """Raise Unauthorized unless ``given`` signs ``body``, ``source`` and ``delivery`` at
    ``timestamp``, and the timestamp is within ``tolerance`` seconds of now (a captured
    delivery cannot be replayed later; within that window the receiver refuses a delivery
    id it has already taken)."""
    if not timestamp or not given:
        raise Unauthorized("Missing X-KB-Timestamp or X-KB-Signature.")
    try:
        sent = int(timestamp)
    except ValueError:
        raise Unauthorized("X-KB-Timestamp must be Unix time in seconds.") from None
    expected = signature(secret, timestamp, source, delivery, body)
    given = given.strip().removeprefix("sha256=")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthorized("The signature does not match.")
    current = now if now is not None else time.time()
    if abs(current - sent) > tolerance:
        raise Unauthorized(
            f"X-KB-Timestamp is more than {int(tolerance)} seconds away from now: "
            "check the sender's clock, or this is a replay."
        )
