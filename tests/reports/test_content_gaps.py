"""Content gaps on known searches: made through the search page, so the log is real."""

from __future__ import annotations

import re

from tests.conftest import AuthActions


def _search(client, q: str, open_first: bool = False) -> None:
    page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    if open_first:
        link = re.search(r'href="(/search/go\?t=[^"]+)"', page).group(1).replace("&amp;", "&")
        assert client.get(link).status_code == 302


def test_content_gaps_group_searches_that_find_nothing_or_get_no_click(client, auth) -> None:
    for _ in range(3):
        _search(client, "zqxv wqpl")
    _search(client, "wqpl zqxv")  # the same search, words in another order
    _search(client, "qqwwee")
    _search(client, "vpn error 809", open_first=True)
    _search(client, "vpn error 809")
    _search(client, "printer offline")
    _search(client, "printer offline")
    client.get("/search", query_string={"q": "printer offline", "page": 2})  # not a new search

    AuthActions(client).login("reviewer")
    body = client.get("/api/v1/reports/content-gaps").get_json()
    assert body["data"]["searches"] == 9
    assert body["data"]["found_nothing"] == 5
    assert body["data"]["no_click"] == 3
    nothing = body["tables"]["Searches that found nothing"]
    assert [(row["searches"], row["found_nothing"]) for row in nothing] == [(4, 4), (1, 1)]
    assert nothing[0]["query"] in ("zqxv wqpl", "wqpl zqxv")
    unclicked = body["tables"]["Searches with results but no click"]
    assert [(row["query"], row["no_click"]) for row in unclicked] == [
        ("printer offline", 2),
        ("vpn error 809", 1),
    ]

    page = client.get("/reports/content-gaps").get_data(as_text=True)
    assert "<svg" in page and "Start a draft" in page
    draft = re.search(r'href="(/articles/new\?title=qqwwee[^"]*)"', page).group(1)
    editor = client.get(draft.replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="qqwwee"' in editor


def test_content_gaps_need_senior_staff(client, auth) -> None:
    auth.login("technician")
    assert client.get("/reports/content-gaps").status_code == 403
