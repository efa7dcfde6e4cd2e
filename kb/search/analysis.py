"""Words as search sees them, the same for indexing and for queries.

One fast pass (a regular expression, a translation table, a cached stemmer) instead of
Whoosh's token-object pipeline, which cost more than half of indexing. Typographic quotes are
straight quotes, contractions lose their clitic ("can't" is "can", "user's" is "user"), accents
are folded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from whoosh import fields, formats
from whoosh.analysis import STOP_WORDS, StandardAnalyzer
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

WORD_RE = re.compile(r"\w+(?:[.']\w+)*")
_FOLD = dict(accent_map)
_FOLD.update({ord("\u2019"): "'", ord("\u2018"): "'", ord("\u02bc"): "'", ord("`"): "'"})


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Left out of the index: too common to tell documents apart (Whoosh's list, as before).
INDEX_STOP = frozenset(STOP_WORDS)

# Words that carry no topic in a question someone types: they score a little ("someone using
# my account", "is teams down"), but they never decide whether a document is a match.
FUNCTION_WORDS = _word_set(
    """
    a about above after again against all also am an and any anymore anyone anything are
    around as at away be because been before being below between both but by can cannot cant
    could did do does doing done dont down during each even ever every everything few for from
    further get gets getting got had has have having he her here hers herself him himself his
    how i if im in into is it its itself ive just keep keeps kept let like me might mine more
    most much must my myself need needs no nor not nothing now of off on once only onto or
    other ought our ours ourselves out over own please really same say says she should since
    so some someone something still such suddenly than that the their theirs them themselves
    then there these they this those though through till to today too try trying tried under
    until up upon us use used using very via want wants was we were what whatever when where
    whether which while who whom whose why will with within without would yet you your yours
    yourself yourselves anybody somebody nobody unable already always never sometimes
    morning afternoon evening tonight yesterday hi hello thanks thank help pls plz guys
    tbd may
    wont didnt doesnt isnt arent wasnt werent havent hasnt hadnt couldnt wouldnt shouldnt
    aint
    """
)

# Negations neither decide nor score: "printer not printing" and "can't print" are about
# printing, and articles say "cannot", "won't", "fails" or nothing at all. Typed without the
# apostrophe ("wont", "didnt") they are the same negations; "won't" itself is "will", a stop word.
NEGATIONS = _word_set(
    """
    no not nor never nothing nobody unable without cannot cant dont wont didnt doesnt
    isnt arent wasnt werent havent hasnt hadnt couldnt wouldnt shouldnt aint
    """
)

# Common to nearly every problem description: they score, but a document that lacks them is
# still a match for everything else that was asked.
WEAK_WORDS = _word_set(
    """
    work works working worked problem problems issue issues fix fixed broken error errors
    wrong stop stops stopped happen happens happening thing things way
    """
)

_CLITICS = ("'s", "'re", "'ll", "'ve", "'d", "'m", "'t")
_NEGATED = {"can": "can", "ca": "can", "wo": "will", "sha": "shall"}


def fold(text: str) -> str:
    """Lower case, accents folded, typographic apostrophes made straight."""
    return text.lower().translate(_FOLD)


def _base(word: str) -> str:
    """ "can't" -> "can", "doesn't" -> "does", "user's" -> "user"; other words unchanged."""
    if "'" not in word:
        return word
    if word.endswith("n't"):
        head = word[:-3]
        return _NEGATED.get(head, head)
    for clitic in _CLITICS:
        if word.endswith(clitic):
            return word[: -len(clitic)]
    return word.replace("'", "")


def words(text: str) -> list[str]:
    """Every word of ``text`` in order, folded, contractions reduced; stop words kept."""
    return [_base(word) for word in WORD_RE.findall(fold(text))]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return porter_stem(word)


def index_terms(text: str) -> list[str]:
    """The stemmed terms a text is indexed under, in order, stop words left out."""
    return [stem(word) for word in words(text) if word and word not in INDEX_STOP]


def is_function_word(word: str) -> bool:
    return word in FUNCTION_WORDS or word in INDEX_STOP


def never_scores(word: str) -> bool:
    """Stop words (not in the index) and negations."""
    return word in INDEX_STOP or word in NEGATIONS


class _FastField:
    """Mixin for Whoosh fields: index through :func:`index_terms` in one pass (the field's
    ``analyzer`` is only there for Whoosh's own query tools and is never used by kb)."""

    def terms_of(self, value: str) -> list[str]:
        return index_terms(value)

    def index(self, value: str, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        positions: dict[str, list[int]] = {}
        for position, term in enumerate(self.terms_of(value)):
            positions.setdefault(term, []).append(position)
        fmt = self.format  # type: ignore[attr-defined]
        if isinstance(fmt, formats.Positions):
            for term, where in positions.items():
                yield term.encode("utf-8"), len(where), float(len(where)), fmt.encode(where)
        elif isinstance(fmt, formats.Frequency):
            for term, where in positions.items():
                yield term.encode("utf-8"), len(where), float(len(where)), pack_uint(len(where))
        else:
            for term in positions:
                yield term.encode("utf-8"), 1, 1.0, b""


class StemmedText(_FastField, fields.TEXT):
    """Stemmed words with positions (phrases, proximity) and frequencies (BM25F)."""

    def __init__(self, phrase: bool = True) -> None:
        super().__init__(analyzer=StandardAnalyzer(), phrase=phrase)


class PlainWords(_FastField, fields.TEXT):
    """Unstemmed words, without positions: title suggestions as you type."""

    def __init__(self) -> None:
        super().__init__(analyzer=StandardAnalyzer(), phrase=False)

    def terms_of(self, value: str) -> list[str]:
        return [word for word in words(value) if word and word not in INDEX_STOP]
