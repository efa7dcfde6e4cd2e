"""Outage e-mail subscriptions are confirmed by their address's owner: a signed, expiring link
goes out through the outbox (kb_outage_subscription_requested); until it is used the address
gets no outage mail."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from kb import hookimpl
from kb.extensions import kb_state
from kb.models import Outage
from kb.outbox import dispatch
from tests.conftest import AuthActions, csrf_token
from tests.escalation.conftest import escalate
from tests.outages.test_outages import declare


class Mailroom:
    def __init__(self) -> None:
        self.requests = []
        self.changes = []

    @hookimpl
    def kb_outage_subscription_requested(self, kb, subscription, delivery_key):
        self.requests.append(subscription)

    @hookimpl
    def kb_outage_changed(self, kb, outage, delivery_key):
        self.changes.append(outage)


@pytest.fixture
def mailroom():
    return Mailroom()


@pytest.fixture
def app(make_app, mailroom):
    return make_app(plugins=[mailroom], BASE_URL="http://kb.test")


@pytest.fixture
def outage_id(app):
    client = app.test_client()
    AuthActions(client).login("technician")
    declare(client)
    with kb_state(app).session() as session:
        return session.scalar(select(Outage.id))


def _subscribe(client, outage_id: int, email: str):
    token = csrf_token(client, f"/outages/{outage_id}")
    return client.post(
        f"/outages/{outage_id}/subscribe",
        data={"csrf_token": token, "email": email},
        follow_redirects=True,
    )


def _post_update(app, outage_id: int, text: str) -> None:
    client = app.test_client()
    AuthActions(client).login("technician")
    token = csrf_token(client, f"/outages/{outage_id}")
    client.post(f"/outages/{outage_id}/updates", data={"csrf_token": token, "text": text})


def _path(url: str) -> str:
    assert url.startswith("http://kb.test/outages/confirm/"), url
    return url.removeprefix("http://kb.test")


def test_an_anonymous_subscription_gets_no_mail_until_confirmed(app, client, mailroom, outage_id):
    page = _subscribe(client, outage_id, "Victim@Example.org")
    assert "confirm" in page.get_data(as_text=True).lower()
    _post_update(app, outage_id, "Half up.")
    dispatch(kb_state(app))
    (request,) = mailroom.requests
    assert request.email == "victim@example.org" and request.outage_title
    assert mailroom.changes[-1].subscribers == []  # unconfirmed: nobody to tell

    link = _path(request.confirm_url)
    landing = client.get(link)
    assert landing.status_code == 200 and "victim@example.org" in landing.get_data(as_text=True)
    _post_update(app, outage_id, "Still half up.")
    dispatch(kb_state(app))
    assert mailroom.changes[-1].subscribers == []  # opening the link alone confirms nothing

    confirmed = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert confirmed.status_code == 200
    assert "will e-mail updates" in confirmed.get_data(as_text=True)
    _post_update(app, outage_id, "All up.")
    dispatch(kb_state(app))
    assert mailroom.changes[-1].subscribers == ["victim@example.org"]


def test_a_tampered_confirmation_link_is_refused(app, client, mailroom, outage_id):
    _subscribe(client, outage_id, "pat@example.org")
    dispatch(kb_state(app))
    link = _path(mailroom.requests[0].confirm_url)
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    response = client.post(forged, data={"csrf_token": csrf_token(client, link)})
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_a_confirmation_link_expires(app, client, mailroom, outage_id, monkeypatch):
    _subscribe(client, outage_id, "pat@example.org")
    dispatch(kb_state(app))
    link = _path(mailroom.requests[0].confirm_url)
    token = csrf_token(client, link)
    later = time.time() + app.config["OUTAGE_CONFIRM_SECONDS"] + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(link, data={"csrf_token": token})
    monkeypatch.undo()
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    _post_update(app, outage_id, "Half up.")
    dispatch(kb_state(app))
    assert mailroom.changes[-1].subscribers == []


def test_subscribing_again_sends_a_new_link_not_a_duplicate(app, client, mailroom, outage_id):
    _subscribe(client, outage_id, "pat@example.org")
    _subscribe(client, outage_id, "pat@example.org")
    dispatch(kb_state(app))
    assert [r.email for r in mailroom.requests] == ["pat@example.org", "pat@example.org"]
    with kb_state(app).session() as session:
        assert len(session.get(Outage, outage_id).subscriptions) == 1


def test_a_signed_in_person_subscribing_their_own_address_needs_no_confirmation(
    app, client, auth, mailroom, outage_id
):
    auth.login("requester")
    _subscribe(client, outage_id, "Requester@example.org")
    _subscribe(client, outage_id, "someone.else@example.org")
    _post_update(app, outage_id, "Half up.")
    dispatch(kb_state(app))
    assert mailroom.changes[-1].subscribers == ["requester@example.org"]
    assert [r.email for r in mailroom.requests] == ["someone.else@example.org"]


def test_an_anonymous_escalation_during_an_outage_asks_its_address_to_confirm(
    app, mailroom, outage_id
):
    escalate(kb_state(app), service="email", articles_viewed=[], requester_email="lee@example.org")
    _post_update(app, outage_id, "Half up.")
    dispatch(kb_state(app))
    assert [r.email for r in mailroom.requests] == ["lee@example.org"]
    assert mailroom.changes[-1].subscribers == []
    assert re.match(r"http://kb.test/outages/confirm/\S+$", mailroom.requests[0].confirm_url)


def test_kb_outage_subscription_requested(app, client, mailroom, outage_id):
    _subscribe(client, outage_id, "pat@example.org")
    dispatch(kb_state(app))
    (request,) = mailroom.requests
    assert request.outage_id == outage_id and request.service == "email"
    assert request.outage_title == "E-mail is down for everyone"
    assert request.expires_at > request.expires_at.now(request.expires_at.tzinfo)
    assert _path(request.confirm_url)
