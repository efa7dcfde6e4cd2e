"""SLA and workload: how the desk keeps its promises and what is waiting."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.escalation.priority import PRIORITIES, sla_state
from kb.models import Escalation, utcnow
from kb.reports import charts
from kb.reports.base import Period, Report, Table
from kb.requests.routing import AWAITING, DECLINED

OPEN = ("new", "ticketed", "in_progress", "reopened")
AGE_BUCKETS = (("under 1 day", 1), ("1-3 days", 3), ("3-7 days", 7), ("over 7 days", None))


def _created_in(session: Session, period: Period) -> list[Escalation]:
    return list(
        session.scalars(
            select(Escalation).where(
                Escalation.created_at >= period.start_at, Escalation.created_at < period.end_at
            )
        )
    )


def sla_report(
    session: Session, period: Period, config: dict[str, Any], now: datetime | None = None
) -> Report:
    now = now or utcnow()
    at_risk = config["SLA_AT_RISK_FRACTION"]
    groups = config.get("SUPPORT_GROUPS") or {}
    met: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for esc in _created_in(session, period):
        if esc.outage_id is not None:
            continue  # handled by the outage, not by its own ticket
        if esc.status in (AWAITING, DECLINED):
            continue  # a request's clock starts at its approval; a declined one never ran
        for clock, due, done in (
            ("response", esc.response_due, esc.first_response_at),
            ("resolution", esc.resolve_due, esc.resolved_at),
        ):
            state = sla_state(now, esc.created_at, due, done, at_risk)
            outcome = {"met": "met", "missed": "missed", "breached": "missed"}.get(state, "running")
            met[(clock, "priority", esc.priority)][outcome] += 1
            met[(clock, "group", esc.group)][outcome] += 1
    rows = []
    for (clock, by, key), counts in sorted(met.items()):
        finished = counts["met"] + counts["missed"]
        rows.append(
            [
                clock,
                by,
                groups.get(key, key) if by == "group" else key,
                counts["met"],
                counts["missed"],
                counts["running"],
                round(100 * counts["met"] / finished, 1) if finished else None,
            ]
        )
    table = Table(
        "Targets met", ["clock", "by", "value", "met", "missed", "running", "met_percent"], rows
    )
    live = []
    for esc in session.scalars(select(Escalation).where(Escalation.status.in_(OPEN))):
        response = sla_state(now, esc.created_at, esc.response_due, esc.first_response_at, at_risk)
        resolution = sla_state(now, esc.created_at, esc.resolve_due, esc.resolved_at, at_risk)
        worst = (
            "breached"
            if "breached" in (response, resolution)
            else ("at_risk" if "at_risk" in (response, resolution) else None)
        )
        if worst:
            live.append(
                [
                    esc.public_id[:8],
                    esc.summary,
                    esc.priority,
                    groups.get(esc.group, esc.group),
                    worst,
                    esc.resolve_due.isoformat(),
                ]
            )
    live.sort(key=lambda r: (r[4] != "breached", r[2]))
    now_table = Table(
        "At risk and breached now",
        ["ref", "summary", "priority", "group", "state", "resolve_due"],
        live,
    )
    chart_rows = [(f"{p} response", met[("response", "priority", p)]) for p in PRIORITIES] + [
        (f"{p} resolution", met[("resolution", "priority", p)]) for p in PRIORITIES
    ]
    chart = charts.percent_bars(
        [(label, c["met"], c["missed"]) for label, c in chart_rows if c["met"] + c["missed"]],
        "SLA targets met by priority",
        y_label="Priority and clock",
    )
    return Report(
        "sla",
        "SLA",
        "First-response and resolution targets met, by priority and group; "
        "what is at risk or breached now.",
        period,
        [chart],
        [table, now_table],
        data={
            "at_risk": sum(1 for r in live if r[4] == "at_risk"),
            "breached": sum(1 for r in live if r[4] == "breached"),
        },
    )


def workload_report(
    session: Session, period: Period, config: dict[str, Any], now: datetime | None = None
) -> Report:
    now = now or utcnow()
    groups = config.get("SUPPORT_GROUPS") or {}
    open_rows: Counter = Counter()
    for esc in session.scalars(select(Escalation).where(Escalation.status.in_(OPEN))):
        age_days = (now - esc.created_at) / timedelta(days=1)
        bucket = next(name for name, limit in AGE_BUCKETS if limit is None or age_days < limit)
        open_rows[(groups.get(esc.group, esc.group), esc.priority, bucket)] += 1
    open_table = Table(
        "Open tickets",
        ["group", "priority", "age", "open"],
        [[g, p, a, n] for (g, p, a), n in sorted(open_rows.items())],
    )
    created = Counter(e.created_at.date() for e in _created_in(session, period))
    resolved = Counter(
        e.resolved_at.date()
        for e in session.scalars(
            select(Escalation).where(
                Escalation.resolved_at >= period.start_at, Escalation.resolved_at < period.end_at
            )
        )
    )
    days = period.days
    flow = Table(
        "Created and resolved per day",
        ["day", "created", "resolved"],
        [[d.isoformat(), created[d], resolved[d]] for d in days],
    )
    by_group = Counter()
    for (group, _p, _a), n in open_rows.items():
        by_group[group] += n
    return Report(
        "workload",
        "Workload",
        "Open tickets by group, age and priority; created versus resolved per day.",
        period,
        [
            charts.lines(
                days,
                {"created": [created[d] for d in days], "resolved": [resolved[d] for d in days]},
                "Tickets created and resolved per day",
                y_label="Tickets",
            ),
            charts.hbars(
                by_group.most_common(),
                "Open tickets by group",
                x_label="Open tickets",
                y_label="Support group",
            ),
        ],
        [open_table, flow],
        data={
            "open": sum(open_rows.values()),
            "created": sum(created.values()),
            "resolved": sum(resolved.values()),
        },
    )
