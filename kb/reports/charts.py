"""Server-side SVG charts: readable without JavaScript, labelled for screen readers, drawn with
presentation attributes only (the Content-Security-Policy forbids inline styles).

Each function returns Markup; text is escaped. Colours are the Okabe-Ito palette, which stays
distinguishable for colour-blind readers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

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
_ids = itertools.count(1)


def _frame(width: int, height: int, title: str, description: str, body: str) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="chart-t{n} chart-d{n}" '
        f'font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="chart-t{n}">{escape(title)}</title>'
        f'<desc id="chart-d{n}">{escape(description)}</desc>{body}</svg>'
    )


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1
    exponent = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _y_axis(left: int, top: int, height: int, maximum: float, width: int, ticks: int = 4) -> str:
    parts = []
    for i in range(ticks + 1):
        value = maximum * i / ticks
        y = top + height - height * i / ticks
        label = f"{value:g}" if value < 1000 else f"{value / 1000:g}k"
        parts.append(
            f'<line x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e7ec"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6776">'
            f"{label}</text>"
        )
    return "".join(parts)


def _legend(names: Sequence[str], colours: Sequence[str], x: int, y: int) -> str:
    parts, offset = [], x
    for name, colour in zip(names, colours, strict=False):
        parts.append(
            f'<rect x="{offset}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{offset + 14}" y="{y}" fill="#1d2733">{escape(name)}</text>'
        )
        offset += 24 + 7 * len(name)
    return "".join(parts)


def _day_label(day: date | str) -> str:
    return day.strftime("%d %b") if isinstance(day, date) else str(day)


def stacked_bars(
    categories: Sequence[date | str],
    stacks: dict[str, Sequence[float]],
    title: str,
    colours: dict[str, str] | None = None,
    width: int = 760,
    height: int = 260,
) -> Markup:
    """One bar per category (usually a day), split by series (for example session outcome)."""
    names = list(stacks)
    colour = [(colours or {}).get(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]
    left, top, bottom = 44, 24, 40
    plot_w, plot_h = width - left - 10, height - top - bottom
    totals = [sum(stacks[n][i] for n in names) for i in range(len(categories))]
    maximum = nice_max(max(totals, default=0))
    step = plot_w / max(1, len(categories))
    bar = max(2.0, step * 0.7)
    parts = [_y_axis(left, top, plot_h, maximum, plot_w)]
    label_every = max(1, len(categories) // 10)
    for i, category in enumerate(categories):
        x = left + i * step + (step - bar) / 2
        y = top + plot_h
        for n, name in enumerate(names):
            value = stacks[name][i]
            if value <= 0:
                continue
            h = plot_h * value / maximum
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour[n]}"><title>{escape(_day_label(category))}: '
                f"{escape(name)} {value:g}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle" fill="#5b6776">'
                f"{escape(_day_label(category))}</text>"
            )
    parts.append(_legend(names, colour, left, height - 6))
    description = (
        f"Stacked bars per period for {', '.join(names)}; the table beside has the numbers."
    )
    return _frame(width, height, title, description, "".join(parts))


def lines(
    categories: Sequence[date | str],
    series: dict[str, Sequence[float]],
    title: str,
    width: int = 760,
    height: int = 240,
    unit: str = "",
) -> Markup:
    names = list(series)
    left, top, bottom = 44, 20, 40
    plot_w, plot_h = width - left - 10, height - top - bottom
    maximum = nice_max(max((v for s in series.values() for v in s), default=0))
    step = plot_w / max(1, len(categories) - 1)
    parts = [_y_axis(left, top, plot_h, maximum, plot_w)]
    for n, name in enumerate(names):
        points = " ".join(
            f"{left + i * step:.1f},{top + plot_h - plot_h * v / maximum:.1f}"
            for i, v in enumerate(series[name])
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{PALETTE[n % 8]}" stroke-width="2"/>'
        )
    label_every = max(1, len(categories) // 10)
    for i, category in enumerate(categories):
        if i % label_every == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle" fill="#5b6776">'
                f"{escape(_day_label(category))}</text>"
            )
    parts.append(_legend(names, PALETTE, left, height - 6))
    return _frame(
        width, height, title, f"Lines over time for {', '.join(names)}{unit}.", "".join(parts)
    )


def hbars(
    items: Sequence[tuple[str, float]],
    title: str,
    width: int = 620,
    colour: str = PALETTE[0],
    maximum: float | None = None,
    suffix: str = "",
) -> Markup:
    """Ranked horizontal bars with their values, for top-N lists."""
    label_w, row = 230, 22
    height = 10 + row * max(1, len(items))
    top_value = maximum if maximum is not None else nice_max(max((v for _, v in items), default=0))
    plot_w = width - label_w - 60
    parts = []
    for i, (label, value) in enumerate(items):
        y = 6 + i * row
        w = plot_w * (value / top_value) if top_value else 0
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" fill="#1d2733">'
            f"{escape(short)}<title>{escape(label)}</title></text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 8}" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + w + 5:.1f}" y="{y + 13}" fill="#5b6776">'
            f"{value:g}{escape(suffix)}</text>"
        )
    return _frame(width, height, title, f"{len(items)} bars ranked by value.", "".join(parts))


def percent_bars(
    items: Sequence[tuple[str, float, float]],
    title: str,
    width: int = 620,
) -> Markup:
    """Share met vs missed per label, e.g. SLA targets met per priority: (label, met, missed)."""
    label_w, row = 120, 26
    height = 30 + row * max(1, len(items))
    plot_w = width - label_w - 70
    parts = []
    for i, (label, met, missed) in enumerate(items):
        total = met + missed
        y = 6 + i * row
        share = met / total if total else 0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="#1d2733">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="{row - 10}" '
            f'fill="#D55E00"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{plot_w * share:.1f}" '
            f'height="{row - 10}" fill="#009E73"/>'
            f'<text x="{label_w + plot_w + 6}" y="{y + 15}" fill="#5b6776">'
            f"{share:.0%} of {total:g}</text>"
        )
    parts.append(_legend(["met", "missed"], ["#009E73", "#D55E00"], label_w, height - 6))
    return _frame(
        width, height, title, "Share of targets met (green) and missed (red).", "".join(parts)
    )


def heat(value: float, maximum: float) -> str:
    """A fill colour from pale to deep blue for ``value`` out of ``maximum``."""
    if maximum <= 0 or value <= 0:
        return "#f3f5f8"
    t = min(1.0, value / maximum)
    start, end = (0xE8, 0xF1, 0xFB), (0x08, 0x45, 0x94)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
