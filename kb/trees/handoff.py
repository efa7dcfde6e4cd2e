"""What leaves the trees area when a session escalates: the session as its plugin-facing
record (:class:`kb.records.SessionSnapshot`, built by the engine when it fires
``kb_session_escalated``) as a viewer may open it, the escalation form's prefill from it, and
the transcript for pages outside the help desk. kb.escalation builds on this; trees never call
up into it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import SessionStatus, TreeSession
from kb.records import SessionSnapshot
from kb.trees.engine import visible_session
from kb.trees.steps import session_graph
from kb.trees.transcript import session_snapshot, transcript_text

__all__ = [
    "escalated_snapshot",
    "escalation_fields",
    "session_snapshot",
    "transcript_text_for",
]


def escalated_snapshot(
    session: Session, token: str, groups: dict[str, str], viewer: Any = None
) -> SessionSnapshot | None:
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
    elif snapshot.end_reason == "not_fixed":
        ending = next(
            (e.get("label") for e in reversed(snapshot.transcript) if e.get("action") == "end"),
            "",
        )
        summary = f"{snapshot.tree_title}: still not fixed after '{ending}'"
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
        "variables": dict(snapshot.variables),
        "ask_variables": dict(terminal.get("ask_answered_by") or {}),
    }


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
