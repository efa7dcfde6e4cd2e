"""Priority from impact x urgency, SLA due times, and whether a ticket is on track."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kb.config import LEVELS, PRIORITIES
from kb.errors import Invalid


def priority_for(impact: str, urgency: str, matrix: dict[str, dict[str, str]]) -> str:
    """P1-P4 from the configured matrix; Invalid names the bad level."""
    for name, value in (("impact", impact), ("urgency", urgency)):
        if value not in LEVELS:
            raise Invalid(f"{name} must be high, medium or low.", fields={name: "high/medium/low"})
    try:
        priority = matrix[impact][urgency]
    except KeyError:
        raise Invalid(f"The priority matrix has no entry for {impact}/{urgency}.") from None
    if priority not in PRIORITIES:
        raise Invalid(f"The priority matrix gives {priority!r}, not one of P1-P4.")
    return priority


@dataclass(frozen=True)
class DueTimes:
    response: datetime
    resolution: datetime


def due_times(priority: str, start: datetime, targets: dict[str, Any]) -> DueTimes:
    target = targets[priority]
    return DueTimes(
        response=start + timedelta(minutes=int(target["response"])),
        resolution=start + timedelta(minutes=int(target["resolution"])),
    )


def sla_state(
    now: datetime, start: datetime, due: datetime, done: datetime | None, at_risk: float
) -> str:
    """on_track / at_risk / breached for a running clock, met / missed for a stopped one."""
    if done is not None:
        return "met" if done <= due else "missed"
    if now > due:
        return "breached"
    total = (due - start).total_seconds() or 1.0
    left = (due - now).total_seconds()
    return "at_risk" if left / total < at_risk else "on_track"
