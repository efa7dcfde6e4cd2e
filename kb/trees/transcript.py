"""A session read back: its transcript (entries and text), the checks it ran, how it ended,
and the record ``kb_session_escalated`` carries. Nothing here changes a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import networkx as nx
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import object_session

from kb.config import site_zone
from kb.models import (
    SessionOutcome,
    SessionStatus,
    SessionStep,
    TreeSession,
)
from kb.records import SessionSnapshot
from kb.templating import when
from kb.trees.graph import (
    fill,
)
from kb.trees.known import describe
from kb.trees.steps import (
    MODE_LABELS,
    NOT_FIXED,
    graph_of,
    node_view,
    steps_of,
)


@dataclass
class TranscriptEntry:
    seq: int
    action: str  # answer | value | check | check_error | fixed | not_fixed | end
    node: str
    kind: str
    label: str
    text: str
    answer: str = ""
    value: str = ""
    outcome: str = ""
    detail: str = ""
    automated: bool = False
    notes: str = ""
    time_spent_ms: int = 0
    at: str = ""
    answered_from: str = ""  # a question answered from a known value: says which

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


TRANSCRIPT_ACTIONS = ("answer", "value", "check", "check_error", "fixed", "not_fixed", "end")


def entries(ds: TreeSession, graph: nx.DiGraph | None = None) -> list[TranscriptEntry]:
    """The steps that stand (answers taken back are left out), in order, then the end.
    Pages and the API pass ``graph`` as the viewer may see it (``session_graph``)."""
    graph = graph if graph is not None else graph_of(ds)
    variables = ds.variables or {}
    entries = []
    for step in steps_of(ds):
        if step.undone or step.action not in TRANSCRIPT_ACTIONS:
            continue
        view = node_view(graph, step.node_id, ds.mode, variables, {})
        entries.append(
            TranscriptEntry(
                seq=step.seq,
                action=step.action,
                node=step.node_id,
                kind=step.node_kind,
                label=view.label,
                text=view.text,
                answer=step.answer,
                value=step.value,
                outcome=step.outcome,
                detail=step.detail,
                automated=step.automated,
                notes=step.notes,
                time_spent_ms=step.time_spent_ms,
                at=step.at.isoformat(),
                answered_from=_answered_from(step),
            )
        )
    return entries


def _answered_from(step: SessionStep) -> str:
    if step.action != "answer" or not step.automated:
        return ""
    return describe(step.detail, step.value, step.answer)


def answered_for_you(ds: TreeSession, graph: nx.DiGraph | None = None) -> list[dict[str, str]]:
    """The questions answered from known values just before the current step (the step page
    says so, and Back goes to the last of them)."""
    graph = graph if graph is not None else graph_of(ds)
    found: list[dict[str, str]] = []
    for step in reversed(steps_of(ds)):
        if step.action == "end":
            continue
        if step.undone or not (step.action == "answer" and step.automated):
            break
        view = node_view(graph, step.node_id, ds.mode, ds.variables or {}, {})
        found.append({"text": view.text, "answer": step.answer, "said": _answered_from(step)})
    return list(reversed(found))


def path_nodes(ds: TreeSession) -> list[str]:
    return list(ds.path or [])


def _entry_line(number: int, entry: TranscriptEntry) -> list[str]:
    lines = [f"{number}. {entry.text}"]
    if entry.action == "check_error":
        lines.append(f"   Automated check could not answer: {entry.detail}")
    elif entry.action in ("fixed", "not_fixed"):
        lines.append(f"   Did this fix it? {entry.answer}")
    elif entry.kind == "check":
        how = "checked automatically" if entry.automated else f"answered '{entry.answer}'"
        detail = f": {entry.detail}" if entry.automated and entry.detail else ""
        lines.append(f"   Result: {entry.outcome} ({how}){detail}")
    elif entry.answered_from:
        lines.append(f"   {entry.answered_from}")
    elif entry.value:
        lines.append(f"   Answer: {entry.value}")
    else:
        lines.append(f"   Answer: {entry.answer}")
    if entry.notes:
        lines.append(f"   Notes: {entry.notes}")
    return lines


def _site_time(value: datetime) -> str:
    """On the site's clock with its zone's abbreviation, as the pages show it; the text is
    pasted into tickets people read beside those pages."""
    zone = site_zone(current_app.config) if has_app_context() else UTC
    return when(value, "%Y-%m-%d %H:%M %Z", zone)


def transcript_text(
    ds: TreeSession, groups: dict[str, str] | None = None, graph: nx.DiGraph | None = None
) -> str:
    """The transcript in plain language, ready to paste into a ticket."""
    graph = graph if graph is not None else graph_of(ds)
    title = graph.graph.get("title", ds.tree_id)
    lines = [
        f"Diagnostic: {title} ({ds.tree_id}, revision {ds.revision.number})",
        f"Mode: {MODE_LABELS.get(ds.mode, ds.mode)}; started "
        f"{_site_time(ds.started_at)}; status: {ds.status}",
        "",
    ]
    steps = [e for e in entries(ds, graph) if e.action != "end"]
    for number, entry in enumerate(steps, start=1):
        lines += _entry_line(number, entry)
    lines.append("")
    lines += outcome_lines(ds, graph, groups or {})
    if ds.articles_viewed:
        lines.append("Articles shown: " + ", ".join(ds.articles_viewed))
    return "\n".join(lines).rstrip() + "\n"


def outcome_lines(ds: TreeSession, graph: nx.DiGraph, groups: dict[str, str]) -> list[str]:
    variables = ds.variables or {}
    if ds.status == SessionStatus.ACTIVE:
        view = node_view(graph, ds.current_node, ds.mode, variables, groups)
        return [f"Not finished: waiting at '{view.label}'."]
    if ds.status == SessionStatus.ABANDONED:
        return ["Outcome: abandoned."]
    end = next((s for s in reversed(steps_of(ds)) if s.action == "end"), None)
    if ds.end_reason == "not_fixed":
        view = node_view(graph, ds.current_node, ds.mode, variables, groups)
        lines = [f"Outcome: escalated: \"{NOT_FIXED}\" after '{view.label}'."]
        if (view.terminal or {}).get("workaround"):
            lines.append(f"That was a workaround; still to fix: {view.terminal['remains']}")
        if end is not None and end.notes:
            lines.append(f"Notes: {end.notes}")
        return lines
    if ds.end_reason == "didnt_help":
        view = node_view(graph, ds.current_node, ds.mode, variables, groups)
        lines = [f"Outcome: escalated: \"This didn't help\" at '{view.label}'."]
        if end is not None and end.notes:
            lines.append(f"Notes: {end.notes}")
        return lines
    view = node_view(graph, ds.current_node, ds.mode, variables, groups)
    if ds.status == SessionStatus.RESOLVED:
        said = {
            SessionOutcome.FIXED: "confirmed fixed",
            SessionOutcome.WORKAROUND: "working with a workaround, not fixed",
        }.get(ds.outcome, "not confirmed fixed")
        lines = [f"Outcome: resolved ({said}): {view.text}"]
        if (view.terminal or {}).get("workaround"):
            lines.append(f"Still to fix: {view.terminal['remains']}")
        return lines
    terminal = view.terminal or {}
    lines = [
        f"Outcome: escalated to {terminal.get('group_name')} "
        f"(impact {terminal.get('impact')}, urgency {terminal.get('urgency')}).",
        view.text,
    ]
    if terminal.get("ask"):
        lines.append("To give the support team: " + "; ".join(terminal["ask"]))
    return lines


def _has_checks(graph: nx.DiGraph) -> bool:
    """Whether any step of the tree is a check (most are not: then there is nothing to read)."""
    return any(kind == "check" for _node, kind in graph.nodes(data="kind"))


def last_check(ds: TreeSession, graph: nx.DiGraph | None = None) -> dict[str, Any] | None:
    """The result of the check answered just now (so the next page can show it), or None."""
    session = object_session(ds)
    if session is None or not ds.step_count:
        return None
    graph = graph if graph is not None else graph_of(ds)
    if not _has_checks(graph):
        return None
    step = session.scalar(
        select(SessionStep).where(SessionStep.session_id == ds.id, SessionStep.seq == ds.step_count)
    )
    if step is None or step.action not in ("check", "check_error", "end"):
        return None
    if step.action == "end":  # the check led straight to a terminal
        step = session.scalar(
            select(SessionStep).where(
                SessionStep.session_id == ds.id, SessionStep.seq == ds.step_count - 1
            )
        )
        if step is None or step.action != "check":
            return None
    check = graph.nodes[step.node_id].get("check")
    return {
        "node": step.node_id,
        "check": check,
        "outcome": step.outcome,
        "detail": step.detail,
        "automated": step.automated,
        "answered": step.action == "check",  # False: the check could not answer; ask by hand
    }


def checks_run(ds: TreeSession, graph: nx.DiGraph | None = None) -> list[dict[str, Any]]:
    """Every check step that stands, automated or answered by hand."""
    graph = graph if graph is not None else graph_of(ds)
    result = []
    for step in steps_of(ds):
        if step.action not in ("check", "check_error") or step.undone:
            continue
        attrs = graph.nodes[step.node_id]
        params = {k: fill(str(v), ds.variables or {}) for k, v in attrs.get("params", {}).items()}
        result.append(
            {
                "node": step.node_id,
                "check": attrs.get("check"),
                "params": params,
                "outcome": step.outcome,
                "detail": step.detail,
                "automated": step.automated,
                "at": step.at.isoformat(),
            }
        )
    return result


def session_snapshot(ds: TreeSession, groups: dict[str, str]) -> SessionSnapshot:
    """The session as the record ``kb_session_escalated`` carries (a detached copy)."""
    graph = graph_of(ds)
    view = node_view(graph, ds.current_node, ds.mode, ds.variables or {}, groups)
    terminal = None
    if view.kind == "escalation" and ds.end_reason == "terminal":
        terminal = {**(view.terminal or {}), "label": view.label, "text": view.text}
    return SessionSnapshot(
        token=ds.token,
        tree_id=ds.tree_id,
        tree_title=str(graph.graph.get("title", ds.tree_id)),
        service=str(graph.graph.get("service", "")),
        revision_id=ds.revision_id,
        revision_number=ds.revision.number,
        mode=ds.mode,
        status=ds.status,
        end_reason=ds.end_reason,
        node_id=ds.current_node,
        started_at=ds.started_at,
        ended_at=ds.ended_at,
        transcript=[entry.to_dict() for entry in entries(ds)],
        transcript_text=transcript_text(ds, groups),
        variables=dict(ds.variables or {}),
        terminal=terminal,
        articles_viewed=list(ds.articles_viewed or []),
        checks_run=checks_run(ds),
        requester_id=ds.user_id,
    )
