"""Rendered pages for people who are not signed in, kept by each process for a few seconds.

Anonymous readers are most of a help desk's traffic and all of them see the same article page,
so rendering it once per change instead of once per visit is the largest saving kb can make
(bench/load.py measures it). Only what a view hands over explicitly is kept, only for anonymous
GETs with no flashed message waiting, and never an error page. Each visitor still gets their own
CSRF token: the page is kept with a marker where the token was, and the marker is replaced on
every hit.

A kept page is thrown away when it may be stale:
- at once, in this process, when a commit here touched what anonymous pages show (articles,
  trees, outages: ``CONTENT_TABLES``);
- within ``PAGE_CACHE_CHECK_SECONDS`` (1 s) when another process or node changed it: the
  database's change sequence and the outages' fingerprint are read again at most that often;
- after ``PAGE_CACHE_SECONDS`` whatever happened (texts such as "updated 3 minutes ago" age).
``PAGE_CACHE_SECONDS=0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, request
from flask import session as cookie_session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from kb.changes import last_seq
from kb.db import get_db
from kb.lru import LRU
from kb.models.outages import Outage, OutageUpdate

# What pages shown to anonymous readers are made of; a commit touching one of these in this
# process makes every kept page stale at once.
CONTENT_TABLES = frozenset(
    {
        "articles",
        "article_revisions",
        "article_tags",
        "trees",
        "tree_revisions",
        "outages",
        "outage_updates",
        "changes",
    }
)
MARKER = "\x00kb-csrf-token\x00"  # cannot occur in a rendered page (NUL is not valid HTML text)
_EXTENSION = "kb_page_cache"

_local_generation = itertools.count(1)
_generation = 0  # bumped by every local commit that touched CONTENT_TABLES


@dataclass
class Kept:
    """A kept page and what the view needs to answer from it (``extra``)."""

    page: str
    stamp: tuple
    born: float
    extra: dict[str, Any] = field(default_factory=dict)
    template_digest: str = ""  # template_digest() of the page as kept (its marker in place)


def template_digest(template: str) -> str:
    """A page's digest with the marker where its CSRF token goes: the part of its ETag every
    visitor shares (kb.articles.views.page_etag adds the visitor's token)."""
    return hashlib.sha256(template.encode()).hexdigest()


def local_generation() -> int:
    """Bumped by every commit in this process that touched ``CONTENT_TABLES``: other per-process
    caches of content (kb.outages.notices) compare it to know they are stale."""
    return _generation


class PageCache:
    """A bounded, thread-safe map from a request's path to a kept page, per process."""

    def __init__(self, seconds: float, check_seconds: float = 1.0, max_pages: int = 2000):
        self.seconds = seconds
        self.check_seconds = check_seconds
        self.max_pages = max_pages
        self._pages: LRU[str, Kept] = LRU(max_pages)
        self._database_stamp: tuple = ()
        self._checked_at = float("-inf")
        self.hits = 0
        self.misses = 0

    def stamp(self, session: Session) -> tuple:
        """What the kept pages were made from: re-read from the database at most once per
        ``check_seconds``; the local generation makes this process's own commits count at once."""
        now = time.monotonic()
        if now - self._checked_at >= self.check_seconds:
            self._database_stamp = database_stamp(session)
            self._checked_at = now
        return (_generation, *self._database_stamp)

    def get(self, key: str, stamp: tuple) -> Kept | None:
        kept = self._pages.get(key)
        if kept is None or kept.stamp != stamp or time.monotonic() - kept.born > self.seconds:
            self.misses += 1
            return None
        self.hits += 1
        return kept

    def put(self, key: str, kept: Kept) -> None:
        self._pages.put(key, kept)

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        self._pages.clear()


def database_stamp(session: Session) -> tuple:
    """What another process could have changed: the change sequence (articles and trees) and
    the outages (a new one, a closed one, a new update)."""
    outages = session.execute(
        select(func.count(Outage.id), func.max(Outage.id)).where(Outage.status == "open")
    ).one()
    latest_update = session.scalar(select(func.max(OutageUpdate.id)))
    return (last_seq(session), tuple(outages), latest_update)


def init_app(app: Flask) -> None:
    seconds = float(app.config.get("PAGE_CACHE_SECONDS", 30))
    if seconds > 0:
        app.extensions[_EXTENSION] = PageCache(
            seconds, float(app.config.get("PAGE_CACHE_CHECK_SECONDS", 1.0))
        )


def _cache() -> PageCache | None:
    return current_app.extensions.get(_EXTENSION)


def _cacheable(params: tuple[str, ...]) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not current_user.is_authenticated
        and not cookie_session.get("_flashes")
        and all(name in params for name in request.args)
    )


def fetch(params: tuple[str, ...] = ()) -> Kept | None:
    """The kept page for this request, with a fresh CSRF token, or None (then the view renders
    and calls ``keep``). ``params`` are the query parameters the view reads: an address with
    any other (``?utm_source=``, a random one) is rendered and never kept, so nobody can fill
    the cache with copies of one page."""
    cache = _cache()
    g.kb_page_cacheable = cache is not None and _cacheable(params)
    if not g.kb_page_cacheable:
        return None
    g.kb_page_stamp = cache.stamp(get_db())
    kept = cache.get(request.full_path, g.kb_page_stamp)
    if kept is None:
        return None
    page = kept.page.replace(MARKER, generate_csrf()) if MARKER in kept.page else kept.page
    return Kept(page, kept.stamp, kept.born, kept.extra, kept.template_digest)


def keep(page: str, **extra: Any) -> None:
    """Keep the page this view has just rendered, if ``fetch`` found the request cacheable."""
    cache = _cache()
    if cache is None or not g.get("kb_page_cacheable") or cookie_session.get("_flashes"):
        return
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field_name)
    if token:
        page = page.replace(token, MARKER)
    kept = Kept(page, g.kb_page_stamp, time.monotonic(), extra, template_digest(page))
    cache.put(request.full_path, kept)


# Columns that cache what is derived from the rest (a revision's rendered HTML): writing them
# changes nothing a reader sees.
DERIVED_COLUMNS = frozenset({"html", "html_key", "toc"})


def _touched_content(session: Session) -> bool:
    for thing in itertools.chain(session.new, session.deleted):
        if getattr(type(thing), "__tablename__", None) in CONTENT_TABLES:
            return True
    return any(
        getattr(type(thing), "__tablename__", None) in CONTENT_TABLES
        and _changed_beyond_derived(thing)
        for thing in session.dirty
    )


def _changed_beyond_derived(thing: Any) -> bool:
    state = inspect(thing)
    return any(
        attribute.key not in DERIVED_COLUMNS and attribute.history.has_changes()
        for attribute in state.attrs
    )


@event.listens_for(Session, "before_flush")
def _note_content_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _touched_content(session):
        session.info["kb_content_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_content_statement(state: Any) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in CONTENT_TABLES:
            state.session.info["kb_content_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump_after_content_commit(session: Session) -> None:
    global _generation
    if session.in_nested_transaction():
        return  # a savepoint was released: the real commit decides
    if session.info.pop("kb_content_changed", False):
        _generation = next(_local_generation)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("kb_content_changed", None)
