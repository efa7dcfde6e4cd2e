"""Result snippets: the passages of a document where the query's words occur, HTML-escaped,
with each match in ``<mark>``.

Cheaper than re-analysing every result body with the index's analyzer (which cost more than
the search itself): a stem matches the words that start with it ("print" marks "printer",
"printing"), which is what a reader expects to see highlighted.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from html import escape

SCAN_CHARS = 60_000  # look no further into very long documents
CONTEXT = 50  # characters shown before the first match of a passage
MAX_MATCHES = 60  # passages are chosen among the first this many matches


@lru_cache(maxsize=512)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = []
    for term in sorted(set(terms), key=len, reverse=True):
        prefix = term[:-1] if len(term) > 4 and term.endswith("i") else term  # happi -> happy
        if len(prefix) >= 2:
            parts.append(re.escape(prefix) + r"\w*")
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")", re.IGNORECASE)


@lru_cache(maxsize=512)
def _prefixes(terms: tuple[str, ...]) -> tuple[str, ...]:
    """The lower-case word starts ``_pattern`` looks for, longest first."""
    found = []
    for term in sorted(set(terms), key=len, reverse=True):
        prefix = term[:-1] if len(term) > 4 and term.endswith("i") else term
        if len(prefix) >= 2:
            found.append(prefix.lower())
    return tuple(dict.fromkeys(found))


_WORD_TAIL = re.compile(r"\w*")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def find_matches(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """The spans ``_pattern`` finds in the first SCAN_CHARS characters (a word starting with
    one of the terms' prefixes, to the end of that word), at most MAX_MATCHES of them.

    Found with ``str.find`` per prefix on the lower-cased text: scanning a body with one
    alternation regex cost a third of a whole search."""
    lowered = text[:SCAN_CHARS].lower()
    if len(lowered) != len(text[:SCAN_CHARS]):  # lower-casing changed offsets (rare letters)
        pattern = _pattern(terms)
        if pattern is None:
            return []
        matches = itertools.islice(pattern.finditer(text, 0, SCAN_CHARS), MAX_MATCHES)
        return [match.span() for match in matches]
    starts: dict[int, int] = {}
    for prefix in _prefixes(terms):
        at = lowered.find(prefix)
        while at >= 0:
            if at not in starts and (at == 0 or not _is_word(lowered[at - 1])):
                starts[at] = _WORD_TAIL.match(lowered, at + len(prefix)).end()
            at = lowered.find(prefix, at + 1)
    spans: list[tuple[int, int]] = []
    for start in sorted(starts):
        if spans and start < spans[-1][1]:
            continue  # inside the previous match's word, as the regex would skip it
        spans.append((start, starts[start]))
        if len(spans) == MAX_MATCHES:
            break
    return spans


def snippet(text: str, terms: tuple[str, ...], width: int = 220, passages: int = 2) -> str:
    """Up to ``passages`` windows of about ``width`` characters around the densest matches."""
    pattern = _pattern(terms)
    if pattern is None or not text:
        return ""
    spans = find_matches(text, terms)
    if not spans:
        return ""
    starts = [start for start, _ in spans]
    ends = [end for _, end in spans]
    found = [text[start:end].lower() for start, end in spans]
    windows: list[tuple[int, int, int]] = []  # (-distinct terms, start, end)
    last = 0
    for i, begin in enumerate(starts):
        start = max(0, begin - CONTEXT)
        end = start + width
        last = max(last, i)
        while last + 1 < len(ends) and ends[last + 1] <= end:
            last += 1
        inside = found[i : last + 1] if ends[i] <= end else []
        windows.append((-len(set(inside)), start, end))
    windows.sort()
    chosen: list[tuple[int, int]] = []
    for _, start, end in windows:
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
        if len(chosen) == passages:
            break
    chosen.sort()
    merged: list[tuple[int, int]] = []
    for start, end in chosen:  # passages that nearly touch read better as one
        if merged and start - merged[-1][1] < 40:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    # a passage ends with "…" when text follows, so only the first one needs a leading "…"
    return " ".join(
        _render(text, start, end, pattern, first=n == 0) for n, (start, end) in enumerate(merged)
    )


def _render(text: str, start: int, end: int, pattern: re.Pattern[str], first: bool) -> str:
    """One passage, cut at word boundaries, escaped, with matches marked."""
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    piece = " ".join(text[start:end].split())
    out: list[str] = []
    last = 0
    for match in pattern.finditer(piece):
        out.append(escape(piece[last : match.start()], quote=False))
        out.append(f"<mark>{escape(match.group(0), quote=False)}</mark>")
        last = match.end()
    out.append(escape(piece[last:], quote=False))
    lead = "… " if start > 0 and first else ""
    tail = " …" if end < len(text) else ""
    return lead + "".join(out) + tail
