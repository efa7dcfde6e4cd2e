"""Property tests: hypothesis builds valid trees of every shape, then breaks them one way at a
time; the valid ones pass and each defect is caught at the node where it was made."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.config import Defaults
from kb.trees.graph import graph_from_data
from kb.trees.validate import Context, validate_tree

CAPACITY = {"question": 6, "action": 2, "input": 1, "check": 3}
CONTEXT = Context(
    articles={"real-article": "public"},
    checks={"dns_resolve": {"host": True}},
    groups=Defaults.SUPPORT_GROUPS,
)


def labels(kind: str, count: int) -> list[tuple[str, str]]:
    if kind == "action":
        return [("answer", "It worked"), ("answer", "It didn't work")][:count]
    if kind == "check":
        return [("outcome", o) for o in ("pass", "fail", "error")][:count]
    if kind == "input":
        return [("", "")]
    return [("answer", f"Answer {i}") for i in range(count)]


def exits_for(kind: str, draw) -> int:
    if kind == "question":
        return draw(st.integers(2, 4))
    if kind == "check":
        return draw(st.integers(2, 3))
    return CAPACITY[kind]


@st.composite
def valid_trees(draw):
    count = draw(st.integers(1, 10))
    kinds = ["question"] + [
        draw(st.sampled_from(["question", "action", "input", "check"])) for _ in range(count - 1)
    ]
    wanted = [exits_for(k, draw) for k in kinds]
    children: list[list[str]] = [[] for _ in kinds]
    for i in range(1, count):  # every node hangs under an earlier one with room left
        parents = [p for p in range(i) if len(children[p]) < wanted[p]]
        parent = draw(st.sampled_from(parents)) if parents else 0
        if len(children[parent]) >= wanted[parent]:
            wanted[parent] += 1  # only questions take extra answers (node 0 is one)
        children[parent].append(f"n{i}")
    terminals: dict[str, dict] = {}
    for i in range(count):
        while len(children[i]) < wanted[i]:
            forward = [f"n{j}" for j in range(i + 1, count) if f"n{j}" not in children[i]]
            loops = [f"n{j}" for j in range(i + 1) if f"n{j}" not in children[i]]
            new_terminal = f"t{len(terminals)}"
            choices = [new_terminal] + forward + (loops if children[i] else [])
            target = draw(st.sampled_from(choices))
            if target == new_terminal:
                end = draw(st.sampled_from(["resolution", "escalation"]))
                terminals[new_terminal] = {"id": new_terminal, "kind": end, "label": "End",
                                           "text": "The end."}  # fmt: skip
                if end == "escalation":
                    terminals[new_terminal].update(
                        group="service-desk", impact="low", urgency="low", ask=["Name"]
                    )
            children[i].append(target)
    nodes, edges = [], []
    for i, kind in enumerate(kinds):
        attrs = {"id": f"n{i}", "kind": kind, "label": f"Step {i}", "text": f"Step {i}?"}
        if kind == "input":
            attrs.update(var=f"v{i}", input_type="text")
        if kind == "check":
            attrs.update(check="dns_resolve", params={"host": "example.org"})
        nodes.append(attrs)
        for (key, label), target in zip(labels(kind, len(children[i])), children[i], strict=True):
            edge = {"source": f"n{i}", "target": target}
            if key:
                edge[key] = label
            edges.append(edge)
    nodes += terminals.values()
    graph = {"id": "generated", "title": "Generated", "summary": "Made by hypothesis.",
             "service": "web", "category": "Software", "audience": "public", "start": "n0",
             "version": 1, "tags": []}  # fmt: skip
    return {"directed": True, "multigraph": False, "graph": graph, "nodes": nodes, "edges": edges}


def problems(data):
    return validate_tree(graph_from_data(data), CONTEXT).problems


def caught(data, node, text) -> bool:
    return any(p.node == node and text in p.message for p in problems(data))


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(valid_trees())
def test_generated_valid_trees_pass(data) -> None:
    assert [str(p) for p in problems(data)] == []


@SETTINGS
@given(valid_trees(), st.data())
def test_an_unreachable_node_is_caught(data, extra) -> None:
    data["nodes"].append({"id": "stray", "kind": "resolution", "label": "S", "text": "Stray."})
    assert caught(data, "stray", "cannot be reached")


@SETTINGS
@given(valid_trees(), st.data())
def test_a_terminal_with_an_out_edge_is_caught(data, extra) -> None:
    terminals = [n["id"] for n in data["nodes"] if n["kind"] in ("resolution", "escalation")]
    terminal = extra.draw(st.sampled_from(terminals))
    data["edges"].append({"source": terminal, "target": "n0", "answer": "Again"})
    assert caught(data, terminal, "ends the diagnostic")


@SETTINGS
@given(valid_trees(), st.data())
def test_a_step_whose_only_way_out_loops_back_is_caught(data, extra) -> None:
    inputs = [n["id"] for n in data["nodes"] if n["kind"] == "input"]
    questions = [n["id"] for n in data["nodes"] if n["kind"] == "question"]
    victim = extra.draw(st.sampled_from(inputs or questions))
    trapped = copy.deepcopy(data)
    trapped["edges"] = [e for e in trapped["edges"] if e["source"] != victim]
    edge = {"source": victim, "target": victim}
    if victim not in inputs:
        edge["answer"] = "Again"
    trapped["edges"].append(edge)
    assert caught(trapped, victim, "no path from here reaches a resolution or an escalation")


@SETTINGS
@given(valid_trees(), st.data())
def test_a_duplicate_answer_is_caught(data, extra) -> None:
    questions = [n["id"] for n in data["nodes"] if n["kind"] == "question"]
    victim = extra.draw(st.sampled_from(questions))
    for edge in data["edges"]:
        if edge["source"] == victim:
            edge["answer"] = "Same"
    assert caught(data, victim, "is used twice")


@SETTINGS
@given(valid_trees(), st.data(), st.sampled_from(["article", "group", "check"]))
def test_an_unknown_reference_is_caught(data, extra, what) -> None:
    wanted = {"article": None, "group": "escalation", "check": "check"}[what]
    candidates = [n for n in data["nodes"] if wanted is None or n["kind"] == wanted]
    if not candidates:
        candidates = [n for n in data["nodes"] if n["kind"] != "input"]
        what = "article"
    victim = extra.draw(st.sampled_from(candidates))
    victim[what] = "does-not-exist"
    assert caught(data, victim["id"], "does-not-exist")


@SETTINGS
@given(valid_trees(), st.data())
def test_a_variable_that_is_not_always_set_is_caught(data, extra) -> None:
    victim = extra.draw(st.sampled_from(data["nodes"]))
    victim["text"] = "About {never_asked}?"
    assert caught(data, victim["id"], "{never_asked}")


@SETTINGS
@given(valid_trees(), st.text(alphabet="abcdefghij_", min_size=1, max_size=8))
def test_a_missing_start_is_caught(data, name) -> None:
    data["graph"]["start"] = "missing_" + name
    assert any(p.node is None and "graph start" in p.message for p in problems(data))
