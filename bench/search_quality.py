"""Search quality on the judged query sets, kb against a plain reference ranker.

    .venv/bin/python bench/search_quality.py [--misses] [--set tuning|heldout|both]

Builds a throw-away instance with the bundled articles and trees, indexes it, and runs every
query as its audience would, through kb's search and through the reference (bench/
reference_ranker.py: an untuned Whoosh BM25F OR query over title and body, defaults) on the
same documents. Two sets, reported apart:

- tuning (tests/search/queries.yaml): the set kb's weights were tuned on; in-sample figures;
- held-out (tests/search/heldout.yaml): written from the content before tuning, as requesters
  write (sentences, "my", negations, symptoms, other words than the article's), never tuned
  on. These are the figures that say how search does on queries nobody tuned for.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reference_ranker import from_kb_documents  # noqa: E402

from kb import create_app  # noqa: E402
from kb.content import import_content  # noqa: E402
from kb.extensions import kb_state  # noqa: E402
from kb.search import service  # noqa: E402
from kb.search.documents import PUBLIC, STAFF, live_documents  # noqa: E402
from kb.search.quality import (  # noqa: E402
    Evaluation,
    Judged,
    audience_of,
    evaluate,
    evaluate_with,
    load_judged,
)

SETS = {
    "tuning": REPO / "tests" / "search" / "queries.yaml",
    "heldout": REPO / "tests" / "search" / "heldout.yaml",
}


def table(title: str, kb: Evaluation, reference: Evaluation, elapsed_ms: float) -> None:
    overall, ref = kb.summary(), reference.summary()
    print(f"\n{title}: {overall['queries']} queries ({elapsed_ms:.1f} ms each in kb)")
    print(f"{'':14} {'n':>4} {'MRR@5':>7} {'P@1':>7} {'top-3':>7}   reference: MRR@5  top-3")
    ref_kinds = reference.by_kind()
    for name, s in [("all", overall), *kb.by_kind().items()]:
        r = ref if name == "all" else ref_kinds[name]
        print(
            f"{name:14} {s['queries']:>4} {s['mrr@5']:>7.3f} {s['p@1']:>7.1%} {s['top3']:>7.1%}"
            f"   {r['mrr@5']:>16.3f} {r['top3']:>6.1%}"
        )
    wins = sum(
        1
        for (_, a, _), (_, b, _) in zip(kb.ranks, reference.ranks, strict=True)
        if (a or 99) < (b or 99)
    )
    losses = sum(
        1
        for (_, a, _), (_, b, _) in zip(kb.ranks, reference.ranks, strict=True)
        if (a or 99) > (b or 99)
    )
    print(f"kb ranks the answer higher on {wins} queries, lower on {losses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="List queries not in the top 3.")
    parser.add_argument("--set", choices=("tuning", "heldout", "both"), default="both")
    args = parser.parse_args()
    chosen = ["tuning", "heldout"] if args.set == "both" else [args.set]
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        app = create_app(
            {"DATABASE_URL": f"sqlite:///{instance / 'kb.sqlite3'}", "SECRET_KEY": "bench"},
            instance_path=instance,
        )
        kb = kb_state(app)
        with app.app_context(), kb.session() as session:
            import_content(session, [REPO / "articles", REPO / "kb" / "decision_trees"])
            service.rebuild(kb, session)
            documents = list(live_documents(session))
            references = {
                (PUBLIC,): from_kb_documents(documents, (PUBLIC,)),
                (PUBLIC, STAFF): from_kb_documents(documents),
            }

            def reference(item: Judged) -> list[str]:
                return references[audience_of(item)].search(item.q, limit=5)

            for name in chosen:
                judged = load_judged(SETS[name])
                started = time.perf_counter()
                evaluation = evaluate(service.backend(kb), judged)
                elapsed = (time.perf_counter() - started) * 1000 / max(1, len(judged))
                baseline = evaluate_with(reference, judged)
                label = "Tuning set (in-sample)" if name == "tuning" else "Held-out set"
                table(label, evaluation, baseline, elapsed)
                if args.misses:
                    print("not in the top 3:")
                    for item, rank, got in evaluation.misses():
                        print(f"  [{rank or '-'}] {item.q!r} -> want {item.expect}; got {got[:3]}")


if __name__ == "__main__":
    main()
