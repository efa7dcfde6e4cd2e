"""What every report is made of: a period, tables (for CSV and screen readers), charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup

from kb.csvfiles import csv_text
from kb.errors import Invalid

MAX_DAYS = 366
# Reports look at kb's own records; outside these a period would run off the calendar
# (the day after 9999-12-31, 27 days before 0001-01-05).
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """Exclusive upper bound: midnight after ``end``."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date | None = None) -> Period:
        """From ?from=&to= (ISO dates); the last 28 days by default."""
        today = today or datetime.now(UTC).date()

        def day(text: str | None, name: str, default: Callable[[], date]) -> date:
            try:
                value = date.fromisoformat(text) if text else default()
            except ValueError:
                raise Invalid(
                    "Dates must look like 2026-11-01.", fields={"from": "date", "to": "date"}
                ) from None
            if not EARLIEST <= value <= LATEST:
                raise Invalid(
                    f"Dates must be between {EARLIEST} and {LATEST}.", fields={name: "range"}
                )
            return value

        end_day = day(end, "to", lambda: today)
        start_day = day(start, "from", lambda: end_day - timedelta(days=27))
        if start_day > end_day:
            raise Invalid("The start date is after the end date.", fields={"from": "after to"})
        if (end_day - start_day).days >= MAX_DAYS:
            raise Invalid(f"Choose at most {MAX_DAYS} days.", fields={"from": "range too long"})
        return cls(start_day, end_day)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    draft_titles: list[str] | None = None  # per row: "Start a draft" with this title (pages)
    # per row: "Turn into a branch" of (tree id, group key) in the tree editor, or None (pages)
    branches: list[tuple[str, str] | None] | None = None

    def csv(self) -> str:
        return csv_text([self.columns, *self.rows])

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class Report:
    name: str
    title: str
    summary: str
    period: Period
    charts: list[Markup] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "data": self.data,
            "tables": {t.title: t.as_dicts() for t in self.tables},
        }

    def csv(self) -> str:
        return "\n".join(f"# {t.title}\n{t.csv()}" for t in self.tables)
