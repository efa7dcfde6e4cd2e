"""Signed webhooks: kb's events delivered to a local HTTP server through the outbox, and the
inbound "ticket resolved" endpoint refusing forged, stale, replayed and malformed deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kb.articles.revisions import get_article
from kb.errors import PluginError
from kb.escalation.service import by_public_id
from kb.escalation.writeback import resolution_log
from kb.extensions import kb_state
from kb.followups import answer, by_token, run_due
from kb.models import Escalation, FollowUp, OutboxMessage, WebhookReceipt, utcnow
from kb.outbox import dispatch
from tests.escalation.conftest import add_articles, escalate
from tests.plugins.receiver import Receiver

OUT_SECRET = "outbound-secret"
IN_SECRET = "inbound-secret"
INBOUND = "/api/v1/webhooks/ticket-resolved"


def expected_signature(
    secret: str, timestamp: str, body: bytes, source: str = "webhook", delivery: str = ""
) -> str:
    """The documented base string: timestamp, source, delivery id (one per line), then body."""
    base = f"{timestamp}\n{source}\n{delivery}\n".encode() + body
    return hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app, receiver, tmp_path):
    application = make_app(
        content="empty",
        BASE_URL="http://kb.test",
        WEBHOOK_URLS=[receiver.url],
        WEBHOOK_SECRET=OUT_SECRET,
        WEBHOOK_INBOUND_SECRET=IN_SECRET,
        OUTBOX_BACKOFF_SECONDS=0,
    )
    add_articles(application, tmp_path / "arts", "printer-jam", "printer-offline")
    yield application
    kb_state(application).engine.dispose()


@pytest.fixture
def kb(app):
    return kb_state(app)


def events(receiver) -> list[str]:
    return [d.headers["X-KB-Event"] for d in receiver.received]


# --- outbound ---------------------------------------------------------------------------------


def test_an_escalation_is_posted_signed_with_its_delivery_key(kb, receiver):
    public_id = escalate(kb)
    assert receiver.received == []  # nothing leaves inside the request
    dispatch(kb)
    (delivery,) = receiver.received
    headers = delivery.headers
    assert headers["X-KB-Event"] == "escalation.created"
    assert headers["X-KB-Delivery"] == f"escalation:{public_id}:webhooks"
    assert headers["Content-Type"] == "application/json"
    timestamp = headers["X-KB-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 300
    assert headers["X-KB-Source"] == "kb"
    assert headers["X-KB-Signature"] == expected_signature(
        OUT_SECRET, timestamp, delivery.body, "kb", headers["X-KB-Delivery"]
    )
    payload = json.loads(delivery.body)
    assert payload["event"] == "escalation.created"
    assert payload["delivery"] == headers["X-KB-Delivery"]
    assert payload["data"]["public_id"] == public_id
    assert payload["data"]["priority"] == "P2"
    assert payload["data"]["status_url"] == f"http://kb.test/escalations/{public_id}"


def test_a_target_that_fails_gets_the_same_delivery_again_later(kb, receiver):
    receiver.statuses = [503, 429]
    escalate(kb)
    dispatch(kb)
    dispatch(kb)
    with kb.session() as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("%:webhooks")))
        assert message.status == "pending" and message.attempts == 2
        assert "answered 429" in message.last_error
    dispatch(kb)
    first, _, third = receiver.received
    assert first.headers["X-KB-Delivery"] == third.headers["X-KB-Delivery"]
    assert first.body == third.body
    with kb.session() as session:
        assert session.get(OutboxMessage, message.id).status == "done"


@pytest.mark.parametrize("status", [400, 404, 410])
def test_a_target_that_refuses_the_delivery_is_a_dead_letter_at_once(kb, receiver, status):
    receiver.statuses = [status]
    escalate(kb)
    report = dispatch(kb)
    assert report.dead == 1
    with kb.session() as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("%:webhooks")))
        assert message.status == "dead" and f"answered {status}" in message.last_error


def test_an_unreachable_target_is_retried(make_app):
    from tests.integration.conftest import free_port

    kb = kb_state(
        make_app(
            content="empty",
            WEBHOOK_URLS=[f"http://127.0.0.1:{free_port()}/hook"],
            WEBHOOK_SECRET=OUT_SECRET,
        )
    )
    escalate(kb, articles_viewed=[])
    assert dispatch(kb).retried == 1


def test_resolutions_and_follow_ups_are_posted_too(kb, receiver):
    public_id = escalate(kb)
    dispatch(kb)
    with kb.session() as session:
        from kb.escalation.service import ResolutionInput, resolve_escalation

        resolve_escalation(
            session,
            kb,
            by_public_id(session, public_id),
            ResolutionInput(
                resolver="tech@example.org",
                text="Cleared the queue.",
                articles=["printer-jam"],
                followup_days=1,
            ),
        )
        session.commit()
    dispatch(kb)
    run_due(kb, now=utcnow() + timedelta(days=2))
    dispatch(kb)
    with kb.session() as session:
        token = session.scalar(select(FollowUp.token))
        answer(session, kb, by_token(session, token), fixed=True)
        session.commit()
    dispatch(kb)
    assert events(receiver) == [
        "escalation.created",
        "ticket.resolved",
        "followup.due",
        "followup.answered",
    ]
    resolved = json.loads(receiver.received[1].body)["data"]
    assert resolved["text"] == "Cleared the queue." and resolved["articles"] == ["printer-jam"]
    due = json.loads(receiver.received[2].body)["data"]
    assert due["answer_url"] == f"http://kb.test/followups/{token}"


def test_outages_are_posted(kb, receiver):
    from kb.outages.service import close, declare

    with kb.session() as session:
        outage = declare(
            session,
            kb,
            actor="tech@example.org",
            service="email",
            title="Mail is down",
            user_message="You cannot send mail.",
        )
        session.commit()
        close(session, kb, outage, actor="tech@example.org", cause="A full disk")
        session.commit()
    dispatch(kb)
    assert events(receiver) == ["outage.changed", "outage.changed"]
    declared, closed = (json.loads(d.body)["data"] for d in receiver.received)
    assert (declared["change"], closed["change"]) == ("declared", "closed")
    assert closed["cause"] == "A full disk" and closed["url"].startswith("http://kb.test/outages/")


def test_webhooks_without_a_secret_stop_the_app_at_start_up(make_app):
    with pytest.raises(PluginError, match="WEBHOOK_SECRET"):
        make_app(content="empty", WEBHOOK_URLS=["https://hooks.example.org/kb"])


def test_an_unconfigured_site_has_no_webhooks(make_app):
    app = make_app(content="empty")
    kb = kb_state(app)
    assert not kb.pm.has_plugin("webhooks")
    escalate(kb, articles_viewed=[])
    with kb.session() as session:
        keys = session.scalars(select(OutboxMessage.key)).all()
    assert not [k for k in keys if k.endswith(":webhooks")]
    response = app.test_client().post(INBOUND, json={})
    assert response.status_code in (400, 404)  # no such endpoint (CSRF answers first)
    assert "webhooks" not in app.blueprints


# --- inbound ----------------------------------------------------------------------------------


def signed(
    payload,
    *,
    secret: str = IN_SECRET,
    delivery: str = "d-1",
    timestamp: int | None = None,
    source: str | None = None,
    raw: bytes | None = None,
):
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-KB-Delivery": delivery,
        "X-KB-Timestamp": stamp,
        "X-KB-Signature": expected_signature(secret, stamp, body, source or "webhook", delivery),
    }
    if source:
        headers["X-KB-Source"] = source
    return {"data": body, "headers": headers}


@pytest.fixture
def ticketed(kb):
    """An escalation whose ticket lives in another system, HD-7."""
    public_id = escalate(kb)
    dispatch(kb)
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        escalation.ticket_system, escalation.ticket_ref = "helpdesk", "HD-7"
        session.commit()
    return public_id


def unchanged(kb, public_id: str) -> bool:
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        receipts = session.scalar(select(func.count()).select_from(WebhookReceipt))
        article = get_article(session, "printer-offline")
        return (
            escalation.status != "resolved"
            and receipts == 0
            and article.reuse_count == 0
            and session.scalar(select(func.count()).select_from(Escalation)) == 1
        )


RESOLUTION = {
    "ticket_ref": "HD-7",
    "resolution": "Replaced the network cable.",
    "articles": ["printer-offline"],
    "resolver": "sam@example.org",
}


def test_a_signed_resolution_resolves_the_escalation_and_writes_back(app, kb, ticketed):
    client = app.test_client()
    response = client.post(INBOUND, **signed(RESOLUTION))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "escalation": ticketed,
        "status": "resolved",
        "articles": ["printer-offline"],
        "draft_article": None,
        "changed": True,
    }
    with kb.session() as session:
        escalation = by_public_id(session, ticketed)
        assert escalation.resolution_text == "Replaced the network cable."
        assert escalation.resolved_by == "sam@example.org"
        article = get_article(session, "printer-offline")
        assert article.reuse_count == 1
        (entry,) = resolution_log(session, article)
        assert entry["ticket"] == "helpdesk:HD-7"
        assert session.scalar(select(WebhookReceipt.delivery_id)) == "d-1"


def test_a_resolution_can_name_the_escalation_and_ask_for_a_draft(app, kb, ticketed):
    payload = {
        "escalation": ticketed,
        "resolution": "Swapped the dock.",
        "resolver": "sam",
        "followup_days": 2,
    }
    response = app.test_client().post(INBOUND, **signed(payload))
    assert response.status_code == 200
    assert response.get_json()["draft_article"] == "printer-on-floor-3-is-offline"
    with kb.session() as session:
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 1


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"secret": "forged"}, 401, "unauthorized"),
        ({"age": 600}, 401, "unauthorized"),  # seconds before the request is sent
        ({"age": -600}, 401, "unauthorized"),
        ({"raw": b"{not json"}, 400, "bad_request"),
        ({"delivery": ""}, 422, "invalid"),
    ],
    ids=["forged", "stale", "future", "bad-json", "no-delivery-id"],
)
def test_bad_deliveries_are_refused_and_change_nothing(app, kb, ticketed, change, status, error):
    if "age" in change:  # the time is taken now, not when the tests were collected
        change = {"timestamp": int(time.time()) - change["age"]}
    response = app.test_client().post(INBOUND, **signed(RESOLUTION, **change))
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert unchanged(kb, ticketed)


def test_a_signature_over_another_body_is_refused(app, kb, ticketed):
    request = signed(RESOLUTION)
    request["data"] = json.dumps({**RESOLUTION, "resolution": "Something else"}).encode()
    assert app.test_client().post(INBOUND, **request).status_code == 401
    assert unchanged(kb, ticketed)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**RESOLUTION, "resolution": ""}, "resolution"),
        ({**RESOLUTION, "resolver": None}, "resolver"),
        ({k: v for k, v in RESOLUTION.items() if k != "ticket_ref"}, "escalation"),
        ({**RESOLUTION, "articles": "printer-offline"}, "articles"),
        ({**RESOLUTION, "followup_days": "soon"}, "followup_days"),
        ({**RESOLUTION, "resolution": ["a list"]}, "resolution"),
    ],
)
def test_invalid_payloads_name_the_field(app, kb, ticketed, payload, field):
    response = app.test_client().post(INBOUND, **signed(payload))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert unchanged(kb, ticketed)


def test_a_json_array_is_refused(app, kb, ticketed):
    response = app.test_client().post(INBOUND, **signed(["HD-7"]))
    assert response.status_code == 422 and unchanged(kb, ticketed)


@pytest.mark.parametrize(
    "payload",
    [
        {**RESOLUTION, "ticket_ref": "HD-999"},
        {**RESOLUTION, "ticket_ref": "HD-7", "ticket_system": "jira"},
        {**{k: v for k, v in RESOLUTION.items() if k != "ticket_ref"}, "escalation": "nope"},
    ],
    ids=["unknown-ticket", "other-system", "unknown-escalation"],
)
def test_an_unknown_escalation_is_404_and_changes_nothing(app, kb, ticketed, payload):
    response = app.test_client().post(INBOUND, **signed(payload))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert unchanged(kb, ticketed)


def test_a_replayed_delivery_is_refused(app, kb, ticketed):
    client = app.test_client()
    assert client.post(INBOUND, **signed(RESOLUTION, delivery="d-42")).status_code == 200
    with kb.session() as session:
        revisions = len(get_article(session, "printer-offline").revisions)
    replay = client.post(INBOUND, **signed(RESOLUTION, delivery="d-42"))  # fresh signature
    assert replay.status_code == 409 and replay.get_json()["delivery"] == "d-42"
    with kb.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookReceipt)) == 1
        article = get_article(session, "printer-offline")
        assert article.reuse_count == 1 and len(article.revisions) == revisions


def test_each_source_can_have_its_own_secret(make_app, tmp_path):
    app = make_app(
        content="empty", WEBHOOK_INBOUND_SECRET={"jira": "jira-secret", "zammad": "z-secret"}
    )
    add_articles(app, tmp_path / "arts", "printer-offline")
    kb = kb_state(app)
    public_id = escalate(kb)
    client = app.test_client()
    payload = {"escalation": public_id, "resolution": "Fixed.", "resolver": "x"}
    wrong = client.post(INBOUND, **signed(payload, secret="z-secret", source="jira"))
    assert wrong.status_code == 401
    unknown = client.post(INBOUND, **signed(payload, secret="jira-secret", source="servicenow"))
    assert unknown.status_code == 401 and "servicenow" in unknown.get_json()["message"]
    right = client.post(INBOUND, **signed(payload, secret="jira-secret", source="jira"))
    assert right.status_code == 200
    with kb.session() as session:
        assert session.scalar(select(WebhookReceipt.source)) == "jira"


def test_an_approval_decision_is_posted_but_never_the_approvers_link(kb, receiver):
    from kb.requests.approvals import decide, issue_link
    from kb.requests.service import NewRequest, submit
    from kb.requests.types import request_types

    software = request_types(kb)["software"]
    with kb.session() as session:
        escalation = submit(
            session,
            kb,
            software,
            NewRequest(
                requester_name="Robin",
                requester_email="robin@example.org",
                approver_email="manager@example.org",
                answers={"name": "Inkscape", "reason": "Drawing plans"},
            ),
        )
        link = issue_link(session, kb, escalation.approval, software.title).rpartition("/")[2]
        session.commit()
    dispatch(kb)
    assert events(receiver) == []  # kb_approval_requested carries the approver's secret link
    with kb.session() as session:
        decide(session, kb, link, "decline", "Use the free viewer.", software.title)
        session.commit()
    dispatch(kb)
    assert events(receiver) == ["approval.decided"]
    data = json.loads(receiver.received[0].body)["data"]
    assert (data["status"], data["comment"]) == ("declined", "Use the free viewer.")
    assert data["approve_url"] == ""
