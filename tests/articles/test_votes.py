"""One anonymous "was this helpful?" vote per client per article counts (a later one replaces
it); signed-in people keep one vote each, as before."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.extensions import kb_state
from kb.models import Article, ArticleFeedback
from tests.conftest import csrf_token

SLUG = "mailbox-full"


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _votes(app) -> list[tuple[bool, str]]:
    with kb_state(app).session() as session:
        article_id = session.scalar(select(Article.id).where(Article.slug == SLUG))
        return list(
            session.execute(
                select(ArticleFeedback.helpful, ArticleFeedback.comment).where(
                    ArticleFeedback.article_id == article_id
                )
            ).all()
        )


def test_thirty_anonymous_not_helpful_votes_from_one_client_count_once(app) -> None:
    client = _client(app, "192.0.2.10")
    token = csrf_token(client, f"/articles/{SLUG}")
    for n in range(30):
        response = client.post(
            f"/articles/{SLUG}/feedback",
            data={"helpful": "no", "comment": f"bad {n}", "csrf_token": token},
        )
        assert response.status_code == 302
    assert _votes(app) == [(False, "bad 29")]


def test_a_new_cookie_jar_does_not_make_a_new_anonymous_voter(app) -> None:
    for _ in range(3):
        client = _client(app, "192.0.2.10")
        client.post(
            f"/api/v1/articles/{SLUG}/feedback",
            json={"helpful": False},
            headers={"X-CSRFToken": csrf_token(client, "/")},
        )
    assert len(_votes(app)) == 1


def test_different_clients_each_have_a_vote_and_may_change_it(app) -> None:
    first, second = _client(app, "192.0.2.10"), _client(app, "192.0.2.11")
    for client, helpful in ((first, "yes"), (second, "yes"), (first, "no")):
        token = csrf_token(client, f"/articles/{SLUG}")
        client.post(f"/articles/{SLUG}/feedback", data={"helpful": helpful, "csrf_token": token})
    assert sorted(helpful for helpful, _ in _votes(app)) == [False, True]


def test_votes_are_stored_without_the_client_address(app) -> None:
    client = _client(app, "192.0.2.77")
    token = csrf_token(client, f"/articles/{SLUG}")
    client.post(f"/articles/{SLUG}/feedback", data={"helpful": "yes", "csrf_token": token})
    with kb_state(app).session() as session:
        stored = session.scalar(select(func.count(ArticleFeedback.id)))
        assert stored == 1
        row = session.scalar(select(ArticleFeedback))
        assert "192.0.2.77" not in repr(vars(row))
