"""Who may do what: the one place kb decides. ``can`` answers, ``require`` raises.

Content a person may not see raises NotFound rather than Forbidden, so internal or unpublished
articles do not exist for them, in pages, lists and the API alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kb.errors import Conflict, Forbidden, NotFound
from kb.models.users import Role


class Person(Protocol):
    is_authenticated: bool
    role: str | None


ANONYMOUS_RANK = -1

# The lowest role allowed to do each action that does not depend on the thing acted on.
# Every name is read where the action is done; the review workflow reads
# "<kind>.<permission>" through TRANSITIONS below (kinds: DOCUMENT_KINDS).
MINIMUM_ROLE: dict[str, Role] = {
    "article.read_internal": Role.TECHNICIAN,
    "article.propose": Role.TECHNICIAN,
    "article.create": Role.AUTHOR,
    "article.edit": Role.AUTHOR,
    "article.read_unpublished": Role.AUTHOR,
    "article.review": Role.REVIEWER,
    "article.publish": Role.REVIEWER,
    "article.archive": Role.REVIEWER,
    "article.flag": Role.REQUESTER,
    "tree.run_technician": Role.TECHNICIAN,
    "tree.read_internal": Role.TECHNICIAN,
    "tree.read_unpublished": Role.AUTHOR,
    "tree.edit": Role.AUTHOR,
    "tree.review": Role.REVIEWER,
    "tree.publish": Role.REVIEWER,
    "tree.archive": Role.REVIEWER,
    "tree.read_flags": Role.AUTHOR,  # step flags: the tree's authors resolve their own
    "check.run": Role.TECHNICIAN,
    "ticket.work": Role.TECHNICIAN,
    "outage.declare": Role.TECHNICIAN,
    "report.view": Role.REVIEWER,
    "user.manage": Role.ADMIN,
    "outbox.manage": Role.ADMIN,
}

# The kinds of reviewed documents (kb.models.documents), and those that take proposals from
# people who may not edit them ("<kind>.propose").
DOCUMENT_KINDS = ("article", "tree")
PROPOSALS = frozenset({"article"})


def rank(user: Any) -> int:
    """The user's place in the role order; anonymous visitors rank below requesters."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS_RANK
    try:
        return Role(user.role).rank
    except ValueError:
        return ANONYMOUS_RANK


def has_role(user: Any, role: Role) -> bool:
    return rank(user) >= role.rank


def visible_audiences(user: Any) -> tuple[str, ...]:
    """The article audiences this person may see."""
    return ("public", "internal") if can(user, "article.read_internal") else ("public",)


def can(user: Any, action: str, thing: Any = None) -> bool:
    """May ``user`` do ``action`` (to ``thing``)? Actions on articles look at the article."""
    if action == "article.read":
        return _can_read_article(user, thing)
    if action == "tree.read":
        return _can_read_tree(user, thing)
    if action == "article.feedback":
        return _can_read_article(user, thing) and thing.is_live
    if action == "tree.flag_step":  # whoever holds the session's address may flag its steps
        return _can_hold_session(user, thing)
    if action == "article.read_head":
        return can_read_head(user, thing)
    if action == "article.history":  # history shows drafts: authors and above, or the proposer
        return _can_read_article(user, thing) and (
            can(user, "article.read_unpublished") or _is_proposer(user, thing)
        )
    role = MINIMUM_ROLE.get(action)
    if role is None:
        raise KeyError(f"unknown action {action!r}")
    return has_role(user, role)


def require(user: Any, action: str, thing: Any = None) -> None:
    """Raise NotFound when the thing must stay invisible, Forbidden when it is only off-limits."""
    if can(user, action, thing):
        return
    if thing is not None and hasattr(thing, "audience") and not can(user, "article.read", thing):
        raise NotFound("No such article.")
    raise Forbidden("You do not have permission to do that.")


def _can_read_article(user: Any, article: Any) -> bool:
    if article is None:
        return False
    if article.audience not in visible_audiences(user):
        return False
    if article.is_live:
        return True
    return can(user, "article.read_unpublished") or _is_proposer(user, article)


def can_read_head(user: Any, document: Any) -> bool:
    """May this person see the document's head revision? When the head is not the live
    revision it is an unpublished draft: only the people who may edit that draft see it
    (authors and above, or the technician who proposed it); everyone else reads the live
    revision only."""
    if not can_read(user, document):
        return False
    if document.head_revision_id is None or document.head_revision_id == (
        document.published_revision_id
    ):
        return True
    kind = document.document_kind
    return can(user, f"{kind}.read_unpublished") or _is_proposer(user, document)


def _is_proposer(user: Any, article: Any) -> bool:
    """A technician may see the drafts they proposed themselves."""
    proposer = getattr(article, "proposed_by_id", None)
    return proposer is not None and getattr(user, "id", None) == proposer


# --- decision trees -------------------------------------------------------------------------


def _can_read_tree(user: Any, tree: Any) -> bool:
    """Technician trees exist only for technicians; unpublished trees only for authors."""
    if tree is None:
        return False
    if tree.audience == "technician" and not can(user, "tree.read_internal"):
        return False
    return tree.is_live or can(user, "tree.read_unpublished")


def _can_hold_session(user: Any, session: Any) -> bool:
    """A session's address works for whoever holds it, but technician-mode sessions exist only
    for technicians and above."""
    if session is None:
        return False
    return session.mode != "technician" or can(user, "tree.run_technician")


def can_resolve_step_flags(user: Any, tree: Any, is_owner: bool) -> bool:
    """A step flag is resolved by one of the tree's authors (who may still edit trees) or by a
    reviewer."""
    if not can(user, "tree.read", tree):
        return False
    return (is_owner and can(user, "tree.edit")) or can(user, "tree.review")


def require_tree(user: Any, tree: Any) -> None:
    if not can(user, "tree.read", tree):
        raise NotFound("No such diagnostic.")


# --- the review workflow of every reviewed document (articles and trees) --------------------

_READERS = {"article": _can_read_article, "tree": _can_read_tree}
_NOT_FOUND = {"article": "No such article.", "tree": "No such diagnostic."}


def can_read(user: Any, document: Any) -> bool:
    """May this person see this article or tree at all?"""
    return document is not None and _READERS[document.document_kind](user, document)


@dataclass(frozen=True)
class Transition:
    """Which statuses an action starts from, where it goes, and who may do it.

    ``permission`` names the policy action, per kind: "<kind>.<permission>" in MINIMUM_ROLE.
    ``proposal`` lets someone with "<kind>.propose" do it too, as a proposal for review.
    ``proposer`` lets a technician do it to a document they proposed themselves.
    ``to`` None means the status is decided by the action (for example unarchive).
    """

    sources: frozenset[str]
    to: str | None
    permission: str
    proposal: bool = False
    proposer: bool = False


_OPEN = frozenset({"draft", "in_review", "published"})
TRANSITIONS: dict[str, Transition] = {
    "edit": Transition(_OPEN, None, "edit", proposal=True),
    "restore": Transition(_OPEN, None, "edit"),
    "submit": Transition(frozenset({"draft"}), "in_review", "edit", proposer=True),
    "approve": Transition(frozenset({"in_review"}), "published", "review"),
    "request_changes": Transition(frozenset({"in_review"}), "draft", "review"),
    "publish": Transition(frozenset({"draft", "in_review"}), "published", "publish"),
    "archive": Transition(_OPEN, "archived", "archive"),
    "unarchive": Transition(frozenset({"archived"}), None, "archive"),
    "comment": Transition(_OPEN | {"archived"}, None, "edit", proposer=True),
}

# The workflow buttons, in display order.
WORKFLOW_ACTIONS = ("submit", "approve", "request_changes", "publish", "archive", "unarchive")

# Actions that write a new revision on top of the head, so the person must be able to see it.
_WRITES_ON_HEAD = frozenset({"edit", "restore"})


def permission(document: Any, action: str) -> str:
    """The policy action a workflow action needs on this document, e.g. "tree.publish"."""
    return f"{document.document_kind}.{TRANSITIONS[action].permission}"


def may_propose(user: Any, kind: str) -> bool:
    """May this person propose documents of this kind (for review) without editing them?"""
    return kind in PROPOSALS and can(user, f"{kind}.propose")


def is_proposal(user: Any, action: str, document: Any) -> bool:
    """Is this (allowed) action a proposal for review rather than a change of its own?"""
    return not can(user, permission(document, action))


def can_transition(user: Any, action: str, document: Any) -> bool:
    """Role (or proposer) check for a workflow action; the status check is separate."""
    rule = TRANSITIONS[action]
    if not can_read(user, document):
        return False
    if action in _WRITES_ON_HEAD and not can_read_head(user, document):
        return False  # saving means editing someone's unpublished draft, unseen
    if can(user, permission(document, action)):
        return True
    if rule.proposal and may_propose(user, document.document_kind):
        return True
    return rule.proposer and _is_proposer(user, document)


def require_transition(user: Any, action: str, document: Any) -> Transition:
    """NotFound if the document is invisible, Forbidden if not allowed, Conflict if it is not
    in a status the action starts from."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise NotFound(f"Unknown action {action!r}.")
    kind = document.document_kind if document is not None else "article"
    if not can_read(user, document):
        raise NotFound(_NOT_FOUND[kind])
    if action in _WRITES_ON_HEAD and not can_read_head(user, document):
        raise Forbidden(
            f"Someone's unpublished changes to this {kind} are waiting for review; you can "
            "propose changes again once they are published or withdrawn."
        )
    if not can_transition(user, action, document):
        raise Forbidden(f"You do not have permission to {action.replace('_', ' ')} this {kind}.")
    if document.status not in rule.sources:
        raise Conflict(
            f"Cannot {action.replace('_', ' ')} {'an' if kind[0] in 'aeiou' else 'a'} {kind} "
            f"that is {document.status.replace('_', ' ')}.",
            status=document.status,
        )
    return rule


def allowed_actions(user: Any, document: Any) -> list[str]:
    """The workflow buttons this person should see for this document, in display order."""
    return [
        action
        for action in WORKFLOW_ACTIONS
        if document.status in TRANSITIONS[action].sources and can_transition(user, action, document)
    ]
