"""Search pages and their JSON twins. Thin: parsing, permissions and logging live in service."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from kb.api.docs import INTEGER, NULLABLE_STRING, STRING, api_doc, array, obj, one_of
from kb.db import get_db
from kb.errors import Invalid
from kb.extensions import kb_state
from kb.limits import whole_number
from kb.outages.service import open_outages
from kb.schemas import from_query
from kb.search import service
from kb.search.backend import Hit
from kb.search.schemas import SearchQuery, SuggestQuery

bp = Blueprint("search", __name__)

KINDS = {"article", "tree"}
MAX_RANK = 100_000  # 1,000 pages of 100: the deepest a search pages
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # article slugs and tree ids alike
_HIT = obj(
    {
        "kind": one_of("article", "tree"),
        "slug": STRING,
        "title": STRING,
        "summary": STRING,
        "snippet": {**STRING, "description": "HTML: escaped text, matches in <mark>"},
        "score": {"type": "number", "description": "technicians and above only"},
        "url": STRING,
    },
    required=["kind", "slug", "title", "url"],
)


def _serializer() -> URLSafeSerializer:
    return _click_serializer(kb_state().config["SECRET_KEY"])


@lru_cache(maxsize=8)
def _click_serializer(secret: str) -> URLSafeSerializer:
    """One per secret key: building it derives the signing key."""
    return URLSafeSerializer(secret, salt="kb.search.click")


def target_url(kind: str, slug: str) -> str:
    if kind == "tree":
        return url_for("trees.landing", tree_id=slug)
    return url_for("articles.show", slug=slug)


def click_urls(log_ref: str | None, hits: list[Hit], first: int) -> list[str]:
    """The result links: through /search/go when the search was logged, so the click is too.

    One signature per results page, over the log row's reference: it proves the click belongs
    to a search kb logged. Which result was opened is the link's plain part; someone editing
    it can only misreport a click on a search they ran themselves."""
    if log_ref is None:
        return [target_url(hit.kind, hit.slug) for hit in hits]
    token = _serializer().dumps(log_ref)
    base = url_for("search.go")
    return [
        f"{base}?{urlencode({'t': token, 'k': hit.kind, 's': hit.slug, 'r': rank})}"
        for rank, hit in enumerate(hits, first + 1)
    ]


def _run(source: str) -> tuple[service.SearchOutcome, str, dict[str, str | None]]:
    query = from_query(SearchQuery)
    filters = query.filters()
    outcome = service.search(
        kb_state(),
        get_db(),
        current_user,
        query.q,
        filters=filters,
        page=query.page,
        per_page=query.per_page or kb_state().config["SEARCH_PER_PAGE"],
        source=source,
    )
    return outcome, query.q, filters


@bp.get("/search")
def search_page():
    outcome, text, filters = _run("web")
    results = outcome.results
    first = (results.page - 1) * results.per_page
    links = click_urls(outcome.log_ref, results.hits, first)
    outages = {o.service.lower(): o for o in open_outages(get_db())}
    return render_template(
        "search/results.html",
        q=text,
        outcome=outcome,
        results=results,
        items=list(zip(results.hits, links, strict=True)),
        filters=filters,
        active={k: v for k, v in filters.items() if v},
        outages=outages,
        labels=service.display_labels(get_db()) if results.hits else {},
    )


@bp.get("/search/go")
def go():
    """Record which result a search led to, then open it."""
    try:
        signed = _serializer().loads(request.args.get("t", ""))
        if isinstance(signed, list):  # links made before one signature per page: all signed
            log_id, kind, slug, rank = signed
            ref = ""
        else:
            ref, kind, slug = str(signed), request.args["k"], request.args["s"]
            log_id, rank = 0, request.args.get("r", "")
        rank = whole_number(str(rank))  # a rank past any results page is not one
        rank = rank if rank is not None and rank <= MAX_RANK else None
        log_id = int(log_id)
    except (BadSignature, ValueError, TypeError, KeyError):
        raise Invalid("This search link is damaged; search again.") from None
    if kind not in KINDS or not SLUG.fullmatch(str(slug)):
        abort(404)
    service.record_click(get_db(), kind, str(slug), rank, ref=ref, log_id=log_id)
    return redirect(target_url(kind, str(slug)))


def hit_json(hit: Hit, link: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": hit.kind,
        "slug": hit.slug,
        "title": hit.title,
        "summary": hit.summary,
        "snippet": hit.snippet,
        "category": hit.category,
        "service": hit.service,
        "tags": list(hit.tags),
        "url": target_url(hit.kind, hit.slug),
        "click_url": link,
    }
    if hit.score is not None:  # technicians and above
        fields["score"] = hit.score
    return fields


@bp.get("/api/v1/search")
@api_doc(
    query=SearchQuery,
    response=obj(
        {
            "query": STRING,
            "results": array(_HIT),
            "total": INTEGER,
            "page": INTEGER,
            "pages": INTEGER,
            "per_page": INTEGER,
            "facets": {
                "type": "object",
                "additionalProperties": array(
                    obj({"value": STRING, "count": INTEGER}, required=["value", "count"])
                ),
            },
            "suggestion": NULLABLE_STRING,
        },
        required=["query", "results", "total", "page", "pages", "per_page", "facets"],
    ),
)
def api_search():
    """Search published articles and diagnostics the caller may see (ranked, with facets)."""
    outcome, text, _filters_used = _run("api")
    results = outcome.results
    first = (results.page - 1) * results.per_page
    return jsonify(
        {
            "query": text,
            "results": [
                hit_json(hit, link)
                for hit, link in zip(
                    results.hits, click_urls(outcome.log_ref, results.hits, first), strict=True
                )
            ],
            "total": results.total,
            "page": results.page,
            "pages": results.pages,
            "per_page": results.per_page,
            "facets": {
                name: [{"value": value, "count": count} for value, count in values]
                for name, values in results.facets.items()
            },
            "suggestion": results.suggestion,
        }
    )


@bp.get("/api/v1/search/suggest")
@api_doc(
    query=SuggestQuery,
    response=obj({"suggestions": array(_HIT)}, required=["suggestions"]),
)
def api_suggest():
    """Titles that start with what has been typed so far, for search-as-you-type."""
    suggestions = service.suggest(kb_state(), current_user, from_query(SuggestQuery).q)
    return jsonify(
        {
            "suggestions": [
                {
                    "kind": s.kind,
                    "slug": s.slug,
                    "title": s.title,
                    "url": target_url(s.kind, s.slug),
                }
                for s in suggestions
            ]
        }
    )
