"""Reading articles through pages and the API; internal articles do not exist for outsiders."""

from __future__ import annotations

import pytest

from kb.extensions import kb_state

INTERNAL = "password-reset-identity-verification"
PUBLIC = "reset-forgotten-password"


def test_home_shows_categories_and_most_used(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "How can we help?" in html
    assert "Accounts and passwords" in html
    assert "Most used" in html


def test_article_page_shows_title_summary_contents_body_tags_owner(client) -> None:
    response = client.get(f"/articles/{PUBLIC}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Reset a forgotten password" in html
    assert 'aria-label="Contents"' in html
    assert '<h2 id="resolution">' in html
    assert 'class="tag"' in html
    assert "Owner: identity-team@example.org" in html
    assert "Last updated" in html


def test_browse_filters_by_category_service_and_tag(client) -> None:
    by_category = client.get("/articles?category=Printing").get_data(as_text=True)
    assert "Printer not printing" in by_category and "Connect to the VPN" not in by_category
    by_service = client.get("/api/v1/articles?service=vpn&per_page=100").get_json()
    assert by_service["total"] >= 3
    assert {item["service"] for item in by_service["items"]} == {"vpn"}
    by_tag = client.get("/api/v1/articles?tag=mfa").get_json()
    assert all("mfa" in item["tags"] for item in by_tag["items"]) and by_tag["total"] >= 2


@pytest.mark.parametrize("who", [None, "requester"])
def test_internal_articles_do_not_exist_for_anonymous_and_requesters(client, auth, who) -> None:
    if who:
        auth.login(who)
    assert client.get(f"/articles/{INTERNAL}").status_code == 404
    assert client.get(f"/api/v1/articles/{INTERNAL}").status_code == 404
    listing = client.get("/api/v1/articles?per_page=200").get_json()
    assert INTERNAL not in {item["slug"] for item in listing["items"]}
    assert all(item["audience"] == "public" for item in listing["items"])
    assert INTERNAL not in client.get("/articles?category=Accounts+and+passwords").get_data(
        as_text=True
    )
    assert "Onboarding and offboarding" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["technician", "author", "reviewer", "admin"])
def test_internal_articles_are_visible_to_technicians_and_above(client, auth, who) -> None:
    auth.login(who)
    assert client.get(f"/articles/{INTERNAL}").status_code == 200
    listing = client.get("/api/v1/articles?per_page=200").get_json()
    assert INTERNAL in {item["slug"] for item in listing["items"]}


def test_public_totals_count_only_what_the_person_can_see(client, auth) -> None:
    anonymous_total = client.get("/api/v1/articles").get_json()["total"]
    auth.login("technician")
    assert client.get("/api/v1/articles").get_json()["total"] > anonymous_total


def test_api_article_has_front_matter_markdown_and_html(client) -> None:
    body = client.get(f"/api/v1/articles/{PUBLIC}").get_json()
    for key in (
        "title",
        "slug",
        "summary",
        "tags",
        "category",
        "service",
        "audience",
        "owner",
        "review_by",
        "markdown",
        "html",
    ):
        assert key in body
    assert body["markdown"].startswith("## Issue")
    assert "<h2" in body["html"]


def test_unknown_article_is_a_json_404_in_the_api(client) -> None:
    response = client.get("/api/v1/articles/no-such-thing")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "No article 'no-such-thing'."}


def test_bad_page_number_is_a_clear_400_class_error(client) -> None:
    response = client.get("/api/v1/articles?page=zero")
    assert response.status_code == 422
    assert response.get_json()["message"] == "page must be a whole number."


def test_without_public_access_anonymous_visitors_must_sign_in(make_app) -> None:
    app = make_app(PUBLIC_ACCESS=False)
    client = app.test_client()
    response = client.get(f"/articles/{PUBLIC}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/api/v1/articles").status_code == 401
    assert client.get("/login").status_code == 200


def test_rendered_html_is_cached_per_revision(make_app) -> None:
    app = make_app(PAGE_CACHE_SECONDS=0)  # whole pages are not kept: the revision's HTML is
    client = app.test_client()
    client.get(f"/articles/{PUBLIC}")
    from kb.articles.revisions import get_article

    with app.app_context(), kb_state(app).session() as session:
        revision = get_article(session, PUBLIC).published_revision
        assert revision.html and revision.html_key
        revision.html = "<p>cached copy</p>"
        session.commit()
    assert "cached copy" in client.get(f"/articles/{PUBLIC}").get_data(as_text=True)


def test_pages_send_security_headers(client) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
