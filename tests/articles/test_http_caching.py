"""HTTP caching through the pages: conditional article pages and flowcharts (ETag -> 304),
never shared, never across people who see different things; fingerprinted static files."""

from __future__ import annotations

import re

from kb.extensions import kb_state
from tests.conftest import AuthActions

INTERNAL = "password-reset-identity-verification"
PUBLIC = "reset-forgotten-password"
TREE = "computer-slow"
TECHNICIAN_TREE = "new-hire-provisioning"


def test_article_page_is_private_and_answers_304_while_unchanged(client) -> None:
    first = client.get(f"/articles/{PUBLIC}")
    assert first.status_code == 200 and first.headers["ETag"]
    assert "private" in first.headers["Cache-Control"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert "Cookie" in first.headers["Vary"]
    again = client.get(f"/articles/{PUBLIC}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_changed_article_gets_a_new_etag(make_app) -> None:
    from kb.articles.revisions import get_article

    # The change is written straight into the revision's rendered HTML, which kept pages do not
    # watch (a derived column), so pages are not kept here.
    app = make_app(PAGE_CACHE_SECONDS=0)
    client = app.test_client()
    first = client.get(f"/articles/{PUBLIC}")
    with app.app_context(), kb_state(app).session() as session:
        revision = get_article(session, PUBLIC).published_revision
        revision.html = "<p>Corrected steps</p>"
        session.commit()
    changed = client.get(f"/articles/{PUBLIC}", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Corrected steps" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_another_person_does_not_get_a_304_for_someone_elses_page(app, client, auth) -> None:
    anonymous = client.get(f"/articles/{PUBLIC}").headers["ETag"]
    auth.login("technician")
    signed_in = client.get(f"/articles/{PUBLIC}", headers={"If-None-Match": anonymous})
    assert signed_in.status_code == 200 and signed_in.headers["ETag"] != anonymous
    stranger = app.test_client()  # another browser: another session, another CSRF token
    other = stranger.get(f"/articles/{PUBLIC}", headers={"If-None-Match": anonymous})
    assert other.status_code == 200


def test_an_internal_article_is_never_304_for_someone_who_may_not_see_it(app) -> None:
    technician = app.test_client()

    AuthActions(technician).login("technician")
    technician.get("/")  # the page after signing in shows a one-off welcome
    etag = technician.get(f"/articles/{INTERNAL}").headers["ETag"]
    assert (
        technician.get(f"/articles/{INTERNAL}", headers={"If-None-Match": etag}).status_code == 304
    )
    for who in (None, "requester"):
        reader = app.test_client()
        if who:
            AuthActions(reader).login(who)
        assert (
            reader.get(f"/articles/{INTERNAL}", headers={"If-None-Match": etag}).status_code == 404
        )
        assert (
            reader.get(f"/articles/{INTERNAL}", headers={"If-None-Match": "*"}).status_code == 404
        )


def test_flowchart_is_revalidated_with_an_etag(client) -> None:
    first = client.get(f"/trees/{TREE}/flowchart.svg")
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    assert "private" in first.headers["Cache-Control"] and "Cookie" in first.headers["Vary"]
    etag = first.headers["ETag"]
    again = client.get(f"/trees/{TREE}/flowchart.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_technician_flowchart_is_never_304_for_someone_who_may_not_see_it(app) -> None:
    technician = app.test_client()
    AuthActions(technician).login("technician")
    path = f"/trees/{TECHNICIAN_TREE}/flowchart.svg"
    etag = technician.get(path).headers["ETag"]
    assert technician.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert app.test_client().get(path, headers={"If-None-Match": etag}).status_code == 404


def test_static_files_have_fingerprinted_addresses_and_long_lifetimes(client) -> None:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/static/kb\.css\?v=([0-9a-f]{12}))"', html)
    assert match, "the stylesheet's address carries its digest"
    response = client.get(match.group(1))
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    response.close()
    assert re.search(r'src="/static/kb\.js\?v=[0-9a-f]{12}"', html)


def test_pygments_stylesheet_answers_304(client) -> None:
    first = client.get("/static/pygments.css")
    again = client.get("/static/pygments.css", headers={"If-None-Match": first.headers["ETag"]})
    assert first.status_code == 200 and again.status_code == 304
