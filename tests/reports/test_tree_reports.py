"""Deflection, tree heatmap and recurring-incident reports on known sessions."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest

from kb.escalation.intake import EscalationRequest, create_escalation
from kb.extensions import kb_state
from kb.models import SessionStep, Tree, TreeSession
from kb.reports.base import Period
from kb.reports.trees import deflection_report, heatmap_report, recurring_report

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 20))
TREE = "printer-not-printing"


def add(
    session,
    tree,
    status,
    path,
    when,
    mode="self_service",
    end_reason="terminal",
    updated=None,
    outcome=None,
):
    ds = TreeSession(
        token=secrets.token_urlsafe(8),
        tree_id=tree.id,
        revision_id=tree.published_revision_id,
        mode=mode,
        status=status,
        current_node=path[-1],
        path=path,
        started_at=when,
        step_started_at=when,
        updated_at=updated or when,
        ended_at=None if status == "active" else when + timedelta(minutes=3),
        end_reason="" if status == "active" else end_reason,
        outcome=outcome
        if outcome is not None
        else {"resolved": "unconfirmed", "escalated": "not_fixed"}.get(status, ""),
    )
    session.add(ds)
    return ds


@pytest.fixture
def kb(make_app):
    return kb_state(make_app())


@pytest.fixture
def known(kb):
    with kb.session() as session:
        tree = session.get(Tree, TREE)
        day1 = datetime(2026, 11, 3, 10, tzinfo=UTC)
        day2 = datetime(2026, 11, 4, 10, tzinfo=UTC)
        start = ["in_printer", "q_secure", "a_release"]
        add(session, tree, "resolved", [*start, "res_released"], day1, outcome="fixed")
        add(session, tree, "resolved", [*start, "res_released"], day1)  # nobody said
        add(
            session,
            tree,
            "resolved",
            [*start, "q_display", "a_fix_printer", "res_printer_fixed"],
            day2,
            outcome="fixed",
        )
        # "Still not fixed" at the release ending, then escalated from there
        again = add(
            session, tree, "escalated", [*start, "res_released"], day2, end_reason="not_fixed"
        )
        session.flush()
        session.add(
            SessionStep(
                session_id=again.id,
                seq=1,
                action="not_fixed",
                node_id="res_released",
                node_kind="resolution",
                at=day2,
            )
        )
        esc = add(
            session,
            tree,
            "escalated",
            [*start, "q_display", "a_fix_printer", "in_panel_message", "esc_printer_fault"],
            day2,
        )
        add(session, tree, "escalated", ["in_printer", "q_secure"], day2, end_reason="didnt_help")
        add(session, tree, "abandoned", ["in_printer", "q_secure"], day2)
        # left open and untouched for days: counts as abandoned at its current step
        add(session, tree, "active", [*start], day2, updated=day2)
        # technician sessions are not self-service: not in deflection, but in the heatmap
        add(session, tree, "resolved", [*start, "res_released"], day2, mode="technician")
        session.flush()
        escalation = create_escalation(
            session,
            kb,
            EscalationRequest(
                summary="Printer fault",
                requester_name="Pat",
                requester_email="p@example.org",
                group="desktop-support",
                impact="low",
                urgency="medium",
                tree_id=TREE,
                node_id="esc_printer_fault",
                session_token=esc.token,
            ),
            now=day2,
        )
        escalation.resolution_text = "Replaced the fuser unit."
        session.commit()
    return kb


def test_deflection_counts_outcomes_per_tree_and_day(known):
    with known.session() as session:
        report = deflection_report(session, PERIOD, known.config, now=NOW)
    data = report.data
    assert data["sessions"] == 8
    assert [data[k] for k in ("fixed", "workaround", "unconfirmed", "not_fixed")] == [2, 0, 1, 3]
    assert (data["abandoned"], data["said_not_fixed"]) == (2, 1)
    # only confirmed fixes are deflected: 2 / (2 fixed + 1 unconfirmed + 3 not fixed)
    assert data["deflection_percent"] == 33.3
    days = {row[0]: row[1:] for row in report.tables[1].rows}
    assert days["2026-11-03"] == [1, 0, 1, 0, 0] and days["2026-11-04"] == [1, 0, 0, 3, 2]
    (tree_row,) = report.tables[0].rows
    assert tree_row[0] == TREE and tree_row[2:] == [8, 2, 0, 1, 3, 2, 0, 1, 33.3]


def test_a_confirmed_workaround_is_not_deflected(known):
    with known.session() as session:
        ds = session.query(TreeSession).filter_by(outcome="fixed").first()
        ds.outcome = "workaround"
        session.commit()
        report = deflection_report(session, PERIOD, known.config, now=NOW)
    assert report.data["workaround"] == 1 and report.data["fixed"] == 1
    assert report.data["deflection_percent"] == 16.7


def test_heatmap_counts_visits_stops_and_escalation_outcomes(known):
    with known.session() as session:
        report = heatmap_report(session, PERIOD, known.config, now=NOW, tree_id=TREE)
    visits = report.data["visits"]
    assert visits["in_printer"] == 9 and visits["a_release"] == 7
    assert visits["res_released"] == 4 and visits["esc_printer_fault"] == 1
    assert report.data["abandoned_at"] == {"q_secure": 1, "a_release": 1}
    assert report.data["escalated_at"] == {
        "esc_printer_fault": 1,
        "res_released": 1,
        "(didn't help)": 1,
    }
    assert report.data["confirmed_at"] == {"res_released": 1, "res_printer_fixed": 1}
    assert report.data["unconfirmed_at"] == {"res_released": 2}  # one was a technician's
    assert report.data["not_fixed_at"] == {"res_released": 1}
    assert report.data["deflected"] == 2
    endings = {row[0]: row[2:] for row in report.tables[2].rows}
    assert endings["res_released"] == ["no", 1, 2, 1]
    escalations = {row[0]: row for row in report.tables[1].rows}
    assert "Replaced the fuser unit. (1)" in escalations["esc_printer_fault"][2]
    assert "9 · 1 left" in str(report.charts[0])  # q_secure: 8 passed, 1 stopped there


def test_recurring_flags_a_service_spike_with_the_escalations_behind_it(kb):
    with kb.session() as session:
        for day in range(1, 15):
            create_escalation(
                session,
                kb,
                EscalationRequest(
                    summary="VPN",
                    requester_name="A",
                    requester_email="a@example.org",
                    group="network",
                    impact="low",
                    urgency="low",
                    service="vpn",
                ),
                now=NOW - timedelta(days=day, hours=2),
            )
        for hour in range(1, 8):
            create_escalation(
                session,
                kb,
                EscalationRequest(
                    summary="VPN down",
                    requester_name="B",
                    requester_email="b@example.org",
                    group="network",
                    impact="low",
                    urgency="low",
                    service="vpn",
                ),
                now=NOW - timedelta(hours=hour),
            )
        session.commit()
        report = recurring_report(session, PERIOD, kb.config, now=NOW)
    alerts = [a for a in report.data["alerts"] if a["kind"] == "service"]
    assert [(a["key"], a["count"], a["baseline"]) for a in alerts] == [("vpn", 7, 1.0)]
    assert len(alerts[0]["refs"]) == 7
    assert "Poisson" in report.notes[0]


def test_demo_data_fills_every_report(make_app):
    from kb.cli import cli

    app = make_app()
    result = app.test_cli_runner().invoke(cli, ["demo-data", "--weeks", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "sessions" in result.output
    again = app.test_cli_runner().invoke(cli, ["demo-data"])
    assert again.exit_code == 2 and "already has sessions" in again.output
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).login("reviewer")
    from kb.reports.views import REPORTS

    for name in REPORTS:
        page = client.get(f"/reports/{name}")
        assert page.status_code == 200, name
        assert "<svg" in page.get_data(as_text=True), name
    body = client.get("/api/v1/reports/deflection").get_json()
    assert body["data"]["sessions"] > 50
    assert 30 < body["data"]["deflection_percent"] < 95
