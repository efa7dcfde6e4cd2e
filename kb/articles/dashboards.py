"""What authors and reviewers have to do next, for articles and diagnostics (decision trees)
alike: drafts, reviews and the change requests behind them, flags, stale articles.

Reads the models and the shared document workflow only (trees come after articles among the
areas, so nothing here imports kb.trees)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from kb.auth.policy import can_read
from kb.db import in_batches
from kb.models import (
    Article,
    ArticleEvent,
    ArticleFlag,
    ArticleRevision,
    ArticleStatus,
    Tree,
    TreeEvent,
    TreeRevision,
    TreeStepFlag,
    User,
)
from kb.models.documents import DocumentStatus

# Events after which earlier review comments are settled (kb.documents.workflow's rounds).
_ROUND_STARTS = ("submit", "approve", "publish", "create", "propose")


@dataclass(frozen=True)
class ReviewNote:
    """A reviewer's change request or comment the author has still to act on."""

    action: str
    by: str
    comment: str
    at: datetime


@dataclass
class Entry:
    """One article or diagnostic on a dashboard list."""

    kind: str  # "article" | "tree"
    key: str  # an article's slug, a tree's id
    title: str
    status: str
    updated_at: datetime
    review_by: date | None = None
    notes: list[ReviewNote] = field(default_factory=list)
    open_flags: int = 0

    @property
    def slug(self) -> str:  # the name templates and older callers use
        return self.key


@dataclass
class Dashboard:
    my_drafts: list[Entry] = field(default_factory=list)
    changes_requested: list[Entry] = field(default_factory=list)
    my_in_review: list[Entry] = field(default_factory=list)
    my_flagged: list[Entry] = field(default_factory=list)
    awaiting_review: list[Entry] = field(default_factory=list)
    flagged: list[Entry] = field(default_factory=list)
    stale: list[Entry] = field(default_factory=list)
    recently_published: list[Entry] = field(default_factory=list)


# --- what each kind needs -----------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    model: Any
    revision: Any
    event: Any
    key: str  # the document's own key column: slug or id
    fk: str  # "<kind>_id" on revisions, events and flags
    flag: Any
    flag_open: Any  # the flag model's "still open" column

    def entry(self, document: Any, **extra: Any) -> Entry:
        return Entry(
            kind=document.document_kind,
            key=str(getattr(document, self.key)),
            title=document.title or str(getattr(document, self.key)),
            status=document.status,
            updated_at=document.updated_at,
            review_by=getattr(document, "review_by", None),
            **extra,
        )


ARTICLES = _Kind(
    Article,
    ArticleRevision,
    ArticleEvent,
    "slug",
    "article_id",
    ArticleFlag,
    ArticleFlag.resolved_at,
)
TREES = _Kind(
    Tree, TreeRevision, TreeEvent, "id", "tree_id", TreeStepFlag, TreeStepFlag.resolved_at
)
KINDS = (ARTICLES, TREES)


def _authored_by(kind: _Kind, user: User):
    return exists().where(
        getattr(kind.revision, kind.fk) == kind.model.id, kind.revision.author_id == user.id
    )


def _has_open_flag(kind: _Kind):
    return exists().where(getattr(kind.flag, kind.fk) == kind.model.id, kind.flag_open.is_(None))


def _open_flag_count(kind: _Kind):
    """A column: how many open flags the row's document has (read with the rows, not per row)."""
    return (
        select(func.count(kind.flag.id))
        .where(getattr(kind.flag, kind.fk) == kind.model.id, kind.flag_open.is_(None))
        .scalar_subquery()
    )


def _open_review_notes(
    session: Session, kind: _Kind, documents: list[Any]
) -> dict[int, list[ReviewNote]]:
    """Each document's change requests and comments since it was last submitted, created or
    published (as kb.documents.workflow.open_review_comments), oldest first; one query for
    all of them."""
    events_by_document: dict[int, list[Any]] = {document.id: [] for document in documents}
    fk = getattr(kind.event, kind.fk)
    for chunk in in_batches(list(events_by_document)):
        for event in session.scalars(
            select(kind.event)
            .where(fk.in_(chunk))
            .order_by(kind.event.at.desc(), kind.event.id.desc())
        ):
            events_by_document[getattr(event, kind.fk)].append(event)
    found: dict[int, list[ReviewNote]] = {}
    for document_id, events in events_by_document.items():
        notes: list[ReviewNote] = []
        for event in events:
            if event.action in _ROUND_STARTS:
                break
            if event.action in ("request_changes", "comment"):
                notes.append(ReviewNote(event.action, event.actor_name, event.comment, event.at))
        found[document_id] = list(reversed(notes))
    return found


def _visible(user: User | None, documents: list[Any]) -> list[Any]:
    """Only what this person may see (a demoted author's old drafts stay hidden)."""
    return [d for d in documents if user is None or can_read(user, d)]


def _by_time(entries: list[Entry], newest_first: bool = True) -> list[Entry]:
    return sorted(entries, key=lambda e: e.updated_at, reverse=newest_first)


# --- the boards ----------------------------------------------------------------------------


def author_dashboard(session: Session, user: User, board: Dashboard | None = None) -> Dashboard:
    """The person's own drafts (those a reviewer sent back first, with what they said), what
    is waiting for review, and their flagged articles and diagnostics."""
    board = board or Dashboard()
    for kind in KINDS:
        mine = _authored_by(kind, user)
        if kind is ARTICLES:
            mine = or_(mine, Article.proposed_by_id == user.id)
        drafts = _visible(
            user,
            list(
                session.scalars(
                    select(kind.model)
                    .where(mine, kind.model.status == DocumentStatus.DRAFT.value)
                    .order_by(kind.model.updated_at.desc())
                )
            ),
        )
        notes_by_draft = _open_review_notes(session, kind, drafts)
        for document in drafts:
            notes = notes_by_draft[document.id]
            if any(note.action == "request_changes" for note in notes):
                board.changes_requested.append(kind.entry(document, notes=notes))
            else:
                board.my_drafts.append(kind.entry(document))
        in_review = select(kind.model).where(
            mine, kind.model.status == DocumentStatus.IN_REVIEW.value
        )
        board.my_in_review += [
            kind.entry(d) for d in _visible(user, list(session.scalars(in_review)))
        ]
        owned = or_(Article.owner == user.email, mine) if kind is ARTICLES else mine
        flagged = select(kind.model, _open_flag_count(kind)).where(owned, _has_open_flag(kind))
        board.my_flagged += [
            kind.entry(document, open_flags=count)
            for document, count in session.execute(flagged)
            if can_read(user, document)
        ]
    board.changes_requested = _by_time(board.changes_requested)
    board.my_drafts = _by_time(board.my_drafts)
    board.my_in_review = _by_time(board.my_in_review)
    board.my_flagged.sort(key=lambda e: e.title.lower())
    return board


def reviewer_dashboard(
    session: Session,
    board: Dashboard | None = None,
    today: date | None = None,
    limit: int = 20,
    user: User | None = None,
) -> Dashboard:
    """The review queue (articles and diagnostics, oldest first), flags, stale articles and
    what was published lately."""
    board = board or Dashboard()
    today = today or date.today()
    flagged: list[tuple[datetime, Entry]] = []
    published: list[tuple[datetime, Entry]] = []
    for kind in KINDS:
        queue = select(kind.model).where(kind.model.status == DocumentStatus.IN_REVIEW.value)
        board.awaiting_review += [
            kind.entry(d) for d in _visible(user, list(session.scalars(queue)))
        ]
        first_open = (
            select(func.min(kind.flag.at))
            .where(getattr(kind.flag, kind.fk) == kind.model.id, kind.flag_open.is_(None))
            .scalar_subquery()
        )
        for document, since, count in session.execute(
            select(kind.model, first_open, _open_flag_count(kind)).where(_has_open_flag(kind))
        ):
            if user is None or can_read(user, document):
                flagged.append((since, kind.entry(document, open_flags=count)))
        published_at = (
            select(func.max(kind.event.at))
            .where(
                getattr(kind.event, kind.fk) == kind.model.id,
                kind.event.action.in_(("approve", "publish")),
            )
            .scalar_subquery()
        )
        for document, at in session.execute(
            select(kind.model, published_at)
            .where(published_at.is_not(None), kind.model.status != DocumentStatus.ARCHIVED.value)
            .order_by(published_at.desc())
            .limit(limit)
        ):
            if user is None or can_read(user, document):
                published.append((at, kind.entry(document)))
    board.awaiting_review = _by_time(board.awaiting_review, newest_first=False)
    board.flagged = [entry for _since, entry in sorted(flagged, key=lambda pair: pair[0])]
    board.recently_published = [
        entry for _at, entry in sorted(published, key=lambda pair: pair[0], reverse=True)
    ][:limit]
    stale = select(Article).where(
        Article.published_revision_id.is_not(None),
        Article.status != ArticleStatus.ARCHIVED.value,
        Article.review_by.is_not(None),
        Article.review_by < today,
    )
    board.stale = [ARTICLES.entry(a) for a in session.scalars(stale.order_by(Article.review_by))]
    return board
