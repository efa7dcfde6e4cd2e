"""SLA, workload and article-health reports computed on known data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kb.articles.revisions import get_article
from kb.escalation.intake import EscalationRequest, create_escalation
from kb.extensions import kb_state
from kb.models import ArticleFeedback, ArticleFlag
from kb.reports.articles import article_health_report
from kb.reports.base import Period
from kb.reports.service_desk import sla_report, workload_report

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 20))


def make(
    kb,
    session,
    when,
    impact,
    urgency,
    group="desktop-support",
    responded=None,
    resolved=None,
    summary="Printer offline",
):
    escalation = create_escalation(
        session,
        kb,
        EscalationRequest(
            summary=summary,
            requester_name="Pat",
            requester_email="pat@example.org",
            group=group,
            impact=impact,
            urgency=urgency,
        ),
        now=when,
    )
    escalation.first_response_at = responded
    if resolved:
        escalation.resolved_at = resolved
        escalation.status = "resolved"
    return escalation


@pytest.fixture
def kb(make_app):
    return kb_state(make_app(content="empty"))


@pytest.fixture
def known(kb):
    with kb.session() as session:
        # P1 (15 min / 4 h): response met, resolution met
        make(
            kb,
            session,
            T0,
            "high",
            "high",
            responded=T0 + timedelta(minutes=10),
            resolved=T0 + timedelta(hours=3),
        )
        # P1: response missed, resolution missed
        make(
            kb,
            session,
            T0 + timedelta(days=1),
            "high",
            "high",
            responded=T0 + timedelta(days=1, minutes=40),
            resolved=T0 + timedelta(days=1, hours=6),
        )
        # P3 (4 h / 3 days), network: responded in time, still open and past resolution -> breached
        make(
            kb,
            session,
            NOW - timedelta(days=4),
            "medium",
            "medium",
            group="network",
            responded=NOW - timedelta(days=4) + timedelta(hours=1),
        )
        # P4 (1 day / 10 days): open, created 9.5 days ago -> at risk (less than 25% left)
        make(
            kb,
            session,
            NOW - timedelta(days=9, hours=12),
            "low",
            "low",
            group="network",
            responded=NOW - timedelta(days=9),
        )
        # outside the period: ignored by the SLA table
        make(
            kb,
            session,
            datetime(2026, 10, 1, tzinfo=UTC),
            "high",
            "high",
            resolved=datetime(2026, 10, 1, 1, tzinfo=UTC),
        )
        session.commit()
    return kb


def cell(table, **match):
    rows = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_sla_counts_met_missed_and_running_per_priority_and_group(known):
    with known.session() as session:
        report = sla_report(session, PERIOD, known.config, now=NOW)
    targets = report.tables[0]
    p1_response = cell(targets, clock="response", by="priority", value="P1")
    assert (p1_response["met"], p1_response["missed"], p1_response["met_percent"]) == (1, 1, 50.0)
    p1_resolution = cell(targets, clock="resolution", by="priority", value="P1")
    assert (p1_resolution["met"], p1_resolution["missed"]) == (1, 1)
    p3 = cell(targets, clock="resolution", by="priority", value="P3")
    assert (p3["met"], p3["missed"], p3["running"]) == (0, 1, 0)  # breached counts as missed
    p4 = cell(targets, clock="resolution", by="priority", value="P4")
    assert p4["running"] == 1
    assert report.data == {"at_risk": 1, "breached": 1}
    states = sorted(row[4] for row in report.tables[1].rows)
    assert states == ["at_risk", "breached"]


def test_workload_counts_open_tickets_by_age_and_flow_per_day(known):
    with known.session() as session:
        report = workload_report(session, PERIOD, known.config, now=NOW)
    assert report.data == {"open": 2, "created": 4, "resolved": 2}
    ages = {(r[1], r[2]): r[3] for r in report.tables[0].rows}
    assert ages == {("P3", "3-7 days"): 1, ("P4", "over 7 days"): 1}
    flow = {row[0]: (row[1], row[2]) for row in report.tables[1].rows}
    assert flow["2026-11-02"] == (1, 1) and flow["2026-11-03"] == (1, 1)
    assert len(report.tables[1].rows) == 20


def test_article_health_on_known_votes_flags_and_dates(make_app):
    kb = kb_state(make_app())
    with kb.session() as session:
        mailbox = get_article(session, "mailbox-full")
        vpn = get_article(session, "vpn-connect-from-home")
        mailbox.reuse_count = 7
        at = datetime(2026, 11, 10, tzinfo=UTC)
        for helpful in (True, False, False, False):
            session.add(ArticleFeedback(article_id=vpn.id, helpful=helpful, at=at))
        for helpful in (True, True, True):
            session.add(ArticleFeedback(article_id=mailbox.id, helpful=helpful, at=at))
        session.add(ArticleFlag(article_id=vpn.id, reason="outdated"))
        session.commit()
        report = article_health_report(session, PERIOD, kb.config, today=date(2027, 12, 1))
    reused, least, flagged, stale = report.tables
    assert reused.rows[0][0] == "mailbox-full" and reused.rows[0][2] == 7
    assert least.rows[0][:1] == ["vpn-connect-from-home"] and least.rows[0][2:] == [1, 4]
    assert flagged.rows == [["vpn-connect-from-home", vpn.title, 1]]
    assert len(stale.rows) >= 40  # every bundled article is due for review by then


def test_reports_need_senior_staff(client, auth):
    assert client.get("/reports").status_code == 302
    auth.login("technician")
    assert client.get("/reports/sla").status_code == 403
    assert client.get("/api/v1/reports/sla").status_code == 403


def test_report_pages_csv_and_json(client, auth):
    auth.login("reviewer")
    page = client.get("/reports/sla?from=2026-11-01&to=2026-11-20")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    csv = client.get("/reports/workload.csv?from=2026-11-01&to=2026-11-03")
    assert csv.mimetype == "text/csv" and "day,created,resolved" in csv.get_data(as_text=True)
    body = client.get("/api/v1/reports/workload?from=2026-11-01&to=2026-11-03").get_json()
    assert body["from"] == "2026-11-01" and "Created and resolved per day" in body["tables"]
    assert client.get("/reports/nope").status_code == 404
    assert client.get("/api/v1/reports/sla?from=2026-13-01").status_code == 422
    assert client.get("/api/v1/reports/sla?from=2026-11-20&to=2026-11-01").status_code == 422


def test_requests_waiting_for_approval_or_declined_are_not_on_the_sla(kb):
    from kb.requests.service import NewRequest, submit
    from kb.requests.types import request_types

    software = request_types(kb)["software"]
    with kb.session() as session:
        for name in ("Inkscape", "GIMP"):
            submit(
                session,
                kb,
                software,
                NewRequest(
                    requester_name="Pat",
                    requester_email="pat@example.org",
                    approver_email="boss@example.org",
                    answers={"name": name, "reason": "Plans"},
                ),
                now=T0,
            )
        session.commit()
        report = sla_report(session, PERIOD, kb.config, now=NOW)
    assert report.tables[0].rows == []  # their clocks start at approval
