"""The query of a report, one class read by the report page, its CSV and its JSON twin alike
(kb.schemas). The dates stay text here: kb.reports.base.Period reads them and says what is
wrong with a range (the end before the start, more than a year)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kb.schemas import Schema, Undocumented, documented

DateText = Annotated[str | None, Field(max_length=40)]


class ReportQuery(Schema):
    from_: Undocumented[Annotated[DateText, Field(alias="from")]] = None
    to: Annotated[
        DateText,
        Field(
            description="default today",
            **documented(
                type="string",
                format="date",
                # 1970-01-01 to 2999-12-31 (kb.reports.base.EARLIEST, LATEST)
                pattern=r"^(19[7-9][0-9]|2[0-9]{3})-",
            ),
        ),
    ] = None
    tree: Annotated[str | None, Field(max_length=100)] = None
