"""Input is bounded before it costs time: Markdown by size and nesting (checked without
rendering), tags and list fields by count, request bodies by MAX_CONTENT_LENGTH, and a request
by gunicorn's timeout in `kb serve`."""

from __future__ import annotations

import pytest

from kb.cli import cli

ARTICLE = {
    "title": "Printer jams on tray 2",
    "summary": "Clear the jam.",
    "category": "Printing",
    "service": "printing",
    "body": "## Issue\n\nIt jams.",
}


def preview(client, auth, text: str):
    auth.login("author")
    return client.post(
        "/api/v1/preview", json={"markdown": text}, headers={"X-CSRFToken": auth.token()}
    )


@pytest.mark.parametrize(
    "text",
    [
        "[" * 2000 + "]" * 2000,
        "[" * 2000,
        "a [b " * 2000,
        "\n".join("    " * i + "- item" for i in range(100)),
        "\n".join(">" * i + " quoted" for i in range(1, 300)),
    ],
    ids=["nested-brackets", "open-brackets", "open-brackets-in-text", "lists", "quotes"],
)
def test_markdown_nested_too_deeply_is_refused_before_rendering(client, auth, text):
    response = preview(client, auth, text)
    assert response.status_code == 422, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert "nest" in body["message"] and "markdown" in body["fields"]


def test_markdown_longer_than_the_limit_is_refused(make_app):
    app = make_app(MARKDOWN_MAX_CHARS=1000)
    client = app.test_client()
    from tests.conftest import AuthActions

    response = preview(client, AuthActions(client), "x" * 1001)
    assert response.status_code == 422
    assert "at most 1,000" in response.get_json()["message"]
    assert preview(client, AuthActions(client), "x" * 1000).status_code == 200


def test_the_nesting_limit_is_configuration(make_app):
    from tests.conftest import AuthActions

    app = make_app(MARKDOWN_MAX_NESTING=3)
    client = app.test_client()
    auth = AuthActions(client)
    assert preview(client, auth, "[[[a]]]").status_code == 200
    assert preview(client, auth, "[[[[a]]]]").status_code == 422
    assert preview(client, auth, "\\[\\[\\[\\[ escaped, not nested").status_code == 200


def test_ordinary_markdown_still_renders(client, auth):
    text = "- one\n    - two\n        - three\n\n> quote\n>> nested\n\n[link](other.md) [x] [y]"
    response = preview(client, auth, text)
    assert response.status_code == 200 and "<li>" in response.get_json()["html"]


def test_an_article_body_nested_too_deeply_is_refused(client, auth):
    auth.login("author")
    response = client.post(
        "/api/v1/articles",
        json={**ARTICLE, "body": "[" * 3000 + "]" * 3000},
        headers={"X-CSRFToken": auth.token()},
    )
    assert response.status_code == 422
    assert "body" in response.get_json()["fields"]


def test_too_many_tags_are_refused(client, auth):
    auth.login("author")
    tags = [f"tag{i}" for i in range(5000)]
    response = client.post(
        "/api/v1/articles", json={**ARTICLE, "tags": tags}, headers={"X-CSRFToken": auth.token()}
    )
    assert response.status_code == 422
    assert "at most" in response.get_json()["fields"]["tags"]
    as_text = client.post(
        "/api/v1/articles",
        json={**ARTICLE, "tags": ",".join(tags)},
        headers={"X-CSRFToken": auth.token()},
    )
    assert as_text.status_code == 422


def test_a_reasonable_number_of_tags_is_fine(client, auth):
    auth.login("author")
    response = client.post(
        "/api/v1/articles",
        json={**ARTICLE, "tags": [f"tag{i}" for i in range(20)]},
        headers={"X-CSRFToken": auth.token()},
    )
    assert response.status_code == 201, response.get_json()


def test_a_long_list_of_articles_on_a_resolution_is_refused(client, auth):
    from kb.extensions import kb_state
    from kb.outbox import dispatch
    from tests.escalation.conftest import escalate

    kb = kb_state(client.application)
    escalate(kb, articles_viewed=[])
    dispatch(kb)
    auth.login("technician")
    token = auth.token()
    ticket = client.get("/api/v1/queue").get_json()["items"][0]["id"]
    response = client.post(
        f"/api/v1/queue/{ticket}/resolve",
        json={"resolution": "Fixed.", "articles": ["change-password"] * 5000},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 422
    assert "articles" in response.get_json()["fields"]


def test_a_body_over_max_content_length_is_413(client, auth):
    response = preview(client, auth, "x" * (5 * 1024 * 1024))
    assert response.status_code == 413


class FakeProcess:
    started: list[list[str]] = []

    def __init__(self, args, **_kwargs):
        FakeProcess.started.append(list(args))
        self.returncode = 0

    def poll(self):
        return 0

    def wait(self, timeout=None):
        return 0

    def terminate(self):
        pass


def test_kb_serve_times_out_requests(runner, monkeypatch):
    import signal

    import kb.cli.serve

    FakeProcess.started = []
    monkeypatch.setattr(kb.cli.serve.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)
    # the fake server "listens" at once (tests/test_cli_serve.py starts a real one)
    monkeypatch.setattr(kb.cli.serve, "port_is_free", lambda *_args: True)
    monkeypatch.setattr(kb.cli.serve, "wait_until_listening", lambda *_args: True)
    result = runner.invoke(cli, ["serve", "--no-worker"])
    assert result.exit_code == 0, result.output
    (web,) = FakeProcess.started
    assert web[web.index("--timeout") + 1] == "30"
    assert web[web.index("--graceful-timeout") + 1] == "30"
    # gunicorn times out a request only in sync workers; threads are never interrupted
    assert web[web.index("--worker-class") + 1] == "sync"
    assert "--threads" not in web


def test_a_tree_with_too_many_tags_is_refused(runner, tmp_path):
    from tests.trees.trees import small, write_tree

    path = write_tree(tmp_path, small(tags=[f"t{i}" for i in range(500)]))
    result = runner.invoke(cli, ["tree", "validate", str(path)])
    assert result.exit_code == 2
    assert "graph tags: at most 30 items" in result.output
    fine = write_tree(tmp_path, small(tags=["printer", "jam"]))
    assert runner.invoke(cli, ["tree", "validate", str(fine)]).exit_code == 0


def test_the_editor_preview_shows_the_nesting_problem_beside_the_body(client, auth):
    auth.login("author")
    response = client.post(
        "/articles/new",
        data={
            "csrf_token": auth.token(),
            "action": "preview",
            "title": "Deep",
            "body": "[" * 500,
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nests brackets" in page and 'name="body"' in page
