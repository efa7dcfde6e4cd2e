"""Template helpers: the policy, dates, and navigation available in every template."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from flask import Flask
from flask_login import current_user

from kb.auth.policy import can, has_role
from kb.config import site_zone
from kb.models import Role


def when(value: datetime | date | None, fmt: str = "%d %b %Y", zone: tzinfo = UTC) -> str:
    """A date or time as people read it: times in ``zone`` (the site's TIMEZONE in templates;
    stored times are UTC, naive ones taken as UTC). Put ``%Z`` in ``fmt`` where the zone's
    abbreviation matters (a deadline, an hour someone acts on)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        value = aware.astimezone(zone)
    return value.strftime(fmt).lstrip("0")


def ago(value: datetime | None) -> str:
    """'3 hours ago', for lists where the exact time matters less than freshness."""
    if value is None:
        return ""
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def init_templates(app: Flask) -> None:
    zone = site_zone(app.config)

    def when_here(value: datetime | date | None, fmt: str = "%d %b %Y") -> str:
        return when(value, fmt, zone)

    app.jinja_env.filters["when"] = when_here
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["time_zone"] = zone.key  # forms say which clock their times are on

    endpoints: set[str] = set()

    @app.before_request
    def _endpoints() -> None:
        if not endpoints:
            endpoints.update(rule.endpoint for rule in app.url_map.iter_rules())

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "can": lambda action, thing=None: can(current_user, action, thing),
            "has_role": lambda role: has_role(current_user, Role(role)),
            "site_name": app.config["SITE_NAME"],
            "url_map_endpoints": endpoints,
        }
