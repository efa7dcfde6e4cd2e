"""Writing, reviewing and giving feedback on articles in the browser. Thin: each view parses
the form, calls one workflow/feedback function, commits, and renders or redirects."""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from kb.api.docs import STRING, api_doc, obj
from kb.articles import dashboards, feedback, workflow
from kb.articles.document import ArticleDoc
from kb.articles.forms import ArticleForm
from kb.articles.reading import article_for, facet_counts
from kb.articles.render import render_markdown
from kb.articles.revisions import doc_from_revision
from kb.articles.schemas import (
    ArticleCreate,
    ArticleEdit,
    ArticleFields,
    Feedback,
    Flag,
    Preview,
    Restore,
    Transition,
)
from kb.auth.policy import has_role, require, require_transition
from kb.config import service_catalogue
from kb.db import get_db
from kb.documents import pages
from kb.documents.diffing import Diff, diff_texts
from kb.documents.workflow import ACTION_LABELS
from kb.errors import Conflict, Invalid
from kb.extensions import kb_state
from kb.hooks import collect
from kb.limits import markdown_problem
from kb.models import ArticleRevision, Role
from kb.redirects import local_target
from kb.schemas import from_form, from_json
from kb.throttle import client_fingerprint

bp = Blueprint("editor", __name__)
Fields = TypeVar("Fields", bound=ArticleFields)

# The article's history, diff and revision pages (the shared documents/ templates).
PAGES = pages.Pages(
    key="slug",
    show="articles.show",
    edit="editor.edit",
    history="editor.history",
    diff="editor.diff",
    restore="editor.restore",
    workflow="editor.change_status",
    diff_body="articles/_diff_body.html",
    revision="editor.revision",
    comment="editor.comment",
)


def _preview(text: str, field: str = "body") -> str:
    """Render Markdown someone is writing: too big or too deeply nested is a 422, before the
    renderer spends time on it."""
    problem = markdown_problem(text)
    if problem:
        raise Invalid(f"The Markdown {problem}.", fields={field: problem})
    kb = kb_state()
    return render_markdown(text, collect(kb.pm, "kb_markdown_extensions", kb=kb)).html


def _known_values() -> dict[str, list[str]]:
    facets = facet_counts(get_db(), current_user)
    return {
        "categories": [v for v, _ in facets["category"]],
        "services": list(service_catalogue()),
    }


def _validated(form: ArticleForm, model: type[Fields]) -> tuple[Fields, ArticleDoc] | None:
    """The submitted fields through the schema the JSON twin reads, then kb's document
    checks; every problem shows beside its field, the typed text stays."""
    try:
        values = from_form(model, {"submit": request.form.get("action") == "submit"})
        return values, workflow.doc_from_fields(values.document_fields())
    except Invalid as error:
        form.show_errors(error.fields)
        return None


def _editor(form: ArticleForm, article=None, preview: str | None = None, status: int = 200):
    return (
        render_template(
            "articles/edit.html", form=form, article=article, preview=preview, **_known_values()
        ),
        status,
    )


@bp.route("/articles/new", methods=["GET", "POST"])
@login_required
def new():
    require(current_user, "article.propose")
    form = ArticleForm()
    if request.method == "GET":
        form.body.data = workflow.NEW_ARTICLE_BODY
        form.owner.data = current_user.email
        if request.args.get("title"):  # e.g. "Start a draft" from the content-gaps report
            form.title.data = request.args["title"][:200]
            form.slug.data = workflow.slugify(form.title.data)
        return _editor(form)
    if request.form.get("action") == "preview":
        return _preview_page(form)
    checked = _validated(form, ArticleCreate)
    if checked is None:
        return _editor(form, status=422)
    values, doc = checked
    session = get_db()
    try:
        article = workflow.create_article(session, doc, current_user, values.message)
        if values.submit and article.status == "draft":
            workflow.transition(session, article, "submit", current_user)
        session.commit()
    except Invalid as error:
        session.rollback()
        form.show_errors(error.fields)
        return _editor(form, status=422)
    if article.status == "in_review" and not has_role(current_user, Role.AUTHOR):
        flash("Thank you: your proposal is in the review queue.", "success")
    else:
        flash(f"Saved “{article.title}” as {article.status.replace('_', ' ')}.", "success")
    return redirect(url_for("articles.show", slug=article.slug))


@bp.route("/articles/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    require_transition(current_user, "edit", article)
    form = ArticleForm()
    if request.method == "GET":
        head = article.head_revision
        form.fill_from(head)
        form.base_revision_id.data = str(head.id)
        return _editor(form, article)
    if request.form.get("action") == "preview":
        return _preview_page(form, article)
    checked = _validated(form, ArticleEdit)
    if checked is None:
        return _editor(form, article, status=422)
    values, doc = checked
    try:
        workflow.save_edit(
            session, article, doc, current_user, values.base_revision_id, values.message
        )
        if values.submit and article.status == "draft":
            workflow.transition(session, article, "submit", current_user)
        session.commit()
    except Invalid as error:
        session.rollback()
        form.show_errors(error.fields)
        return _editor(form, article, status=422)
    except Conflict as error:
        session.rollback()
        form.base_revision_id.data = str(error.details["their_revision_id"])
        return render_template(
            "articles/conflict.html",
            article=article,
            form=form,
            error=error,
            diff=diff_texts(error.details["theirs"], error.details["yours"]),
        ), 409
    flash("Saved.", "success")
    return redirect(url_for("articles.show", slug=article.slug, draft=1))


@bp.post("/articles/<slug>/workflow/<action>")
@login_required
def change_status(slug: str, action: str):
    if action not in {"submit", "approve", "request_changes", "publish", "archive", "unarchive"}:
        abort(404)
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    workflow.transition(session, article, action, current_user, from_form(Transition).comment)
    session.commit()
    flash(f"“{article.title}”: {ACTION_LABELS[action]}.", "success")
    back = url_for("articles.show", slug=article.slug)
    return redirect(local_target(request.form.get("next"), back))


@bp.post("/articles/<slug>/comment")
@login_required
def comment(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    workflow.add_comment(session, article, current_user, request.form.get("comment", ""))
    session.commit()
    flash("Comment added.", "success")
    return redirect(url_for("editor.history", slug=article.slug))


@bp.get("/articles/<slug>/history")
@login_required
def history(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    require(current_user, "article.history", article)
    return render_template(
        "documents/history.html",
        **pages.history(session, workflow.ARTICLES, PAGES, article, current_user),
    )


@bp.get("/articles/<slug>/revisions/<int:number>")
@login_required
def revision(slug: str, number: int):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    require(current_user, "article.history", article)
    rev = workflow.revision_by_number(session, article, number)
    return render_template(
        "articles/revision.html", article=article, revision=rev, html=_preview(rev.body)
    )


@bp.get("/articles/<slug>/diff")
@login_required
def diff(slug: str):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    require(current_user, "article.history", article)
    return render_template(
        "documents/diff.html",
        **pages.diff(session, workflow.ARTICLES, PAGES, article, request.args, _compare),
    )


def _compare(old: ArticleRevision, new: ArticleRevision) -> Diff:
    """Two revisions as the text of their files: front matter and body."""
    return diff_texts(doc_from_revision(old, "").to_text(), doc_from_revision(new, "").to_text())


@bp.post("/articles/<slug>/restore/<int:number>")
@login_required
def restore(slug: str, number: int):
    session = get_db()
    article = workflow.editable_article(session, slug, current_user)
    base = from_form(Restore).base_revision_id
    revision = workflow.restore(session, article, number, current_user, base)
    session.commit()
    flash(f"Revision {number} restored as revision {revision.number}.", "success")
    return redirect(url_for("editor.history", slug=article.slug))


@bp.post("/articles/<slug>/feedback")
def give_feedback(slug: str):
    session = get_db()
    article = article_for(session, slug, current_user, "article.feedback")
    values = from_form(Feedback)  # the buttons send yes / no, the JSON twin true / false
    user = current_user if current_user.is_authenticated else None
    feedback.record_feedback(
        session, article, user, values.helpful, values.comment, voter=client_fingerprint()
    )
    session.commit()
    flash("Thank you for your feedback.", "success")
    return redirect(url_for("articles.show", slug=article.slug) + "#feedback")


@bp.post("/articles/<slug>/flag")
@login_required
def flag(slug: str):
    session = get_db()
    article = article_for(session, slug, current_user, "article.feedback")
    require(current_user, "article.flag")  # before the fields: a refusal is a 403, not a 422
    values = from_form(Flag)
    feedback.flag_article(session, article, current_user, values.reason, values.comment)
    session.commit()
    flash("Thank you: the article's owner and reviewers will look at it.", "success")
    return redirect(url_for("articles.show", slug=article.slug))


@bp.post("/articles/<slug>/flags/<int:flag_id>/resolve")
@login_required
def resolve_flag(slug: str, flag_id: int):
    session = get_db()
    article = article_for(session, slug, current_user)
    feedback.resolve_flag(
        session, article, flag_id, current_user, request.form.get("resolution", "")
    )
    session.commit()
    flash("Flag resolved.", "success")
    return redirect(url_for("articles.show", slug=article.slug))


def _preview_page(form: ArticleForm, article=None):
    """The editor with the body rendered below it; a body too big or too deeply nested to
    render is shown as a problem beside the body field instead."""
    try:
        return _editor(form, article, preview=_preview(form.body.data or ""))
    except Invalid as error:
        form.show_errors(error.fields)
        return _editor(form, article, status=422)


@bp.get("/dashboard")
@login_required
def dashboard():
    session = get_db()
    board = dashboards.Dashboard()
    if has_role(current_user, Role.TECHNICIAN):
        dashboards.author_dashboard(session, current_user, board)
    if has_role(current_user, Role.REVIEWER):
        dashboards.reviewer_dashboard(session, board, user=current_user)
    return render_template("articles/dashboard.html", board=board)


@bp.post("/api/v1/preview")
@api_doc(body=Preview, response=obj({"html": STRING}, required=["html"]))
@login_required
def preview_api():
    require(current_user, "article.propose")
    return jsonify({"html": _preview(from_json(Preview).markdown, "markdown")})
