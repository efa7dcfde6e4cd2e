"""Synonym groups: words and short phrases people use for the same thing (pw, password).

File format (``instance/synonyms.txt``, bundled default ``kb/data/synonyms.txt``): one group per
line, comma-separated; ``#`` starts a comment; a member may be several words ("two factor").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb.search.analysis import stem, words

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "synonyms.txt"


def words_of(text: str) -> list[str]:
    """Folded words, contractions reduced ("Can't" -> "can"), as search analyses them."""
    return [word for word in words(text) if word]


def _key(member: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(stem(word) for word in member)


@dataclass
class Synonyms:
    # member (its words' stems, so "screens" finds "screen") -> every member of its group
    groups: dict[tuple[str, ...], list[tuple[str, ...]]] = field(default_factory=dict)
    longest: int = 1

    @classmethod
    def parse(cls, text: str, source: str = "synonyms") -> Synonyms:
        synonyms = cls()
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            members = [tuple(words_of(part)) for part in line.split(",")]
            members = [member for member in members if member]
            if len(members) < 2:
                raise ValueError(f"{source}:{number}: a group needs at least two members")
            synonyms.add_group(members)
        return synonyms

    @classmethod
    def load(cls, path: Path | None) -> Synonyms:
        """The site's file if it exists, else the bundled default."""
        chosen = path if path is not None and path.is_file() else DEFAULT_FILE
        return cls.parse(chosen.read_text(encoding="utf-8"), source=str(chosen))

    def add_group(self, members: list[tuple[str, ...]]) -> None:
        merged: list[tuple[str, ...]] = []
        for member in members:  # a word in two lines joins the groups
            for existing in self.groups.get(_key(member), [member]):
                if existing not in merged:
                    merged.append(existing)
        for member in merged:
            self.groups[_key(member)] = merged
            self.longest = max(self.longest, len(member))

    def concepts(self, words: list[str]) -> list[list[tuple[str, ...]]]:
        """Group query words into concepts, longest synonym phrase first.

        Each concept is its alternatives: ``["pw"]`` -> ``[("pw",), ("password",)]``."""
        concepts: list[list[tuple[str, ...]]] = []
        index = 0
        while index < len(words):
            for size in range(min(self.longest, len(words) - index), 0, -1):
                member = tuple(words[index : index + size])
                key = _key(member)
                if size == 1 or key in self.groups:
                    alternatives = self.groups.get(key, [member])
                    ordered = [member] + [alt for alt in alternatives if _key(alt) != key]
                    concepts.append(ordered)
                    index += size
                    break
        return concepts
