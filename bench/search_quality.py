"""Search quality on the judged query set: MRR@5, P@1 and top-3 share, overall and by kind.

    .venv/bin/python bench/search_quality.py [--misses]

Builds a throw-away instance with the bundled articles and trees, indexes it, and runs every
query in tests/search/queries.yaml as its audience would.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kb import create_app  # noqa: E402
from kb.content import import_content  # noqa: E402
from kb.extensions import kb_state  # noqa: E402
from kb.search import service  # noqa: E402
from kb.search.quality import evaluate, load_judged  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="List queries not in the top 3.")
    args = parser.parse_args()
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
            judged = load_judged(REPO / "tests" / "search" / "queries.yaml")
            started = time.perf_counter()
            evaluation = evaluate(service.backend(kb), judged)
            elapsed = time.perf_counter() - started
    overall = evaluation.summary()
    print(f"judged queries: {overall['queries']} ({elapsed * 1000 / len(judged):.1f} ms each)")
    print(f"{'':14} {'n':>4} {'MRR@5':>7} {'P@1':>7} {'top-3':>7}")
    rows = [("all", overall), *evaluation.by_kind().items()]
    for name, s in rows:
        print(f"{name:14} {s['queries']:>4} {s['mrr@5']:>7.3f} {s['p@1']:>7.1%} {s['top3']:>7.1%}")
    if args.misses:
        print("\nnot in the top 3:")
        for judged_item, rank, got in evaluation.misses():
            want = judged_item.expect
            print(f"  [{rank or '-'}] {judged_item.q!r} -> want {want}; got {got[:3]}")


if __name__ == "__main__":
    main()
