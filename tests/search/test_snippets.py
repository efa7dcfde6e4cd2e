"""Snippet matching: the fast scan finds exactly what the word-start regex finds."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search.snippets import MAX_MATCHES, SCAN_CHARS, _pattern, find_matches, snippet

WORDS = ["print", "printer", "Printing", "vpn", "VPN", "pass", "password", "happi", "x", "_a"]
TEXT = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from([" ", "", "-", "re"]),
        st.text(alphabet="abcPRé _-.,\n9İ", max_size=8),
    ),
    max_size=60,
).map("".join)
TERMS = st.lists(st.sampled_from(["print", "vpn", "password", "happi", "pa", "a", "é"]), max_size=4)


def regex_spans(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    pattern = _pattern(terms)
    if pattern is None:
        return []
    found = itertools.islice(pattern.finditer(text, 0, SCAN_CHARS), MAX_MATCHES)
    return [match.span() for match in found]


@settings(max_examples=400, deadline=None)
@given(TEXT, TERMS)
def test_the_scan_finds_what_the_regex_finds(text: str, terms: list[str]) -> None:
    assert find_matches(text, tuple(terms)) == regex_spans(text, tuple(terms))


def test_matches_are_marked_at_word_starts_only() -> None:
    text = "Reprint the page. Printers print; the printing queue is reprinted."
    marked = snippet(text, ("print",))
    assert "<mark>Printers</mark>" in marked and "<mark>printing</mark>" in marked
    assert "<mark>print</mark>;" in marked and "Reprint" in marked
    assert "re<mark>" not in marked.lower()


def test_at_most_the_first_matches_are_considered_in_long_documents() -> None:
    text = "vpn " * (MAX_MATCHES + 10)
    assert len(find_matches(text, ("vpn",))) == MAX_MATCHES
    late = "x" * SCAN_CHARS + " vpn"
    assert find_matches(late, ("vpn",)) == []
