"""The dense parts of the Request Tracker plugin that need no RT: reading RT's message lists,
the resolving reply's kb lines, and the ticket's subject. The conversation with a real RT is
in tests/integration/test_request_tracker.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kb.plugins.request_tracker.client import RTClient, failed_messages, html_to_text, parse_rt_date
from kb.plugins.request_tracker.tickets import (
    marker,
    parse_reply,
    queue_for,
    subject,
    ticket_body,
    ticket_fields,
)
from kb.records import EscalationSnapshot

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def snapshot(**changes) -> EscalationSnapshot:
    values = dict(
        id=1,
        public_id="pub",
        created_at=NOW,
        summary="VPN drops every hour",
        details="",
        service="vpn",
        group="network",
        group_name="Network team",
        impact="high",
        urgency="high",
        priority="P1",
        response_due=NOW + timedelta(minutes=15),
        resolve_due=NOW + timedelta(hours=4),
        requester_name="Ann",
    )
    values.update(changes)
    return EscalationSnapshot(**values)


@pytest.mark.parametrize(
    "message",
    [
        "Ticket 1: Status 'bogus' isn't a valid status for this ticket.",
        "Status 'bogus' isn't a valid status for this ticket.",
        "Permission Denied",
        "No permission to create tickets in the queue 'General'",
        "Couldn't load queue",
        "Owner could not be set.",
    ],
)
def test_rt_failure_messages_are_recognised(message):
    assert failed_messages(["Correspondence added", message]) == [message]


@pytest.mark.parametrize(
    "message",
    [
        "Correspondence added",
        "Comments added",
        "Status changed from 'open' to 'resolved'",
        "Ticket 4: Subject changed from 'Cannot print' to 'It isn't a valid printer'",
        "Ticket 12 created in queue 'General'",
    ],
)
def test_rt_success_messages_are_not_failures(message):
    assert failed_messages([message]) == []


def test_a_reply_gives_its_articles_and_follow_up_and_keeps_only_its_words():
    reply = parse_reply(
        "Replaced the fuser.\n"
        "KB-Articles: printer-jam, https://kb.example.org/articles/printer-offline\n"
        "kb-followup: 2 days\n"
        "\n"
        "On Mon, 4 May 2026, Ann wrote:\n"
        "> it jams\n"
    )
    assert reply.text == "Replaced the fuser."
    assert reply.articles == ["printer-jam", "printer-offline"]
    assert reply.followup_days == 2


@pytest.mark.parametrize(
    ("line", "articles"),
    [("kb-articles: none", []), ("kb-articles:", []), ("", None), ("kb-articles: A b", ["a", "b"])],
)
def test_the_articles_line_is_optional_and_none_means_none(line, articles):
    assert parse_reply(f"Fixed.\n{line}").articles == articles


def test_the_idempotency_marker_is_stable_and_ends_the_subject():
    assert marker("ticket:abc") == marker("ticket:abc") != marker("ticket:abd")
    mark = marker("ticket:abc")
    assert subject(snapshot(), mark) == f"VPN drops every hour ({mark})"
    made = subject(snapshot(summary="word " * 80), mark)
    assert len(made) == 200 and made.endswith(f"… ({mark})")


def test_tickets_go_to_the_queue_of_their_group_with_rts_priority():
    config = {
        "RT_QUEUE": "General",
        "RT_QUEUE_BY_GROUP": {"network": "Network"},
        "RT_PRIORITY_MAP": {"P1": 100},
    }
    assert queue_for(snapshot(), config) == "Network"
    assert queue_for(snapshot(group="desk"), config) == "General"
    fields = ticket_fields(snapshot(), "ticket:pub", config)
    assert fields["Priority"] == 100 and fields["Due"] == "2026-05-04T13:30:00Z"
    assert "Requestor" not in fields  # no e-mail address: RT's requestor stays empty


def test_rt_dates_and_html_replies_are_read():
    assert parse_rt_date("1970-01-01T00:00:00Z") is None
    assert parse_rt_date("2026-05-04T09:30:00Z") == NOW
    assert html_to_text("<p>Reset the <b>token</b></p><p>Done &amp; dusted</p>") == (
        "Reset the token\nDone & dusted"
    )


def test_the_client_signs_in_with_a_token_or_a_password():
    assert RTClient("https://rt/rt", token="1-2-abc").auth == "token 1-2-abc"
    assert RTClient("https://rt/rt/", user="kb", password="pw").auth == "Basic a2I6cHc="
    assert RTClient("https://rt/rt/").ticket_url(7) == "https://rt/rt/Ticket/Display.html?id=7"


def test_the_ticket_gives_its_deadlines_on_the_sites_clock():
    body = ticket_body(snapshot(), {"TIMEZONE": "Europe/Berlin"})
    assert "Respond by: 2026-05-04 11:45 CEST" in body  # 09:45 UTC in summer time
    assert "Resolve by: 2026-05-04 15:30 CEST" in body and "UTC" not in body
