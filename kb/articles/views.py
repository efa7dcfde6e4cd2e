"""Article pages: home, browse, article. Thin: parse, call a service, render."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, g, make_response, render_template, request
from flask import session as cookie_session
from flask_login import current_user

from kb import pagecache
from kb.articles import feedback, reading, resolutions, view_counts, workflow
from kb.articles.editor_views import PAGES
from kb.articles.forms import FlagForm
from kb.articles.render import pygments_css
from kb.auth.policy import allowed_actions, can, can_transition, has_role
from kb.db import get_db
from kb.documents.workflow import ACTION_LABELS
from kb.extensions import kb_state
from kb.models import Role

bp = Blueprint("articles", __name__)


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.get("/")
def home():
    kept = pagecache.fetch()
    if kept is not None:
        return kept.page
    session = get_db()
    page = render_template(
        "articles/home.html",
        facets=reading.facet_counts(session, current_user),
        most_used=reading.most_used(session, current_user),
        recent=reading.recently_updated(session, current_user),
    )
    pagecache.keep(page)
    return page


@bp.get("/articles")
def browse():
    kept = pagecache.fetch(("category", "service", "tag", "page"))
    if kept is not None:
        return kept.page
    session = get_db()
    filters = {k: request.args.get(k) or None for k in ("category", "service", "tag")}
    listing = reading.list_articles(
        session,
        current_user,
        page=_page_number(),
        per_page=kb_state().config["ITEMS_PER_PAGE"],
        **filters,
    )
    page = render_template(
        "articles/browse.html",
        page=listing,
        filters=filters,
        facets=reading.facet_counts(session, current_user),
    )
    pagecache.keep(page)
    return page


@bp.get("/articles/<slug>")
def show(slug: str):
    kept = pagecache.fetch()
    if kept is not None:
        if view_counts.count_view(get_db(), kept.extra["article_id"]):
            get_db().commit()
        return conditional_page(kept.page, kept.template_digest)
    session = get_db()
    article = reading.article_for(session, slug, current_user, with_revisions=True)
    revision = reading.reading_revision(article, current_user, bool(request.args.get("draft")))
    html, toc = reading.rendered(kb_state(), session, revision)
    if article.is_live:
        view_counts.count_view(session, article.id)
    staff = staff_panel(session, article) if current_user.is_authenticated else None
    session.commit()
    page = render_template(
        "articles/show.html",
        article=article,
        revision=revision,
        html=html,
        toc=toc,
        staff=staff,
        flag_form=FlagForm(),
        resolution_log=resolution_log_for(session, article),
    )
    if article.is_live and revision is article.published_revision:
        pagecache.keep(page, article_id=article.id)
    return conditional_page(page)


def conditional_page(page: str, digest: str = "") -> Response:
    """A page as this person sees it, with an ETag of exactly that: their browser keeps it
    (``private``: it carries their CSRF token and what their role shows, so no shared cache may
    store it), asks again each time (``no-cache``) and gets a 304 while it is unchanged. Who may
    read it was decided before: someone who may not see the article gets its 404, never a
    304. ``digest``: the page's template digest when it is already known (a kept page)."""
    response = make_response(page)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    response.set_etag(page_etag(page, digest))
    return response.make_conditional(request)


def page_etag(page: str, digest: str = "") -> str:
    """The page's digest with its signed CSRF token (re-signed, so different, every second)
    counted as the session's token it stands for: the template's digest (the token replaced
    by pagecache's marker, as kept pages store it) joined with the session token's."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed, raw = g.get(field), cookie_session.get(field)
    if not digest:
        digest = pagecache.template_digest(
            page.replace(signed, pagecache.MARKER) if signed else page
        )
    token = hashlib.sha256(str(raw).encode()).hexdigest() if raw else ""
    return hashlib.sha256(f"{digest}:{token}".encode()).hexdigest()[:32]


def resolution_log_for(session, article) -> list[dict]:
    """Tickets this article solved, newest first: technicians and above only."""
    if not has_role(current_user, Role.TECHNICIAN):
        return []
    return list(reversed(resolutions.entries(session, article)))


def staff_panel(session, article) -> dict | None:
    """Workflow buttons, review comments, feedback counts and open flags for staff."""
    actions = allowed_actions(current_user, article)
    sees_counts = has_role(current_user, Role.AUTHOR) or article.owner == current_user.email
    if not actions and not sees_counts and article.proposed_by_id != current_user.id:
        return None
    return {
        "actions": actions,
        "can_edit": can_transition(current_user, "edit", article) and article.status != "archived",
        "counts": feedback.counts(session, article) if sees_counts else None,
        "flags": feedback.open_flags(session, article) if sees_counts else [],
        "comments": workflow.open_review_comments(session, article),
        "labels": ACTION_LABELS,
        "pages": PAGES,
        "has_pending_draft": article.is_live
        and article.head_revision_id != article.published_revision_id
        and can(current_user, "article.read_head", article),
    }


@bp.get("/static/pygments.css")
def pygments_css_file():
    response = Response(
        pygments_css(), mimetype="text/css", headers={"Cache-Control": "public, max-age=86400"}
    )
    response.add_etag()
    return response.make_conditional(request)
