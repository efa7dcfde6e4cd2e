"""Pages kept for anonymous readers (kb/pagecache.py) and views counted in batches
(kb/articles/view_counts.py), through HTTP: a kept page is never stale after a change made here
or by another process, never shown to someone signed in, and never shares a CSRF token."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from kb.extensions import kb_state
from kb.models import Article
from tests.search.helpers import api_post, publish

PUBLIC = "reset-forgotten-password"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def app(make_app):
    """The database is never re-read here: only this process's own commits can make a kept
    page stale, so these tests fail if those commits do not."""
    return make_app(PAGE_CACHE_CHECK_SECONDS=3600)


def cache(app):
    return app.extensions["kb_page_cache"]


def token_of(response) -> str:
    return TOKEN.search(response.get_data(as_text=True)).group(1)


def test_an_anonymous_page_is_rendered_once_and_served_again(app, client) -> None:
    first = client.get(f"/articles/{PUBLIC}")
    second = client.get(f"/articles/{PUBLIC}")
    assert first.status_code == second.status_code == 200
    assert cache(app).hits == 1
    body = second.get_data(as_text=True)
    assert "\x00" not in body and "Was this article helpful?" in body


def test_each_visitor_gets_a_working_csrf_token_from_a_kept_page(app, client) -> None:
    client.get(f"/articles/{PUBLIC}")
    stranger = app.test_client()
    kept = stranger.get(f"/articles/{PUBLIC}")
    assert cache(app).hits == 1
    token = token_of(kept)
    assert token and token != token_of(client.get("/login"))
    vote = stranger.post(
        f"/articles/{PUBLIC}/feedback", data={"helpful": "yes", "csrf_token": token}
    )
    assert vote.status_code in (200, 302, 303), vote.get_data(as_text=True)[:300]


def test_a_newly_published_article_shows_at_once(app, client, auth) -> None:
    client.get("/articles")
    assert "Badge reader rejects my pass" not in client.get("/articles").get_data(as_text=True)
    assert cache(app).hits == 1
    publish(
        client,
        auth,
        title="Badge reader rejects my pass",
        service="security",
        body="## Issue\n\nRed light.",
    )
    stranger = app.test_client()  # no "signed out" message waiting, so a kept page would do
    assert "Badge reader rejects my pass" in stranger.get("/articles").get_data(as_text=True)


def test_an_archived_article_is_gone_at_once(app, client, auth) -> None:
    assert client.get(f"/articles/{PUBLIC}").status_code == 200
    client.get(f"/articles/{PUBLIC}")
    auth.login("reviewer")
    assert api_post(client, f"/articles/{PUBLIC}/archive").status_code == 200
    assert app.test_client().get(f"/articles/{PUBLIC}").status_code == 404


def test_signed_in_people_never_get_or_leave_a_kept_page(app, client, auth) -> None:
    anonymous = client.get("/").get_data(as_text=True)
    assert "Sign in" in anonymous
    auth.login("technician")
    signed_in = client.get("/").get_data(as_text=True)
    assert "Sign out" in signed_in and "My work" in signed_in
    other = app.test_client()
    assert "Sign out" not in other.get("/").get_data(as_text=True)
    assert cache(app).hits == 1  # only the stranger's visit came from the kept page


def test_a_flashed_message_is_shown_once_and_never_kept(app, client, auth) -> None:
    client.get("/")
    auth.login("requester")
    auth.logout()  # "You are signed out" waits for the next page
    after = client.get("/").get_data(as_text=True)
    assert "signed out" in after.lower()
    again = client.get("/").get_data(as_text=True)
    assert "signed out" not in again.lower()
    assert "signed out" not in app.test_client().get("/").get_data(as_text=True).lower()


def test_a_change_made_by_another_process_shows_within_the_check_interval(
    make_app, tmp_path: Path
) -> None:
    app = make_app(PAGE_CACHE_CHECK_SECONDS=0)  # the database is read again on every request
    client = app.test_client()
    client.get(f"/articles/{PUBLIC}")
    client.get(f"/articles/{PUBLIC}")
    assert cache(app).hits == 1
    text = client.get(f"/api/v1/articles/{PUBLIC}").get_json()
    source = tmp_path / f"{PUBLIC}.md"
    source.write_text(
        "---\n"
        f"title: {text['title']}\nslug: {PUBLIC}\nsummary: {text['summary']}\n"
        "audience: public\nstatus: published\n---\n"
        "## Issue\n\nChanged by another node: use the new portal.\n"
    )
    kb = Path(sys.executable).with_name("kb")
    done = subprocess.run(
        [str(kb), "import", str(source)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "KB_INSTANCE": app.instance_path},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page = client.get(f"/articles/{PUBLIC}").get_data(as_text=True)
    assert "Changed by another node" in page


def test_page_cache_seconds_zero_keeps_nothing(make_app) -> None:
    app = make_app(PAGE_CACHE_SECONDS=0)
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert "kb_page_cache" not in app.extensions


def test_views_are_counted_in_batches_and_none_is_lost(make_app) -> None:
    app = make_app(VIEW_COUNT_FLUSH_SECONDS=3600)
    client = app.test_client()
    with app.app_context(), kb_state(app).session() as session:
        before = session.scalar(select(Article.view_count).where(Article.slug == PUBLIC))
    for _ in range(5):
        assert client.get(f"/articles/{PUBLIC}").status_code == 200  # kept or not, all count
    with app.app_context(), kb_state(app).session() as session:
        assert session.scalar(select(Article.view_count).where(Article.slug == PUBLIC)) == before
    app.extensions["kb_view_counts"].flush_on_exit()
    with app.app_context(), kb_state(app).session() as session:
        after = session.scalar(select(Article.view_count).where(Article.slug == PUBLIC))
    assert after == before + 5


def test_an_invalid_duration_stops_the_app_with_a_clear_message(make_app) -> None:
    from kb.errors import ConfigError

    with pytest.raises(ConfigError, match="PAGE_CACHE_SECONDS: 'soon' is not a number"):
        make_app(PAGE_CACHE_SECONDS="soon")


def test_an_address_with_parameters_the_page_does_not_read_is_never_kept(app, client) -> None:
    for n in range(3):
        assert client.get(f"/articles/{PUBLIC}?utm_source=mail{n}").status_code == 200
        assert client.get(f"/articles/{PUBLIC}?utm_source=mail{n}").status_code == 200
    assert cache(app).hits == 0 and len(cache(app)) == 0
    client.get("/articles?category=Printing")
    client.get("/articles?category=Printing")
    assert cache(app).hits == 1  # the list's own filters are kept
