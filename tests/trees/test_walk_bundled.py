"""Every bundled tree can be walked to each of its terminals, through the pages and through
the API, in self-service and in technician mode."""

from __future__ import annotations

import networkx as nx
import pytest

from tests.trees.helpers import REPO, Api, answers_along, bundled_tree, start, step, terminals

TREES = sorted(p.stem for p in (REPO / "kb" / "decision_trees").glob("*.json"))


def modes(graph) -> list[str]:
    if graph.graph["audience"] == "technician":
        return ["technician"]
    return ["self_service", "technician"]


@pytest.mark.parametrize("tree_id", TREES)
def test_every_terminal_is_reachable_through_the_api_in_each_mode(client, auth, tree_id) -> None:
    graph = bundled_tree(tree_id)
    for mode in modes(graph):
        if mode == "technician":
            auth.login("technician")
        api = Api(client)
        for terminal in terminals(graph):
            path = nx.shortest_path(graph, graph.graph["start"], terminal)
            response = api.post("/sessions", {"tree": tree_id, "mode": mode})
            assert response.status_code == 201, response.get_json()
            body = response.get_json()
            for field, value in answers_along(graph, path):
                response = api.post(f"/sessions/{body['id']}/answer", {field: value})
                assert response.status_code == 200, (terminal, response.get_json())
                body = response.get_json()
            expected = "resolved" if graph.nodes[terminal]["kind"] == "resolution" else "escalated"
            assert (body["status"], body["node"]["id"]) == (expected, terminal)
            full = api.get(f"/sessions/{body['id']}").get_json()
            assert [e["node"] for e in full["transcript"] if e["action"] != "end"] == path[:-1]


@pytest.mark.parametrize("tree_id", TREES)
def test_every_terminal_is_reachable_through_the_pages_in_each_mode(client, auth, tree_id) -> None:
    graph = bundled_tree(tree_id)
    for mode in modes(graph):
        if mode == "technician":
            auth.login("technician")
        for terminal in terminals(graph):
            path = nx.shortest_path(graph, graph.graph["start"], terminal)
            token = start(client, tree_id, mode)
            for field, value in answers_along(graph, path):
                assert step(client, token, **{field: value}).status_code == 302
            page = client.get(f"/sessions/{token}").get_data(as_text=True)
            resolution = graph.nodes[terminal]["kind"] == "resolution"
            heading = "Did this fix it?" if resolution else "This needs"
            assert heading in page, (tree_id, terminal)
