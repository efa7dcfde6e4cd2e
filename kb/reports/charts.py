"""Server-side SVG charts: readable without JavaScript, labelled for screen readers, drawn with
presentation attributes only (the Content-Security-Policy forbids inline styles).

Every chart is a :class:`Chart`: a title and axis names, its numbers as a table (for screen
readers and for anyone who wants the figures), and the drawing twice: a wide one for desktops
and a compact one the stylesheet shows on phones, so text is never shrunk below about 11 px.
Layout (tick steps, which date labels fit, where the legend wraps) is worked out from
:func:`text_width`, a deliberately generous estimate of how wide a label is drawn, so labels
never collide. Text is escaped. Colours are the Okabe-Ito palette, which stays
distinguishable for colour-blind readers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
OUTCOME_COLOURS = {
    "fixed": "#009E73",
    "workaround": "#F0E442",
    "unconfirmed": "#0072B2",
    "not_fixed": "#D55E00",
    "resolved": "#009E73",
    "escalated": "#D55E00",
    "abandoned": "#999999",
    "active": "#56B4E9",
}
INK, MUTED, GRID = "#1d2733", "#4f5b69", "#e3e7ec"


@dataclass(frozen=True)
class Size:
    """One drawing of a chart: its viewBox width and font size. kb.css shows ``wide`` from
    50rem up (drawn at 700-1100 px there) and ``compact`` below (about 340 px on a phone)."""

    width: int
    font: int
    plot_height: int


WIDE = Size(880, 13, 220)
WIDE_BARS = Size(560, 13, 0)  # ranked bars sit two to a row on desktops
COMPACT = Size(340, 12, 170)
INSET = 6  # text keeps this far from a drawing's left edge
_ids = itertools.count(1)


@dataclass
class Chart:
    """A chart as a report page shows it: title, axis names, both drawings, the numbers."""

    title: str
    x_label: str
    y_label: str
    wide: Markup
    compact: Markup | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    span: bool = False  # time series take the page's full width

    def __html__(self) -> str:
        return str(self.wide)

    __str__ = __html__


# --- measuring text ---------------------------------------------------------------------------

_NARROW = set("il.,:;|!'`ijtfrI()[]{} ")
_WIDE_CHARS = set("mwMW@%—")


def text_width(text: str, size: float) -> float:
    """How wide ``text`` is drawn at ``size`` px in a sans-serif font, erring wide (measured
    against DejaVu Sans, Debian's default, which is wider than most)."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.34
        elif ch in _WIDE_CHARS:
            em += 0.92
        elif ch.isdigit():
            em += 0.64
        elif ch.isupper():
            em += 0.72
        elif ch.isascii():
            em += 0.6
        else:
            em += 0.8
    return em * size


def text_box(
    x: float, y: float, text: str, size: float, anchor: str = "start", rotated: bool = False
) -> tuple[float, float, float, float]:
    """The box (left, top, right, bottom) a <text> at (x, y) covers, by :func:`text_width`;
    ``rotated`` is a -90 degree turn about (x, y). Tests use it to prove labels never meet."""
    width = text_width(text, size)
    shift = {"start": 0.0, "middle": width / 2, "end": width}[anchor]
    if rotated:
        return (x - 0.8 * size, y - width + shift, x + 0.25 * size, y + shift)
    return (x - shift, y - 0.8 * size, x - shift + width, y + 0.25 * size)


def fit(text: str, size: float, room: float) -> str:
    """``text`` shortened with an ellipsis until it fits in ``room`` px."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


# --- axes -------------------------------------------------------------------------------------


def nice_step(maximum: float, most: int = 5, whole: bool = True) -> float:
    """A round tick step (1, 2 or 5 x 10^n) giving at most ``most`` intervals up to
    ``maximum``; whole numbers only when ``whole`` (counts are never 12.5)."""
    if maximum <= 0:
        return 1
    raw = maximum / most
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * power
        if step >= raw:
            break
    return max(1, round(step)) if whole else step


def ticks(maximum: float, most: int = 5, whole: bool = True) -> list[float]:
    """Tick values from 0 to the first multiple of the step at or above ``maximum``."""
    step = nice_step(maximum, most, whole)
    count = max(1, math.ceil(maximum / step - 1e-9))
    return [step * i for i in range(count + 1)]


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    return ticks(value)[-1]


def number(value: float) -> str:
    """A tick or bar value as people write it: 12, 1.5, 12k."""
    if abs(value) >= 10000:
        return f"{value / 1000:g}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _day_label(day: date | str) -> str:
    return f"{day.day} {day:%b}" if isinstance(day, date) else str(day)


def _text(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    fill: str = MUTED,
    extra: str = "",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{extra}>'
        f"{escape(content)}</text>"
    )


def _axis_name(centre: float, y: float, name: str, font: int, width: float) -> str:
    """An axis name centred under its axis, moved (and if need be shortened) to stay inside."""
    name = fit(name, font, width)
    half = text_width(name, font) / 2
    return _text(min(max(centre, half), width - half), y, name, "middle", INK)


def _frame(size: Size, height: float, title: str, description: str, body: str) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size.width} {height:.0f}" '
        f'class="chart" role="img" aria-labelledby="chart-t{n} chart-d{n}" '
        f'font-family="system-ui, sans-serif" font-size="{size.font}">'
        f'<title id="chart-t{n}">{escape(title)}</title>'
        f'<desc id="chart-d{n}">{escape(description)}</desc>{body}</svg>'
    )


def _legend(
    names: Sequence[str], colours: Sequence[str], x: float, y: float, width: float, font: int
) -> tuple[str, float]:
    """Swatches and names, wrapped to ``width``; returns the drawing and the height used."""
    parts, cx, cy, line = [], x, y, font + 8
    for name, colour in zip(names, colours, strict=False):
        item = font + 4 + text_width(name, font)
        if cx > x and cx + item > x + width:
            cx, cy = x, cy + line
        parts.append(
            f'<rect x="{cx:.1f}" y="{cy - font * 0.8:.1f}" width="{font * 0.8:.1f}" '
            f'height="{font * 0.8:.1f}" fill="{colour}"/>'
            + _text(cx + font + 2, cy, name, fill=INK)
        )
        cx += item + font
    return "".join(parts), cy - y + line


@dataclass
class _Frame:
    """Where the plot of a vertical chart sits once its labels have room."""

    left: float
    top: float
    plot_w: float
    plot_h: float
    labels_y: float  # baseline of the category labels
    x_label_y: float
    legend_y: float


def _vertical_frame(size: Size, values: list[float]) -> tuple[_Frame, list[float]]:
    font = size.font
    marks = ticks(max(values, default=0), 5 if size is not COMPACT else 4)
    widest = max(text_width(number(t), font) for t in marks)
    left = font + 10 + widest + 8  # rotated axis name, tick labels, a gap
    top = font
    plot_w = size.width - left - font
    labels_y = top + size.plot_height + font + 8
    x_label_y = labels_y + font + 8
    return (
        _Frame(left, top, plot_w, size.plot_height, labels_y, x_label_y, x_label_y + font + 10),
        marks,
    )


def _vertical_axes(
    f: _Frame,
    size: Size,
    marks: list[float],
    categories: Sequence[date | str],
    x_label: str,
    y_label: str,
) -> str:
    """Grid lines and tick labels, category labels that fit, both axis names."""
    font, top_value = size.font, marks[-1]
    parts = []
    for value in marks:
        y = f.top + f.plot_h - f.plot_h * value / top_value
        parts.append(
            f'<line x1="{f.left:.1f}" x2="{f.left + f.plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID if value else MUTED}"/>'
            + _text(f.left - 6, y + font * 0.35, number(value), "end")
        )
    step = f.plot_w / max(1, len(categories))
    labels = [_day_label(c) for c in categories]
    widest = max((text_width(label, font) for label in labels), default=0)
    every = max(1, math.ceil((widest + font) / step))
    for i, label in enumerate(labels):
        if i % every:
            continue
        half = text_width(label, font) / 2
        centre = f.left + step * (i + 0.5)
        x = min(max(centre, f.left + half), f.left + f.plot_w - half)
        parts.append(
            f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{f.top + f.plot_h:.1f}" '
            f'y2="{f.top + f.plot_h + 4:.1f}" stroke="{MUTED}"/>'
            + _text(x, f.labels_y, label, "middle")
        )
    parts.append(_axis_name(f.left + f.plot_w / 2, f.x_label_y, x_label, font, size.width))
    mid = f.top + f.plot_h / 2
    parts.append(
        _text(
            font,
            mid,
            fit(y_label, font, f.plot_h),
            "middle",
            INK,
            f' transform="rotate(-90 {font} {mid:.1f})"',
        )
    )
    return "".join(parts)


def _stacked_svg(
    size: Size,
    categories: Sequence[date | str],
    stacks: dict[str, Sequence[float]],
    colour: list[str],
    title: str,
    x_label: str,
    y_label: str,
) -> Markup:
    names = list(stacks)
    totals = [sum(stacks[n][i] for n in names) for i in range(len(categories))]
    f, marks = _vertical_frame(size, totals)
    top_value = marks[-1]
    step = f.plot_w / max(1, len(categories))
    bar = max(1.0, step * 0.72)
    parts = [_vertical_axes(f, size, marks, categories, x_label, y_label)]
    for i, category in enumerate(categories):
        x = f.left + i * step + (step - bar) / 2
        y = f.top + f.plot_h
        for n, name in enumerate(names):
            value = stacks[name][i]
            if value <= 0:
                continue
            h = f.plot_h * value / top_value
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour[n]}"><title>{escape(_day_label(category))}: '
                f"{escape(name)} {number(value)}</title></rect>"
            )
    legend, used = _legend(names, colour, f.left, f.legend_y, f.plot_w, size.font)
    parts.append(legend)
    description = f"{y_label} per {x_label.lower()}, stacked by {', '.join(names)}."
    return _frame(size, f.legend_y + used - size.font, title, description, "".join(parts))


def stacked_bars(
    categories: Sequence[date | str],
    stacks: dict[str, Sequence[float]],
    title: str,
    colours: dict[str, str] | None = None,
    x_label: str = "Day",
    y_label: str = "Count",
) -> Chart:
    """One bar per category (usually a day), split by series (for example session outcome)."""
    names = list(stacks)
    colour = [(colours or {}).get(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]
    drawings = [
        _stacked_svg(size, categories, stacks, colour, title, x_label, y_label)
        for size in (WIDE, COMPACT)
    ]
    rows = [
        [_row_key(c), *(stacks[n][i] for n in names), sum(stacks[n][i] for n in names)]
        for i, c in enumerate(categories)
    ]
    return Chart(title, x_label, y_label, *drawings, [x_label, *names, "total"], rows, span=True)


def _row_key(category: date | str) -> str:
    return category.isoformat() if isinstance(category, date) else str(category)


def _lines_svg(
    size: Size,
    categories: Sequence[date | str],
    series: dict[str, Sequence[float]],
    title: str,
    x_label: str,
    y_label: str,
) -> Markup:
    names = list(series)
    f, marks = _vertical_frame(size, [v for s in series.values() for v in s])
    top_value = marks[-1]
    step = f.plot_w / max(1, len(categories))
    parts = [_vertical_axes(f, size, marks, categories, x_label, y_label)]
    for n, name in enumerate(names):
        points = " ".join(
            f"{f.left + step * (i + 0.5):.1f},{f.top + f.plot_h - f.plot_h * v / top_value:.1f}"
            for i, v in enumerate(series[name])
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{PALETTE[n % 8]}" '
            f'stroke-width="2.5" stroke-linejoin="round"/>'
        )
    legend, used = _legend(names, PALETTE, f.left, f.legend_y, f.plot_w, size.font)
    parts.append(legend)
    description = f"{y_label} per {x_label.lower()}: lines for {', '.join(names)}."
    return _frame(size, f.legend_y + used - size.font, title, description, "".join(parts))


def lines(
    categories: Sequence[date | str],
    series: dict[str, Sequence[float]],
    title: str,
    x_label: str = "Day",
    y_label: str = "Count",
) -> Chart:
    """One line per series over the categories (usually days)."""
    names = list(series)
    drawings = [
        _lines_svg(size, categories, series, title, x_label, y_label) for size in (WIDE, COMPACT)
    ]
    rows = [[_row_key(c), *(series[n][i] for n in names)] for i, c in enumerate(categories)]
    return Chart(title, x_label, y_label, *drawings, [x_label, *names], rows, span=True)


def _hbars_svg(
    size: Size,
    items: Sequence[tuple[str, float]],
    title: str,
    x_label: str,
    y_label: str,
    colour: str,
    top_value: float,
    suffix: str,
) -> Markup:
    font = size.font
    values = [f"{number(v)}{suffix}" for _, v in items]
    value_w = max((text_width(v, font) for v in values), default=0) + 6
    stacked = size is COMPACT  # on phones each label sits above its bar
    if stacked:
        label_w, row, bar_h = 0.0, 2 * font + 12, font
    else:
        widest = max((text_width(label, font) for label, _ in items), default=0)
        label_w, row, bar_h = INSET + min(widest, size.width * 0.42) + 8, font + 12, font + 2
    left = label_w if not stacked else INSET
    plot_w = size.width - left - value_w - 4
    top = font + 8  # the axis name above the rows
    room = size.width - 2 * INSET
    parts = [_text(INSET, font, fit(y_label, font, room), fill=INK)]  # over the labels
    for i, ((label, value), shown) in enumerate(zip(items, values, strict=True)):
        y = top + i * row
        w = plot_w * (value / top_value) if top_value else 0
        if stacked:
            text = _text(INSET, y + font, fit(label, font, room), fill=INK)
            bar_y = y + font + 4
        else:
            text = _text(label_w - 8, y + font, fit(label, font, label_w - 8 - INSET), "end", INK)
            bar_y = y + 2
        parts.append(
            f"<g><title>{escape(label)}: {escape(shown)}</title>{text}"
            f'<rect x="{left:.1f}" y="{bar_y:.1f}" width="{max(w, 1):.1f}" height="{bar_h}" '
            f'fill="{colour}"/>' + _text(left + w + 5, bar_y + bar_h - 2, shown) + "</g>"
        )
    bottom = top + row * max(1, len(items)) + font + 6
    parts.append(_axis_name(left + plot_w / 2, bottom, x_label, font, size.width))
    description = f"{len(items)} bars ranked by {x_label.lower()}."
    return _frame(size, bottom + 6, title, description, "".join(parts))


def hbars(
    items: Sequence[tuple[str, float]],
    title: str,
    x_label: str,
    y_label: str,
    colour: str = PALETTE[0],
    maximum: float | None = None,
    suffix: str = "",
) -> Chart:
    """Ranked horizontal bars with their values, for top-N lists."""
    top_value = maximum if maximum is not None else nice_max(max((v for _, v in items), default=0))
    drawings = [
        _hbars_svg(size, items, title, x_label, y_label, colour, top_value, suffix)
        for size in (WIDE_BARS, COMPACT)
    ]
    return Chart(title, x_label, y_label, *drawings, [y_label, x_label], [list(i) for i in items])


def _percent_svg(
    size: Size, items: Sequence[tuple[str, float, float]], title: str, x_label: str, y_label: str
) -> Markup:
    font = size.font
    notes = [f"{(m / (m + x) if m + x else 0):.0%} of {number(m + x)}" for _, m, x in items]
    note_w = max((text_width(n, font) for n in notes), default=0) + 8
    label_w = max((text_width(label, font) for label, _, _ in items), default=0) + 8
    label_w = INSET + min(label_w, size.width * 0.4)
    row, top = font + 14, font + 8
    plot_w = size.width - label_w - note_w
    parts = [_text(INSET, font, fit(y_label, font, size.width - 2 * INSET), fill=INK)]
    for i, ((label, met, missed), note) in enumerate(zip(items, notes, strict=True)):
        y = top + i * row
        share = met / (met + missed) if met + missed else 0
        parts.append(
            _text(label_w - 8, y + font, fit(label, font, label_w - 8 - INSET), "end", INK)
            + f'<rect x="{label_w:.1f}" y="{y + 2}" width="{plot_w:.1f}" height="{font + 2}" '
            f'fill="#D55E00"/>'
            f'<rect x="{label_w:.1f}" y="{y + 2}" width="{plot_w * share:.1f}" '
            f'height="{font + 2}" fill="#009E73"/>' + _text(label_w + plot_w + 6, y + font, note)
        )
    bottom = top + row * max(1, len(items)) + font + 4
    parts.append(_axis_name(label_w + plot_w / 2, bottom, x_label, font, size.width))
    legend, used = _legend(
        ["met", "missed"], ["#009E73", "#D55E00"], label_w, bottom + font + 10, plot_w, font
    )
    parts.append(legend)
    description = "Share of targets met (green) and missed (red)."
    return _frame(size, bottom + font + 10 + used - font, title, description, "".join(parts))


def percent_bars(
    items: Sequence[tuple[str, float, float]],
    title: str,
    x_label: str = "Share of targets met",
    y_label: str = "Target",
) -> Chart:
    """Share met vs missed per label, e.g. SLA targets met per priority: (label, met, missed)."""
    drawings = [_percent_svg(size, items, title, x_label, y_label) for size in (WIDE_BARS, COMPACT)]
    rows = [
        [label, met, missed, round(100 * met / (met + missed)) if met + missed else None]
        for label, met, missed in items
    ]
    return Chart(
        title, x_label, y_label, *drawings, [y_label, "met", "missed", "met_percent"], rows
    )


def heat(value: float, maximum: float) -> str:
    """A fill colour from pale to deep blue for ``value`` out of ``maximum``."""
    if maximum <= 0 or value <= 0:
        return "#f3f5f8"
    t = min(1.0, value / maximum)
    start, end = (0xE8, 0xF1, 0xFB), (0x08, 0x45, 0x94)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
