"""Server time per answer on a generated 200-node tree: p50 and p95.

Walks the tree many times through the JSON API (POST /api/v1/sessions/<id>/answer), through
the step page (form POST) and through the engine alone, on a fresh SQLite instance.
Usage: python bench/tree_steps.py [--nodes 200] [--walks 20]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from kb import create_app
from kb.auth.users import create_token, create_user
from kb.content import import_content
from kb.extensions import kb_state
from kb.trees import engine
from kb.trees.steps import node_view
from kb.trees.store import get_tree


def generated_tree(size: int) -> dict:
    """A long diagnostic of ``size`` nodes: an input, then questions and actions in a chain
    (every tenth step another input), each question and action with its own resolution."""
    nodes = [{"id": "s0", "kind": "input", "label": "Name", "text": "Your name?", "var": "name",
              "input_type": "text"}]  # fmt: skip
    edges = []
    i = 0
    while len(nodes) < size - 2:
        i += 1
        here = f"s{i}"
        previous = next(n for n in nodes if n["id"] == f"s{i - 1}")
        edges.append({"source": previous["id"], "target": here} | _exit_label(previous))
        if i % 10 == 0:
            text = f"Value {i}, {{name}}?"
            nodes.append({"id": here, "kind": "input", "label": f"Value {i}", "text": text,
                          "var": f"v{i}", "input_type": "text"})  # fmt: skip
            continue
        kind = "question" if i % 2 else "action"
        nodes.append(
            {"id": here, "kind": kind, "label": f"Step {i}", "text": f"Step {i}, {{name}}?"}
        )
        nodes.append({"id": f"r{i}", "kind": "resolution", "label": f"Fixed {i}", "text": "Done."})
        yes = {"answer": "Yes"} if kind == "question" else {"answer": "It worked"}
        edges.append({"source": here, "target": f"r{i}"} | yes)
    last = next(n for n in nodes if n["id"] == f"s{i}")
    edges.append({"source": last["id"], "target": "esc_last"} | _exit_label(last))
    nodes.append({"id": "esc_last", "kind": "escalation", "label": "Escalate", "text": "Desk.",
                  "group": "service-desk", "impact": "low", "urgency": "low"})  # fmt: skip
    graph = {"id": "bench-tree", "title": "Benchmark", "summary": "Generated.", "service": "web",
             "category": "Software", "audience": "public", "start": "s0", "version": 1,
             "tags": []}  # fmt: skip
    return {"directed": True, "multigraph": False, "graph": graph, "nodes": nodes, "edges": edges}


def _exit_label(node: dict) -> dict:
    """The label on the edge that continues the chain from ``node``."""
    return {"question": {"answer": "No"}, "action": {"answer": "It didn't work"}}.get(
        node["kind"], {}
    )


def move_for(view) -> dict:
    if view["kind"] == "input":
        return {"value": "Alex"}
    return {"answer": "It didn't work" if view["kind"] == "action" else "No"}


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {p50 * 1000:.2f} ms  p95 {p95 * 1000:.2f} ms  (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--walks", type=int, default=20)
    parser.add_argument("--steps", type=int, default=40, help="answers per walk")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    data = generated_tree(args.nodes)
    (folder / "trees").mkdir()
    (folder / "trees" / "bench-tree.json").write_text(json.dumps(data))
    app = create_app(
        {"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder / 'kb.sqlite3'}"},
        instance_path=folder,
    )  # fmt: skip
    state = kb_state(app)
    with app.app_context(), state.session() as session:
        report = import_content(session, [folder / "trees"])
        assert not report.failed, report.error_lines
        user = create_user(session, "bench@example.org", "bench-password", role="requester")
        bearer = {"Authorization": "Bearer " + create_token(session, user, "bench")}
        session.commit()
    print(f"tree: {len(data['nodes'])} nodes, {len(data['edges'])} edges")

    client = app.test_client()
    landing = client.get("/trees/bench-tree").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', landing).group(1)
    api, page, core = [], [], []
    for _ in range(args.walks):
        body = client.post(
            "/api/v1/sessions", json={"tree": "bench-tree"}, headers=bearer
        ).get_json()
        assert "id" in body, body
        for _ in range(args.steps):
            began = time.perf_counter()
            response = client.post(
                f"/api/v1/sessions/{body['id']}/answer", json=move_for(body["node"]), headers=bearer
            )
            api.append(time.perf_counter() - began)
            body = response.get_json()
            if body["status"] != "active":
                break
        body = client.post(
            "/api/v1/sessions", json={"tree": "bench-tree"}, headers=bearer
        ).get_json()
        token, view = body["id"], body["node"]
        for _ in range(args.steps):
            began = time.perf_counter()
            form = {"action": "answer", "csrf_token": csrf, **move_for(view)}
            response = client.post(f"/sessions/{token}", data=form)
            page.append(time.perf_counter() - began)
            assert response.status_code == 302
            view = client.get(f"/api/v1/sessions/{token}", headers=bearer).get_json()["node"]

    with app.app_context(), state.session() as session:
        tree = get_tree(session, "bench-tree")
        for _ in range(args.walks):
            ds = engine.start_session(session, tree, None, mode="self_service")
            session.commit()
            for _ in range(args.steps):
                graph = engine.graph_of(ds)
                view = node_view(graph, ds.current_node, ds.mode, ds.variables, {})
                began = time.perf_counter()
                engine.answer(session, ds, user=None, **move_for(view.__dict__))
                session.commit()
                core.append(time.perf_counter() - began)
                if ds.finished:
                    break
    print(f"API answer (POST /api/v1/sessions/<id>/answer): {percentiles(api)}")
    print(f"step page answer (form POST, redirect):        {percentiles(page)}")
    print(f"engine answer + commit (no HTTP):              {percentiles(core)}")


if __name__ == "__main__":
    main()
