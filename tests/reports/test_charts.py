"""Report charts as a reader meets them: titled, axes named, whole-number ticks for counts,
labels that never collide, the numbers as a table, and no leftover code names in the text."""

from __future__ import annotations

import itertools
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from kb.app import create_app
from kb.cli import cli
from kb.extensions import kb_state
from kb.reports import charts
from kb.reports.views import REPORTS
from tests.conftest import AuthActions, _base_config

SVG = "{http://www.w3.org/2000/svg}"
FIGURE = re.compile(r'<figure class="chart-figure[^"]*">(.*?)</figure>', re.S)


@pytest.mark.parametrize("maximum", [0, 1, 2, 3, 7, 12, 25, 49, 101, 730, 4321])
def test_count_ticks_are_whole_numbers_in_round_steps(maximum) -> None:
    marks = charts.ticks(maximum)
    step = marks[1] - marks[0]
    assert all(float(m).is_integer() for m in marks)
    assert marks[0] == 0 and marks[-1] >= maximum and len(marks) <= 6
    assert re.fullmatch(r"[125]0*", str(int(step)))
    assert all(b - a == step for a, b in itertools.pairwise(marks))


def _boxes(svg: str) -> tuple[list[tuple[str, tuple]], tuple[float, float]]:
    """Every drawn label's box, by the renderer's own text-width estimate."""
    root = ET.fromstring(svg)
    size = float(root.get("font-size"))
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    boxes = []
    for text in root.iter(f"{SVG}text"):
        rotated = "rotate(-90" in (text.get("transform") or "")
        box = charts.text_box(
            float(text.get("x")),
            float(text.get("y")),
            text.text or "",
            size,
            text.get("text-anchor") or "start",
            rotated,
        )
        boxes.append((text.text, box))
    return boxes, (width, height)


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _check_drawing(svg: str) -> None:
    boxes, (width, height) = _boxes(svg)
    for (name_a, a), (name_b, b) in itertools.combinations(boxes, 2):
        assert not _overlap(a, b), f"{name_a!r} {a} meets {name_b!r} {b}"
    for name, (left, top, right, bottom) in boxes:
        assert left >= -0.5 and top >= -0.5, (name, left, top)
        assert right <= width + 0.5 and bottom <= height + 0.5, (name, right, bottom, width)


@pytest.mark.parametrize("days", [1, 7, 28, 92, 366])
def test_day_labels_never_collide_whatever_the_period(days) -> None:
    categories = [date(2026, 1, 1) + timedelta(days=i) for i in range(days)]
    values = [(i * 7919) % 23 for i in range(days)]
    for chart in (
        charts.lines(categories, {"created": values, "resolved": values[::-1]}, "T", y_label="N"),
        charts.stacked_bars(categories, {"a": values, "b": values}, "T", y_label="Sessions"),
    ):
        for drawing in (chart.wide, chart.compact):
            _check_drawing(str(drawing))


@pytest.mark.parametrize(
    "chart",
    [
        charts.lines([date(2026, 1, 1)], {"made": [3]}, "T", x_label="Day", y_label="Tickets"),
        charts.stacked_bars(["a", "b"], {"s": [1, 2]}, "T", x_label="Day", y_label="Sessions"),
        charts.hbars([("Pat", 4)], "T", x_label="Open tickets", y_label="Support group"),
        charts.percent_bars([("P1 response", 3, 1)], "T", y_label="Priority and clock"),
    ],
    ids=["lines", "stacked_bars", "hbars", "percent_bars"],
)
def test_both_drawings_name_both_axes(chart) -> None:
    for drawing in (chart.wide, chart.compact):
        texts = [t.text for t in ET.fromstring(str(drawing)).iter(f"{SVG}text")]
        assert chart.x_label in texts and chart.y_label in texts
        _check_drawing(str(drawing))


def test_long_bar_labels_are_shortened_not_overlapping() -> None:
    items = [("A very long article title " * 4 + str(i), 10 * i + 1) for i in range(12)]
    chart = charts.hbars(items, "Most reused", x_label="Tickets", y_label="Article")
    for drawing in (chart.wide, chart.compact):
        _check_drawing(str(drawing))
        assert "…" in str(drawing)
    assert chart.rows[0][0] == items[0][0]  # the table keeps the whole title


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory, template_instances) -> dict[str, str]:
    """Every report page over three weeks of demo history, as a reviewer gets it."""
    instance = tmp_path_factory.mktemp("charts")
    shutil.copy(template_instances["bundled"], instance / "kb.sqlite3")
    app = create_app(_base_config(instance), instance_path=instance)
    result = app.test_cli_runner().invoke(cli, ["demo-data", "--weeks", "3", "--seed", "5"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    AuthActions(client).login("reviewer")
    pages = {name: client.get(f"/reports/{name}").get_data(as_text=True) for name in REPORTS}
    kb_state(app).engine.dispose()
    return pages


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_chart_has_a_title_axis_names_and_its_numbers(demo_pages, name) -> None:
    figures = FIGURE.findall(demo_pages[name])
    assert figures, f"{name}: no chart"
    for figure in figures:
        caption = re.search(r"<figcaption>(.+?)</figcaption>", figure).group(1)
        assert caption.strip()
        table = re.search(r"<details class=\"chart-data\">.*?<tbody>(.*?)</tbody>", figure, re.S)
        assert table and "<tr>" in table.group(1), f"{name}: {caption}: no table"
        header = re.findall(r'<th scope="col">(.*?)</th>', figure)
        if "flowchart" in figure:
            continue  # the tree heatmap is the tree's own flowchart, shaded
        svgs = re.findall(r"<svg .*?</svg>", figure, re.S)
        assert len(svgs) == 2, f"{name}: {caption}: a wide and a compact drawing"
        for svg in svgs:
            texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
            assert header[0] in texts, (name, caption, header[0])  # the category axis


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_no_two_labels_on_a_report_page_overlap(demo_pages, name) -> None:
    for svg in re.findall(r'<svg [^>]*class="chart".*?</svg>', demo_pages[name], re.S):
        _check_drawing(svg)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_count_axes_show_whole_numbers(demo_pages, name) -> None:
    for svg in re.findall(r'<svg [^>]*class="chart".*?</svg>', demo_pages[name], re.S):
        ticks = [
            t.text
            for t in ET.fromstring(svg).iter(f"{SVG}text")
            if t.get("text-anchor") == "end" and re.fullmatch(r"[\d.,k]+", t.text or "")
        ]
        assert all("." not in t for t in ticks), (name, ticks)


def test_the_recurring_report_explains_itself_without_code_names(demo_pages) -> None:
    page = demo_pages["recurring"]
    assert "min_count" not in page and "``" not in page
    assert "at least 3 occurrences" in page and "24-hour windows" in page
