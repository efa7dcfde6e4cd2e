"""The index follows the database: after each commit, after a crash, on a second node, and
under concurrent writers; `kb index check` finds and repairs drift."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import insert

from kb.cli import cli
from kb.extensions import kb_state
from kb.models import Change
from kb.search import service
from kb.search.documents import SearchDocument, count_live
from tests.search.helpers import api_post, api_put, publish, search, slugs


def test_published_edited_renamed_and_archived_articles_follow_at_once(client, auth) -> None:
    created = publish(
        client,
        auth,
        title="Wombat scanner jams",
        slug="wombat-scanner",
        body="The wombat scanner jams on thick paper.",
    )
    assert slugs(search(client, "wombat")) == ["article:wombat-scanner"]

    auth.login("reviewer")
    head = client.get("/api/v1/articles/wombat-scanner").get_json()["head_revision_id"]
    edited = api_put(
        client,
        "/articles/wombat-scanner",
        {
            **{
                k: created[k]
                for k in ("title", "summary", "category", "service", "audience", "owner")
            },
            "tags": "",
            "slug": "wombat-feeder",
            "body": "The wombat feeder jams on glossy paper.",
            "base_revision_id": head,
        },
    )
    assert edited.status_code == 200, edited.get_json()
    published = api_post(client, "/articles/wombat-scanner/publish")
    if published.status_code == 404:  # the new slug took effect with the edit
        published = api_post(client, "/articles/wombat-feeder/publish")
    assert published.status_code == 200, published.get_json()
    assert slugs(search(client, "wombat glossy"))[0] == "article:wombat-feeder"
    print(
        search(client, "wombat thick")["results"],
        kb_state(client.application).services["search.backend"].versions().keys(),
    )
    assert search(client, "wombat thick")["results"][0]["slug"] != "wombat-scanner"
    assert slugs(search(client, "wombat")) == ["article:wombat-feeder"]  # the old text is gone
    assert "article:wombat-scanner" not in slugs(search(client, "wombat"))

    assert api_post(client, "/articles/wombat-feeder/archive").status_code == 200
    assert search(client, "wombat")["total"] == 0
    assert api_post(client, "/articles/wombat-feeder/unarchive").status_code == 200
    assert slugs(search(client, "wombat")) == ["article:wombat-feeder"]


def test_a_change_the_index_missed_is_caught_up_before_the_next_search(app, client, db) -> None:
    """As after a crash between commit and indexing: the change sequence says what to redo."""
    kb = kb_state(app)
    engine = service.backend(kb)
    with engine.batch(5) as batch:  # the index loses a document it should have
        batch.delete("article:vpn-error-codes")
    assert "article:vpn-error-codes" not in engine.versions()
    db.add(Change(kind="article", key="vpn-error-codes"))
    db.commit()
    assert slugs(search(client, "vpn error 809"))[0] == "article:vpn-error-codes"


def test_another_nodes_changes_are_read_once_per_interval_and_this_processs_at_once(
    app, client, db
) -> None:
    """The change sequence is read at most every SEARCH_CHANGES_CHECK_SECONDS; a commit made
    by this process is searched at once, one made elsewhere (written here past kb's sessions,
    as another node's would be) once the interval has passed."""
    kb = kb_state(app)
    engine = service.backend(kb)
    app.config["SEARCH_CHANGES_CHECK_SECONDS"] = 3600
    assert slugs(search(client, "vpn error 809"))[0] == "article:vpn-error-codes"  # read now
    with engine.batch(5) as batch:  # the index loses a document it should have
        batch.delete("article:vpn-error-codes")
    with kb.engine.begin() as connection:  # another node's commit: nothing in this process saw it
        connection.execute(insert(Change).values(kind="article", key="vpn-error-codes"))
    assert "article:vpn-error-codes" not in slugs(search(client, "vpn error 809"))

    app.config["SEARCH_CHANGES_CHECK_SECONDS"] = 0  # the interval has passed
    assert slugs(search(client, "vpn error 809"))[0] == "article:vpn-error-codes"

    app.config["SEARCH_CHANGES_CHECK_SECONDS"] = 3600
    with engine.batch(5) as batch:
        batch.delete("article:vpn-error-codes")
    db.add(Change(kind="article", key="vpn-error-codes"))  # this process's own commit
    db.commit()
    assert slugs(search(client, "vpn error 809"))[0] == "article:vpn-error-codes"


def test_a_second_node_with_its_own_index_catches_up(make_app, client, auth) -> None:
    publish(
        client,
        auth,
        title="Platypus badge reader",
        slug="platypus-badge",
        body="The platypus badge reader blinks red.",
    )
    database = client.application.config["DATABASE_URL"]
    node2 = make_app(DATABASE_URL=database)  # same database, its own instance and index
    assert kb_state(node2).instance_path != kb_state(client.application).instance_path
    other = node2.test_client()
    assert slugs(search(other, "platypus")) == ["article:platypus-badge"]


def test_index_check_reports_and_repairs_missing_stale_and_extra(app, runner) -> None:
    kb = kb_state(app)
    engine = service.backend(kb)
    with engine.batch(5) as batch:
        batch.delete("article:vpn-error-codes")
        batch.upsert(SearchDocument(kind="article", slug="change-password", title="Old text"))
        batch.upsert(SearchDocument(kind="article", slug="ghost", title="Ghost article"))
    report = runner.invoke(cli, ["index", "check", "--dry-run"])
    assert report.exit_code == 1
    assert "missing: article:vpn-error-codes" in report.output
    assert "stale: article:change-password" in report.output
    assert "extra: article:ghost" in report.output
    repaired = runner.invoke(cli, ["index", "check"])
    assert repaired.exit_code == 0 and "Repaired 1 missing, 1 stale and 1 extra" in repaired.output
    assert runner.invoke(cli, ["index", "check"]).output.strip() == "Index matches the database."


def test_index_rebuild_from_nothing_with_progress(app, runner, client) -> None:
    kb = kb_state(app)
    service.backend(kb).destroy()
    kb.services.pop(service.BACKEND_KEY)
    with kb.session() as session:
        live = count_live(session)  # every live article and tree, as indexed
    assert live > 50
    result = runner.invoke(cli, ["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"Indexed {live} documents" in result.output
    assert slugs(search(client, "vpn error 809"))[0] == "article:vpn-error-codes"
    status = runner.invoke(cli, ["index", "status"])
    assert f"documents: {live}" in status.output and "behind" not in status.output


def _writer(index: str, start: int, count: int, barrier) -> None:
    from kb.search.whoosh_backend import WhooshBackend

    backend = WhooshBackend(Path(index))
    barrier.wait()
    for n in range(start, start + count):
        while True:  # a writer that times out tries again: nothing may be lost
            with backend.batch(timeout=0.5) as batch:
                if batch is None:
                    continue
                batch.upsert(SearchDocument(kind="article", slug=f"doc-{n}", title=f"Doc {n}"))
                break


def test_concurrent_writers_in_separate_processes_lose_no_update(tmp_path) -> None:
    from kb.search.whoosh_backend import WhooshBackend

    index = tmp_path / "index"
    WhooshBackend(index)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    workers = [
        context.Process(target=_writer, args=(str(index), start, 15, barrier))
        for start in (0, 100, 200)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    keys = set(WhooshBackend(index).versions())
    assert keys == {f"article:doc-{n}" for s in (0, 100, 200) for n in range(s, s + 15)}


def test_a_save_never_waits_forever_for_a_busy_index_and_loses_nothing(app, client, auth) -> None:
    kb = kb_state(app)
    app.config["SEARCH_WRITE_TIMEOUT"] = 0.1
    engine = service.backend(kb)
    with engine.batch(5):  # another writer holds the index while the article is published
        publish(client, auth, title="Echidna kiosk", slug="echidna-kiosk", body="Echidna.")
    assert "article:echidna-kiosk" not in engine.versions()
    # the next search (or sync, or `kb index check`) applies it from the change sequence
    assert slugs(search(client, "echidna")) == ["article:echidna-kiosk"]


def test_kb_register_search_backends(make_app) -> None:
    """A plugin can supply the search engine; SEARCH_BACKEND picks it by name."""
    from kb import hookimpl
    from kb.search.backend import SearchResults

    calls: list[str] = []

    class Engine:
        name = "recorder"

        def applied_seq(self) -> int:
            from kb.changes import last_seq

            with kb_state(app).session() as session:
                return last_seq(session)  # always up to date

        def search(self, request):
            calls.append(" ".join(request.query.words))
            return SearchResults([], 0, request.page, request.per_page)

        def suggest_titles(self, text, visibilities, limit):
            return []

    class Plugin:
        @hookimpl
        def kb_register_search_backends(self, kb):
            return [("recorder", lambda kb: Engine())]

    app = make_app(plugins=[Plugin()], SEARCH_BACKEND="recorder")
    response = app.test_client().get("/api/v1/search", query_string={"q": "Printer jam"})
    assert response.status_code == 200
    assert calls == ["printer jam"]
    # an unknown name is a start-up error: tests/search/test_backend_setting.py


def test_an_index_from_another_database_is_rebuilt(app, client) -> None:
    kb = kb_state(app)
    engine = service.backend(kb)
    with engine.batch(5) as batch:
        batch.upsert(SearchDocument(kind="article", slug="elsewhere", title="Qelsewhereq"))
        batch.set_seq(10_000)
    assert search(client, "qelsewhereq")["total"] == 0
    assert "article:elsewhere" not in engine.versions()
