"""How often the bundled diagnostics ask for what they already know.

Walks every path of every bundled tree through the JSON API, as a signed-in requester whose
account has a name, e-mail, phone and location (technician trees: as a technician), typing a
representative value at each input, and counts per step: asked (the person answered),
prefilled (an input showed a known value, accepted as it was) and skipped (the diagnostic
moved past a question without the person). At every escalation it opens the escalation form
and counts its "The team will need" questions: asked empty or already filled in.
It only reads the public surface, so the same script measures any version of kb.
Usage: python bench/asked_twice.py [--tree ID] [--verbose]
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from kb import create_app
from kb.auth.users import create_token, create_user
from kb.config import bundled_paths
from kb.content import import_content
from kb.extensions import kb_state
from kb.models import User

# Representative values per variable (several where the answer changes what follows).
VALUES: dict[str, list[str]] = {
    "phone_model": ["iPhone 15", "Samsung Galaxy S23", "iPad Air"],
    "device_os": ["iOS", "Android"],
    "asset_tag": ["CC-104233"],
    "device_name": ["CC-104233"],
    "stop_code": ["CRITICAL_PROCESS_DIED"],
    "key_id": ["1A2B3C4D"],
    "printer_name": ["PRN-HQ-2-01", "FollowMe"],
    "vpn_message": [
        "Error 809: the network connection could not be established",
        "Portal not found",
    ],
    "location": ["City Hall, floor 2, room 204"],
}
HAND_ANSWERS = {"pass": "Yes", "fail": "No", "error": "I'm not sure"}
ASK_INPUT = re.compile(r'<input id="ask-\d+" name="ask-\d+" type="text" value="([^"]*)"')


class Walker:
    def __init__(self, client, headers: dict[str, str], graph: dict[str, Any]) -> None:
        self.client, self.headers, self.graph = client, headers, graph
        self.nodes = {n["id"]: n for n in graph["nodes"]}
        self.edges: dict[str, list[dict[str, Any]]] = {}
        for edge in graph["edges"]:
            self.edges.setdefault(edge["source"], []).append(edge)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(f"/api/v1{path}", json=body, headers=self.headers)
        assert response.status_code in (200, 201), (path, body, response.get_json())
        return response.get_json()

    def replay(self, tree: str, mode: str, moves: list[dict[str, Any]]) -> dict[str, Any]:
        body = self.post("/sessions", {"tree": tree, "mode": mode})
        for move in moves:
            body = self.post(f"/sessions/{body['id']}/answer", move)
        return body

    def options(self, node: dict[str, Any], path: list[str]) -> list[tuple[str, dict]]:
        """(how it was answered, move) for each way on from ``node`` the walk has not been."""
        attrs = self.nodes[node["id"]]
        if node["kind"] == "input":
            spec = node.get("input") or {}
            if spec.get("default") is not None:
                return [("prefilled", {"value": spec["default"]})]
            if spec.get("type") == "choice":
                return [("asked", {"value": c}) for c in spec["choices"]]
            if spec.get("type") == "number":
                return [("asked", {"value": str(spec.get("min", 1))})]
            values = VALUES.get(spec["var"], ["Test value"])
            return [("asked", {"value": v[: spec.get("max_length") or 500]}) for v in values]
        moves = []
        for edge in self.edges.get(node["id"], []):
            if edge["target"] in path:
                continue  # a loop back: the walk already went there
            if attrs["kind"] == "check":
                moves.append(("asked", {"answer": HAND_ANSWERS[edge["outcome"]]}))
            else:
                moves.append(("asked", {"answer": edge["answer"]}))
        return moves


def walk_tree(client, headers, tree: str, mode: str, verbose: bool) -> Counter:
    graph = client.get(f"/api/v1/trees/{tree}", headers=headers).get_json()
    walker = Walker(client, headers, graph)
    counts: Counter = Counter()
    stack: list[tuple[list[dict], list[str]]] = [([], [])]
    while stack:
        moves, how = stack.pop()
        body = walker.replay(tree, mode, moves)
        full = client.get(f"/api/v1/sessions/{body['id']}", headers=headers).get_json()
        if body["status"] != "active":
            counts["paths"] += 1
            counts["asked"] += how.count("asked")
            counts["prefilled"] += how.count("prefilled")
            counts["skipped"] += len(full["path"]) - 1 - len(moves)
            if body["status"] == "escalated":
                # a cookie-less client: a page's session cookie would outvote the API token
                pages = client.application.test_client()
                form = pages.get(f"/escalations/new?session={body['id']}", headers=headers)
                values = ASK_INPUT.findall(form.get_data(as_text=True))
                counts["form_asked"] += sum(1 for v in values if not v)
                counts["form_prefilled"] += sum(1 for v in values if v)
            if verbose:
                print(f"  {tree}: {' > '.join(full['path'])} ({', '.join(how)})")
            continue
        for answered, move in walker.options(body["node"], full["path"]):
            stack.append(([*moves, move], [*how, answered]))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", action="append", help="only these trees")
    parser.add_argument("--verbose", action="store_true", help="print every path")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    app = create_app(
        {"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder / 'kb.sqlite3'}",
         "RATELIMIT_ENABLED": False},
        instance_path=folder,
    )  # fmt: skip
    state = kb_state(app)
    with app.app_context(), state.session() as session:
        report = import_content(session, list(bundled_paths()))
        assert not report.failed, report.error_lines
        people = {}
        for role in ("requester", "technician"):
            user = create_user(session, f"{role}@example.org", "bench-password", role=role)
            people[role] = {"Authorization": "Bearer " + create_token(session, user, "bench")}
        requester = session.query(User).filter_by(email="requester@example.org").one()
        requester.name, requester.phone = "Robin Requester", "01632 960 555"
        requester.location = "City Hall, floor 2, room 204"
        session.commit()
    clients = {role: app.test_client() for role in people}  # one cookie jar per person
    trees = clients["technician"].get("/api/v1/trees", headers=people["technician"])
    trees = trees.get_json()["items"]
    total: Counter = Counter()
    header = f"{'tree':28} {'paths':>5} {'asked':>6} {'prefilled':>9} {'skipped':>7}"
    print(header + "  form: asked / filled")
    for item in sorted(trees, key=lambda t: t["id"]):
        if args.tree and item["id"] not in args.tree:
            continue
        technician = item["audience"] == "technician"
        role = "technician" if technician else "requester"
        mode = "technician" if technician else "self_service"
        counts = walk_tree(clients[role], people[role], item["id"], mode, args.verbose)
        total += counts
        print(
            f"{item['id']:28} {counts['paths']:5} {counts['asked']:6} {counts['prefilled']:9} "
            f"{counts['skipped']:7}  {counts['form_asked']:4} / {counts['form_prefilled']}"
        )
    steps = total["asked"] + total["prefilled"] + total["skipped"]
    print(
        f"{'all trees':28} {total['paths']:5} {total['asked']:6} {total['prefilled']:9} "
        f"{total['skipped']:7}  {total['form_asked']:4} / {total['form_prefilled']}"
    )
    if steps:
        print(
            f"of {steps} steps on the paths walked: {total['skipped']} skipped "
            f"({100 * total['skipped'] / steps:.1f}%), {total['prefilled']} prefilled "
            f"({100 * total['prefilled'] / steps:.1f}%); escalation forms: "
            f"{total['form_prefilled']} of {total['form_asked'] + total['form_prefilled']} "
            "questions already filled in"
        )


if __name__ == "__main__":
    main()
