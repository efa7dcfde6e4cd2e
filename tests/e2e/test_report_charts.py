"""Report charts in a browser: chart text stays readable (about 11 px or more) on a phone and
on a desktop, and a report page never gets wider than a phone's screen."""

from __future__ import annotations

import pytest

from kb.cli import cli
from kb.reports.views import REPORTS
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

# Per visible chart: its text's drawn size in CSS px (font size x drawn width / viewBox width).
TEXT_PX = """() => [...document.querySelectorAll('svg.chart')]
  .filter(svg => svg.getBoundingClientRect().width > 0 && !svg.closest('.scroll-x'))
  .map(svg => parseFloat(svg.getAttribute('font-size')) * svg.getBoundingClientRect().width
               / svg.viewBox.baseVal.width)"""


@pytest.fixture
def app(make_app):
    application = make_app()
    result = application.test_cli_runner().invoke(cli, ["demo-data", "--weeks", "2", "--seed", "4"])
    assert result.exit_code == 0, result.output
    return application


@pytest.mark.parametrize("width", [375, 1280])
def test_chart_text_is_readable_on_phones_and_desktops(page, width) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, "reviewer")
    for name in REPORTS:
        page.goto(f"/reports/{name}")
        sizes = page.evaluate(TEXT_PX)
        assert sizes or name == "tree-heatmap", name
        assert all(px >= 11 for px in sizes), (name, sizes)
        assert all(px <= 18 for px in sizes), (name, sizes)  # nor shouting on a desktop
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, (name, overflow)
