"""Content gaps: what people search for and do not find, or find and do not open.

Searches are grouped by their normalised form (words sorted, case folded, filters kept), so
"VPN error 809" and "error 809 vpn" count together. A search "found nothing" when it returned
no result; it "had no click" when it returned results and none was opened from that search.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import SearchLog
from kb.reports import charts
from kb.reports.base import Period, Report, Table
from kb.search import search_log

TOP = 25


def content_gaps_report(
    session: Session, period: Period, config: dict[str, Any], today: date | None = None
) -> Report:
    search_log.write_pending(session)  # this process's latest searches count too
    rows = session.execute(
        select(
            SearchLog.at,
            SearchLog.query,
            SearchLog.normalized,
            SearchLog.results,
            SearchLog.clicked_key,
        ).where(
            SearchLog.at >= period.start_at,
            SearchLog.at < period.end_at,
            SearchLog.page == 1,  # turning pages is not a new search
        )
    ).all()
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    groups: dict[str, dict[str, Any]] = {}
    for at, query, normalized, results, clicked in rows:
        outcome = "no results" if results == 0 else "opened a result" if clicked else "no click"
        per_day[at.date()][outcome] += 1
        group = groups.setdefault(
            normalized,
            {"searches": 0, "zero": 0, "no_click": 0, "results": 0, "last": at, "example": query},
        )
        group["searches"] += 1
        group["zero"] += outcome == "no results"
        group["no_click"] += outcome == "no click"
        group["results"] += results
        if at >= group["last"]:
            group["last"], group["example"] = at, query

    zero = sorted(
        ((k, g) for k, g in groups.items() if g["zero"]),
        key=lambda item: (-item[1]["zero"], item[0]),
    )[:TOP]
    no_click = sorted(
        ((k, g) for k, g in groups.items() if g["no_click"]),
        key=lambda item: (-item[1]["no_click"], item[0]),
    )[:TOP]
    tables = [
        Table(
            "Searches that found nothing",
            ["query", "searches", "found_nothing", "last_searched"],
            [
                [g["example"], g["searches"], g["zero"], g["last"].date().isoformat()]
                for _, g in zero
            ],
            draft_titles=[g["example"] for _, g in zero],
        ),
        Table(
            "Searches with results but no click",
            ["query", "searches", "no_click", "average_results", "last_searched"],
            [
                [
                    g["example"],
                    g["searches"],
                    g["no_click"],
                    round(g["results"] / g["searches"], 1),
                    g["last"].date().isoformat(),
                ]
                for _, g in no_click
            ],
            draft_titles=[g["example"] for _, g in no_click],
        ),
    ]
    total = len(rows)
    found_nothing = sum(c["no results"] for c in per_day.values())
    unclicked = sum(c["no click"] for c in per_day.values())
    days = period.days
    outcomes = ("opened a result", "no click", "no results")
    chart_list = []
    if total:
        chart_list.append(
            charts.stacked_bars(
                days,
                {name: [per_day[d][name] for d in days] for name in outcomes},
                "Searches per day by what happened next",
                y_label="Searches",
                colours={
                    "opened a result": "#009E73",
                    "no click": "#E69F00",
                    "no results": "#D55E00",
                },
            )
        )
    if zero:
        chart_list.append(
            charts.hbars(
                [(g["example"], g["zero"]) for _, g in zero[:12]],
                "Most frequent searches that found nothing",
                x_label="Searches that found nothing",
                y_label="Search",
                colour="#D55E00",
            )
        )
    return Report(
        "content-gaps",
        "Content gaps",
        "Searches that found nothing and searches whose results nobody opened, grouped by "
        "query: candidates for new or better articles.",
        period,
        chart_list,
        tables,
        data={
            "searches": total,
            "found_nothing": found_nothing,
            "no_click": unclicked,
            "found_nothing_rate": round(found_nothing / total, 3) if total else 0.0,
            "no_click_rate": round(unclicked / total, 3) if total else 0.0,
        },
    )
