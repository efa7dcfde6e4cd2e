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
    "tree.edit": Role.AUTHOR,
    "tree.publish": Role.REVIEWER,
    "check.run": Role.TECHNICIAN,
    "ticket.work": Role.TECHNICIAN,
    "outage.declare": Role.TECHNICIAN,
    "report.view": Role.REVIEWER,
    "user.manage": Role.ADMIN,
    "outbox.manage": Role.ADMIN,
    "index.manage": Role.ADMIN,
}


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
    return ("public", "internal") if has_role(user, Role.TECHNICIAN) else ("public",)


def can(user: Any, action: str, thing: Any = None) -> bool:
    """May ``user`` do ``action`` (to ``thing``)? Actions on articles look at the article."""
    if action == "article.read":
        return _can_read_article(user, thing)
    if action == "tree.read":
        return _can_read_tree(user, thing)
    if action == "article.feedback":
        return _can_read_article(user, thing) and thing.is_live
    if action == "article.read_head":
        return can_read_head(user, thing)
    if action == "article.history":  # history shows drafts: authors and above, or the proposer
        return _can_read_article(user, thing) and (
            has_role(user, Role.AUTHOR) or _is_proposer(user, thing)
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
    return has_role(user, Role.AUTHOR) or _is_proposer(user, article)


def can_read_head(user: Any, article: Any) -> bool:
    """May this person see the article's head revision? When the head is not the live revision
    it is an unpublished draft: only the people who may edit that draft see it (authors and
    above, or the technician who proposed it); everyone else reads the live revision only."""
    if not _can_read_article(user, article):
        return False
    if article.head_revision_id is None or article.head_revision_id == (
        article.published_revision_id
    ):
        return True
    return has_role(user, Role.AUTHOR) or _is_proposer(user, article)


def _is_proposer(user: Any, article: Any) -> bool:
    """A technician may see the drafts they proposed themselves."""
    proposer = getattr(article, "proposed_by_id", None)
    return proposer is not None and getattr(user, "id", None) == proposer


# --- the article workflow -------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """Which statuses an action starts from, where it goes, and the least role allowed.

    ``proposer`` lets a technician do it to an article they proposed themselves.
    ``to`` None means the status is decided by the action (for example unarchive).
    """

    sources: frozenset[str]
    to: str | None
    role: Role
    proposer: bool = False


_OPEN = frozenset({"draft", "in_review", "published"})
TRANSITIONS: dict[str, Transition] = {
    "edit": Transition(_OPEN, None, Role.TECHNICIAN),  # below author it becomes a proposal
    "restore": Transition(_OPEN, None, Role.AUTHOR),
    "submit": Transition(frozenset({"draft"}), "in_review", Role.AUTHOR, proposer=True),
    "approve": Transition(frozenset({"in_review"}), "published", Role.REVIEWER),
    "request_changes": Transition(frozenset({"in_review"}), "draft", Role.REVIEWER),
    "publish": Transition(frozenset({"draft", "in_review"}), "published", Role.REVIEWER),
    "archive": Transition(_OPEN, "archived", Role.REVIEWER),
    "unarchive": Transition(frozenset({"archived"}), None, Role.REVIEWER),
    "comment": Transition(_OPEN | {"archived"}, None, Role.AUTHOR, proposer=True),
}

# Actions that write a new revision on top of the head, so the person must be able to see it.
_WRITES_ON_HEAD = frozenset({"edit", "restore"})

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


def can_transition(user: Any, action: str, article: Any) -> bool:
    """Role (or proposer) check for a workflow action; the status check is separate."""
    rule = TRANSITIONS[action]
    if not _can_read_article(user, article):
        return False
    if action in _WRITES_ON_HEAD and not can_read_head(user, article):
        return False  # saving means editing someone's unpublished draft, unseen
    if has_role(user, rule.role):
        return True
    return rule.proposer and _is_proposer(user, article)


def require_transition(user: Any, action: str, article: Any) -> Transition:
    """NotFound if the article is invisible, Forbidden if not allowed, Conflict if the article
    is not in a status the action starts from."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise NotFound(f"Unknown action {action!r}.")
    if not _can_read_article(user, article):
        raise NotFound("No such article.")
    if action in _WRITES_ON_HEAD and not can_read_head(user, article):
        raise Forbidden(
            "Someone's unpublished changes to this article are waiting for review; you can "
            "propose changes again once they are published or withdrawn."
        )
    if not can_transition(user, action, article):
        raise Forbidden(f"You do not have permission to {action.replace('_', ' ')} this article.")
    if article.status not in rule.sources:
        raise Conflict(
            f"Cannot {action.replace('_', ' ')} an article that is "
            f"{article.status.replace('_', ' ')}.",
            status=article.status,
        )
    return rule


def allowed_actions(user: Any, article: Any) -> list[str]:
    """The workflow buttons this person should see for this article, in display order."""
    return [
        action
        for action in ("submit", "approve", "request_changes", "publish", "archive", "unarchive")
        if article.status in TRANSITIONS[action].sources and can_transition(user, action, article)
    ]


# --- decision trees -------------------------------------------------------------------------


def _can_read_tree(user: Any, tree: Any) -> bool:
    """Technician trees exist only for technicians; unpublished trees only for authors."""
    if tree is None:
        return False
    if tree.audience == "technician" and not has_role(user, Role.TECHNICIAN):
        return False
    return tree.is_live or has_role(user, Role.AUTHOR)


def require_tree(user: Any, tree: Any) -> None:
    if not _can_read_tree(user, tree):
        raise NotFound("No such diagnostic.")


# action -> (statuses it starts from, status it leads to (None: decided by the action), role)
_TREE_OPEN = frozenset({"draft", "in_review", "published"})
TREE_TRANSITIONS: dict[str, tuple[frozenset[str], str | None, Role]] = {
    "edit": (_TREE_OPEN, None, Role.AUTHOR),
    "restore": (_TREE_OPEN, None, Role.AUTHOR),
    "submit": (frozenset({"draft"}), "in_review", Role.AUTHOR),
    "approve": (frozenset({"in_review"}), "published", Role.REVIEWER),
    "request_changes": (frozenset({"in_review"}), "draft", Role.REVIEWER),
    "publish": (frozenset({"draft", "in_review"}), "published", Role.REVIEWER),
    "archive": (_TREE_OPEN, "archived", Role.REVIEWER),
    "unarchive": (frozenset({"archived"}), None, Role.REVIEWER),
}


def require_tree_transition(user: Any, action: str, tree: Any) -> str | None:
    """NotFound if the tree is invisible or the action unknown, Forbidden without the role,
    Conflict from the wrong status. Returns the status the action leads to."""
    rule = TREE_TRANSITIONS.get(action)
    if rule is None:
        raise NotFound(f"Unknown action {action!r}.")
    require_tree(user, tree)
    sources, to, role = rule
    if not has_role(user, role):
        raise Forbidden(f"You do not have permission to {action.replace('_', ' ')} this tree.")
    if tree.status not in sources:
        raise Conflict(
            f"Cannot {action.replace('_', ' ')} a tree that is {tree.status.replace('_', ' ')}.",
            status=tree.status,
        )
    return to


def tree_actions(user: Any, tree: Any) -> list[str]:
    """The workflow buttons this person should see for this tree, in display order."""
    order = ("submit", "approve", "request_changes", "publish", "archive", "unarchive")
    return [
        action
        for action in order
        if tree.status in TREE_TRANSITIONS[action][0]
        and has_role(user, TREE_TRANSITIONS[action][2])
    ]
