"""An operator checks a node in a real browser: liveness, readiness, and a page's request id
found in the server's log."""

from __future__ import annotations

import json
import logging

import pytest

pytestmark = pytest.mark.e2e


def test_health_checks_and_request_ids(page, caplog) -> None:
    caplog.set_level(logging.INFO)
    alive = page.goto("/healthz")
    assert alive.status == 200 and json.loads(page.inner_text("body")) == {"status": "ok"}

    ready = page.goto("/readyz")
    assert ready.status == 200
    assert json.loads(page.inner_text("body")) == {
        "status": "ready",
        "checks": {"database": "ok", "search": "ok", "outbox": "ok"},
    }

    # someone reports a page that went wrong, with the id their browser received
    missing = page.goto("/articles/no-such-article")
    assert missing.status == 404
    request_id = missing.headers["x-request-id"]
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
    assert [r.getMessage().split()[:3] for r in logged if r.name == "kb.access"] == [
        ["GET", "/articles/no-such-article", "404"]
    ]
    assert page.goto("/").headers["x-request-id"] != request_id
