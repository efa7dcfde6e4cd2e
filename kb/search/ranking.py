"""Matching and ranking a query plan over a generation's arrays.

Two stages on the same results: a cheap pass scores every document with BM25F (title and tags,
summary and body, exact codes) and decides membership; the best hundred are then re-ranked with
what is too costly to compute for all (the query's words standing together in a title or
summary).

Membership, as mature engines do it: a document must have most of the meaningful words (a
minimum-should-match; when too few do, any one will do), function words and negations never
decide, and any meaningful word can bring a document in. Documents with more of the words
score higher through BM25F's sum; a hard "every word first" tier was measured and dropped: it
cost 0.03 MRR on the public corpus's tuning judgments and nothing on the bundled set. The order
depends only on the documents and the query, never on the page size or how the index is split
into segments: ties are broken by document key.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from kb.search.planning import FUNCTION, MEANINGFUL, WEAK, Alternative, Concept, QueryPlan
from kb.search.whoosh_stats import Generation

# BM25F: per-field weight and length normalisation, one saturation over the weighted sum.
FIELDS = {"heading": (5.0, 0.5), "content": (1.0, 0.75)}
CODE_WEIGHT = 4.0  # an exact code ("0x80070005") in the codes field
K1 = 2.0
MSM_RATIO = 0.5  # a match needs at least this share of the meaningful words...
FILL = 20  # ...unless fewer documents than this have that many: then any one word will do
WEAK_WEIGHT = 0.3  # "working", "problem": they say little about which document is meant
FUNCTION_WEIGHT = 0.1  # "someone", "down", "how": less still, but a tie-breaker among matches
COMMON_SHARE = 0.5  # a word in more of the visible documents than this never decides
RERANK = 100  # how many of the best first-stage results the second stage looks at again
TITLE_PAIR_BOOST = 0.5  # the query's adjacent words adjacent in the title
SUMMARY_PAIR_BOOST = 0.3  # ...and in the summary
TITLE_COVER_BOOST = 0.5  # the title consists of the query's words
PHRASE_BOOST = 1.0  # a quoted phrase that is found but no longer required


@dataclass
class Ranked:
    docs: list[int]  # the first ``limit`` documents, best first
    total: int
    matched: np.ndarray  # boolean, every matching document
    scores: dict[int, float] = field(default_factory=dict)
    every_word: bool = True  # the best result has every meaningful word
    corrected_found: bool = False  # a spelling correction matched something shown


def _idf(document_frequency: int, documents: int) -> float:
    return math.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


@dataclass(frozen=True)
class Population:
    """The documents whose statistics score a search: those the searcher may see, so that
    nothing hidden from them moves their scores or their order."""

    mask: np.ndarray
    key: tuple[str, ...]
    count: int


def _term_weight(
    gen: Generation, population: Population, term: str, code: str | None
) -> np.ndarray | None:
    """One term's length-normalised, field-weighted frequency per document (dense, BM25F's
    pseudo-frequency before saturation); None when no document has it."""
    weighted = None
    for fieldname, (weight, b) in FIELDS.items():
        ids, tf = gen.postings(fieldname, term)
        if not len(ids):
            continue
        lengths, average = gen.lengths(fieldname, population.mask, population.key)
        norm = tf / (1.0 - b + b * lengths[ids] / average)
        part = np.bincount(ids, weights=weight * norm, minlength=gen.size)
        weighted = part if weighted is None else weighted + part
    if code is not None:
        ids, _ = gen.postings("codes", code)
        if len(ids):
            part = np.bincount(ids, weights=np.full(len(ids), CODE_WEIGHT), minlength=gen.size)
            weighted = part if weighted is None else weighted + part
    return weighted


def _alternative_weight(
    gen: Generation, population: Population, alt: Alternative
) -> np.ndarray | None:
    """A way of saying a concept: every one of its terms must occur (their mean counts)."""
    total = None
    present = None
    for term in alt.terms:
        weighted = _term_weight(gen, population, term, alt.code if len(alt.terms) == 1 else None)
        if weighted is None:
            return None
        total = weighted if total is None else total + weighted
        present = weighted > 0 if present is None else present & (weighted > 0)
    if total is None or present is None:
        return None
    return total * present * (alt.weight / len(alt.terms))


def concept_scores(
    gen: Generation, population: Population, concept: Concept
) -> tuple[np.ndarray, np.ndarray] | None:
    """BM25F of a concept, its synonyms and corrections scored as one term (so a rare synonym
    never outweighs the word typed): the scores, and where a correction matched."""
    weighted = None
    corrected = np.zeros(gen.size, bool)
    for alt in concept.alternatives:
        part = _alternative_weight(gen, population, alt)
        if part is None:
            continue
        if alt.corrected:
            corrected |= part > 0
        weighted = part if weighted is None else weighted + part
    if weighted is None:
        return None
    present = weighted > 0
    idf = _idf(int(np.count_nonzero(present & population.mask)), max(1, population.count))
    return idf * weighted * (K1 + 1.0) / (weighted + K1), corrected


def rank(
    gen: Generation,
    plan: QueryPlan,
    population: Population,
    allowed: np.ndarray,
    limit: int,
    phrase_docs: np.ndarray | None = None,
) -> Ranked:
    """Score, match and order; ``allowed`` is the population less filters and exclusions."""
    size = gen.size
    score = np.zeros(size)
    matched_words = np.zeros(size, np.int16)
    counted = 0
    corrected_hits = np.zeros(size, bool)
    meaningful: list[tuple[np.ndarray, float]] = []  # (where found, share of the documents)
    visible_count = max(1, int(np.count_nonzero(allowed)))
    for concept in plan.concepts:
        scored = concept_scores(gen, population, concept)
        if scored is None:
            continue  # nothing anyone may see contains it: it cannot tell documents apart
        best, corrected = scored
        corrected_hits |= corrected
        if concept.role == WEAK:
            best = best * WEAK_WEIGHT
        elif concept.role == FUNCTION:
            best = best * FUNCTION_WEIGHT
        score += best
        if concept.role == MEANINGFUL:
            hit = best > 0
            found = int(np.count_nonzero(hit & allowed))
            if found:
                meaningful.append((hit, found / visible_count))
    # Words in a large share of the documents ("desk" in a help desk's articles) only score,
    # as a common-terms query does, unless every meaningful word is that common.
    rare = [item for item in meaningful if item[1] <= COMMON_SHARE]
    for hit, _ in rare if rare else meaningful:
        matched_words += hit
        counted += 1
    if counted:
        floor = max(1, math.ceil(counted * MSM_RATIO))
        matched = allowed & (matched_words >= floor)
        if np.count_nonzero(matched) < FILL:
            matched = allowed & (matched_words >= 1)
    else:
        matched = allowed & (score > 0)
    phrase_boost = None
    if phrase_docs is not None:
        strict = matched & phrase_docs
        if strict.any():
            matched = strict
        else:
            phrase_boost = phrase_docs
    candidates = np.flatnonzero(matched)
    total = len(candidates)
    if not total:
        return Ranked([], 0, matched)
    base = score[candidates]
    every = matched_words[candidates] >= counted if counted else np.ones(total, bool)
    if phrase_boost is not None:
        base = base * (1.0 + PHRASE_BOOST * phrase_boost[candidates])
    order = _top(gen, candidates, base, max(limit, RERANK))
    head = order[:RERANK]
    booster = _TitleBooster(plan)
    boosted = {doc: value * booster(gen, doc) for doc, value in head}
    reranked = sorted(boosted.items(), key=lambda item: (-item[1], gen.key(item[0])))
    final = reranked + [(doc, value) for doc, value in order[RERANK:]]
    final = final[:limit]
    corrected_found = bool((corrected_hits & matched).any())
    return Ranked(
        docs=[doc for doc, _ in final],
        total=total,
        matched=matched,
        scores={doc: float(value) for doc, value in final},
        every_word=bool(every[np.searchsorted(candidates, final[0][0])]) if final else True,
        corrected_found=corrected_found,
    )


def _top(
    gen: Generation, candidates: np.ndarray, base: np.ndarray, count: int
) -> list[tuple[int, float]]:
    """The best ``count`` candidates by score, then key, exactly: every candidate tied with the
    last one taken is considered, so the cut never depends on array order."""
    if len(candidates) > count:
        threshold = np.partition(base, len(base) - count)[len(base) - count]
        keep = np.flatnonzero(base >= threshold)
    else:
        keep = np.arange(len(candidates))
    keep = keep[np.argsort(-base[keep], kind="stable")]
    values = base[keep].tolist()
    rows: list[tuple[int, float]] = []
    start = 0
    while start < len(keep) and len(rows) < count:  # equal scores: by key, in runs
        end = start + 1
        while end < len(keep) and values[end] == values[start]:
            end += 1
        run = [(int(candidates[i]), values[j]) for j, i in enumerate(keep[start:end], start)]
        if len(run) > 1:
            run.sort(key=lambda row: gen.key(row[0]))
        rows.extend(run)
        start = end
    return rows[:count]


class _TitleBooster:
    """Higher when the query's words stand together in the title or summary, and when the
    title is made of the query's words (a person typing a problem as the article names it)."""

    def __init__(self, plan: QueryPlan) -> None:
        self.wanted = set(plan.order)
        self.pairs = list(itertools.pairwise(plan.order))

    def __call__(self, gen: Generation, doc: int) -> float:
        terms = gen.title_terms(doc)
        boost = 1.0
        if self.pairs:
            found_title = sum(pair in terms.title_pairs for pair in self.pairs)
            found_summary = sum(pair in terms.summary_pairs for pair in self.pairs)
            boost += (TITLE_PAIR_BOOST * found_title + SUMMARY_PAIR_BOOST * found_summary) / len(
                self.pairs
            )
        if terms.title:
            cover = sum(term in self.wanted for term in terms.title) / len(terms.title)
            boost += TITLE_COVER_BOOST * cover * cover
        return boost
