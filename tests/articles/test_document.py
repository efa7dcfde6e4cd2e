"""The file form of an article: parsing with line numbers, canonical writing, round trips."""

import pytest

from kb.articles.document import FIELDS, DocumentError, parse_document

GOOD = """---
title: Printer not printing
slug: printer-not-printing
summary: Documents stuck in the queue.
tags: [printing, queue]
category: Printing
service: printing
audience: public
status: published
owner: desktop-team@example.org
review_by: 2027-03-31
---

## Issue

Nothing prints.
"""


def test_canonical_text_round_trips_byte_for_byte() -> None:
    doc = parse_document(GOOD)
    assert doc.to_text() == GOOD
    assert parse_document(doc.to_text()).to_text() == GOOD


def test_key_order_survives_round_trip() -> None:
    text = parse_document(GOOD).to_text()
    keys = [line.split(":")[0] for line in text.split("---")[1].strip().splitlines()]
    assert keys == list(FIELDS)


def test_unknown_keys_are_kept_after_known_ones() -> None:
    doc = parse_document(GOOD.replace("review_by:", "x-team: blue\nreview_by:"))
    assert doc.extra == {"x-team": "blue"}
    assert doc.to_text().index("x-team") > doc.to_text().index("review_by")


def test_status_does_not_change_content_hash() -> None:
    draft = parse_document(GOOD.replace("status: published", "status: draft"))
    assert draft.content_hash() == parse_document(GOOD).content_hash()


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (("audience: public", "audience: everyone"), 8, "audience: must be public or internal"),
        (("review_by: 2027-03-31", "review_by: soon"), 11, "review_by: must be a date"),
        (("slug: printer-not-printing", "slug: Printer Not Printing"), 3, "slug: use lowercase"),
        (("title: Printer not printing", "title: ''"), 2, "title: is required"),
        (("status: published", "status: live"), 9, "status: must be one of"),
        (("tags: [printing, queue]", "tags: {a: 1}"), 5, "tags: must be a list"),
    ],
)
def test_bad_field_is_reported_with_its_line(change, line, fragment) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(GOOD.replace(*change))
    problem = caught.value.problems[0]
    assert problem.line == line
    assert fragment in problem.message


def test_broken_yaml_is_reported_with_its_line() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(GOOD.replace("category: Printing", "category: [unclosed"))
    assert "not valid YAML" in caught.value.problems[0].message
    assert caught.value.problems[0].line == 6


def test_missing_front_matter_is_reported() -> None:
    with pytest.raises(DocumentError, match="missing front matter"):
        parse_document("# Just a heading\n")


def test_tags_are_normalised() -> None:
    doc = parse_document(GOOD.replace("[printing, queue]", "[Printing, ' queue ', printing]"))
    assert doc.tags == ["printing", "queue"]
