"""One workflow core for articles and trees: the same steps, events and labels for both, the
resolution write-back only through it (a note on a live article, never a status change or a
revision), and one history page and one diff page for both kinds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb.articles import workflow as articles
from kb.articles.revisions import get_article
from kb.auth import policy
from kb.auth.users import find_user
from kb.documents import workflow
from kb.errors import Conflict
from kb.models import ArticleEvent, ArticleRevision, TreeEvent
from kb.trees import workflow as trees
from kb.trees.store import get_tree, revision_graph
from tests.conftest import csrf_token
from tests.trees.helpers import import_tree
from tests.trees.trees import small

KB = Path(__file__).resolve().parents[2] / "kb"
ENTRY = {"ticket": "T-1", "date": "2026-01-02", "resolver": "tech", "resolution": "Reseated it."}


def test_one_label_for_every_action_recorded() -> None:
    recorded = set(policy.TRANSITIONS) | {"create", "propose", "import", "resolution"}
    assert recorded <= set(workflow.ACTION_LABELS)


def test_both_kinds_use_the_one_core() -> None:
    assert articles.ARTICLES.event is ArticleEvent and trees.TREES.event is TreeEvent
    for module in ("articles/workflow.py", "trees/workflow.py", "escalation/writeback.py"):
        text = (KB / module).read_text(encoding="utf-8")
        assert not re.search(r"\b(Article|Tree)(Event|Revision)\(", text), module
        assert "session.add(" not in text, module


def revisions_of(db, article) -> int:
    return db.scalar(
        select(func.count(ArticleRevision.id)).where(ArticleRevision.article_id == article.id)
    )


def test_a_resolution_is_a_note_on_a_live_article_never_a_revision_or_status_change(
    app, db
) -> None:
    author = find_user(db, "author@example.org")
    article = get_article(db, "change-password")
    assert article.is_live
    doc = articles.doc_from_fields({**_fields(article), "body": "A pending draft."})
    articles.save_edit(db, article, doc, author, article.head_revision_id)
    db.commit()
    before = (article.status, article.head_revision_id, revisions_of(db, article))

    assert articles.log_resolution(db, article, ENTRY, "queue") is True
    assert articles.log_resolution(db, article, ENTRY, "queue") is False  # logged once
    db.commit()

    assert (article.status, article.head_revision_id, revisions_of(db, article)) == before
    note = articles.events(db, article)[0]
    assert (note.action, note.from_status, note.to_status) == ("resolution", "", "")
    assert note.revision_id == article.published_revision_id
    assert [e.action for e in articles.open_review_comments(db, article)] == []


def test_a_resolution_is_refused_by_an_article_that_is_not_live(app, db) -> None:
    author = find_user(db, "author@example.org")
    doc = articles.doc_from_fields({"title": "Only a draft", "body": "Draft."})
    draft = articles.create_article(db, doc, author)
    db.commit()
    with pytest.raises(Conflict):
        articles.log_resolution(db, draft, ENTRY, "queue")
    assert [e.action for e in articles.events(db, draft)] == ["create"]


def _fields(article) -> dict:
    revision = article.head_revision
    return {
        "title": revision.title,
        "slug": revision.slug,
        "summary": revision.summary,
        "tags": revision.tags,
        "category": revision.category,
        "service": revision.service,
        "audience": revision.audience,
        "owner": revision.owner,
    }


def test_a_tree_goes_through_the_same_review_round(app, db) -> None:
    author = find_user(db, "author@example.org")
    reviewer = find_user(db, "reviewer@example.org")
    tree = get_tree(db, "wifi-problems")
    trees.transition(db, tree, "archive", reviewer)
    trees.transition(db, tree, "unarchive", reviewer)
    assert tree.status == "published"
    graph = revision_graph(tree.head_revision).copy()
    graph.graph["summary"] = "Changed by the author."
    trees.save_tree(db, None, tree, graph, author, tree.head_revision_id, "A change")
    assert tree.status == "draft" and tree.published_revision_id != tree.head_revision_id
    trees.transition(db, tree, "submit", author)
    trees.transition(db, tree, "request_changes", reviewer, "Say why.")
    comments = trees.open_review_comments(db, tree)
    assert [(c.action, c.comment) for c in comments] == [("request_changes", "Say why.")]
    with pytest.raises(Conflict):
        trees.transition(db, tree, "approve", reviewer)  # back to draft: not in review
    db.commit()
    actions = [e.action for e in trees.events(db, tree)]
    assert actions[:5] == ["request_changes", "submit", "edit", "unarchive", "archive"]


def test_articles_and_trees_share_the_history_and_diff_pages(app, client, auth, tmp_path) -> None:
    import_tree(app, tmp_path / "a", small())
    import_tree(app, tmp_path / "b", small(title="Second title"))
    auth.login("reviewer")
    for history in ("/trees/test-printer/history", "/articles/change-password/history"):
        page = client.get(history).get_data(as_text=True)
        assert "History and review" in page and 'id="compare"' in page, history
    for mode in ("side", "inline"):
        page = client.get(f"/trees/test-printer/diff?from=1&to=2&mode={mode}")
        assert page.status_code == 200
        assert "Second title" in page.get_data(as_text=True)
    assert client.get("/trees/test-printer/diff?from=1&to=9").status_code == 404


def test_the_history_page_buttons_come_back_to_it(app, client, auth) -> None:
    auth.login("reviewer")
    history = "/articles/change-password/history"
    response = client.post(
        "/articles/change-password/workflow/archive",
        data={"csrf_token": csrf_token(client, history), "next": history},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(history)
