"""The history and diff pages every reviewed document has, written once: which endpoints a
kind's pages live at (``Pages``) and what the shared templates documents/history.html and
documents/diff.html are given. The views of each kind stay thin: load, check, call these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kb.auth.policy import allowed_actions, can_transition
from kb.documents import workflow
from kb.errors import Invalid


@dataclass(frozen=True)
class Pages:
    """Where one kind's pages are: endpoint names, and the URL argument naming a document
    (its ``label``). ``diff_body`` is the template showing one comparison; the optional
    endpoints add a link per revision (its own page, its flowchart) or the comment form."""

    key: str
    show: str
    edit: str
    history: str
    diff: str
    restore: str
    workflow: str
    diff_body: str
    revision: str | None = None
    flowchart: str | None = None
    comment: str | None = None
    parent: tuple[str, str] | None = None  # (label, endpoint) of the crumb before the document

    def args(self, document: Any, **more: Any) -> dict[str, Any]:
        return {self.key: document.label, **more}


def history(
    session: Session, kind: workflow.Kind[Any], pages: Pages, document: Any, user: Any
) -> dict[str, Any]:
    """What documents/history.html shows: revisions newest first, the events, the open review
    comments and the buttons this person may use."""
    open_ = document.status != "archived"
    return {
        "pages": pages,
        "document": document,
        "revisions": list(reversed(document.revisions)),
        "events": workflow.events(session, kind, document),
        "comments": workflow.open_review_comments(session, kind, document),
        "labels": workflow.ACTION_LABELS,
        "actions": allowed_actions(user, document),
        "can_edit": open_ and can_transition(user, "edit", document),
        "can_restore": open_ and can_transition(user, "restore", document),
        "can_comment": bool(pages.comment) and open_ and can_transition(user, "comment", document),
    }


def compared(document: Any, args: Mapping[str, str]) -> tuple[int, int]:
    """The revision numbers to compare (``from``, ``to``): by default the latest and the one
    before it."""
    numbers = [r.number for r in document.revisions]
    try:
        new = int(args.get("to", numbers[-1]))
        old = int(args.get("from", max(1, new - 1)))
    except ValueError:
        raise Invalid("from and to must be revision numbers.") from None
    return old, new


def diff(
    session: Session,
    kind: workflow.Kind[Any],
    pages: Pages,
    document: Any,
    args: Mapping[str, str],
    compare: Callable[[Any, Any], Any],
) -> dict[str, Any]:
    """What documents/diff.html shows: two revisions (NotFound unless both exist) and
    ``compare(old, new)``, the kind's differences."""
    old_number, new_number = compared(document, args)
    old = workflow.revision_by_number(session, kind, document, old_number)
    new = workflow.revision_by_number(session, kind, document, new_number)
    return {
        "pages": pages,
        "document": document,
        "old": old,
        "new": new,
        "diff": compare(old, new),
        "mode": "inline" if args.get("mode") == "inline" else "side",
        "numbers": [r.number for r in document.revisions],
    }
