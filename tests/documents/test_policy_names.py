"""Every action name in the policy is read by the code that does the action, and restricting
one (raising its role) really refuses it, for articles and trees alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.auth import policy
from kb.models import Role
from tests.articles.test_workflow import ARTICLE, Api, as_, create, status
from tests.conftest import AuthActions, csrf_token

KB = Path(__file__).resolve().parents[2] / "kb"
QUOTED = re.compile(r"""["']([a-z_]+\.[a-z_]+)["']""")


def quoted_names() -> set[str]:
    """Every "thing.action" string in kb's code and templates, the policy's table left out
    (the policy's own rules, such as who reads internal articles, do count)."""
    names: set[str] = set()
    for path in [*KB.rglob("*.py"), *KB.rglob("*.html")]:
        text = path.read_text(encoding="utf-8")
        if path == KB / "auth" / "policy.py":
            start = text.index("MINIMUM_ROLE: dict[str, Role] = {")
            text = text[:start] + text[text.index("\n}\n", start) :]
        names.update(QUOTED.findall(text))
    return names


def workflow_names() -> set[str]:
    """The names the review workflow reads: "<kind>.<permission>" of each transition, and
    "<kind>.propose" for the kinds that take proposals."""
    permissions = {rule.permission for rule in policy.TRANSITIONS.values()}
    names = {f"{kind}.{p}" for kind in policy.DOCUMENT_KINDS for p in permissions}
    return names | {f"{kind}.propose" for kind in policy.PROPOSALS}


def test_every_name_in_the_policy_is_read() -> None:
    unread = set(policy.MINIMUM_ROLE) - quoted_names() - workflow_names()
    assert not unread, f"policy names nobody reads: {sorted(unread)}"


def test_every_name_the_workflow_reads_is_in_the_policy() -> None:
    assert workflow_names() <= set(policy.MINIMUM_ROLE)


def test_every_action_the_code_asks_about_exists() -> None:
    asked = set()
    for path in KB.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        asked.update(re.findall(r"""\b(?:can|require)\([^,()]+,\s*["']([a-z_.]+)["']""", text))
    special = {
        "article.read",
        "tree.read",
        "article.feedback",
        "article.read_head",
        "tree.flag_step",
    }
    assert asked - set(policy.MINIMUM_ROLE) - special - {"article.history"} == set()


@pytest.fixture
def app(make_app):
    return make_app(content="empty")


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def test_raising_article_edit_makes_an_authors_edit_a_proposal_and_refuses_restore(
    client, auth, api, monkeypatch
) -> None:
    slug = create(api, auth)["slug"]
    monkeypatch.setitem(policy.MINIMUM_ROLE, "article.edit", Role.REVIEWER)
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    saved = api.put(f"/articles/{slug}", {**ARTICLE, "body": "Changed.", "base_revision_id": head})
    assert saved.status_code == 200
    assert status(api, slug) == "in_review"  # a proposal for review, not the author's own edit
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    assert api.post(f"/articles/{slug}/restore/1", {"base_revision_id": head}).status_code == 403
    monkeypatch.undo()
    assert api.post(f"/articles/{slug}/restore/1", {"base_revision_id": head}).status_code == 200


def test_raising_article_create_makes_an_authors_new_article_a_proposal(
    client, auth, api, monkeypatch
) -> None:
    monkeypatch.setitem(policy.MINIMUM_ROLE, "article.create", Role.REVIEWER)
    slug = create(api, auth)["slug"]
    assert status(api, slug) == "in_review"


@pytest.mark.parametrize("action", ["archive", "publish"])
def test_raising_an_article_transition_refuses_it(client, auth, api, monkeypatch, action) -> None:
    slug = create(api, auth, role="reviewer")["slug"]
    if action == "archive":
        assert api.post(f"/articles/{slug}/publish").status_code == 200
    monkeypatch.setitem(policy.MINIMUM_ROLE, f"article.{action}", Role.ADMIN)
    assert api.post(f"/articles/{slug}/{action}").status_code == 403
    as_(auth, "admin")
    assert api.post(f"/articles/{slug}/{action}").status_code == 200


def test_raising_article_review_refuses_approval(client, auth, api, monkeypatch) -> None:
    slug = create(api, auth)["slug"]
    assert api.post(f"/articles/{slug}/submit").status_code == 200
    monkeypatch.setitem(policy.MINIMUM_ROLE, "article.review", Role.ADMIN)
    as_(auth, "reviewer")
    assert api.post(f"/articles/{slug}/approve").status_code == 403


def test_raising_article_read_unpublished_hides_drafts_from_authors(
    client, auth, api, monkeypatch
) -> None:
    slug = create(api, auth)["slug"]
    monkeypatch.setitem(policy.MINIMUM_ROLE, "article.read_unpublished", Role.REVIEWER)
    assert api.get(f"/articles/{slug}?draft=1").status_code == 404


def _tree_post(client, path: str) -> int:
    token = csrf_token(client, "/trees/wifi-problems/history")
    return client.post(path, data={"csrf_token": token}).status_code


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("tree.archive", "/trees/wifi-problems/workflow/archive"),
        ("tree.publish", "/trees/wifi-problems/workflow/publish"),
        ("tree.review", "/trees/wifi-problems/workflow/approve"),
        ("tree.edit", "/trees/wifi-problems/edit"),
    ],
)
def test_raising_a_tree_action_refuses_it(make_app, monkeypatch, name, path) -> None:
    client = make_app().test_client()
    AuthActions(client).login("reviewer")
    monkeypatch.setitem(policy.MINIMUM_ROLE, name, Role.ADMIN)
    assert _tree_post(client, path) == 403
    monkeypatch.undo()
    # allowed again: done, or refused for another reason (a published tree is not approved
    # again: 409; an empty editor form: 422)
    assert _tree_post(client, path) in (302, 409, 422)
