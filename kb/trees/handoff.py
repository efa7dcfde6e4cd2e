"""What leaves the diagnostics area when a session escalates: a plain snapshot for the
``kb_session_escalated`` hook, and the prefill for the escalation form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import SessionStatus, TreeSession
from kb.trees.engine import (
    checks_run,
    graph_of,
    node_view,
    session_graph,
    transcript,
    transcript_text,
    visible_session,
)


@dataclass(frozen=True)
class SessionSnapshot:
    """A detached copy of a diagnostic session (what ``kb_session_escalated`` receives)."""

    token: str
    tree_id: str
    tree_title: str
    service: str
    revision_id: int
    revision_number: int
    mode: str  # self_service | technician
    status: str  # escalated (for this hook)
    end_reason: str  # terminal (reached an escalation node) | didnt_help
    node_id: str  # where it ended
    started_at: datetime
    ended_at: datetime | None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    transcript_text: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    # The escalation node: group, group_name, impact, urgency, ask, text (None for
    # "This didn't help", which has no node of its own).
    terminal: dict[str, Any] | None = None
    articles_viewed: list[str] = field(default_factory=list)
    checks_run: list[dict[str, Any]] = field(default_factory=list)
    requester_id: int | None = None


def session_snapshot(ds: TreeSession, groups: dict[str, str]) -> SessionSnapshot:
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
        transcript=[entry.to_dict() for entry in transcript(ds)],
        transcript_text=transcript_text(ds, groups),
        variables=dict(ds.variables or {}),
        terminal=terminal,
        articles_viewed=list(ds.articles_viewed or []),
        checks_run=checks_run(ds),
        requester_id=ds.user_id,
    )


def escalated_snapshot(session: Session, token: str, groups: dict[str, str], viewer: Any = None):
    """The escalated session behind ``token`` as ``viewer`` may open it (None: an anonymous
    visitor), or None: someone else's technician session does not exist for a requester."""
    ds = visible_session(session, token, viewer)
    if ds is None or ds.status != SessionStatus.ESCALATED:
        return None
    return session_snapshot(ds, groups)


def escalation_fields(snapshot: SessionSnapshot, default_group: str) -> dict[str, Any]:
    """The escalation form's prefill from a session (impact/urgency empty: the form asks)."""
    terminal = snapshot.terminal or {}
    if terminal:
        summary = f"{snapshot.tree_title}: {terminal.get('label', '')}"
    else:
        summary = f"{snapshot.tree_title}: the guided steps did not help"
    return {
        "summary": summary[:300],
        "requester_name": "",
        "group": terminal.get("group") or default_group,
        "impact": terminal.get("impact") or "",
        "urgency": terminal.get("urgency") or "",
        "requester_id": snapshot.requester_id,
        "service": snapshot.service,
        "session_token": snapshot.token,
        "tree_id": snapshot.tree_id,
        "tree_revision_id": snapshot.revision_id,
        "node_id": snapshot.node_id,
        "transcript": snapshot.transcript,
        "transcript_text": snapshot.transcript_text,
        "answers_to_ask": dict.fromkeys(terminal.get("ask") or [], ""),
        "articles_viewed": snapshot.articles_viewed,
        "checks_run": snapshot.checks_run,
    }


def escalation_request(session: Session, kb: Any, token: str, viewer: Any = None):
    """The escalation form's starting point for an escalated session ``viewer`` may open (None:
    an anonymous visitor), or None.

    Used by kb.escalation (which owns EscalationRequest); imported lazily so diagnostics
    works without it.
    """
    from kb.escalation.service import EscalationRequest  # type: ignore[import-not-found]

    snapshot = escalated_snapshot(session, token, kb.config.get("SUPPORT_GROUPS") or {}, viewer)
    if snapshot is None:
        return None
    default_group = kb.config.get("DEFAULT_ESCALATION_GROUP", "service-desk")
    return EscalationRequest(**escalation_fields(snapshot, default_group))


def transcript_text_for(
    session: Session, token: str, viewer: Any, groups: dict[str, str]
) -> str | None:
    """A session's transcript as ``viewer`` may see it (the tree through the projection), for
    pages that show what was tried to someone other than the help desk; None when the session
    no longer exists."""
    ds = session.scalar(select(TreeSession).where(TreeSession.token == token))
    if ds is None:
        return None
    return transcript_text(ds, groups, session_graph(ds, viewer))
