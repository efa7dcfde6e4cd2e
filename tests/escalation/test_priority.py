"""Priority from impact x urgency, SLA due times and states."""

from datetime import UTC, datetime, timedelta

import pytest

from kb.config import Defaults
from kb.errors import Invalid
from kb.escalation.priority import due_times, priority_for, sla_state

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("medium", "high", "P2"),
        ("high", "low", "P3"),
        ("medium", "medium", "P3"),
        ("low", "high", "P3"),
        ("medium", "low", "P4"),
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ],
)
def test_default_matrix(impact, urgency, expected) -> None:
    assert priority_for(impact, urgency, Defaults.PRIORITY_MATRIX) == expected


def test_the_matrix_is_configurable() -> None:
    matrix = {
        level: {u: "P1" for u in ("high", "medium", "low")} for level in ("high", "medium", "low")
    }
    assert priority_for("low", "low", matrix) == "P1"


def test_unknown_levels_are_invalid() -> None:
    with pytest.raises(Invalid, match="impact must be high, medium or low"):
        priority_for("huge", "high", Defaults.PRIORITY_MATRIX)


def test_due_times_follow_the_sla_targets() -> None:
    due = due_times("P1", T0, Defaults.SLA_TARGETS)
    assert due.response == T0 + timedelta(minutes=15)
    assert due.resolution == T0 + timedelta(hours=4)


@pytest.mark.parametrize(
    ("minutes_later", "done", "expected"),
    [
        (10, None, "on_track"),
        (50, None, "at_risk"),
        (61, None, "breached"),
        (61, 30, "met"),
        (120, 90, "missed"),
    ],
)
def test_sla_states(minutes_later, done, expected) -> None:
    due = T0 + timedelta(minutes=60)
    finished = T0 + timedelta(minutes=done) if done is not None else None
    state = sla_state(T0 + timedelta(minutes=minutes_later), T0, due, finished, 0.25)
    assert state == expected
