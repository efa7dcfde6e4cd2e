"""The query parameters of a search, one class read by the search page and by its JSON twin
alike (kb.schemas). Text filters are cut, not refused, past 100 characters, as the query is
past 500 (kb.search.service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from kb.schemas import Schema, documented

MAX_PER_PAGE = 100


def _cut(value: Any) -> Any:
    """A filter as typed: spaces around it dropped, cut at 100 characters; empty is none."""
    if isinstance(value, str):
        return value.strip()[:100] or None
    return value


Filter = Annotated[str | None, BeforeValidator(_cut), Field(**documented(maxLength=100))]


class SearchQuery(Schema):
    q: Annotated[
        str, Field(description="what to look for; text past 500 characters is ignored")
    ] = ""
    kind: Literal["article", "tree"] | None = None
    category: Filter = None
    service: Filter = None
    tag: Filter = None
    page: Annotated[int, Field(ge=1, le=1000, description="default 1")] = 1
    per_page: Annotated[
        int | None, Field(ge=1, le=MAX_PER_PAGE, description="default SEARCH_PER_PAGE")
    ] = None

    def filters(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "category": self.category,
            "service": self.service,
            "tag": self.tag,
        }


class SuggestQuery(Schema):
    q: Annotated[str, Field(description="what has been typed; past 100 characters ignored")] = ""
