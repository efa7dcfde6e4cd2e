"""The review workflow of every reviewed document, written once: create, edit with optimistic
locking, submit, approve, request changes, publish, archive, unarchive, restore, comment and
notes that are not status changes. Every step is checked by kb.auth.policy and recorded as an
event. Articles and trees differ only in what a revision holds; a ``Kind`` adapter says how to
append, compare, check and publish their content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.auth.policy import is_proposal, require_transition
from kb.documents import revisions
from kb.errors import Conflict, Invalid, NotFound, StaleWrite
from kb.models import User
from kb.models.documents import DocumentEvent, DocumentRevision, DocumentStatus

Content = TypeVar("Content")

# How the history pages and flash messages name each recorded action.
ACTION_LABELS = {
    "create": "created",
    "edit": "edited",
    "propose": "proposed",
    "restore": "restored",
    "submit": "submitted for review",
    "approve": "approved and published",
    "request_changes": "requested changes",
    "publish": "published",
    "archive": "archived",
    "unarchive": "unarchived",
    "comment": "commented",
    "import": "imported",
    "resolution": "logged a ticket resolution",
}

# Events that start a new round of review: comments before them are settled.
_ROUND_STARTS = frozenset({"submit", "approve", "publish", "create", "propose"})


@dataclass(frozen=True)
class Kind(Generic[Content]):
    """What the workflow needs to know about one kind of document.

    ``append(session, document or None, content, author, author_name, message, base_id)``
    writes a revision (creating the document when None) and returns it; ``prepare(session,
    document, content, head)`` checks content about to be saved over ``head`` (Invalid, Taken)
    and returns what to save; ``conflict(document, head, content, base_id)`` is the refusal
    of a save based on an old revision; ``restorable(document, revision)`` is that revision's
    content, ready to save again; ``publish`` makes a revision live; ``changed`` tells search
    and plugins."""

    name: str
    event: type[DocumentEvent]
    revision: type[DocumentRevision]
    append: Callable[..., Any]
    prepare: Callable[[Session, Any, Content, Any], Content]
    content_hash: Callable[[Content], str]
    conflict: Callable[[Any, Any, Content, int | None], Conflict]
    restorable: Callable[[Any, Any], Content]
    publish: Callable[[Session, Any, Any], None]
    changed: Callable[[Session, Any], None]


def record(
    session: Session,
    kind: Kind[Any],
    document: Any,
    action: str,
    actor: User | None,
    from_status: str,
    comment: str = "",
    revision: Any = None,
    actor_name: str | None = None,
    to_status: str | None = None,
) -> DocumentEvent:
    """Add one event to the document's history."""
    event = kind.event(
        revision=revision,
        action=action,
        from_status=from_status,
        to_status=document.status if to_status is None else to_status,
        actor_id=actor.id if actor else None,
        actor_name=actor_name or (actor.email if actor else "system"),
        comment=comment.strip(),
        **{f"{kind.name}_id": document.id},
    )
    session.add(event)
    return event


def create(
    session: Session,
    kind: Kind[Content],
    content: Content,
    actor: User | None,
    message: str = "",
    *,
    proposal: bool = False,
    actor_name: str = "",
    comment: str | None = None,
) -> Any:
    """A new document from its first revision: a draft, or with ``proposal`` straight into
    review. The caller checks who may create one and whether the content is acceptable."""
    revision = kind.append(session, None, content, actor, actor_name, message or "Created", None)
    document = revision.document
    if proposal:
        _propose(document, actor)
    record(
        session,
        kind,
        document,
        "propose" if proposal else "create",
        actor,
        "",
        message if comment is None else comment,
        revision,
        actor_name=actor_name or None,
    )
    kind.changed(session, document)
    return document


def save(
    session: Session,
    kind: Kind[Content],
    document: Any,
    content: Content,
    actor: User,
    base_revision_id: int | None,
    message: str = "",
    action: str = "edit",
) -> Any:
    """Save a new head revision. Refused with Conflict (409) when someone saved a newer one
    since ``base_revision_id`` (both versions travel with it, so nothing is lost). Saving what
    the head already holds writes nothing. Someone who may only propose makes a proposal;
    editing a published document makes a draft while the live revision stays live."""
    require_transition(actor, "edit", document)
    head = document.head_revision
    if head is not None and base_revision_id != head.id:
        raise kind.conflict(document, head, content, base_revision_id)
    content = kind.prepare(session, document, content, head)
    if head is not None and head.content_hash == kind.content_hash(content):
        return head
    proposal = is_proposal(actor, "edit", document)
    from_status = document.status
    try:
        revision = kind.append(
            session, document, content, actor, "", message or "Edited", base_revision_id
        )
    except StaleWrite:
        # Another save of the same base won the race between the check above and our write:
        # the same answer as the check would have given a moment later.
        session.refresh(document)
        winner = document.head_revision
        if winner is None or winner.id == base_revision_id:
            raise
        raise kind.conflict(document, winner, content, base_revision_id) from None
    if proposal:
        _propose(document, actor)
    elif document.status == DocumentStatus.PUBLISHED.value:
        document.status = DocumentStatus.DRAFT.value  # the live revision stays live meanwhile
    record(
        session,
        kind,
        document,
        "propose" if proposal else action,
        actor,
        from_status,
        message,
        revision,
    )
    kind.changed(session, document)
    return revision


def _propose(document: Any, actor: User | None) -> None:
    """A proposal waits for review; its proposer may see and edit it meanwhile."""
    document.status = DocumentStatus.IN_REVIEW.value
    if actor is not None:
        document.proposed_by_id = actor.id


def transition(
    session: Session, kind: Kind[Any], document: Any, action: str, actor: User, comment: str = ""
) -> Any:
    """submit / approve / request_changes / publish / archive / unarchive."""
    rule = require_transition(actor, action, document)
    if action == "request_changes" and not comment.strip():
        raise Invalid("Say what needs to change.", fields={"comment": "required"})
    from_status = document.status
    if action in ("approve", "publish"):
        if document.head_revision is None:
            raise Conflict("There is nothing to publish.")
        kind.publish(session, document, document.head_revision)
    elif action == "unarchive":
        document.status = (
            DocumentStatus.PUBLISHED.value
            if document.published_revision_id is not None
            else DocumentStatus.DRAFT.value
        )
        kind.changed(session, document)
    elif rule.to is not None:
        document.status = rule.to
        kind.changed(session, document)
    else:
        raise NotFound(f"Unknown action {action!r}.")
    record(session, kind, document, action, actor, from_status, comment, document.head_revision)
    return document


def restore(
    session: Session,
    kind: Kind[Any],
    document: Any,
    number: int,
    actor: User,
    base_revision_id: int | None,
) -> Any:
    """Bring back an old revision's content as a new head revision (history stays intact)."""
    require_transition(actor, "restore", document)
    old = revision_by_number(session, kind, document, number)
    return save(
        session,
        kind,
        document,
        kind.restorable(document, old),
        actor,
        base_revision_id,
        message=f"Restored revision {number}",
        action="restore",
    )


def comment(
    session: Session, kind: Kind[Any], document: Any, actor: User, text: str
) -> DocumentEvent:
    """A review comment: an event, no status change."""
    require_transition(actor, "comment", document)
    if not text.strip():
        raise Invalid("Write a comment first.", fields={"comment": "required"})
    return record(
        session, kind, document, "comment", actor, document.status, text, document.head_revision
    )


def require_live(document: Any) -> None:
    """Conflict unless readers can see the document now."""
    if not document.is_live:
        raise Conflict(
            f"The {document.document_kind} '{document.label}' is not live "
            f"({document.status.replace('_', ' ')}).",
            status=document.status,
        )


def note(
    session: Session, kind: Kind[Any], document: Any, action: str, actor_name: str, text: str
) -> DocumentEvent:
    """Something that happened to a live document that is not a workflow step (a resolved
    ticket logged against it): an event on its live revision, never a status change or a
    revision, so a pending draft or the review round does not see it."""
    require_live(document)
    return record(
        session,
        kind,
        document,
        action,
        None,
        "",
        text,
        document.published_revision,
        actor_name=actor_name,
        to_status="",
    )


def find_revision(session: Session, kind: Kind[Any], document: Any, number: int) -> Any:
    """The document's revision with this number, or None."""
    return revisions.find(session, kind.revision, document, number)


def revision_by_number(session: Session, kind: Kind[Any], document: Any, number: int) -> Any:
    """The document's revision with this number; NotFound when there is none."""
    revision = find_revision(session, kind, document, number)
    if revision is None:
        raise NotFound(f"{kind.name.capitalize()} '{document.label}' has no revision {number}.")
    return revision


def events(session: Session, kind: Kind[Any], document: Any) -> list[Any]:
    """The document's history, newest first."""
    model: Any = kind.event
    return list(
        session.scalars(
            select(model)
            .where(getattr(model, f"{kind.name}_id") == document.id)
            .order_by(model.at.desc(), model.id.desc())
        )
    )


def open_review_comments(session: Session, kind: Kind[Any], document: Any) -> list[Any]:
    """Comments and change requests since the document was last submitted, created or
    published: what the author has to act on, oldest first."""
    result: list[Any] = []
    for event in events(session, kind, document):
        if event.action in ("request_changes", "comment"):
            result.append(event)
        if event.action in _ROUND_STARTS:
            break
    return list(reversed(result))
