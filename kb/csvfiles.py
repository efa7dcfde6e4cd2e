"""The one way kb writes CSV: cells a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

# Excel, LibreOffice and Google Sheets start a formula (or DDE call) with these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text starting like a formula gets a leading apostrophe, which spreadsheets show as
    text and do not evaluate; numbers and other text are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()
