"""The requester's status page and the technicians' follow-ups page say only what is true: e-mail
only when a plugin sends it, "notified" only when a notification was delivered, times in the
site's time zone; the page echoes what the requester typed; a signed-in person is not asked
who they are."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kb import hookimpl
from kb.config import configuration_problems, local_zone_name
from kb.errors import ConfigError
from kb.escalation.service import by_public_id
from kb.extensions import kb_state
from kb.followups import run_due
from kb.models import Escalation, FollowUp, Ticket, utcnow
from kb.outbox import dispatch
from tests.conftest import AuthActions, csrf_token
from tests.escalation.conftest import escalate
from tests.test_config_checks import settings

MAIL = {"SMTP_HOST": "mail.invalid", "SMTP_FROM": "desk@example.org", "BASE_URL": "http://kb"}


def status_page(app, public_id: str) -> str:
    response = app.test_client().get(f"/escalations/{public_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def resolve_with_followup(app, public_id: str, days: str = "2") -> None:
    """A technician resolves the escalation's ticket in the queue, asking for a follow-up."""
    kb = kb_state(app)
    dispatch(kb)  # the ticket is made by the outbox
    client = app.test_client()
    AuthActions(client).login("technician")
    with kb.session() as session:
        ticket_id = session.scalar(
            select(Ticket.id).join(Escalation).where(Escalation.public_id == public_id)
        )
    token = csrf_token(client, f"/queue/{ticket_id}")
    response = client.post(
        f"/queue/{ticket_id}/resolve",
        data={
            "csrf_token": token,
            "resolution": "Restarted the spooler.",
            "create_draft": "",
            "followup_days": days,
            "followup_text": "Is the printer still working?",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


# --- e-mail: promised only when a plugin sends it --------------------------------------------


def test_without_a_mail_plugin_the_status_page_promises_no_e_mail(app, kb) -> None:
    page = status_page(app, escalate(kb))
    assert "by e-mail" not in page
    assert "sends no e-mail from here" in page


def test_with_smtp_configured_the_status_page_says_by_e_mail(make_app) -> None:
    app = make_app(content="empty", **MAIL)
    try:
        page = status_page(app, escalate(kb_state(app)))
        assert "by e-mail to pat@example.org" in page
        assert "sends no e-mail" not in page
    finally:
        kb_state(app).engine.dispose()


class ChatMailer:
    """A site's own plugin that e-mails people says so."""

    KB_SENDS_MAIL = True

    @hookimpl
    def kb_escalation_created(self, kb, escalation, delivery_key):
        pass


def test_a_plugin_that_declares_it_sends_mail_counts(make_app) -> None:
    app = make_app(content="empty", plugins=[ChatMailer()])
    try:
        assert "by e-mail to pat@example.org" in status_page(app, escalate(kb_state(app)))
    finally:
        kb_state(app).engine.dispose()


def test_a_phone_only_request_is_answered_by_phone(app, kb) -> None:
    page = status_page(app, escalate(kb, requester_email="", requester_phone="+49 30 1234"))
    assert "by phone on +49 30 1234" in page


# --- what the requester typed --------------------------------------------------------------


def test_the_status_page_echoes_summary_details_and_answers_escaped(app, kb) -> None:
    public_id = escalate(
        kb,
        summary="Printer <b>offline</b> & jammed",
        details='Error "0x1F" since <script>alert(1)</script> Monday\nTray 2 is stuck.',
        answers_to_ask={"Asset tag?": "PRN-42", "Floor?": ""},
    )
    page = status_page(app, public_id)
    echo = page[page.index("What you told us") :]
    assert html.escape("Printer <b>offline</b> & jammed", quote=False) in echo
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in echo and "<script>alert" not in page
    assert "Tray 2 is stuck." in echo
    assert "Asset tag?" in echo and "PRN-42" in echo
    assert "Floor?" not in echo  # unanswered questions are not echoed


# --- the follow-up, with its date ----------------------------------------------------------


def test_the_scheduled_follow_up_is_shown_with_its_date_and_answered_from_the_page(app, kb) -> None:
    public_id = escalate(kb)
    resolve_with_followup(app, public_id)
    with kb.session() as session:
        followup = session.scalar(select(FollowUp))
        due, link = followup.due_at, followup.token
    page = status_page(app, public_id)
    assert "Checking that it stays fixed" in page
    assert f"On <strong>{f'{due:%d %b %Y %H:%M %Z}'.lstrip('0')}</strong>" in page
    assert "come back to this page then" in page  # no mail plugin
    assert link not in page  # not yet due: no answer link
    with kb.session() as session:
        session.scalar(select(FollowUp)).due_at = utcnow() - timedelta(minutes=1)
        session.commit()
    page = status_page(app, public_id)
    assert f"/followups/{link}" in page and "Is it still working? Tell us" in page
    client = app.test_client()
    answered = client.post(
        f"/followups/{link}",
        data={"csrf_token": csrf_token(client, f"/followups/{link}"), "fixed": "yes"},
    )
    assert answered.status_code == 302
    assert "it is still fixed" in status_page(app, public_id)


# --- the technicians' follow-ups page: "notified" only when it was -------------------------


def followups_page(app) -> str:
    """What the one follow-up's delivery cell says, in words."""
    client = app.test_client()
    AuthActions(client).login("technician")
    response = client.get("/followups")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    marker = 'class="followup-delivery">'
    cell = page[page.index(marker) + len(marker) :]
    return " ".join(re.sub(r"<[^>]+>", "", cell[: cell.index("</td>")]).split())


def test_a_due_follow_up_nobody_was_told_of_is_not_called_notified(app, kb) -> None:
    resolve_with_followup(app, escalate(kb), days="1")
    assert followups_page(app).startswith("scheduled ·")
    assert run_due(kb, now=utcnow() + timedelta(days=1, minutes=1)) == 1
    assert followups_page(app).startswith("due; nobody was notified (no plugin sends follow-ups)")


class FollowUpPager:
    """A plugin that tells someone a follow-up is due."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    @hookimpl
    def kb_followup_due(self, kb, followup, delivery_key):
        if self.fail:
            raise RuntimeError("pager down")


@pytest.mark.parametrize("fail", [False, True])
def test_notified_only_after_a_delivery_succeeded(make_app, fail: bool) -> None:
    app = make_app(
        content="empty", plugins=[FollowUpPager(fail)], OUTBOX_MAX_ATTEMPTS=1, BASE_URL="x"
    )
    kb = kb_state(app)
    try:
        resolve_with_followup(app, escalate(kb, articles_viewed=[]), days="1")
        run_due(kb, now=utcnow() + timedelta(days=1, minutes=1))
        assert followups_page(app).startswith("due; notification being sent")
        dispatch(kb, now=lambda: utcnow() + timedelta(days=2))
        said = followups_page(app)
        if fail:
            assert said.startswith("due; notification failed: contact the requester yourself")
        else:
            assert re.match(r"notified \d+ \w+ \d\d:\d\d UTC ·", said), said
    finally:
        kb.engine.dispose()


# --- the site's time zone ------------------------------------------------------------------


def test_times_are_shown_in_the_site_time_zone_with_its_abbreviation(make_app) -> None:
    app = make_app(content="empty", TIMEZONE="America/New_York")
    kb = kb_state(app)
    try:
        public_id = escalate(kb)
        with kb.session() as session:
            escalation = by_public_id(session, public_id)
            due = escalation.response_due.astimezone(ZoneInfo("America/New_York"))
        page = status_page(app, public_id)
        shown = f"{due:%d %b %H:%M %Z}".lstrip("0")
        assert shown in page and due.strftime("%Z") in ("EST", "EDT")
        assert " UTC" not in page
        api = app.test_client().get(f"/api/v1/escalations/{public_id}").get_json()
        assert api["response_due"].endswith("+00:00")  # the JSON twin stays in UTC
    finally:
        kb.engine.dispose()


def test_a_wrong_time_zone_stops_the_start_with_one_line(make_app) -> None:
    line = (
        'TIMEZONE: \'Europe/Berln\' is not a time zone (an IANA name like "Europe/Berlin" or "UTC")'
    )
    assert configuration_problems(settings(TIMEZONE="Europe/Berln")) == [line]
    assert configuration_problems(settings(TIMEZONE="Europe/Berlin")) == []
    with pytest.raises(ConfigError) as raised:
        make_app(content="empty", TIMEZONE="Europe/Berln")
    assert line in str(raised.value)


def test_the_default_is_the_machine_zone(app, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert local_zone_name() == "Asia/Tokyo"
    monkeypatch.setenv("TZ", "Not/AZone")
    assert local_zone_name() != "Not/AZone"
    assert app.config["TIMEZONE"]  # resolved at start, never left empty


# --- signed-in people are not asked who they are -------------------------------------------


def test_a_signed_in_requester_is_shown_their_account_not_asked(app, kb) -> None:
    client = app.test_client()
    AuthActions(client).login("requester")
    form = client.get("/escalations/new").get_data(as_text=True)
    assert "Sent as <strong>Requester</strong> (requester@example.org)" in form
    assert 'name="requester_name"' not in form and 'name="requester_email"' not in form
    assert 'name="requester_phone"' in form and 'name="requester_location"' in form
    response = client.post(
        "/escalations/new",
        data={
            "csrf_token": csrf_token(client, "/escalations/new"),
            "summary": "Monitor flickers",
            "impact": "low",
            "urgency": "low",
            "requester_name": "Someone Else",  # what a forged form might send
            "requester_email": "else@example.org",
            "requester_location": "Annex 3",
        },
    )
    assert response.status_code == 302
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    with kb.session() as session:
        escalation = by_public_id(session, public_id)
        assert (escalation.requester_name, escalation.requester_email) == (
            "Requester",
            "requester@example.org",
        )
        assert escalation.requester_location == "Annex 3"


def test_the_json_twin_takes_the_account_too(app, kb) -> None:
    client = app.test_client()
    AuthActions(client).login("requester")
    answer = client.post(
        "/api/v1/escalations",
        json={"summary": "Monitor flickers", "impact": "low", "urgency": "low"},
        headers={"X-CSRFToken": csrf_token(client, "/")},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    with kb.session() as session:
        escalation = by_public_id(session, answer.get_json()["id"])
        assert escalation.requester_email == "requester@example.org"


def test_anonymous_visitors_are_still_asked(app) -> None:
    form = app.test_client().get("/escalations/new").get_data(as_text=True)
    assert 'name="requester_name"' in form and 'name="requester_email"' in form
    assert "Sent as" not in form
