"""The "Search backends" section of docs/plugins.md keeps up with the contract in code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kb.search.backend import Hit, IndexBatch, SearchBackend, SearchRequest, SearchResults
from kb.search.documents import SearchDocument
from kb.search.query import ParsedQuery

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
SECTION = DOC[DOC.index("\n## Search backends") : DOC.index("\n## A worked example")]


def _members(protocol: type) -> list[str]:
    return sorted(
        name
        for name in vars(protocol)
        if not name.startswith("_") and name not in ("name",) and callable(vars(protocol)[name])
    )


@pytest.mark.parametrize(
    "name", _members(SearchBackend) + [f"batch.{name}" for name in _members(IndexBatch)]
)
def test_every_method_of_the_contract_is_described(name):
    method = name.removeprefix("batch.")
    assert f"`{method}(" in SECTION, f"docs/plugins.md, Search backends: no `{method}(`"


@pytest.mark.parametrize(
    "record", [SearchDocument, SearchRequest, ParsedQuery, Hit, SearchResults], ids=repr
)
def test_every_field_the_backend_sees_is_described(record):
    for field in dataclasses.fields(record):
        assert f"`{field.name}`" in SECTION, f"Search backends: {record.__name__}.{field.name}"
