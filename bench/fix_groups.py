"""How long grouping a tree's resolved escalations takes: the editor page, the heatmap and
"Turn into a branch" each compute the groups. Stores ``--escalations`` resolved escalations of
the bundled printer tree (spread over its escalation steps and fixes) on a fresh SQLite
instance and times kb.escalation.learning.fix_groups and branch_draft.
Usage: python bench/fix_groups.py [--escalations 5000] [--fixes 40] [--runs 5]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from kb import create_app
from kb.content import import_content
from kb.escalation.learning import branch_draft, fix_groups
from kb.extensions import kb_state
from kb.models import Escalation, Tree, utcnow

REPO = Path(__file__).resolve().parent.parent
TREE = "printer-not-printing"
NODES = ("esc_printer_fault", "esc_single", "esc_printer_down", "q_secure", "res_released")


def fill(session, tree: Tree, count: int, fixes: int) -> None:
    now = utcnow()
    for i in range(count):
        session.add(
            Escalation(
                public_id=secrets.token_urlsafe(16),
                created_at=now - timedelta(minutes=i),
                status="resolved",
                summary="Printer problem",
                group="desktop-support",
                impact="low",
                urgency="medium",
                priority="P4",
                response_due=now,
                resolve_due=now,
                requester_name="Bench",
                tree_id=tree.id,
                tree_revision_id=tree.head_revision_id,
                node_id=NODES[i % len(NODES)],
                ticket_system="local",
                ticket_ref=str(i),
                resolution_text=f"Fix number {i % fixes}.",
                resolution_articles=["printer-not-printing"],
                resolved_at=now,
            )
        )
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=5000)
    parser.add_argument("--fixes", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"DATABASE_URL": f"sqlite:///{folder}/kb.sqlite3", "SECRET_KEY": "bench"},
            instance_path=folder,
        )
        kb = kb_state(app)
        with app.app_context(), kb.session() as session:
            import_content(session, [REPO / "articles", REPO / "kb" / "decision_trees"])
            session.commit()
            tree = session.get(Tree, TREE)
            fill(session, tree, args.escalations, args.fixes)
            grouping, drafting = [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                groups = fix_groups(session, tree)
                grouping.append(time.perf_counter() - started)
                started = time.perf_counter()
                branch_draft(session, kb, tree, groups[0].key)
                drafting.append(time.perf_counter() - started)
                session.expire_all()
        kb.engine.dispose()
    print(
        f"{args.escalations} resolved escalations, {len(groups)} groups: "
        f"fix_groups median {statistics.median(grouping) * 1000:.0f} ms, "
        f"branch_draft median {statistics.median(drafting) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
