"""Search as the rest of kb uses it: who may see what, syncing, checking, logging.

Services take a database session and plain arguments (no request, no current_user), so the
CLI, the views and the tests call the same functions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import pagecache
from kb.auth.policy import has_role
from kb.changes import changes_since, last_seq
from kb.errors import PluginError, Unavailable
from kb.models import Article, Role, SearchLog, Tree, utcnow
from kb.models.changes import Change
from kb.search import search_log
from kb.search.backend import (
    BackendFactory,
    SearchBackend,
    SearchRequest,
    SearchResults,
    TitleSuggestion,
)
from kb.search.documents import PUBLIC, STAFF, documents_for, live_documents
from kb.search.query import ParsedQuery, parse

log = logging.getLogger(__name__)

# PostgreSQL hands out change numbers when a transaction inserts its change and transactions
# commit in any order, so a sync may see 12 before 11 is committed. The index's mark then stays
# below such a gap and the next sync reads it again, for this long; after that the number is
# taken to belong to a transaction that rolled back. (A request's transaction is far shorter:
# gunicorn stops a request after REQUEST_TIMEOUT_SECONDS.)
GAP_WAIT_SECONDS = 60.0

BACKEND_KEY = "search.backend"
FACTORIES_KEY = "search.backends"
CHECKED_KEY = "search.changes_checked"


# --- the engine -------------------------------------------------------------------------------


def registered_backends(kb: Any) -> dict[str, BackendFactory]:
    """Every search backend the plugins register (``kb_register_search_backends``), by name;
    collected once per app. A plugin that fails to register, registers something that is not a
    ``(name, factory)`` pair, or takes a name another plugin has is a PluginError naming it."""
    cached = kb.services.get(FACTORIES_KEY)
    if cached is not None:
        return cached
    factories: dict[str, BackendFactory] = {}
    owners: dict[str, str] = {}
    for impl in kb.pm.hook.kb_register_search_backends.get_hookimpls():
        plugin = impl.plugin_name
        try:
            entries = list(impl.function(**{arg: kb for arg in impl.argnames}) or [])
        except Exception as error:
            raise PluginError(
                f"plugin {plugin!r} failed to register its search backends: {error}"
            ) from error
        for entry in entries:
            pair = tuple(entry) if isinstance(entry, tuple | list) else ()
            if len(pair) != 2 or not isinstance(pair[0], str) or not callable(pair[1]):
                raise PluginError(
                    f"plugin {plugin!r} registered a search backend that is not a "
                    f"(name, factory) pair: {entry!r}"
                )
            name, factory = pair
            if name in factories:
                raise PluginError(
                    f"search backend {name!r} is registered by both {owners[name]!r} and "
                    f"{plugin!r}; disable one of them (DISABLED_PLUGINS)"
                )
            factories[name], owners[name] = factory, plugin
    kb.services[FACTORIES_KEY] = factories
    return factories


def check_backend_setting(kb: Any) -> None:
    """At start-up: ``SEARCH_BACKEND`` must name a registered backend, so a typo stops the app
    with one line instead of failing the first search. The engine itself opens on first use."""
    factories = registered_backends(kb)
    wanted = kb.config["SEARCH_BACKEND"]
    if wanted not in factories:
        known = ", ".join(repr(name) for name in sorted(factories)) or "none"
        raise PluginError(
            f"SEARCH_BACKEND is {wanted!r}, which no plugin registers as a search backend "
            f"(known: {known})"
        )


def backend(kb: Any) -> SearchBackend:
    """This app's search backend, built once from the plugin that registered it."""
    existing = kb.services.get(BACKEND_KEY)
    if existing is not None:
        return existing
    factories = registered_backends(kb)
    wanted = kb.config["SEARCH_BACKEND"]
    if wanted not in factories:  # checked at start-up; only a setting changed since gets here
        raise Unavailable(
            f"Search is not available: no plugin provides the search backend {wanted!r}."
        )
    built = factories[wanted](kb)
    kb.services[BACKEND_KEY] = built
    return built


def available(kb: Any) -> bool:
    try:
        backend(kb)
    except Unavailable:
        return False
    return True


def visibilities_for(user: Any) -> tuple[str, ...]:
    """Published content only; internal articles and technician trees for technicians up."""
    return (PUBLIC, STAFF) if has_role(user, Role.TECHNICIAN) else (PUBLIC,)


# --- following the database -------------------------------------------------------------------


@dataclass
class SyncReport:
    from_seq: int = 0
    to_seq: int = 0
    upserted: int = 0
    deleted: int = 0
    complete: bool = True

    @property
    def pending_note(self) -> str:
        return f"changes after {self.from_seq}"


def sync(kb: Any, session: Session, timeout: float = 5.0) -> SyncReport:
    """Apply every change in the database's change sequence that this index has not applied.

    Runs under the index's write lock and reads the documents only once it holds the lock, so
    a writer that waited never overwrites newer text with what it read before waiting."""
    engine = backend(kb)
    applied = engine.applied_seq()
    if last_seq(session) <= applied:
        # Nothing new (a bulk import fires a hook per document; only the first has work).
        session.rollback()
        return SyncReport(from_seq=applied, to_seq=applied)
    with engine.batch(timeout) as batch:
        if batch is None:
            return SyncReport(from_seq=engine.applied_seq(), complete=False)
        applied = batch.applied_seq()
        report = SyncReport(from_seq=applied, to_seq=applied)
        changes = changes_since(session, applied)
        if not changes:
            return report
        touched = list(dict.fromkeys((change.kind, change.key) for change in changes))
        documents = documents_for(session, touched)
        for kind, key in touched:
            document = documents[(kind, key)]
            if document is None:
                batch.delete(f"{kind}:{key}")
                report.deleted += 1
            else:
                batch.upsert(document)
                report.upserted += 1
        report.to_seq = applied_mark(applied, changes, utcnow())
        batch.set_seq(report.to_seq)
    session.rollback()  # end the read transaction; nothing was written
    return report


def applied_mark(applied: int, changes: list[Change], now: datetime) -> int:
    """The sequence number the index may record as applied after applying ``changes`` (read
    after ``applied``): the last one, unless a number before it is missing and the change after
    the gap is recent (its transaction may still commit); then the number before the gap, so
    the next sync reads from there again (applying a document twice is harmless)."""
    expected = applied + 1
    for change in changes:
        if change.seq > expected and (now - change.at).total_seconds() < GAP_WAIT_SECONDS:
            return expected - 1
        expected = change.seq + 1
    return changes[-1].seq


@dataclass(frozen=True)
class _Checked:
    """When this process last read the change sequence, and its local generation then."""

    at: float
    generation: int


def catch_up(kb: Any, session: Session) -> None:
    """Cheap check before a search: if another node or a crash left changes unapplied, apply
    them now. A busy writer is waited for up to ``SEARCH_CATCH_UP_TIMEOUT`` seconds: it is
    usually another process on this node applying the same changes (its worker, or a request
    that came a moment earlier), and once it commits there is nothing left to do; a search that
    did not wait would answer from the index as it was before the change.

    The sequence is read at most once per ``SEARCH_CHANGES_CHECK_SECONDS`` in each process
    (reading it was most of a repeated search's cost on PostgreSQL), and at once after this
    process committed a change to content (kb.pagecache's local generation): so this process
    finds its own writes at once, and writes made on another node within that interval."""
    now = time.monotonic()
    generation = pagecache.local_generation()
    interval = float(kb.config.get("SEARCH_CHANGES_CHECK_SECONDS", 0.0))
    checked = kb.services.get(CHECKED_KEY)
    if checked is not None and checked.generation == generation and now - checked.at < interval:
        return
    engine = backend(kb)
    latest, applied = last_seq(session), engine.applied_seq()
    kb.services[CHECKED_KEY] = _Checked(now, generation)
    if applied == 0 and latest > 0 and not engine.versions():
        # a new or restarted index (first start, or an index format kb no longer reads)
        log.warning("search index is empty: building it from the database")
        rebuild(kb, session)
    elif latest > applied:
        sync(kb, session, timeout=float(kb.config.get("SEARCH_CATCH_UP_TIMEOUT", 0.0)))
    elif applied > latest:  # an index left over from another database: start again
        log.warning("search index is ahead of the database (%s > %s): rebuilding", applied, latest)
        rebuild(kb, session)


def rebuild(
    kb: Any,
    session: Session,
    progress: Callable[[int], None] | None = None,
    procs: int | None = None,
) -> int:
    """Index every live article and tree from scratch; readers see the old index meanwhile."""
    seq = last_seq(session)  # later changes are applied again by the next sync: harmless
    count = backend(kb).rebuild(live_documents(session), seq, progress, procs=procs)
    session.rollback()
    return count


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)  # in the database, not in the index
    stale: list[str] = field(default_factory=list)  # indexed copy differs from the database
    extra: list[str] = field(default_factory=list)  # indexed, but not live in the database
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check(kb: Any, session: Session, repair: bool = True, timeout: float = 30.0) -> Drift:
    """Compare the index with the database document by document; repair what differs."""
    engine = backend(kb)
    with engine.batch(timeout) as batch:
        if batch is None:
            raise Unavailable("The search index is locked by another writer; try again.")
        indexed = engine.versions()
        wanted = {doc.key: doc for doc in live_documents(session)}
        drift = Drift(
            missing=sorted(key for key in wanted if key not in indexed),
            stale=sorted(
                key for key, doc in wanted.items() if key in indexed and indexed[key] != doc.version
            ),
            extra=sorted(key for key in indexed if key not in wanted),
        )
        if repair:
            for key in drift.missing + drift.stale:
                batch.upsert(wanted[key])
            for key in drift.extra:
                batch.delete(key)
            batch.set_seq(max(last_seq(session), batch.applied_seq()))
            drift.repaired = not drift.clean
    session.rollback()
    return drift


# --- searching --------------------------------------------------------------------------------


@dataclass
class SearchOutcome:
    query: ParsedQuery
    results: SearchResults
    log_ref: str | None = None  # names the search's log row in its result links


def search(
    kb: Any,
    session: Session,
    user: Any,
    text: str,
    *,
    filters: dict[str, str | None] | None = None,
    page: int = 1,
    per_page: int | None = None,
    source: str = "web",
    record: bool = True,
) -> SearchOutcome:
    """Search what ``user`` may see; log the query (kb.search.search_log) for content-gap
    reports."""
    parsed = parse(text)
    for name, value in (filters or {}).items():
        target = {"tag": "tags"}.get(name, name)
        if value and value.strip().lower() not in parsed.filters.get(target, []):
            parsed.filters.setdefault(target, []).append(value.strip().lower())
    per_page = per_page or kb.config["SEARCH_PER_PAGE"]
    page = max(1, min(page, 1000))
    if parsed.empty:
        empty = SearchResults([], 0, page, per_page)
        return SearchOutcome(parsed, empty)
    catch_up(kb, session)
    visibilities = visibilities_for(user)
    results = backend(kb).search(
        SearchRequest(query=parsed, visibilities=visibilities, page=page, per_page=per_page)
    )
    if STAFF not in visibilities:
        results.hits = [replace(hit, score=None) for hit in results.hits]
    outcome = SearchOutcome(parsed, results)
    if record and kb.config["SEARCH_LOG"]:
        outcome.log_ref = search_log.new_ref()
        search_log.log_search(
            session,
            {
                "ref": outcome.log_ref,
                "query": " ".join(text.split())[:500],
                "normalized": parsed.normalized()[:500],
                "user_id": getattr(user, "id", None)
                if getattr(user, "is_authenticated", False)
                else None,
                "audience": STAFF if STAFF in visibilities else PUBLIC,
                "results": results.total,
                "page": page,
                "source": source,
            },
        )
        session.commit()
    return outcome


def suggest(kb: Any, user: Any, text: str, limit: int = 8) -> list[TitleSuggestion]:
    text = (text or "")[:100]
    if not text.strip():
        return []
    return backend(kb).suggest_titles(text, visibilities_for(user), limit)


def record_click(
    session: Session, kind: str, key: str, rank: int | None, *, ref: str = "", log_id: int = 0
) -> None:
    """Note the first result opened from a logged search (named by ``ref``, or by ``log_id``
    in links made before searches were logged in batches); later clicks keep the first."""
    if ref:
        search_log.log_click(session, ref, kind, key, rank)
    else:
        entry = session.get(SearchLog, log_id)
        if entry is not None and entry.clicked_key is None:
            entry.clicked_kind, entry.clicked_key = kind, key[:120]
            entry.clicked_rank = rank
            entry.clicked_at = utcnow()
    session.commit()


def display_labels(session: Session) -> dict[str, str]:
    """The index keeps categories and services in lower case (so filters ignore case); pages
    show them as authors wrote them. Only looked up for values already in a person's results."""
    labels: dict[str, str] = {}
    for column in (Article.category, Article.service, Tree.category, Tree.service):
        for value in session.scalars(select(column).distinct()):
            if value:
                labels.setdefault(value.lower(), value)
    return labels
