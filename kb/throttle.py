"""Throttling with Flask-Limiter: one table says which endpoints are limited, by what key, with
which setting. Each app gets its own limiter (tests build many apps); the storage is in memory
unless RATELIMIT_STORAGE_URI names a shared one (e.g. ``redis://...``), which a site with
several server processes needs for the limits to hold across them.

A refused request is a 429 with a sentence a person understands and ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, make_response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.auth.users import normalise_email
from kb.errors import error_response


def client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For when TRUSTED_PROXIES is set)."""
    return request.remote_addr or "unknown"


def client_fingerprint() -> str:
    """A stable, keyed digest of the client's address: lets kb tell one anonymous client from
    another (one vote per article) without storing the address itself."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, client_address().encode(), hashlib.sha256).hexdigest()[:32]


def _account() -> str:
    return "account:" + normalise_email(request.form.get("email", ""))[:254]


def _signed_in() -> bool:
    return bool(current_user.is_authenticated)


def _failed_sign_in(response) -> bool:
    return response.status_code == 401


@dataclass(frozen=True)
class Rule:
    """Limit ``endpoints`` (sharing one budget) by ``setting`` (a Flask-Limiter rate string such
    as "5 per minute; 20 per hour"), counted per ``key``."""

    scope: str
    setting: str
    endpoints: tuple[str, ...]
    message: str
    key: Callable[[], str] = client_address
    methods: tuple[str, ...] = ("POST",)
    anonymous_only: bool = False
    count_only: Callable | None = None  # count only responses this accepts


RULES: tuple[Rule, ...] = (
    Rule(
        "sign-in-account",
        "RATELIMIT_SIGN_IN_ACCOUNT",
        ("auth.login",),
        "Too many failed sign-ins for this account.",
        key=_account,
        count_only=_failed_sign_in,
    ),
    Rule(
        "sign-in-client",
        "RATELIMIT_SIGN_IN_CLIENT",
        ("auth.login",),
        "Too many failed sign-ins from this address.",
        count_only=_failed_sign_in,
    ),
    Rule(
        "votes",
        "RATELIMIT_VOTES",
        ("editor.give_feedback", "articles_api.article_feedback"),
        "Too many requests: votes from this address are paused for a while.",
        anonymous_only=True,
    ),
    Rule(
        "step-flags",
        "RATELIMIT_VOTES",
        ("tree_flags.flag_step", "tree_flags.flag_step_api"),
        "Too many requests: flags from this address are paused for a while.",
        anonymous_only=True,
    ),
    Rule(
        "escalations",
        "RATELIMIT_ESCALATIONS",
        (
            "escalation.new_escalation",
            "escalation.create_api",
            "requests.new_request",
            "requests.create_api",
        ),
        "Too many requests from this address. If it is urgent, sign in or call the help desk.",
        anonymous_only=True,
    ),
    Rule(
        "subscriptions",
        "RATELIMIT_SUBSCRIPTIONS",
        ("outages.subscribe", "outages.subscribe_api"),
        "Too many requests: subscriptions from this address are paused for a while.",
    ),
    Rule(
        "webhooks",
        "RATELIMIT_WEBHOOKS",
        ("webhooks.inbound_ticket_resolved", "request_tracker.rt_ticket_resolved"),
        "Too many requests from this address.",
    ),
)


def init_throttling(app: Flask) -> Limiter:
    """Bind a limiter to ``app`` and apply RULES to the endpoints that exist (plugins' included);
    call after every blueprint is registered."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    limiter = Limiter(key_func=client_address, app=app)
    if not (app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION")):
        _skip_checks_before_every_request(app, limiter)
    for rule in RULES:
        shared = limiter.shared_limit(
            lambda setting=rule.setting: current_app.config[setting],
            scope=rule.scope,
            key_func=rule.key,
            methods=list(rule.methods),
            error_message=rule.message,
            exempt_when=_signed_in if rule.anonymous_only else None,
            deduct_when=rule.count_only,
        )
        for endpoint in rule.endpoints:
            view = app.view_functions.get(endpoint)
            if view is not None:
                app.view_functions[endpoint] = shared(view)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded):
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        response = make_response(
            error_response(
                429, "too_many_requests", f"{error.description} Try again in {_duration(wait)}."
            )
        )
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter


def _skip_checks_before_every_request(app: Flask, limiter: Limiter) -> None:
    """Flask-Limiter checks every request before its view for site-wide limits; kb's limits
    sit on their views (RULES), which check them when called. Without a site-wide limit the
    hook only costs time (a tenth of a kept article page's), so it goes. Should a later
    Flask-Limiter register it differently, nothing is removed and the limits still hold."""
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [
        hook
        for hook in hooks
        if not (
            getattr(hook, "__self__", None) is limiter
            and getattr(hook, "__func__", None) is Limiter._check_request_limit
        )
    ]


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"
