"""E-mail notifications delivered to a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from kb.escalation.service import ResolutionInput, by_public_id, resolve_escalation
from kb.extensions import kb_state
from kb.followups import run_due
from kb.models import FollowUp, OutboxMessage, utcnow
from kb.outbox import dispatch
from tests.escalation.conftest import add_articles, escalate
from tests.integration.conftest import free_port, unavailable

pytestmark = pytest.mark.integration

SENDER = "IT Help Desk <desk@kb.test>"


@dataclass
class Inbox:
    """What the SMTP server accepted; addresses in ``refuse`` get a permanent 550."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _, rcpts, m in self.messages if address in rcpts]


def _authenticator(inbox: Inbox):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.password == b"mail-password":
            inbox.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


@pytest.fixture
def smtp():
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        unavailable("aiosmtpd is not installed: pip install -e '.[test]'")
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_authenticator(inbox),
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def app(make_app, smtp, tmp_path):
    _, port = smtp
    application = make_app(
        content="empty",
        BASE_URL="http://kb.test",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_FROM=SENDER,
        SUPPORT_GROUP_EMAILS={"desktop-support": "desktop-team@kb.test"},
        OUTBOX_BACKOFF_SECONDS=0,
        TIMEZONE="America/New_York",
    )
    add_articles(application, tmp_path / "arts", "printer-offline")
    yield application
    kb_state(application).engine.dispose()


@pytest.fixture
def kb(app):
    return kb_state(app)


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_an_escalation_mails_the_requester_and_the_support_group(kb, smtp):
    inbox, _ = smtp
    public_id = escalate(kb, transcript_text="1. Restarted the spooler: no change")
    dispatch(kb)
    (to_requester,) = inbox.to("pat@example.org")
    (to_group,) = inbox.to("desktop-team@kb.test")
    assert to_requester["From"] == SENDER
    assert to_requester["Subject"] == "We have your request: Printer on floor 3 is offline"
    assert to_requester["Auto-Submitted"] == "auto-generated"
    text, html = bodies(to_requester)
    link = f"http://kb.test/escalations/{public_id}"
    assert "Hello Pat Doe" in text and link in text and "Priority: P2" in text
    # times on the site's clock (TIMEZONE), as its pages show them
    assert re.search(r"We will respond by: \d{1,2} \w{3} \d{4} \d{2}:\d{2} E[SD]T", text), text
    assert "UTC" not in text
    assert f'<a href="{link}">' in html and "Pat Doe" in html
    assert to_group["Subject"] == "[P2] Printer on floor 3 is offline"
    group_text, _ = bodies(to_group)
    assert "Restarted the spooler: no change" in group_text
    assert "Requester: Pat Doe <pat@example.org>" in group_text
    assert "http://kb.test/articles/printer-offline" in group_text
    assert to_requester["Message-ID"] != to_group["Message-ID"]
    assert to_requester["Message-ID"].endswith("@kb.test>")


def test_a_resolution_mails_what_was_done_and_the_follow_up_link(kb, smtp):
    inbox, _ = smtp
    public_id = escalate(kb)
    dispatch(kb)
    with kb.session() as session:
        resolve_escalation(
            session,
            kb,
            by_public_id(session, public_id),
            ResolutionInput(
                resolver="tech@example.org",
                text="Re-added the printer <with its new driver>.",
                articles=["printer-offline"],
                followup_days=2,
            ),
        )
        session.commit()
        token = session.scalar(select(FollowUp.token))
    dispatch(kb)
    (resolved,) = [m for m in inbox.to("pat@example.org") if m["Subject"].startswith("Resolved")]
    text, html = bodies(resolved)
    assert "Re-added the printer <with its new driver>." in text
    assert f"http://kb.test/followups/{token}" in text
    assert "&lt;with its new driver&gt;" in html and "<with" not in html


def test_a_follow_up_that_falls_due_mails_the_still_fixed_link(kb, smtp):
    inbox, _ = smtp
    from kb.followups import schedule

    with kb.session() as session:
        token = schedule(
            session,
            text="Is the printer on floor 3 still printing?",
            due_at=utcnow() + timedelta(days=2),
            requester_email="ann@example.org",
            requester_name="Ann",
        ).token
        session.commit()
    run_due(kb, now=utcnow() + timedelta(days=3))
    dispatch(kb)
    (message,) = inbox.to("ann@example.org")
    assert message["Subject"] == "Is it still fixed?"
    text, _ = bodies(message)
    assert "Is the printer on floor 3 still printing?" in text
    assert f"http://kb.test/followups/{token}" in text


def test_outage_news_reaches_its_subscribers_with_their_own_unsubscribe_link(kb, smtp):
    inbox, _ = smtp
    from kb.models import OutageSubscription
    from kb.outages.service import close, declare, subscribe, unsubscribe

    with kb.session() as session:
        outage = declare(
            session,
            kb,
            actor="tech@example.org",
            service="email",
            title="Mail is down",
            user_message="You cannot send or receive mail.",
        )
        subscribe(session, kb, outage, "ann@example.org", confirmed=True)
        subscribe(session, kb, outage, "bob@example.org", confirmed=True)
        session.commit()
        outage_id = outage.id
    dispatch(kb)  # declared before anyone subscribed: nobody to tell
    assert inbox.messages == []
    with kb.session() as session:
        from kb.outages.service import post_update

        outage = session.get(type(outage), outage_id)
        post_update(session, kb, outage, actor="tech", text="The mail server is restarting.")
        session.commit()
        token = session.scalar(
            select(OutageSubscription.token).where(OutageSubscription.email == "ann@example.org")
        )
    dispatch(kb)
    (to_ann,) = inbox.to("ann@example.org")
    assert to_ann["Subject"] == "Outage update: Mail is down"
    text, _ = bodies(to_ann)
    assert "The mail server is restarting." in text
    assert f"http://kb.test/outages/unsubscribe/{token}" in text
    assert len(inbox.to("bob@example.org")) == 1
    with kb.session() as session:
        unsubscribe(session, token)
        close(session, kb, session.get(type(outage), outage_id), actor="tech", cause="Full disk")
        session.commit()
    dispatch(kb)
    assert len(inbox.to("ann@example.org")) == 1  # unsubscribed: no more mail
    closed = inbox.to("bob@example.org")[-1]
    assert closed["Subject"] == "Resolved: Mail is down"
    assert "Cause: Full disk" in bodies(closed)[0]


def test_an_outage_subscription_is_confirmed_by_mail_before_any_news(kb, smtp):
    inbox, _ = smtp
    from kb.models import Outage
    from kb.outages.service import confirm, declare, post_update, subscribe

    with kb.session() as session:
        outage = declare(
            session,
            kb,
            actor="tech@example.org",
            service="email",
            title="Mail is down",
            user_message="You cannot send or receive mail.",
        )
        subscribe(session, kb, outage, "victim@example.org")
        session.commit()
        outage_id = outage.id
    dispatch(kb)
    (asked,) = inbox.to("victim@example.org")
    assert asked["Subject"] == "Confirm updates: Mail is down"
    link = re.search(r"http://kb\.test/outages/confirm/(\S+)", bodies(asked)[0]).group(1)
    with kb.session() as session:
        post_update(session, kb, session.get(Outage, outage_id), actor="tech", text="Restarting.")
        session.commit()
    dispatch(kb)
    assert len(inbox.to("victim@example.org")) == 1  # not confirmed: no news
    with kb.session() as session:
        confirm(session, kb.config, link)
        post_update(session, kb, session.get(Outage, outage_id), actor="tech", text="Half up.")
        session.commit()
    dispatch(kb)
    assert inbox.to("victim@example.org")[-1]["Subject"] == "Outage update: Mail is down"


def test_no_mail_is_sent_without_an_address(kb, smtp):
    inbox, _ = smtp
    escalate(
        kb, requester_email="", requester_phone="555-0100", group="network", articles_viewed=[]
    )
    report = dispatch(kb)
    assert report.dead == 0 and report.retried == 0
    assert inbox.messages == []


def test_a_mail_server_that_is_down_is_retried(make_app):
    kb = kb_state(
        make_app(
            content="empty",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=free_port(),
            SMTP_FROM=SENDER,
            OUTBOX_BACKOFF_SECONDS=0,
        )
    )
    escalate(kb, articles_viewed=[])
    assert dispatch(kb).retried == 1
    with kb.session() as session:
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.key.like("%:smtp_notify"))
        )
        assert message.status == "pending" and "Connection refused" in message.last_error


def test_a_refused_address_goes_to_the_dead_letters_after_the_others_are_sent(kb, smtp):
    inbox, _ = smtp
    inbox.refuse.add("pat@example.org")
    escalate(kb)
    assert dispatch(kb).dead == 1
    assert inbox.to("desktop-team@kb.test")  # the group still heard of it
    with kb.session() as session:
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.key.like("%:smtp_notify"))
        )
        assert message.status == "dead" and "pat@example.org" in message.last_error


def test_kb_signs_in_to_the_mail_server_when_given_a_user(make_app, smtp):
    inbox, port = smtp
    kb = kb_state(
        make_app(
            content="empty",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_FROM=SENDER,
            SMTP_USER="kb-mailer",
            SMTP_PASSWORD="mail-password",
        )
    )
    escalate(kb, articles_viewed=[])
    dispatch(kb)
    assert inbox.logins == ["kb-mailer"] and len(inbox.messages) == 1


def test_an_approver_is_mailed_the_link_and_the_requester_the_decline(kb, smtp):
    from kb.requests.approvals import decide
    from kb.requests.service import NewRequest, submit
    from kb.requests.types import request_types

    inbox, _ = smtp
    software = request_types(kb)["software"]
    with kb.session() as session:
        submit(
            session,
            kb,
            software,
            NewRequest(
                requester_name="Robin Diaz",
                requester_email="robin@example.org",
                approver_email="manager@example.org",
                answers={"name": "Inkscape", "reason": "Drawing plans"},
            ),
        )
        session.commit()
    dispatch(kb)
    (to_approver,) = inbox.to("manager@example.org")
    assert to_approver["Subject"] == "Please approve: New software for Robin Diaz"
    text, _ = bodies(to_approver)
    assert "Software name: Inkscape" in text and "their manager" in text
    link = re.search(r"http://kb\.test/approvals/(\S+)", text)
    assert link
    with kb.session() as session:
        decide(session, kb, link.group(1), "decline", "Use the free viewer.", software.title)
        session.commit()
    dispatch(kb)
    (to_requester,) = inbox.to("robin@example.org")
    assert to_requester["Subject"] == "Declined: New software: Inkscape"
    text, _ = bodies(to_requester)
    assert "Their comment: Use the free viewer." in text
