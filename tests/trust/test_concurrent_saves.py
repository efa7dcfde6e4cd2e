"""Two saves against the same base revision, really at the same time (threads on the file-based
SQLite app the fixtures build): the loser gets the same 409 Conflict as a stale save, as a page
or as JSON, never a 500; and an error page renders even when the request's session is broken."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from kb.db import get_db
from kb.extensions import kb_state
from kb.models import User
from tests.conftest import AuthActions, csrf_token
from tests.trees.helpers import form_fields
from tests.trust.articles import ARTICLE


@contextmanager
def writing_together(app: Flask) -> Iterator[None]:
    """Hold each of two saves at its first write to the database until the other one got
    there too: both have read the same head and passed the optimistic-lock check."""
    barrier = threading.Barrier(2)
    waited: set[int] = set()

    def wait(_conn, _cursor, statement: str, *_args) -> None:
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            barrier.wait(timeout=30)  # a safety net against a hang, not a timing assertion

    engine = kb_state(app).engine
    event.listen(engine, "before_cursor_execute", wait)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", wait)


def run_together(*calls: Callable[[], object]) -> list[object]:
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            results[i] = call()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def signed_in(app: Flask, role: str):
    client = app.test_client()
    AuthActions(client).login(role)
    return client


@pytest.fixture
def app(make_app):
    return make_app()


def new_article(app: Flask) -> tuple[str, int]:
    client = signed_in(app, "author")
    response = client.post(
        "/api/v1/articles", json=ARTICLE, headers={"X-CSRFToken": csrf_token(client, "/")}
    )
    assert response.status_code == 201, response.get_json()
    return ARTICLE["slug"], response.get_json()["head_revision_id"]


def test_concurrent_api_saves_of_an_article_give_one_save_and_one_409(app) -> None:
    slug, base = new_article(app)
    clients = [signed_in(app, "author"), signed_in(app, "reviewer")]
    tokens = [csrf_token(c, "/") for c in clients]

    def save(i: int):
        body = {**ARTICLE, "body": f"Text from save {i}.", "base_revision_id": base}
        return clients[i].put(
            f"/api/v1/articles/{slug}", json=body, headers={"X-CSRFToken": tokens[i]}
        )

    with writing_together(app):
        responses = run_together(lambda: save(0), lambda: save(1))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [r.get_data(as_text=True)[:300] for r in responses]
    loser = next(r for r in responses if r.status_code == 409).get_json()
    assert loser["error"] == "conflict"
    assert loser["their_revision"] == 2 and "Text from save" in loser["theirs"]
    history = clients[0].get(f"/api/v1/articles/{slug}/history").get_json()
    assert len(history["revisions"]) == 2


def test_concurrent_browser_saves_of_an_article_show_the_conflict_page(app) -> None:
    slug, base = new_article(app)
    clients = [signed_in(app, "author"), signed_in(app, "reviewer")]
    forms = []
    for i, client in enumerate(clients):
        forms.append(
            {
                **ARTICLE,
                "body": f"Browser text {i}.",
                "base_revision_id": str(base),
                "csrf_token": csrf_token(client, f"/articles/{slug}/edit"),
                "action": "save",
            }
        )

    def save(i: int):
        return clients[i].post(f"/articles/{slug}/edit", data=forms[i])

    with writing_together(app):
        responses = run_together(lambda: save(0), lambda: save(1))
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 409], [r.get_data(as_text=True)[:300] for r in responses]
    page = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "saved a newer version" in page
    assert "Browser text 0." in page and "Browser text 1." in page  # theirs and yours


def test_concurrent_saves_of_a_tree_give_one_save_and_one_409(app) -> None:
    clients = [signed_in(app, "author"), signed_in(app, "reviewer")]
    forms = []
    for i, client in enumerate(clients):
        html = client.get("/trees/printer-not-printing/edit").get_data(as_text=True)
        fields = form_fields(html, "tree-editor")
        fields["tree-summary"] = f"Summary from save {i}."
        forms.append(fields)

    def save(i: int):
        return clients[i].post("/trees/printer-not-printing/edit", data=forms[i])

    with writing_together(app):
        responses = run_together(lambda: save(0), lambda: save(1))
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 409], [r.get_data(as_text=True)[:300] for r in responses]
    page = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "saved a newer version" in page
    assert "Summary from save 0." in page and "Summary from save 1." in page


def test_an_error_page_renders_after_a_failed_write(make_app) -> None:
    """The layout of every page reads the database (open outages); an error that left the
    session needing a rollback must still get its page, not a crash."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/test-broken-write")
    def broken_write():
        session = get_db()
        session.add(User(email="author@example.org", password_hash="x"))
        session.flush()  # the address is taken: IntegrityError, the session needs a rollback
        return "not reached"

    client = signed_in(app, "author")
    response = client.get("/test-broken-write")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "Traceback" not in html
    assert client.get("/api/v1/trees").status_code == 200
