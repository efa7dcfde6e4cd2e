"""Readable differences between two texts (article revisions, a tree's JSON): line-based with
word-level highlights, as rows that templates render with autoescaping (so HTML in a diff is
shown, never run)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

WORD = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass
class Segment:
    text: str
    changed: bool = False


@dataclass
class Row:
    """One row of a side-by-side diff; ``kind`` is equal, insert, delete or replace."""

    kind: str
    left_number: int | None
    right_number: int | None
    left: list[Segment] = field(default_factory=list)
    right: list[Segment] = field(default_factory=list)


@dataclass
class Diff:
    rows: list[Row]
    added: int
    removed: int

    @property
    def unchanged(self) -> bool:
        return self.added == 0 and self.removed == 0


def diff_texts(old: str, new: str, context: int | None = 3) -> Diff:
    """Diff two texts line by line; ``context`` lines around changes (None: everything)."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    groups = [matcher.get_opcodes()] if context is None else matcher.get_grouped_opcodes(context)
    rows: list[Row] = []
    added = removed = 0
    for index, group in enumerate(groups):
        if index and context is not None:
            rows.append(Row("gap", None, None))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset in range(i2 - i1):
                    rows.append(
                        Row(
                            "equal",
                            i1 + offset + 1,
                            j1 + offset + 1,
                            [Segment(a[i1 + offset])],
                            [Segment(b[j1 + offset])],
                        )
                    )
            elif tag == "replace":
                removed += i2 - i1
                added += j2 - j1
                for offset in range(max(i2 - i1, j2 - j1)):
                    left = a[i1 + offset] if i1 + offset < i2 else None
                    right = b[j1 + offset] if j1 + offset < j2 else None
                    rows.append(_replace_row(left, right, i1 + offset + 1, j1 + offset + 1))
            elif tag == "delete":
                removed += i2 - i1
                for offset in range(i2 - i1):
                    rows.append(
                        Row("delete", i1 + offset + 1, None, [Segment(a[i1 + offset], True)], [])
                    )
            elif tag == "insert":
                added += j2 - j1
                for offset in range(j2 - j1):
                    rows.append(
                        Row("insert", None, j1 + offset + 1, [], [Segment(b[j1 + offset], True)])
                    )
    return Diff(rows, added, removed)


def _replace_row(left: str | None, right: str | None, ln: int, rn: int) -> Row:
    if left is None:
        return Row("insert", None, rn, [], [Segment(right or "", True)])
    if right is None:
        return Row("delete", ln, None, [Segment(left, True)], [])
    old_words, new_words = WORD.findall(left), WORD.findall(right)
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    left_segments: list[Segment] = []
    right_segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            left_segments.append(Segment("".join(old_words[i1:i2]), not same))
        if j2 > j1:
            right_segments.append(Segment("".join(new_words[j1:j2]), not same))
    return Row("replace", ln, rn, left_segments, right_segments)


def unified(old: str, new: str, old_label: str, new_label: str) -> str:
    """Plain unified diff, for the JSON API and for copying."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
        )
    )
