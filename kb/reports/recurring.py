"""Recurring incidents: which services, trees, terminal nodes or articles are suddenly busier
than their own normal.

How it decides: time is cut into equal windows (24 hours by default) ending now. For each item
the baseline is its average count over the previous 14 windows. The latest window is flagged
when it has at least ``min_count`` occurrences and a count that high would happen by chance less
than once in a thousand windows if the item kept its usual rate (a Poisson tail test, with the
rate floored at 0.5 per window so brand-new items need a real cluster to alert). The z-like
"times usual" ratio is shown to help people read it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

RATE_FLOOR = 0.5
SIGNIFICANCE = 0.001


@dataclass
class Alert:
    kind: str  # service | tree | node | article
    key: str
    label: str
    count: int
    baseline: float
    probability: float
    refs: list[str] = field(default_factory=list)  # sessions or escalations behind it

    @property
    def ratio(self) -> float:
        return self.count / max(self.baseline, RATE_FLOOR)


BASELINE_WINDOWS = 14
MIN_COUNT = 3


def how_it_decides(window_hours: int = 24) -> str:
    """The method in plain words with the numbers in force, for the report page."""
    return (
        f"How an alert is raised: time is cut into {window_hours}-hour windows ending now. "
        f"An item's usual count is its average over the {BASELINE_WINDOWS} windows before the "
        f"latest. The latest window raises an alert when it has at least {MIN_COUNT} "
        "occurrences and a count that high would happen by chance less than once in "
        f"{round(1 / SIGNIFICANCE):,} windows at the usual rate (a Poisson test, the rate "
        f"counted as at least {RATE_FLOOR:g} a window, so something new needs a real "
        'cluster). "Times usual" '
        "compares the latest window with that average."
    )


def poisson_tail(k: int, rate: float) -> float:
    """P(X >= k) for X ~ Poisson(rate)."""
    if k <= 0:
        return 1.0
    term = math.exp(-rate)
    cumulative = term
    for i in range(1, k):
        term *= rate / i
        cumulative += term
    return max(0.0, 1.0 - cumulative)


def detect(
    events: Iterable[tuple[str, str, str, datetime, str]],
    now: datetime,
    window: timedelta = timedelta(hours=24),
    baseline_windows: int = BASELINE_WINDOWS,
    min_count: int = MIN_COUNT,
) -> list[Alert]:
    """``events`` are (kind, key, label, time, ref). Returns alerts, most surprising first."""
    start = now - window * (baseline_windows + 1)
    current: dict[tuple[str, str], list[str]] = {}
    history: dict[tuple[str, str], int] = {}
    labels: dict[tuple[str, str], str] = {}
    for kind, key, label, when, ref in events:
        if when < start or when >= now:
            continue
        item = (kind, key)
        labels[item] = label
        if when >= now - window:
            current.setdefault(item, []).append(ref)
        else:
            history[item] = history.get(item, 0) + 1
    alerts = []
    for item, refs in current.items():
        count = len(refs)
        if count < min_count:
            continue
        baseline = history.get(item, 0) / baseline_windows
        probability = poisson_tail(count, max(baseline, RATE_FLOOR))
        if probability < SIGNIFICANCE:
            alerts.append(
                Alert(item[0], item[1], labels[item], count, round(baseline, 2), probability, refs)
            )
    return sorted(alerts, key=lambda a: (a.probability, -a.count))
