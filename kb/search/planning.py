"""From what a person typed to what the engine scores: concepts, their alternatives, and which
of them decide whether a document is a match at all.

Engine-neutral: a backend supplies the vocabulary look-ups (is a word known, what is close to
it) and turns the plan into its own matching and scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kb.search.analysis import WEAK_WORDS, index_terms, is_function_word, never_scores
from kb.search.documents import codes_in
from kb.search.query import ParsedQuery
from kb.search.synonyms import Synonyms

SYNONYM_WEIGHT = 0.6
CORRECTION_WEIGHT = 0.8

MEANINGFUL = "meaningful"  # decides membership: a match needs most of these
WEAK = "weak"  # scores, never decides ("working", "problem")
FUNCTION = "function"  # scores a little, never decides, stands for no topic ("someone", "down")


@dataclass(frozen=True)
class Alternative:
    """One way of saying a concept: its index terms (all of them must occur), and a weight."""

    terms: tuple[str, ...]
    weight: float = 1.0
    code: str | None = None  # an exact code ("0x80070005") also looked up whole
    corrected: bool = False


@dataclass
class Concept:
    """A word typed (or a synonym phrase), and the ways of saying it that count as it."""

    role: str
    alternatives: list[Alternative] = field(default_factory=list)


@dataclass
class QueryPlan:
    concepts: list[Concept] = field(default_factory=list)
    phrases: list[tuple[str, ...]] = field(default_factory=list)  # index terms, in order
    excluded: list[tuple[str, ...]] = field(default_factory=list)
    excluded_codes: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # the query's terms in order (proximity)
    corrections: dict[str, str] = field(default_factory=dict)  # typed word -> index term

    @property
    def meaningful(self) -> list[Concept]:
        return [c for c in self.concepts if c.role == MEANINGFUL]

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.phrases

    def highlight_terms(self) -> tuple[str, ...]:
        topical = [c for c in self.concepts if c.role != FUNCTION]
        terms = {t for c in topical for a in c.alternatives for t in a.terms}
        terms.update(t for phrase in self.phrases for t in phrase)
        terms.update(a.code for c in topical for a in c.alternatives if a.code)
        return tuple(sorted(terms))

    def suggestion(self, typed: list[str], spelled: Callable[[str, str], str]) -> str | None:
        """The query with every corrected word replaced by how documents spell its term
        (``spelled(typed word, term)``); None when nothing was corrected."""
        if not self.corrections:
            return None
        fixed = self.corrections
        return " ".join(spelled(word, fixed[word]) if word in fixed else word for word in typed)


Known = Callable[[str], bool]  # is this typed word (or its stem) in what the searcher may see
Nearby = Callable[[str], list[str]]  # index terms close to an unknown word, best first


def plan(parsed: ParsedQuery, synonyms: Synonyms, known: Known, nearby: Nearby) -> QueryPlan:
    """Concepts from the free words (synonym phrases first), roles, spelling corrections for
    unknown words only, and the quoted phrases' words as concepts too (a phrase is required
    while that still finds enough; its words always score). Function words score a little but
    are never corrected, never highlighted and left out of the word order that proximity reads;
    negations are left out altogether."""
    result = QueryPlan()
    typed = list(parsed.words)
    for phrase in parsed.phrases:
        typed.extend(phrase)
    groups = synonyms.concepts(typed)
    for alternatives in groups:
        first = alternatives[0]
        if len(first) == 1 and never_scores(first[0]):
            continue
        concept = Concept(role=_role(first))
        for position, member in enumerate(alternatives):
            terms = tuple(index_terms(" ".join(member)))
            if not terms:
                continue
            weight = 1.0 if position == 0 else SYNONYM_WEIGHT
            code = member[0] if len(member) == 1 and codes_in(member[0]) else None
            concept.alternatives.append(Alternative(terms, weight, code))
        if not concept.alternatives:
            continue
        if concept.role == FUNCTION:
            result.concepts.append(concept)
            continue
        if len(first) == 1 and _may_correct(first[0]) and not known(first[0]):
            for fix in nearby(first[0])[:2]:  # index terms, nearest first
                concept.alternatives.append(Alternative((fix,), CORRECTION_WEIGHT, corrected=True))
                result.corrections.setdefault(first[0], fix)
        result.concepts.append(concept)
        result.order.extend(concept.alternatives[0].terms)
    if all(concept.role == FUNCTION for concept in result.concepts):
        result.concepts = []
    elif not result.meaningful:
        for concept in result.concepts:  # only weak words: they are what was asked
            if concept.role == WEAK:
                concept.role = MEANINGFUL
    if not result.concepts:
        # nothing but function words ("help"): search for them rather than for nothing
        for word in typed:
            terms = tuple(index_terms(word))
            if terms:
                result.concepts.append(Concept(MEANINGFUL, [Alternative(terms)]))
                result.order.extend(terms)
    for phrase in parsed.phrases:
        terms = tuple(index_terms(" ".join(phrase)))
        if len(terms) > 1:
            result.phrases.append(terms)
    for excluded in parsed.excluded:
        terms = tuple(index_terms(" ".join(excluded)))
        if terms:
            result.excluded.append(terms)
        if len(excluded) == 1 and codes_in(excluded[0]):
            result.excluded_codes.append(excluded[0])
    return result


def _role(member: tuple[str, ...]) -> str:
    if len(member) == 1 and member[0] in WEAK_WORDS:
        return WEAK
    if len(member) == 1 and is_function_word(member[0]):
        return FUNCTION
    return MEANINGFUL


def _may_correct(word: str) -> bool:
    return len(word) >= 4 and word.isalpha()
