"""Judged-query evaluation shared by the quality test and bench/search_quality.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.search.backend import SearchBackend, SearchRequest
from kb.search.documents import PUBLIC, STAFF
from kb.search.query import parse


@dataclass
class Judged:
    q: str
    expect: str
    also: list[str]
    kind: str
    audience: str


@dataclass
class Evaluation:
    ranks: list[tuple[Judged, int | None, list[str]]] = field(default_factory=list)

    def add(self, judged: Judged, got: list[str]) -> None:
        wanted = {judged.expect, *judged.also}
        rank = next((n for n, key in enumerate(got, 1) if key in wanted), None)
        self.ranks.append((judged, rank, got))

    @staticmethod
    def _mrr(rows: list[Any]) -> float:
        return sum(1 / r for _, r, _ in rows if r and r <= 5) / max(1, len(rows))

    def summary(self, rows: list[Any] | None = None) -> dict[str, float]:
        rows = self.ranks if rows is None else rows
        n = max(1, len(rows))
        return {
            "queries": len(rows),
            "mrr@5": self._mrr(rows),
            "p@1": sum(1 for _, r, _ in rows if r == 1) / n,
            "top3": sum(1 for _, r, _ in rows if r and r <= 3) / n,
        }

    def by_kind(self) -> dict[str, dict[str, float]]:
        groups: dict[str, list[Any]] = defaultdict(list)
        for row in self.ranks:
            groups[row[0].kind].append(row)
        return {kind: self.summary(rows) for kind, rows in sorted(groups.items())}

    def misses(self, worse_than: int = 3) -> list[tuple[Judged, int | None, list[str]]]:
        return [row for row in self.ranks if row[1] is None or row[1] > worse_than]


def load_judged(path: Path) -> list[Judged]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Judged(
            q=str(item["q"]),
            expect=item["expect"],
            also=list(item.get("also") or []),
            kind=item.get("kind", "symptom"),
            audience=item.get("audience", "public"),
        )
        for item in data["queries"]
    ]


def evaluate(backend: SearchBackend, judged: list[Judged]) -> Evaluation:
    """Run each query as its audience would (technician queries see internal content)."""

    def ranked(item: Judged) -> list[str]:
        results = backend.search(
            SearchRequest(
                parse(item.q), audience_of(item), per_page=5, facets=False, highlight=False
            )
        )
        return [f"{hit.kind}:{hit.slug}" for hit in results.hits]

    return evaluate_with(ranked, judged)


def evaluate_with(ranked: Callable[[Judged], list[str]], judged: list[Judged]) -> Evaluation:
    """The same figures for any ranker (``ranked`` gives the keys it found, best first)."""
    evaluation = Evaluation()
    for item in judged:
        evaluation.add(item, ranked(item))
    return evaluation


def audience_of(item: Judged) -> tuple[str, ...]:
    return (PUBLIC, STAFF) if item.audience == "technician" else (PUBLIC,)
