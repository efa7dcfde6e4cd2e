"""Guided troubleshooting pages: the catalogue, a tree's landing page, the step page, the
transcript and the flowchart. Thin: parse, call the engine, render or redirect."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from kb import pagecache
from kb.articles.reading import rendered
from kb.articles.revisions import get_article
from kb.auth.policy import allowed_actions, can
from kb.db import get_db
from kb.errors import Invalid, NotFound
from kb.extensions import kb_state
from kb.models import SessionMode, Tree, TreeSession
from kb.outages.notices import notice_for_service
from kb.schemas import from_form
from kb.trees import catalog, engine
from kb.trees.article_parts import section, without_tree_prompts
from kb.trees.flowchart import render_svg
from kb.trees.projection import for_viewer
from kb.trees.schemas import SessionAnswer, SessionNotes, SessionStart
from kb.trees.steps import session_graph
from kb.trees.store import revision_by_number, revision_graph
from kb.trees.transcript import (
    answered_for_you,
    entries,
    last_check,
    path_nodes,
    transcript_text,
)
from kb.trees.web import (
    check_runner,
    current_step,
    draft_revision,
    groups,
    has_endpoint,
    visible_tree,
)

bp = Blueprint("trees", __name__)


def inline_article(slug: str | None, anchor: str | None = None) -> dict[str, Any] | None:
    """The article shown at a step, if this person may read it: its summary, the section the
    step names (``article_section``), and the whole of it for a <details>; never its prompts
    to run a diagnostic (the person is in one)."""
    if not slug:
        return None
    session = get_db()
    article = get_article(session, slug)
    if article is None or not can(current_user, "article.read", article) or not article.is_live:
        return None
    revision = article.published_revision
    html, _toc = rendered(kb_state(), session, revision)
    html = without_tree_prompts(html)
    return {
        "slug": article.slug,
        "title": revision.title,
        "summary": revision.summary,
        "section": section(html, anchor) if anchor else "",
        "html": html,
    }


@bp.get("/trees")
def catalogue():
    kept = pagecache.fetch()
    if kept is not None:
        return kept.page
    session = get_db()
    trees = catalog.live_trees(session, current_user)
    by_category: dict[str, list[Tree]] = {}
    for tree in trees:
        by_category.setdefault(tree.category or "Other", []).append(tree)
    drafts = catalog.unpublished_trees(session) if can(current_user, "tree.edit") else []
    page = render_template(
        "trees/catalogue.html", by_category=dict(sorted(by_category.items())), drafts=drafts
    )
    pagecache.keep(page)
    return page


@bp.get("/trees/<tree_id>")
def landing(tree_id: str):
    kept = pagecache.fetch()
    if kept is not None:
        return kept.page
    tree = visible_tree(tree_id)
    revision = tree.published_revision if tree.is_live else tree.head_revision
    graph = for_viewer(revision_graph(revision), current_user)
    page = render_template(
        "trees/landing.html",
        tree=tree,
        revision=revision,
        nodes=graph.number_of_nodes(),
        technician=can(current_user, "tree.run_technician"),
        actions=allowed_actions(current_user, tree) if can(current_user, "tree.edit") else [],
        outage=notice_for_service(get_db(), str(graph.graph.get("service", ""))),
    )
    if tree.is_live:
        pagecache.keep(page)
    return page


@bp.post("/trees/<tree_id>/start")
def start(tree_id: str):
    session = get_db()
    tree = visible_tree(tree_id)
    given = from_form(SessionStart, {"tree": tree_id})
    ds = engine.start_session(
        session, tree, current_user, mode=given.mode, revision=draft_revision(tree, given)
    )
    session.commit()
    return redirect(url_for("trees.step", token=ds.token))


def _step_context(ds: TreeSession, error: str | None = None) -> dict[str, Any]:
    graph, view = current_step(ds)
    return {
        "ds": ds,
        "view": view,
        "graph_title": graph.graph.get("title", ds.tree_id),
        "article": inline_article(view.article, view.article_section),
        "answered_for_you": answered_for_you(ds, graph),
        "technician": ds.mode == SessionMode.TECHNICIAN,
        "can_go_back": engine.can_go_back(get_db(), ds),
        "step_number": len(ds.path or []),
        "error": error,
        "can_escalate": has_endpoint("escalation.new_escalation"),
        "last_check": last_check(ds, graph) if ds.mode == SessionMode.TECHNICIAN else None,
        "outage": notice_for_service(get_db(), str(graph.graph.get("service", ""))),
    }


@bp.route("/sessions/<token>", methods=["GET", "POST"])
def step(token: str):
    session = get_db()
    ds = engine.session_by_token(session, token, current_user)
    if request.method == "GET":
        return render_template("trees/step.html", **_step_context(ds))
    action = request.form.get("action", "answer")
    try:
        if action == "back":
            engine.back(session, ds)
        elif action == "didnt_help":
            notes = from_form(SessionNotes).notes or ""
            engine.didnt_help(session, ds, notes=notes)
        elif action == "abandon":
            engine.abandon(session, ds)
        elif action == "fixed":
            engine.confirm_fixed(session, ds)
        elif action == "not_fixed":
            notes = from_form(SessionNotes).notes or ""
            engine.not_fixed(session, ds, notes=notes, user=current_user)
        elif action == "answer":
            given = from_form(SessionAnswer)
            engine.answer(
                session,
                ds,
                user=current_user,
                answer=given.answer,
                value=given.value,
                notes=given.notes or "",
                run_check=check_runner(),
            )
        else:
            raise NotFound(f"Unknown action {action!r}.")
        session.commit()
    except Invalid as error:
        session.rollback()
        ds = engine.session_by_token(session, token, current_user)
        problems = "; ".join(f"{name}: {text}" for name, text in error.fields.items())
        message = f"{error.message} {problems}" if len(error.fields) > 1 else error.message
        return render_template("trees/step.html", **_step_context(ds, message)), 422
    if (
        action == "not_fixed"
        and ds.end_reason == "not_fixed"
        and has_endpoint("escalation.new_escalation")
    ):
        # nothing else to try: on to the escalation form, filled in from the session
        return redirect(url_for("escalation.new_escalation", session=ds.token))
    return redirect(url_for("trees.step", token=ds.token))


@bp.get("/sessions/<token>/transcript")
def transcript(token: str):
    ds = engine.session_by_token(get_db(), token, current_user)
    graph = session_graph(ds, current_user)
    return render_template(
        "trees/transcript.html",
        ds=ds,
        entries=entries(ds, graph),
        text=transcript_text(ds, groups(), graph),
        graph_title=graph.graph.get("title", ds.tree_id),
        svg=render_svg(graph, highlight=path_nodes(ds)),
    )


@bp.get("/trees/<tree_id>/flowchart.svg")
def flowchart(tree_id: str):
    tree = visible_tree(tree_id)
    revision = tree.published_revision if tree.is_live else tree.head_revision
    number = request.args.get("revision", type=int)
    if number is not None and can(current_user, "tree.edit"):
        revision = revision_by_number(get_db(), tree, number)
        if revision is None:
            raise NotFound(f"Tree '{tree.id}' has no revision {number}.")
    svg = render_svg(for_viewer(revision_graph(revision), current_user))
    # What a flowchart shows depends on who asks: kept by the browser only, revalidated (304).
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    response.add_etag()
    return response.make_conditional(request)
