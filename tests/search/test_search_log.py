"""Searches are logged in batches (kb/search/search_log.py): nothing is lost by the delay, a
click finds its search whichever process holds the row, and reports see the latest searches."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from kb.extensions import kb_state
from kb.models import SearchLog
from kb.search import search_log
from kb.search.search_log import Click, Pending, SearchLogBuffer, new_ref
from tests.conftest import AuthActions


@pytest.fixture
def app(make_app):
    app = make_app(SEARCH_LOG_FLUSH_SECONDS=3600)
    yield app
    kb_state(app).engine.dispose()


def logged(app) -> list[SearchLog]:
    with app.app_context(), kb_state(app).session() as session:
        return list(session.scalars(select(SearchLog).order_by(SearchLog.id)))


def result_link(page: str) -> str:
    return re.search(r'href="(/search/go\?t=[^"]+)"', page).group(1).replace("&amp;", "&")


def test_searches_wait_in_memory_and_a_click_writes_them_with_the_click(app) -> None:
    client = app.test_client()
    page = client.get("/search", query_string={"q": "vpn error 809"}).get_data(as_text=True)
    client.get("/search", query_string={"q": "printer jams"})
    assert logged(app) == [], "written although the batch was not due"
    assert client.get(result_link(page)).headers["Location"] == "/articles/vpn-error-codes"
    rows = logged(app)
    assert [(r.query, r.clicked_key, r.clicked_rank) for r in rows] == [
        ("vpn error 809", "vpn-error-codes", 1),
        ("printer jams", None, None),
    ]
    assert all(r.ref for r in rows) and rows[0].ref != rows[1].ref


def test_a_due_batch_is_written_in_one_statement_by_the_next_search(make_app) -> None:
    app = make_app(SEARCH_LOG_FLUSH_SECONDS=0)
    client = app.test_client()
    for query in ("outlook password", "wifi drops", "zzqx qqvw"):
        client.get("/api/v1/search", query_string={"q": query})
    assert [(r.query, r.source, r.results > 0) for r in logged(app)] == [
        ("outlook password", "api", True),
        ("wifi drops", "api", True),
        ("zzqx qqvw", "api", False),
    ]
    kb_state(app).engine.dispose()


def test_the_content_gap_report_counts_searches_not_written_yet(app) -> None:
    client = app.test_client()
    client.get("/search", query_string={"q": "qqzx frobnicator"})
    auth = AuthActions(client)
    auth.login("reviewer")
    report = client.get("/reports/content-gaps").get_data(as_text=True)
    assert "qqzx frobnicator" in report
    assert [r.query for r in logged(app)] == ["qqzx frobnicator"]


def test_a_click_waits_for_a_row_another_process_still_holds(app) -> None:
    """Process B answers the click before process A has written the search: the click waits in
    B and is written with B's next batch, once A's row is there."""
    ref = new_ref()
    with app.app_context(), kb_state(app).session() as session:
        b = SearchLogBuffer(3600)
        click = Click(ref, "article", "vpn-error-codes", 2, None, time.monotonic())
        b.write_batch(session, Pending(clicks=[click]))
        session.commit()
        assert session.scalar(select(SearchLog).where(SearchLog.ref == ref)) is None
        a = SearchLogBuffer(3600)
        a.add({"ref": ref, "query": "vpn", "normalized": "vpn", "results": 4})
        a.write_all(session)
        b.write_all(session)  # B's next batch
        session.commit()
        row = session.scalar(select(SearchLog).where(SearchLog.ref == ref))
        assert (row.clicked_key, row.clicked_rank) == ("vpn-error-codes", 2)


def test_a_click_for_a_search_that_never_comes_gives_up(app, monkeypatch) -> None:
    monkeypatch.setattr(search_log, "CLICK_PATIENCE", 0.0)
    with app.app_context(), kb_state(app).session() as session:
        buffer = SearchLogBuffer(3600)
        gone = Click(new_ref(), "article", "x", 1, None, 0.0)
        buffer.write_batch(session, Pending(clicks=[gone]))
        assert buffer.take() == Pending()


def test_what_a_process_holds_is_written_when_it_ends(app) -> None:
    buffer = SearchLogBuffer(3600, kb_state(app).session)
    buffer.add({"ref": new_ref(), "query": "last words", "normalized": "last words"})
    buffer.flush_on_exit()
    assert [r.query for r in logged(app)] == ["last words"]
