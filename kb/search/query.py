"""What a person typed, taken apart: free words, "quoted phrases", -exclusions, field:filters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.search.synonyms import words_of

FILTER_FIELDS = {
    "kind": "kind",
    "tag": "tags",
    "tags": "tags",
    "service": "service",
    "category": "category",
}
MAX_QUERY_CHARS = 500
MAX_WORDS = 32

TOKEN_RE = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"?|(\S+))')


@dataclass
class ParsedQuery:
    words: list[str] = field(default_factory=list)  # free words, in order, lower case
    phrases: list[list[str]] = field(default_factory=list)  # "quoted phrases", as words
    excluded: list[list[str]] = field(default_factory=list)  # -word or -"a phrase"
    filters: dict[str, list[str]] = field(default_factory=dict)  # index field -> values

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases)

    def normalized(self) -> str:
        """A stable form for grouping the search log: words sorted, filters kept."""
        parts = sorted(set(self.words) | {" ".join(p) for p in self.phrases})
        parts += [f"-{' '.join(e)}" for e in self.excluded]
        parts += [f"{k}:{v}" for k, values in sorted(self.filters.items()) for v in values]
        return " ".join(parts)


def parse(text: str) -> ParsedQuery:
    """Parse the query language. Never fails: what it does not understand is a word."""
    parsed = ParsedQuery()
    text = (text or "")[:MAX_QUERY_CHARS]
    for match in TOKEN_RE.finditer(text):
        negative, prefix, quoted, bare = match.groups()
        if prefix and prefix.lower() in FILTER_FIELDS:
            value = (quoted if quoted is not None else bare or "").strip().lower()
            if value:
                target = FILTER_FIELDS[prefix.lower()]
                parsed.filters.setdefault(target, [])
                if value not in parsed.filters[target]:
                    parsed.filters[target].append(value)
            continue
        if bare and bare.endswith(":") and bare[:-1].lower() in FILTER_FIELDS:
            continue  # a filter with no value yet ("tag:")
        raw = quoted if quoted is not None else f"{prefix}:{bare}" if prefix else bare or ""
        words = words_of(raw)
        if not words:
            continue
        if negative:
            parsed.excluded.append(words)
        elif quoted is not None and len(words) > 1:
            parsed.phrases.append(words)
        else:
            parsed.words.extend(words)
    parsed.words = parsed.words[:MAX_WORDS]
    return parsed
