"""What a step of a session shows, and a session's tree and steps as stored: shared by the
engine that moves a session on and the transcript that reads it back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import object_session

from kb.models import (
    SessionMode,
    SessionStep,
    TreeSession,
)
from kb.trees import projection
from kb.trees.graph import (
    CHECK_ANSWERS,
    exits,
    fill,
)
from kb.trees.known import account_values, default_for
from kb.trees.store import revision_graph

RUN_CHECK = "Run check"


FIXED = "Yes, it's fixed"


WORKED_AROUND = "Yes, I can work for now"


NOT_FIXED = "Still not fixed"


TEXT_LIMIT = 500


MODE_LABELS = {"self_service": "self-service", "technician": "technician"}


@dataclass
class NodeView:
    """What one step shows: wording for the mode, the answers offered, the input asked for."""

    id: str
    kind: str
    label: str
    text: str
    script: str = ""
    article: str | None = None
    article_section: str | None = None
    answers: list[str] = field(default_factory=list)
    input: dict[str, Any] | None = None
    check: dict[str, Any] | None = None
    terminal: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", [])} | {
            "answers": self.answers
        }


def node_view(
    graph: nx.DiGraph,
    node: str,
    mode: str,
    variables: dict[str, Any],
    groups: dict[str, str],
    account: Mapping[str, str] | None = None,
) -> NodeView:
    """``account``: the values the person's account adds (kb.trees.known), for defaults."""
    attrs = graph.nodes[node]
    technician = mode == SessionMode.TECHNICIAN
    text = attrs.get("text_technician") if technician and attrs.get("text_technician") else None
    view = NodeView(
        id=node,
        kind=attrs["kind"],
        label=fill(attrs.get("label", ""), variables),
        text=fill(text or attrs.get("text", ""), variables),
        script=fill(attrs.get("script", ""), variables) if technician else "",
        article=attrs.get("article"),
        article_section=attrs.get("article_section"),
    )
    kind = attrs["kind"]
    if kind in ("question", "action"):
        view.answers = [choice.label for choice in exits(graph, node)]
    elif kind == "input":
        spec: dict[str, Any] = {"var": attrs["var"], "type": attrs["input_type"]}
        for key in ("choices", "min", "max", "max_length"):
            if attrs.get(key) is not None:
                spec[key] = attrs[key]
        default = default_for(attrs, variables, account or {})
        if default is not None:
            spec["default"] = default
        view.input = spec
    elif kind == "check":
        view.answers = ([RUN_CHECK] if technician else []) + list(CHECK_ANSWERS)
        params = {k: fill(str(v), variables) for k, v in (attrs.get("params") or {}).items()}
        view.check = {"name": attrs["check"], "params": params}
    elif kind == "resolution":
        followup = attrs.get("followup")
        workaround = attrs.get("workaround") is True
        view.terminal = {
            "outcome": "resolved",
            "workaround": workaround,
            "if_not_fixed": "continue" if attrs.get("not_fixed_next") in graph else "escalate",
        }
        if workaround:
            view.terminal["remains"] = fill(str(attrs.get("remains") or ""), variables)
        if isinstance(followup, dict):
            view.terminal["followup"] = {
                "after_days": followup.get("after_days"),
                "text": fill(str(followup.get("text", "")), variables),
            }
    elif kind == "escalation":
        group = attrs.get("group", "")
        view.terminal = {
            "outcome": "escalated",
            "group": group,
            "group_name": groups.get(group, group),
            "impact": attrs.get("impact"),
            "urgency": attrs.get("urgency"),
            "ask": [fill(a, variables) for a in attrs.get("ask", [])],
        }
        asks = attrs.get("ask_answered_by")
        if isinstance(asks, dict) and asks:
            view.terminal["ask_answered_by"] = {fill(k, variables): v for k, v in asks.items()}
    return view


def session_graph(ds: TreeSession, viewer: Any) -> nx.DiGraph:
    """The session's tree as ``viewer`` may see it (kb.trees.projection)."""
    return projection.for_viewer(graph_of(ds), viewer)


def graph_of(ds: TreeSession) -> nx.DiGraph:
    return revision_graph(ds.revision)


def steps_of(ds: TreeSession) -> list[SessionStep]:
    session = object_session(ds)
    if session is None:
        return list(ds.steps)
    return list(
        session.scalars(
            select(SessionStep).where(SessionStep.session_id == ds.id).order_by(SessionStep.seq)
        )
    )


def session_account(ds: TreeSession, user: Any) -> dict[str, str]:
    """What ``user``'s account adds to ``ds``'s known values (kb.trees.known.account_values)."""
    return account_values(user, ds.user_id, ds.mode == SessionMode.TECHNICIAN)
