"""Printing (print media): the content only, as wide as the paper, drawings that fit, an
article's links followed by where they go, and no empty "Plain text" heading on a transcript."""

from __future__ import annotations

import pytest

from kb.cli import cli
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

PAPER = {"width": 760, "height": 1000}  # about an A4 page's printable width in CSS px
FITS = "el => el.getBoundingClientRect().right <= document.documentElement.clientWidth + 1"
NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


def _print_view(page, path: str) -> None:
    page.set_viewport_size(PAPER)
    page.goto(path)
    page.emulate_media(media="print")


def _chrome_is_gone(page) -> None:
    for selector in ("header.site", "footer.site", "nav.crumbs", "button", "form"):
        assert all(not el.is_visible() for el in page.locator(selector).all()), selector


def test_a_printed_transcript_has_the_record_and_no_empty_copy_box(page) -> None:
    page.goto("/trees")
    page.click("text=My printer won't print")
    page.click("button:has-text('Start')")
    page.fill("input[name=value]", "HP-3F-East")
    page.click("text=Continue")
    page.click("button:has-text('Yes')")
    _print_view(page, page.url + "/transcript")
    _chrome_is_gone(page)
    assert page.locator("ol.timeline").is_visible()
    assert "HP-3F-East" in page.locator("ol.timeline").inner_text()
    assert not page.get_by_text("Plain text (paste it into a ticket)").is_visible()
    assert not page.locator("#transcript-text").is_visible()
    chart = page.locator("svg.flowchart")
    assert chart.is_visible() and chart.evaluate(FITS)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.emulate_media(media="screen")  # on screen the copy box is still there
    assert page.locator("#transcript-text").is_visible()


def test_a_printed_article_is_full_width_and_shows_where_links_go(page) -> None:
    _print_view(page, "/articles/account-locked-out")
    _chrome_is_gone(page)
    assert not page.locator("#feedback").is_visible()
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.locator("article.article").bounding_box()["width"] >= width - 2
    link = page.locator(".article .body a[href^='/']").first
    href = link.get_attribute("href")
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert href in after or "attr(href)" in after, after
    page.emulate_media(media="screen")
    assert link.evaluate("a => getComputedStyle(a, '::after').content") in ("none", "normal")


@pytest.fixture
def app(make_app):
    application = make_app()
    result = application.test_cli_runner().invoke(cli, ["demo-data", "--weeks", "1", "--seed", "2"])
    assert result.exit_code == 0, result.output
    return application


def test_a_printed_report_keeps_its_period_and_charts_that_fit(page) -> None:
    sign_in(page, "reviewer")
    _print_view(page, "/reports/workload?from=2026-11-01&to=2026-11-28")
    _chrome_is_gone(page)
    assert page.locator(".print-only").inner_text() == "From 2026-11-01 to 2026-11-28."
    charts = page.locator("svg.chart")
    shown = [c for c in charts.all() if c.is_visible()]
    assert len(shown) == 2  # the wide drawings: compact ones are for phone screens
    assert all(c.evaluate(FITS) for c in shown)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.emulate_media(media="screen")
    assert not page.locator(".print-only").is_visible()
