"""Session cookies verified once per process instead of on every request.

Flask checks the session cookie's signature and decodes it on every request: about a fifth of
the cost of kb's cheapest request. A cookie is a string whose contents never change for one
secret key, so each process keeps what the cookies it verified hold (a bounded number) and
hands every request its own copy. What Flask checks stays checked on every use: the age limit
(``PERMANENT_SESSION_LIFETIME``, counted from when the cookie was signed), and the keys (a
changed ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` verifies the cookie afresh). A cookie that
fails its check is never kept.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

from kb.lru import LRU

KEPT = 20_000  # cookies a process keeps (a few hundred bytes each)
_FLAT = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class _Verified:
    data: dict[str, Any]
    signed_at: int  # seconds since the epoch, as the cookie's timestamp says
    keys: tuple[Any, ...]  # the secret keys it was verified with


class KeptCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, each cookie verified once per process."""

    def __init__(self, kept: int = KEPT) -> None:
        self._verified: LRU[str, _Verified] = LRU(kept)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = self._verified.get(value)
        if verified is None or verified.keys != keys:
            serializer = self.get_signing_serializer(app)
            if serializer is None:
                return None
            try:
                data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:  # forged, damaged or expired: an empty session, as Flask does
                return self.session_class()
            verified = _Verified(data, int(signed.timestamp()), keys)
            self._verified.put(value, verified)
        else:
            age = int(time.time()) - verified.signed_at
            if age > max_age or age < 0:  # itsdangerous's own test
                return self.session_class()
        return self.session_class(_copy(verified.data))


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A request's own copy: nested values (the flashed messages' list) are copied too."""
    if all(isinstance(value, _FLAT) for value in data.values()):
        return dict(data)
    return copy.deepcopy(data)


def init_app(app: Flask) -> None:
    app.session_interface = KeptCookieSessions()
