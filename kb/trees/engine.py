"""The session engine: start a walk through a pinned tree revision, answer, go back, give up,
and read the transcript; a session that escalates is copied into the record
``kb_session_escalated`` carries. Services take a database session and plain arguments;
permission rules come from kb.auth.policy."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from kb import followups
from kb.auth.policy import can, require, require_tree
from kb.db import queue_event
from kb.errors import Conflict, Forbidden, Invalid, NotFound
from kb.models import (
    SessionMode,
    SessionOutcome,
    SessionStatus,
    SessionStep,
    Tree,
    TreeRevision,
    TreeSession,
    TreeStatus,
    User,
    utcnow,
)
from kb.trees.checks import CheckResult
from kb.trees.graph import (
    CHECK_ANSWERS,
    TERMINAL_KINDS,
    exits,
    fill,
)
from kb.trees.known import account_values, answer_from
from kb.trees.steps import (
    FIXED,
    NOT_FIXED,
    RUN_CHECK,
    TEXT_LIMIT,
    WORKED_AROUND,
    graph_of,
    steps_of,
)
from kb.trees.store import revision_graph
from kb.trees.transcript import session_snapshot

CheckRunner = Callable[[str, dict[str, Any]], CheckResult]

# --- finding and starting ----------------------------------------------------------------


def visible_session(session: Session, token: str, user: Any) -> TreeSession | None:
    """The session behind an unguessable URL, or None; technician sessions exist only for
    technicians (for everything that takes a session's address: its pages, its JSON and the
    escalation form filled from it)."""
    found = session.scalar(
        select(TreeSession)
        .options(joinedload(TreeSession.revision))
        .where(TreeSession.token == token)
    )
    if found is None:
        return None
    if found.mode == SessionMode.TECHNICIAN and not can(user, "tree.run_technician"):
        return None
    return found


def session_by_token(session: Session, token: str, user: Any) -> TreeSession:
    """The session behind an unguessable URL; NotFound when it does not exist for ``user``."""
    found = visible_session(session, token, user)
    if found is None:
        raise NotFound("This diagnostic session does not exist. Check the link or start again.")
    return found


def choose_mode(user: Any, tree: Tree, requested: str | None) -> str:
    """Technician trees run in technician mode; others in the mode asked for, if allowed."""
    if requested not in (None, "", *SessionMode):
        raise Invalid("mode must be self_service or technician.", fields={"mode": "unknown"})
    if tree.audience == "technician" or requested == SessionMode.TECHNICIAN:
        if not can(user, "tree.run_technician"):
            raise Forbidden("Only technicians can run diagnostics in technician mode.")
        return SessionMode.TECHNICIAN.value
    if requested:
        return str(requested)
    return (
        SessionMode.TECHNICIAN.value
        if can(user, "tree.run_technician")
        else SessionMode.SELF_SERVICE.value
    )


def start_session(
    session: Session,
    tree: Tree,
    user: Any,
    mode: str | None = None,
    revision: TreeRevision | None = None,
    now: datetime | None = None,
) -> TreeSession:
    """Begin a walk on the live revision (authors may try out another revision)."""
    require_tree(user, tree)
    if revision is None:
        if not tree.is_live or tree.published_revision is None:
            # The tree exists for this person (an author): a conflict with its status, not a 404.
            archived = tree.status == TreeStatus.ARCHIVED
            raise Conflict(
                f"The diagnostic '{tree.id}' is "
                + ("archived." if archived else "not published yet: try its draft from its page."),
                status=tree.status,
            )
        revision = tree.published_revision
    elif revision.id != tree.published_revision_id:
        require(user, "tree.edit")
    mode = choose_mode(user, tree, mode)
    graph = revision_graph(revision)
    start = graph.graph["start"]
    now = now or utcnow()
    ds = TreeSession(
        token=secrets.token_urlsafe(24),
        tree=tree,
        revision=revision,
        mode=mode,
        status=SessionStatus.ACTIVE.value,
        current_node=start,
        path=[start],
        variables={},
        articles_viewed=[],
        user_id=getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None,
        started_at=now,
        step_started_at=now,
        updated_at=now,
    )
    session.add(ds)
    _arrive(graph, ds, start, now)
    _answer_known(session, graph, ds, user, now)
    return ds


# --- stepping ------------------------------------------------------------------------------


def _require_active(ds: TreeSession) -> None:
    if ds.finished:
        raise Conflict(
            f"This diagnostic session has already ended ({ds.status}). Start a new one to try "
            "again.",
            status=ds.status,
        )


def _record(session: Session, ds: TreeSession, step: SessionStep) -> None:
    """Add a step row without loading the session's earlier ones."""
    if ds.id is None:  # a session started in this transaction: written once it has steps
        session.flush()
    ds.step_count = (ds.step_count or 0) + 1
    step.seq = ds.step_count
    step.session_id = ds.id
    session.add(step)


def _spent_ms(ds: TreeSession, now: datetime) -> int:
    return max(0, int((now - ds.step_started_at).total_seconds() * 1000))


def _arrive(graph: nx.DiGraph, ds: TreeSession, node: str, now: datetime) -> None:
    ds.current_node = node
    ds.step_started_at = now
    ds.updated_at = now
    article = graph.nodes[node].get("article")
    if article and article not in (ds.articles_viewed or []):
        ds.articles_viewed = [*(ds.articles_viewed or []), article]


def _validate_value(attrs: dict[str, Any], value: Any) -> tuple[str, Any]:
    """(text to show, value to store) for an input node; Invalid says what is wrong."""
    kind = attrs["input_type"]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid("Please give an answer.", fields={"value": "required"})
    if kind == "number":
        if isinstance(value, bool):
            raise Invalid("Enter a number.", fields={"value": "a number"})
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            raise Invalid("Enter a number, like 3 or 2.5.", fields={"value": "a number"}) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise Invalid("Enter a number, like 3 or 2.5.", fields={"value": "a number"})
        low, high = attrs.get("min"), attrs.get("max")
        if (low is not None and number < low) or (high is not None and number > high):
            raise Invalid(
                f"Enter a number from {low if low is not None else '…'} to "
                f"{high if high is not None else '…'}.",
                fields={"value": "out of range"},
            )
        stored: Any = int(number) if number.is_integer() else number
        return str(stored), stored
    if not isinstance(value, str | int | float):
        raise Invalid("Send the answer as text.", fields={"value": "text"})
    text = str(value).strip()
    if kind == "choice":
        if text not in attrs.get("choices", []):
            raise Invalid(
                "Pick one of: " + ", ".join(attrs.get("choices", [])), fields={"value": "choice"}
            )
        return text, text
    limit = attrs.get("max_length") or TEXT_LIMIT
    if len(text) > limit:
        raise Invalid(f"Keep it to {limit} characters.", fields={"value": f"max {limit}"})
    return text, text


def answer(
    session: Session,
    ds: TreeSession,
    *,
    user: Any,
    answer: str | None = None,
    value: Any = None,
    notes: str = "",
    run_check: CheckRunner | None = None,
    now: datetime | None = None,
) -> None:
    """Take one step from the current node. Invalid for an unknown answer or a bad value."""
    _require_active(ds)
    now = now or utcnow()
    graph = graph_of(ds)
    node = ds.current_node
    attrs = graph.nodes[node]
    kind = attrs["kind"]
    notes = (notes or "").strip()[:2000] if ds.mode == SessionMode.TECHNICIAN else ""
    step = SessionStep(
        node_id=node, node_kind=kind, notes=notes, at=now, time_spent_ms=_spent_ms(ds, now)
    )
    choices = exits(graph, node)
    if kind in ("question", "action"):
        if answer is None and isinstance(value, str):
            answer = value
        target = next((c.target for c in choices if c.label == answer), None)
        if target is None:
            offered = ", ".join(f"'{c.label}'" for c in choices)
            raise Invalid(
                f"Unknown answer {answer!r}; choose {offered}.", fields={"answer": "unknown"}
            )
        step.action, step.answer = "answer", str(answer)
    elif kind == "input":
        if value is None:
            value = answer
        shown, stored = _validate_value(attrs, value)
        target = choices[0].target
        step.action, step.value = "value", shown
        ds.variables = {**(ds.variables or {}), attrs["var"]: stored}
    elif kind == "check":
        result = _check_result(ds, attrs, answer, user, run_check)
        step.action, step.outcome, step.detail = "check", result.outcome, result.detail
        step.automated = answer == RUN_CHECK
        step.answer = "" if step.automated else str(answer)
        if step.automated and result.outcome not in ("pass", "fail"):
            # A check that could not answer (refused, timed out, not installed) is no answer:
            # the step stays, and the question is asked by hand.
            step.action, step.outcome, step.target_node = "check_error", "error", node
            _record(session, ds, step)
            ds.updated_at = now
            return
        by_outcome = {c.label: c.target for c in choices}
        target = by_outcome.get(result.outcome) or by_outcome["fail"]
    else:  # a terminal cannot be answered: the session has already ended there
        raise Conflict("This diagnostic session has already ended.")
    step.target_node = target
    _record(session, ds, step)
    ds.path = [*(ds.path or []), target]
    _arrive(graph, ds, target, now)
    target_kind = graph.nodes[target]["kind"]
    if target_kind in TERMINAL_KINDS:
        _finish(session, ds, graph, target_kind, "terminal", now)
    else:
        _answer_known(session, graph, ds, user, now)


def _answer_known(
    session: Session, graph: nx.DiGraph, ds: TreeSession, user: Any, now: datetime
) -> None:
    """Move on past each question a known value already answers (``answered_by``), recording
    each as answered from that value (``automated``, ``detail`` = where it came from) so Back
    and the transcript stay honest. A question met twice in one run is asked."""
    account = account_values(user, ds.user_id, ds.mode == SessionMode.TECHNICIAN)
    seen: set[str] = set()
    while not ds.finished and ds.current_node not in seen:
        node = ds.current_node
        seen.add(node)
        choices = exits(graph, node)
        known = answer_from(
            graph.nodes[node], [c.label for c in choices], ds.variables or {}, account
        )
        if known is None:
            return
        target = next(c.target for c in choices if c.label == known.answer)
        step = SessionStep(
            node_id=node,
            node_kind="question",
            action="answer",
            answer=known.answer,
            value=known.value,
            detail=known.detail,
            automated=True,
            target_node=target,
            time_spent_ms=0,
            at=now,
        )
        _record(session, ds, step)
        ds.path = [*(ds.path or []), target]
        _arrive(graph, ds, target, now)
        target_kind = graph.nodes[target]["kind"]
        if target_kind in TERMINAL_KINDS:
            _finish(session, ds, graph, target_kind, "terminal", now)


def _check_result(
    ds: TreeSession,
    attrs: dict[str, Any],
    answer: str | None,
    user: Any,
    run_check: CheckRunner | None,
) -> CheckResult:
    if answer in CHECK_ANSWERS:
        return CheckResult(CHECK_ANSWERS[answer], "answered by hand")
    if answer == RUN_CHECK and ds.mode == SessionMode.TECHNICIAN:
        require(user, "check.run")
        if run_check is None:
            return CheckResult("error", "automated checks are not available here")
        params = {k: fill(str(v), ds.variables or {}) for k, v in attrs["params"].items()}
        return run_check(attrs["check"], params)
    offered = ([RUN_CHECK] if ds.mode == SessionMode.TECHNICIAN else []) + list(CHECK_ANSWERS)
    raise Invalid(
        f"Unknown answer {answer!r}; choose " + ", ".join(f"'{a}'" for a in offered) + ".",
        fields={"answer": "unknown"},
    )


def _finish(
    session: Session,
    ds: TreeSession,
    graph: nx.DiGraph,
    outcome: str,
    reason: str,
    now: datetime,
    notes: str = "",
) -> None:
    status = {
        "resolution": SessionStatus.RESOLVED,
        "escalation": SessionStatus.ESCALATED,
        "escalated": SessionStatus.ESCALATED,
        "abandoned": SessionStatus.ABANDONED,
    }[outcome]
    ds.status = status.value
    ds.ended_at = now
    ds.updated_at = now
    ds.end_reason = reason
    if status == SessionStatus.RESOLVED:
        ds.outcome = SessionOutcome.UNCONFIRMED.value
    elif status == SessionStatus.ESCALATED:
        ds.outcome = SessionOutcome.NOT_FIXED.value
    _record(
        session,
        ds,
        SessionStep(
            action="end",
            node_id=ds.current_node,
            node_kind=graph.nodes[ds.current_node]["kind"],
            answer=reason,
            outcome=status.value,
            notes=notes,
            time_spent_ms=0 if reason == "terminal" else _spent_ms(ds, now),
            at=now,
        ),
    )
    if status == SessionStatus.RESOLVED:
        _schedule_followup(session, ds, graph, now)
    if status == SessionStatus.ESCALATED:
        groups = (session.info["kb"].config if "kb" in session.info else {}).get(
            "SUPPORT_GROUPS"
        ) or {}
        queue_event(session, "kb_session_escalated", session=session_snapshot(ds, groups))


def _schedule_followup(session: Session, ds: TreeSession, graph: nx.DiGraph, now: datetime) -> None:
    """A resolution node with a follow-up ("check in 2 days that printing still works")
    schedules one for the signed-in person who ran the session: the requester in self-service,
    the technician (to call the requester back) in technician mode."""
    followup = graph.nodes[ds.current_node].get("followup")
    if not isinstance(followup, dict) or ds.user_id is None:
        return
    try:
        days = float(followup.get("after_days") or 0)
    except (TypeError, ValueError):
        return
    user = session.get(User, ds.user_id)
    if days <= 0 or user is None:
        return
    title = str(graph.graph.get("title", ds.tree_id))
    text = fill(
        str(followup.get("text") or "Check that the problem is still fixed."), ds.variables or {}
    )
    followups.schedule(
        session,
        text=f"{title}: {text}",
        due_at=now + timedelta(days=days),
        session_token=ds.token,
        tree_id=ds.tree_id,
        requester_email=user.email,
        requester_name=user.display_name,
    )


def back(session: Session, ds: TreeSession, now: datetime | None = None) -> None:
    """Undo the last answer: the previous step is shown again, its value forgotten."""
    _require_active(ds)
    if len(ds.path or []) < 2:
        raise Conflict("This is the first step: there is nothing to go back to.")
    last = _last_move(session, ds)
    if last is not None and last.action == "not_fixed":
        raise Conflict(
            "You said the earlier fix did not work, so the diagnostic moved on; start again to "
            "change the answers before it."
        )
    now = now or utcnow()
    graph = graph_of(ds)
    if last is not None:
        last.undone = True
    step = SessionStep(
        action="back",
        node_id=ds.current_node,
        node_kind=graph.nodes[ds.current_node]["kind"],
        time_spent_ms=_spent_ms(ds, now),
        at=now,
    )
    _record(session, ds, step)
    session.flush()
    ds.path = list(ds.path[:-1])
    ds.variables = _replay_variables(graph, ds)
    _arrive(graph, ds, ds.path[-1], now)


def _last_move(session: Session, ds: TreeSession) -> SessionStep | None:
    """The step that brought the session to its current node (None at the start)."""
    return session.scalar(
        select(SessionStep)
        .where(
            SessionStep.session_id == ds.id,
            SessionStep.action.in_(("answer", "value", "check", "not_fixed")),
            SessionStep.undone.is_(False),
        )
        .order_by(SessionStep.seq.desc())
        .limit(1)
    )


def can_go_back(session: Session, ds: TreeSession) -> bool:
    """Whether Back is offered: an active session past its first step, not just moved on
    from a resolution that did not fix it."""
    if ds.finished or len(ds.path or []) < 2:
        return False
    last = _last_move(session, ds)
    return last is None or last.action != "not_fixed"


def _replay_variables(graph: nx.DiGraph, ds: TreeSession) -> dict[str, Any]:
    """Variables from the values still standing (not taken back)."""
    variables: dict[str, Any] = {}
    for step in steps_of(ds):
        if step.action == "value" and not step.undone:
            attrs = graph.nodes[step.node_id]
            _, stored = _validate_value(attrs, step.value)
            variables[attrs["var"]] = stored
    return variables


def didnt_help(
    session: Session, ds: TreeSession, notes: str = "", now: datetime | None = None
) -> None:
    """ "This didn't help": end escalated at the current step, transcript and all."""
    _require_active(ds)
    now = now or utcnow()
    _finish(session, ds, graph_of(ds), "escalated", "didnt_help", now, notes=notes.strip()[:2000])


def _require_resolution(ds: TreeSession) -> dict[str, Any]:
    if ds.status != SessionStatus.RESOLVED:
        raise Conflict(
            "Only a diagnostic that ended with a fix asks whether it fixed the problem "
            f"(this one is {ds.status}).",
            status=ds.status,
        )
    return graph_of(ds).nodes[ds.current_node]


def confirm_fixed(session: Session, ds: TreeSession, now: datetime | None = None) -> None:
    """ "Did this fix it?" Yes: the outcome is a confirmed fix (or, at a workaround ending, a
    confirmed workaround: working again, but not fixed)."""
    attrs = _require_resolution(ds)
    if ds.outcome != SessionOutcome.UNCONFIRMED:
        raise Conflict("You have already answered whether this fixed it.", outcome=ds.outcome)
    now = now or utcnow()
    workaround = attrs.get("workaround") is True
    ds.outcome = (SessionOutcome.WORKAROUND if workaround else SessionOutcome.FIXED).value
    ds.updated_at = now
    _record(
        session,
        ds,
        SessionStep(
            action="fixed",
            node_id=ds.current_node,
            node_kind="resolution",
            answer=WORKED_AROUND if workaround else FIXED,
            outcome=ds.outcome,
            at=now,
            time_spent_ms=_spent_ms(ds, now),
        ),
    )
    session.flush()


def not_fixed(
    session: Session,
    ds: TreeSession,
    notes: str = "",
    now: datetime | None = None,
    user: Any = None,
) -> None:
    """ "Still not fixed" on a resolution page: the session goes on to the step the tree names
    (``not_fixed_next``) or, without one, ends escalated with the whole transcript, so the
    escalation form is filled in from it."""
    attrs = _require_resolution(ds)
    now = now or utcnow()
    graph = graph_of(ds)
    notes = notes.strip()[:2000]
    target = attrs.get("not_fixed_next")
    step = SessionStep(
        action="not_fixed",
        node_id=ds.current_node,
        node_kind="resolution",
        answer=NOT_FIXED,
        outcome=SessionOutcome.NOT_FIXED.value,
        notes=notes,
        at=now,
        time_spent_ms=_spent_ms(ds, now),
    )
    ds.outcome = SessionOutcome.NOT_FIXED.value
    followups.cancel_for_session(session, ds.token)
    if not isinstance(target, str) or target not in graph or target == ds.current_node:
        step.target_node = ds.current_node
        _record(session, ds, step)
        session.flush()
        _finish(session, ds, graph, "escalated", "not_fixed", now, notes=notes)
        return
    step.target_node = target
    _record(session, ds, step)
    ds.status = SessionStatus.ACTIVE.value
    ds.ended_at = None
    ds.end_reason = ""
    ds.path = [*(ds.path or []), target]
    _arrive(graph, ds, target, now)
    target_kind = graph.nodes[target]["kind"]
    if target_kind in TERMINAL_KINDS:
        _finish(session, ds, graph, target_kind, "terminal", now)
    else:
        session.flush()
        _answer_known(session, graph, ds, user, now)
        session.flush()


def abandon(session: Session, ds: TreeSession, now: datetime | None = None) -> None:
    _require_active(ds)
    _finish(session, ds, graph_of(ds), "abandoned", "abandoned", now or utcnow())
