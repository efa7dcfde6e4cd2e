"""Reports on diagnostics: self-service deflection, the tree heatmap, recurring incidents."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.errors import NotFound
from kb.escalation.learning import fix_groups, outcomes_by_step
from kb.models import (
    Article,
    ArticleFlag,
    Escalation,
    SessionMode,
    SessionOutcome,
    SessionStatus,
    SessionStep,
    Tree,
    TreeSession,
    utcnow,
)
from kb.reports import charts, recurring
from kb.reports.base import Period, Report, Table
from kb.trees.flags import counts_by_step
from kb.trees.flowchart import render_svg
from kb.trees.store import revision_graph

# How self-service sessions ended: only a confirmed fix ("Did this fix it?" Yes) is deflected;
# a confirmed workaround got the person working but left something to fix; unconfirmed means
# left on a resolution page without answering; not fixed means escalated (directly, or after
# "Still not fixed").
ENDINGS = ("fixed", "workaround", "unconfirmed", "not_fixed", "abandoned")
FINISHED = ("fixed", "workaround", "unconfirmed", "not_fixed")
# A session nobody touched for this long was walked away from: it counts as abandoned.
STALE_AFTER = timedelta(hours=24)


def outcome_of(ds: TreeSession, now: datetime) -> str:
    """The session's status, with one left untouched too long counted as abandoned."""
    if ds.status == "active":
        last = ds.updated_at or ds.started_at
        return "abandoned" if now - last > STALE_AFTER else "active"
    return ds.status


def ending_of(ds: TreeSession, now: datetime) -> str:
    """One of ENDINGS, or ``active``."""
    status = outcome_of(ds, now)
    if status == SessionStatus.RESOLVED:
        if ds.outcome in (SessionOutcome.FIXED, SessionOutcome.WORKAROUND):
            return str(ds.outcome)
        return "unconfirmed"
    if status == SessionStatus.ESCALATED:
        return "not_fixed"
    return status


def _said_not_fixed(
    session: Session, period: Period, tree_id: str | None = None, mode: str | None = None
) -> list[tuple[int, str]]:
    """(session id, resolution node) for each "Still not fixed" in sessions of the period."""
    query = (
        select(SessionStep.session_id, SessionStep.node_id)
        .join(TreeSession, TreeSession.id == SessionStep.session_id)
        .where(
            SessionStep.action == "not_fixed",
            TreeSession.started_at >= period.start_at,
            TreeSession.started_at < period.end_at,
        )
    )
    if tree_id:
        query = query.where(TreeSession.tree_id == tree_id)
    if mode:
        query = query.where(TreeSession.mode == mode)
    return [(i, n) for i, n in session.execute(query)]


def _sessions(
    session: Session, period: Period, tree_id: str | None = None, mode: str | None = None
) -> list[TreeSession]:
    query = select(TreeSession).where(
        TreeSession.started_at >= period.start_at,
        TreeSession.started_at < period.end_at,
    )
    if tree_id:
        query = query.where(TreeSession.tree_id == tree_id)
    if mode:
        query = query.where(TreeSession.mode == mode)
    return list(session.scalars(query))


def deflection_report(
    session: Session,
    period: Period,
    config: dict[str, Any],
    now: datetime | None = None,
    tree_id: str | None = None,
) -> Report:
    now = now or utcnow()
    mode = SessionMode.SELF_SERVICE.value
    sessions = _sessions(session, period, tree_id, mode)
    per_day: dict[str, Counter] = {o: Counter() for o in ENDINGS}
    per_tree: dict[str, Counter] = defaultdict(Counter)
    titles = dict(session.execute(select(Tree.id, Tree.title)).all())
    said = {i for i, _ in _said_not_fixed(session, period, tree_id, mode)}
    for ds in sessions:
        ending = ending_of(ds, now)
        per_tree[ds.tree_id][ending] += 1
        per_tree[ds.tree_id]["said_not_fixed"] += ds.id in said
        per_tree[ds.tree_id]["resolved"] += ds.status == SessionStatus.RESOLVED
        per_tree[ds.tree_id]["escalated"] += ds.status == SessionStatus.ESCALATED
        if ending in per_day:
            per_day[ending][ds.started_at.date()] += 1
    days = period.days

    def rate(counts: Counter) -> float | None:
        finished = sum(counts[o] for o in FINISHED)
        return round(100 * counts["fixed"] / finished, 1) if finished else None

    rows = []
    totals: Counter = Counter()
    for tree, counts in sorted(per_tree.items(), key=lambda item: -item[1].total()):
        totals.update(counts)
        rows.append(
            [
                tree,
                titles.get(tree, tree),
                sum(counts[o] for o in (*ENDINGS, "active")),
                *(counts[o] for o in ENDINGS),
                counts["active"],
                counts["said_not_fixed"],
                rate(counts),
            ]
        )
    by_tree = Table(
        "By tree",
        [
            "tree",
            "title",
            "sessions",
            "confirmed_fixed",
            "workaround",
            "unconfirmed",
            "not_fixed",
            "abandoned",
            "active",
            "said_still_not_fixed",
            "deflection_percent",
        ],
        rows,
    )
    daily = Table(
        "Per day",
        ["day", *ENDINGS],
        [[d.isoformat(), *(per_day[o][d] for o in ENDINGS)] for d in days],
    )
    chart_list = [
        charts.stacked_bars(
            days,
            {o: [per_day[o][d] for d in days] for o in ENDINGS},
            "Self-service sessions per day by outcome",
            colours=charts.OUTCOME_COLOURS,
            y_label="Sessions",
        )
    ]
    ranked = [(titles.get(r[0], r[0]), r[-1]) for r in rows if r[-1] is not None][:15]
    if ranked:
        chart_list.append(
            charts.hbars(
                ranked,
                "Deflection by tree",
                x_label="Confirmed fixed, % of finished sessions",
                y_label="Tree",
                colour="#009E73",
                maximum=100,
                suffix="%",
            )
        )
    return Report(
        "deflection",
        "Self-service deflection",
        "Self-service sessions by outcome over time and by tree. Deflection = confirmed fixed / "
        "finished sessions: the share where the person said the fix worked. Workarounds, fixes "
        "nobody confirmed and sessions that were not fixed (escalated, directly or after "
        '"Still not fixed") are not deflected.',
        period,
        chart_list,
        [by_tree, daily],
        data={
            "sessions": len(sessions),
            "deflection_percent": rate(totals),
            **{o: totals[o] for o in (*ENDINGS, "active", "said_not_fixed")},
            "resolved": totals["resolved"],
            "escalated": totals["escalated"],
        },
        notes=[
            f"A session left untouched for {STALE_AFTER.total_seconds() / 3600:g} hours "
            "counts as abandoned.",
            'Sessions that ended on a resolution before kb asked "Did this fix it?" count as '
            "unconfirmed.",
        ],
    )


def heatmap_report(
    session: Session,
    period: Period,
    config: dict[str, Any],
    now: datetime | None = None,
    tree_id: str | None = None,
) -> Report:
    """Where sessions of one tree go, where they stop, and which escalations fire most."""
    now = now or utcnow()
    trees = dict(session.execute(select(Tree.id, Tree.title)).all())
    if tree_id is None:
        busiest = Counter(ds.tree_id for ds in _sessions(session, period))
        tree_id = busiest.most_common(1)[0][0] if busiest else next(iter(sorted(trees)), None)
    if tree_id is None:
        return Report("tree-heatmap", "Tree heatmap", "No decision trees yet.", period)
    tree = session.get(Tree, tree_id)
    if tree is None:
        raise NotFound(f"No tree {tree_id!r}.")
    graph = revision_graph(tree.published_revision or tree.head_revision)
    visits: Counter = Counter()
    edges: Counter = Counter()
    stopped: Counter = Counter()
    escalated_at: Counter = Counter()
    sessions = _sessions(session, period, tree_id)
    for ds in sessions:
        path = [n for n in (ds.path or []) if n in graph]
        visits.update(set(path))
        edges.update((a, b) for a, b in itertools.pairwise(path) if graph.has_edge(a, b))
        outcome = outcome_of(ds, now)
        if outcome == "abandoned" and ds.current_node in graph:
            stopped[ds.current_node] += 1
        if outcome == "escalated":
            # at the escalation step, or at the resolution that was "still not fixed"
            direct = ds.end_reason in ("terminal", "not_fixed")
            escalated_at[ds.current_node if direct else "(didn't help)"] += 1
    top = max(visits.values(), default=0)
    fills = {n: charts.heat(visits[n], top) for n in graph.nodes}
    widths = {e: 1.2 + 6 * edges[e] / max(edges.values()) for e in edges} if edges else {}
    notes = {
        n: f"{visits[n]} · {stopped[n]} left" if stopped[n] else f"{visits[n]}" for n in graph.nodes
    }
    svg = Markup(
        render_svg(
            graph,
            title=f"{trees.get(tree_id, tree_id)}: sessions per step",
            node_fills=fills,
            edge_widths=widths,
            notes=notes,
        )
    )
    flags = counts_by_step(session, tree_id, period.start_at, period.end_at)
    groups = fix_groups(session, tree, period.start_at, period.end_at)
    outcomes = outcomes_by_step(groups)
    fixed_at: Counter = Counter()
    unconfirmed_at: Counter = Counter()
    for ds in sessions:
        ending = ending_of(ds, now)
        if ending in ("fixed", "workaround"):
            fixed_at[ds.current_node] += 1
        elif ending == "unconfirmed":
            unconfirmed_at[ds.current_node] += 1
    not_fixed_at = Counter(node for _, node in _said_not_fixed(session, period, tree_id))
    resolutions = [n for n, kind in graph.nodes(data="kind") if kind == "resolution"]
    ending_rows = sorted(
        (
            [
                n,
                str(graph.nodes[n].get("label") or n),
                "yes" if graph.nodes[n].get("workaround") is True else "no",
                fixed_at[n],
                unconfirmed_at[n],
                not_fixed_at[n],
            ]
            for n in resolutions
        ),
        key=lambda r: (-(r[3] + r[4] + r[5]), r[0]),
    )
    node_rows = sorted(
        (
            [
                n,
                str(graph.nodes[n].get("label") or n),
                graph.nodes[n].get("kind"),
                visits[n],
                stopped[n],
                flags[n],
            ]
            for n in graph.nodes
        ),
        key=lambda r: -r[3],
    )
    esc_rows = [
        [node, count, "; ".join(outcomes.get(node, [])[:3])]
        for node, count in escalated_at.most_common()
    ]
    return Report(
        "tree-heatmap",
        f"Tree heatmap: {trees.get(tree_id, tree_id)}",
        "Each step is shaded by how many sessions passed through it (darker: more) with the "
        "number that stopped there; arrows are thicker where more sessions went. Endings show "
        "how often the person confirmed the fix, left without saying, or said it was still not "
        "fixed; only confirmed fixes (not workarounds) in self-service count as deflected.",
        period,
        [
            charts.Chart(
                f"{trees.get(tree_id, tree_id)}: sessions per step",
                "",
                "",
                svg,
                columns=["step", "sessions", "abandoned_here"],
                rows=[[label, seen, left] for _, label, _, seen, left, _ in node_rows],
            )
        ],
        [
            Table(
                "Steps",
                ["node", "label", "kind", "sessions", "abandoned_here", "flags"],
                node_rows,
            ),
            Table("Escalations fired", ["node", "escalations", "turned_out_to_be"], esc_rows),
            Table(
                "Endings: did it fix it?",
                ["node", "label", "workaround", "confirmed", "unconfirmed", "still_not_fixed"],
                ending_rows,
            ),
            Table(
                "Resolved escalations by what fixed them",
                ["where", "node", "fixed_by", "tickets", "count", "articles"],
                [
                    [
                        g.where,
                        g.node,
                        g.fix,
                        ", ".join(e.ticket for e in g.escalations),
                        g.count,
                        ", ".join(slug for slug, _ in g.articles),
                    ]
                    for g in groups
                ],
                branches=[None if g.blocked else (tree_id, g.key) for g in groups],
            ),
        ],
        data={
            "tree": tree_id,
            "sessions": len(sessions),
            "visits": dict(visits),
            "abandoned_at": dict(stopped),
            "escalated_at": dict(escalated_at),
            "flags": dict(flags),
            "confirmed_at": dict(fixed_at),
            "unconfirmed_at": dict(unconfirmed_at),
            "not_fixed_at": dict(not_fixed_at),
            "fix_groups": [{**g.as_json(), "branch": g.blocked is None} for g in groups],
            "deflected": sum(
                1
                for ds in sessions
                if ds.mode == SessionMode.SELF_SERVICE and ending_of(ds, now) == "fixed"
            ),
        },
    )


def recurring_report(
    session: Session,
    period: Period,
    config: dict[str, Any],
    now: datetime | None = None,
    window_hours: int = 24,
) -> Report:
    """Items whose count in the last window stands out from their own baseline."""
    now = now or min(utcnow(), period.end_at)
    window = timedelta(hours=window_hours)
    since = now - window * 15
    titles = dict(session.execute(select(Tree.id, Tree.title)).all())
    articles = {
        i: (slug, title)
        for i, slug, title in session.execute(select(Article.id, Article.slug, Article.title))
    }
    by_slug = {slug: title for slug, title in articles.values()}
    events: list[tuple[str, str, str, datetime, str]] = []
    for esc in session.scalars(select(Escalation).where(Escalation.created_at >= since)):
        if esc.service:
            events.append(
                (
                    "service",
                    esc.service,
                    esc.service,
                    esc.created_at,
                    f"escalation {esc.public_id[:8]}",
                )
            )
    for ds in session.scalars(select(TreeSession).where(TreeSession.started_at >= since)):
        label = titles.get(ds.tree_id, ds.tree_id)
        events.append(("tree", ds.tree_id, label, ds.started_at, f"session {ds.token[:8]}"))
        if ds.status == "escalated" and ds.ended_at:
            key = f"{ds.tree_id}/{ds.current_node}"
            events.append(
                (
                    "node",
                    key,
                    f"{label} → {ds.current_node}",
                    ds.ended_at,
                    f"session {ds.token[:8]}",
                )
            )
    # Articles: used to resolve tickets (at the resolution's time), and flagged by readers.
    for esc in session.scalars(select(Escalation).where(Escalation.resolved_at >= since)):
        for slug in esc.resolution_articles or []:
            events.append(
                (
                    "article",
                    slug,
                    by_slug.get(slug, slug),
                    esc.resolved_at,
                    f"ticket {esc.ticket_system}:{esc.ticket_ref}",
                )
            )
    for flag in session.scalars(select(ArticleFlag).where(ArticleFlag.at >= since)):
        slug, title = articles.get(flag.article_id, ("?", "?"))
        events.append(("article", slug, title, flag.at, f"flag: {flag.reason}"))
    alerts = recurring.detect(events, now, window)
    rows = [
        [
            a.kind,
            a.label,
            a.count,
            a.baseline,
            round(a.ratio, 1),
            f"{a.probability:.1e}",
            ", ".join(a.refs[:8]),
        ]
        for a in alerts
    ]
    chart_list = (
        [
            charts.hbars(
                [(f"{a.kind}: {a.label}", a.count) for a in alerts[:12]],
                f"Alerts: counts in the last {window_hours} hours",
                x_label=f"Occurrences in the last {window_hours} hours",
                y_label="What is busier than usual",
                colour="#D55E00",
            )
        ]
        if alerts
        else []
    )
    method = recurring.how_it_decides(window_hours)
    return Report(
        "recurring",
        "Recurring incidents",
        "Services, trees, escalation steps and articles that are suddenly busier than their "
        "own normal, with the sessions and tickets behind each alert.",
        period,
        chart_list,
        [
            Table(
                "Alerts",
                ["kind", "item", "count", "usual_per_window", "times_usual", "chance", "behind_it"],
                rows,
            )
        ],
        data={
            "alerts": [
                {
                    "kind": a.kind,
                    "key": a.key,
                    "label": a.label,
                    "count": a.count,
                    "baseline": a.baseline,
                    "probability": a.probability,
                    "refs": a.refs,
                }
                for a in alerts
            ],
            "as_of": now.isoformat(),
        },
        notes=[method],
    )
