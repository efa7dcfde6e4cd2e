"""``GET /healthz`` and ``GET /readyz``: for load balancers, open to anyone, never throttled,
no person looked up (kb.extensions.authenticates_itself: no CSRF, no sign-in, no database)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from kb import health
from kb.extensions import authenticates_itself, kb_state

bp = Blueprint("health", __name__)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@authenticates_itself
def healthz():
    """Liveness: the process answers (200); nothing else is looked at."""
    return _no_store(jsonify(health.liveness()))


@bp.get("/readyz")
@authenticates_itself
def readyz():
    """Readiness: 200 when every required check is ok, else 503; each check's state."""
    readiness = health.readiness(kb_state())
    return _no_store(jsonify(readiness.as_json())), 200 if readiness.ready else 503
