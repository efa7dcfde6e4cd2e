"""Inbound webhooks: the signature covers the delivery id and the source, so a captured
request cannot be replayed under a new X-KB-Delivery or another X-KB-Source."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from kb.escalation.service import by_public_id
from kb.extensions import kb_state
from kb.followups import reopen
from tests.escalation.conftest import add_articles, escalate

INBOUND = "/api/v1/webhooks/ticket-resolved"
SECRET = "inbound-secret"


def sign(secret: str, timestamp: str, source: str, delivery: str, body: bytes) -> str:
    """The documented base string: timestamp, source, delivery id, body, one per line."""
    base = f"{timestamp}\n{source}\n{delivery}\n".encode() + body
    return hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(payload, *, secret=SECRET, delivery="d-1", source=None):
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-KB-Delivery": delivery,
        "X-KB-Timestamp": stamp,
        "X-KB-Signature": sign(secret, stamp, source or "webhook", delivery, body),
    }
    if source:
        headers["X-KB-Source"] = source
    return {"data": body, "headers": headers}


def setup(make_app, tmp_path, secret):
    app = make_app(content="empty", WEBHOOK_INBOUND_SECRET=secret)
    add_articles(app, tmp_path / "arts", "printer-offline")
    kb = kb_state(app)
    return app, kb, escalate(kb)


def resolution(public_id: str) -> dict:
    return {"escalation": public_id, "resolution": "Replaced the cable.", "resolver": "sam"}


def status(kb, public_id: str) -> str:
    with kb.session() as session:
        return by_public_id(session, public_id).status


def test_a_captured_delivery_replayed_with_a_new_delivery_id_is_refused(make_app, tmp_path):
    app, kb, public_id = setup(make_app, tmp_path, SECRET)
    client = app.test_client()
    captured = signed(resolution(public_id), delivery="d-1")
    assert client.post(INBOUND, **captured).status_code == 200
    with kb.session() as session:
        reopen(session, by_public_id(session, public_id), "Still broken")
        session.commit()
    replay = {"data": captured["data"], "headers": {**captured["headers"], "X-KB-Delivery": "d-2"}}
    response = client.post(INBOUND, **replay)
    assert response.status_code == 401
    assert status(kb, public_id) == "reopened"
    again = client.post(INBOUND, **captured)  # the very same request: already received
    assert again.status_code == 409
    assert status(kb, public_id) == "reopened"


def test_a_delivery_cannot_be_replayed_under_another_source(make_app, tmp_path):
    secrets = {"jira": "jira-secret", "zammad": "jira-secret"}  # even with the same secret
    app, kb, public_id = setup(make_app, tmp_path, secrets)
    client = app.test_client()
    captured = signed(resolution(public_id), secret="jira-secret", source="jira")
    assert client.post(INBOUND, **captured).status_code == 200
    with kb.session() as session:
        reopen(session, by_public_id(session, public_id), "Still broken")
        session.commit()
    replay = {"data": captured["data"], "headers": {**captured["headers"], "X-KB-Source": "zammad"}}
    assert client.post(INBOUND, **replay).status_code == 401
    assert status(kb, public_id) == "reopened"


def test_one_shared_secret_does_not_accept_any_source_name(make_app, tmp_path):
    app, kb, public_id = setup(make_app, tmp_path, SECRET)
    response = app.test_client().post(INBOUND, **signed(resolution(public_id), source="servicenow"))
    assert response.status_code == 401
    assert "WEBHOOK_INBOUND_SECRET" in response.get_json()["message"]
    assert status(kb, public_id) != "resolved"
