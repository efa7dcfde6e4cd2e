"""The reports area: one page per report with its chart, table, CSV and JSON twin."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify, render_template, request
from flask_login import current_user, login_required

from kb.api.docs import ANY_OBJECT, api_doc
from kb.auth.policy import require
from kb.db import get_db
from kb.errors import NotFound
from kb.extensions import kb_state
from kb.reports.articles import article_health_report
from kb.reports.base import Period, Report
from kb.reports.content_gaps import content_gaps_report
from kb.reports.schemas import ReportQuery
from kb.reports.service_desk import sla_report, workload_report
from kb.reports.trees import deflection_report, heatmap_report, recurring_report
from kb.schemas import from_query
from kb.trees.catalog import tree_choices

bp = Blueprint("reports", __name__)

REPORTS: dict[str, tuple[str, Callable[..., Report]]] = {
    "deflection": ("Self-service deflection", deflection_report),
    "tree-heatmap": ("Tree heatmap", heatmap_report),
    "recurring": ("Recurring incidents", recurring_report),
    "sla": ("SLA", sla_report),
    "workload": ("Workload", workload_report),
    "article-health": ("Article health", article_health_report),
    "content-gaps": ("Content gaps", content_gaps_report),
}


def _build(name: str) -> Report:
    require(current_user, "report.view")
    if name not in REPORTS:
        raise NotFound(f"No report called {name!r}.")
    query = from_query(ReportQuery)
    period = Period.parse(query.from_, query.to)
    options = {}
    if name in ("deflection", "tree-heatmap") and query.tree:
        options["tree_id"] = query.tree
    return REPORTS[name][1](get_db(), period, kb_state().config, **options)


@bp.get("/reports")
@login_required
def index():
    require(current_user, "report.view")
    return render_template(
        "reports/index.html",
        reports=REPORTS,
        period=Period.parse(request.args.get("from"), request.args.get("to")),
    )


@bp.get("/reports/<name>")
@login_required
def show(name: str):
    report = _build(name)
    trees = []
    if name in ("deflection", "tree-heatmap"):
        trees = tree_choices(get_db())
    return render_template(
        "reports/show.html",
        report=report,
        reports=REPORTS,
        trees=trees,
        chosen_tree=request.args.get("tree") or report.data.get("tree"),
    )


@bp.get("/reports/<name>.csv")
@login_required
def csv(name: str):
    report = _build(name)
    filename = f"kb-{name}-{report.period.start}-{report.period.end}.csv"
    return Response(
        report.csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/api/v1/reports/<name>")
@api_doc(
    query=ReportQuery,
    response=ANY_OBJECT,
    notes="Dates are ISO dates from 1970-01-01 to 2999-12-31. Also read: from (not after to "
    "and at most 366 days before it; default 27 days before to).",
)
@login_required
def api(name: str):
    return jsonify(_build(name).to_json())
