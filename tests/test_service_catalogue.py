"""The service catalogue (SERVICES): an article's service must be in it or empty, in the editor,
the API and `kb import`, as a tree's must be in it; a site's own catalogue replaces the default
for both."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.config import Defaults
from kb.content import import_content
from kb.extensions import kb_state
from kb.models import Article, Tree
from tests.articles.test_import_export import ARTICLE as ARTICLE_FILE
from tests.articles.test_workflow import ARTICLE
from tests.conftest import csrf_token
from tests.trees.trees import small, write_tree

ALLOWED = "must be one of " + ", ".join(Defaults.SERVICES) + ", or empty"


def test_every_bundled_article_and_tree_names_a_catalogued_service(app) -> None:
    with app.app_context(), kb_state(app).session() as session:
        services = set(session.scalars(select(Article.service))) | set(
            session.scalars(select(Tree.service))
        )
    assert services and services <= set(Defaults.SERVICES)


def test_the_editor_shows_an_unknown_service_beside_the_field(client, auth) -> None:
    auth.login("author")
    token = csrf_token(client, "/articles/new")
    form = {**ARTICLE, "service": "printers", "csrf_token": token, "action": "save"}
    response = client.post("/articles/new", data=form)
    assert response.status_code == 422
    assert ALLOWED in response.get_data(as_text=True)


def test_the_editor_offers_the_catalogue_and_accepts_an_empty_service(client, auth) -> None:
    auth.login("author")
    page = client.get("/articles/new").get_data(as_text=True)
    assert all(f'<option value="{service}">' in page for service in Defaults.SERVICES)
    token = csrf_token(client, "/articles/new")
    form = {**ARTICLE, "service": "", "csrf_token": token, "action": "save"}
    assert client.post("/articles/new", data=form).status_code == 302


def test_the_api_names_the_service_field(client, auth) -> None:
    auth.login("author")
    headers = {"X-CSRFToken": csrf_token(client)}
    response = client.post(
        "/api/v1/articles", json={**ARTICLE, "service": "printers"}, headers=headers
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"service": ALLOWED}


def test_import_reports_an_unknown_service_with_path_and_line(app, tmp_path) -> None:
    text = ARTICLE_FILE.format(title="T", slug="odd-one", audience="public", body="Text.")
    path = tmp_path / "odd-one.md"
    path.write_text(text.replace("service: vpn", "service: printers"))
    with app.app_context(), kb_state(app).session() as session:
        report = import_content(session, [tmp_path])
    assert report.error_lines == [f"{path}: line 7: service: {ALLOWED}"]


def test_a_sites_own_catalogue_applies_to_articles_and_trees(make_app, tmp_path) -> None:
    app = make_app(SERVICES=["printers", "telephony"])
    good = ARTICLE_FILE.format(title="T", slug="good", audience="public", body="Text.")
    (tmp_path / "good.md").write_text(good.replace("service: vpn", "service: printers"))
    (tmp_path / "old.md").write_text(
        ARTICLE_FILE.format(title="T", slug="old", audience="public", body="Text.")
    )
    write_tree(tmp_path, small(service="telephony"))
    write_tree(tmp_path, small(id="tree-two", service="printing"))
    with app.app_context(), kb_state(app).session() as session:
        report = import_content(session, [tmp_path])
    assert report.articles.count("created") == 1 and report.trees.count("created") == 1
    errors = "\n".join(report.error_lines)
    assert "old.md: line 7: service: must be one of printers, telephony, or empty" in errors
    assert "tree-two.json: graph service: must be one of printers, telephony" in errors
    kb_state(app).engine.dispose()


@pytest.mark.parametrize("service", ["", "printers"])
def test_a_tree_still_needs_a_catalogued_service(app, tmp_path, service) -> None:
    write_tree(tmp_path, small(service=service))
    with app.app_context(), kb_state(app).session() as session:
        report = import_content(session, [tmp_path])
    assert report.trees.count("error") == 1
    assert "graph service: must be one of identity, email" in "\n".join(report.error_lines)
