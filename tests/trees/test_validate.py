"""Static verification: every defect the format forbids is reported, with its node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.config import Defaults
from kb.trees.graph import TreeFormatError, dump_tree, graph_from_data, parse_tree
from kb.trees.validate import Context, validate_tree
from tests.trees.trees import node, small

REPO = Path(__file__).resolve().parents[2]
CHECKS = {
    "dns_resolve": {"host": True},
    "tcp_connect": {"host": True, "port": True},
    "http_status": {"url": True, "expect": False},
}
ARTICLES = {"printer-not-printing": "public", "clear-print-queue-technician": "internal"}


def context(**overrides) -> Context:
    values = {"articles": ARTICLES, "checks": CHECKS, "groups": Defaults.SUPPORT_GROUPS}
    return Context(**(values | overrides))


def problems(data) -> list[str]:
    return [str(p) for p in validate_tree(graph_from_data(data), context()).problems]


def test_the_small_tree_is_valid() -> None:
    assert problems(small()) == []


def remove_edge(data, source, target):
    data["edges"] = [e for e in data["edges"] if (e["source"], e["target"]) != (source, target)]


def unreachable(data):
    data["nodes"].append({"id": "orphan", "kind": "resolution", "label": "O", "text": "x"})


def dead_end_loop(data):
    """A "try again" loop with no way out."""
    data["nodes"] += [
        {"id": "loop_q", "kind": "question", "label": "L", "text": "Try again?"},
        {"id": "loop_a", "kind": "action", "label": "A", "text": "Try it."},
    ]
    data["edges"] += [
        {"source": "q_power", "target": "loop_q", "answer": "Maybe"},
        {"source": "loop_q", "target": "loop_a", "answer": "Yes"},
        {"source": "loop_q", "target": "loop_a", "answer": "No"},
        {"source": "loop_a", "target": "loop_q", "answer": "It worked"},
    ]
    data["edges"] = [
        e for e in data["edges"] if not (e["source"] == "loop_q" and e["answer"] == "No")
    ]
    data["edges"].append({"source": "loop_q", "target": "loop_q", "answer": "No"})


def terminal_with_exit(data):
    data["edges"].append({"source": "res_fixed", "target": "q_power", "answer": "Again"})


def duplicate_answer(data):
    for edge in data["edges"]:
        if edge["source"] == "q_power":
            edge["answer"] = "Yes"


def unknown_article(data):
    node(data, "a_power")["article"] = "no-such-article"


def internal_article_in_public_tree(data):
    node(data, "a_power")["article"] = "clear-print-queue-technician"


def unknown_check(data):
    node(data, "c_ping")["check"] = "port_scan"


def unknown_group(data):
    node(data, "esc_desk")["group"] = "helpdesk-elves"


def variable_never_set(data):
    node(data, "q_power")["text"] = "Is {printer_model} on?"


def variable_not_set_on_every_path(data):
    # a second way into q_power that skips the input node
    data["nodes"].append({"id": "q_first", "kind": "question", "label": "Q", "text": "Start?"})
    data["graph"]["start"] = "q_first"
    data["edges"] += [
        {"source": "q_first", "target": "ask_name", "answer": "Name it"},
        {"source": "q_first", "target": "q_power", "answer": "Skip"},
    ]


def missing_start(data):
    data["graph"]["start"] = "nowhere"


def action_with_wrong_answers(data):
    for edge in data["edges"]:
        if edge["source"] == "a_power" and edge["answer"] == "It worked":
            edge["answer"] = "Done"


def check_without_fail_edge(data):
    remove_edge(data, "c_ping", "esc_desk")


def question_with_one_answer(data):
    remove_edge(data, "q_power", "a_power")


def input_with_two_exits(data):
    data["edges"].append({"source": "ask_name", "target": "a_power"})


def action_without_exits(data):
    data["edges"] = [e for e in data["edges"] if e["source"] != "a_power"]


def escalation_with_exit(data):
    data["edges"].append({"source": "esc_desk", "target": "res_fixed", "answer": "Go"})


def escalation_with_bad_levels(data):
    node(data, "esc_desk")["impact"] = "enormous"


@pytest.mark.parametrize(
    ("defect", "where", "expected"),
    [
        (unreachable, "orphan", "cannot be reached from the start"),
        (dead_end_loop, "loop_q", "no path from here reaches a resolution or an escalation"),
        (terminal_with_exit, "res_fixed", "ends the diagnostic: remove its out-edges"),
        (duplicate_answer, "q_power", "answer 'Yes' is used twice"),
        (unknown_article, "a_power", "there is no article 'no-such-article'"),
        (internal_article_in_public_tree, "a_power", "is internal"),
        (unknown_check, "c_ping", "there is no check 'port_scan'"),
        (unknown_group, "esc_desk", "there is no support group 'helpdesk-elves'"),
        (variable_never_set, "q_power", "{printer_model}, which no input node sets"),
        (variable_not_set_on_every_path, "q_power", "not set on every path"),
        (missing_start, None, "graph start: there is no node 'nowhere'"),
        (action_with_wrong_answers, "a_power", "'It worked' and 'It didn't work'"),
        (action_without_exits, "a_power", "an action step has exactly two outcomes"),
        (escalation_with_exit, "esc_desk", "an escalation ends the diagnostic"),
        (check_without_fail_edge, "c_ping", "needs a 'fail' out-edge"),
        (question_with_one_answer, "q_power", "at least 2 answers"),
        (input_with_two_exits, "ask_name", "exactly one out-edge"),
        (escalation_with_bad_levels, "esc_desk", "impact: must be high, medium or low"),
    ],
)
def test_each_defect_is_reported_at_its_node(defect, where, expected) -> None:
    data = small()
    defect(data)
    report = validate_tree(graph_from_data(data), context())
    matching = [p for p in report.problems if expected in p.message]
    assert matching, [str(p) for p in report.problems]
    assert where in {p.node for p in matching}


def test_validation_collects_every_problem_not_just_the_first() -> None:
    data = small()
    unknown_article(data)
    unknown_group(data)
    unreachable(data)
    nodes = {p.node for p in validate_tree(graph_from_data(data), context()).problems}
    assert {"a_power", "esc_desk", "orphan"} <= nodes


def test_a_public_tree_may_not_show_internal_articles_but_a_technician_tree_may() -> None:
    data = small(audience="technician")
    internal_article_in_public_tree(data)
    assert problems(data) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"nodes": [], "links": [], "graph": {}, "directed": true}', 'under "edges"'),
        ('{"nodes": [], "edges": [], "graph": {}}', '"directed" must be true'),
        ('{"directed": true, "multigraph": false, "graph": {}, "nodes": [{"id": "a"}, '
         '{"id": "a"}], "edges": []}', "node a: the id is used more than once"),
        ('{"directed": true, "multigraph": false, "graph": {}, "nodes": [{"id": "a"}], '
         '"edges": [{"source": "a", "target": "b"}]}', "edge a -> b: target is not a node"),
    ],
)  # fmt: skip
def test_files_that_are_not_directed_node_link_graphs_are_refused(text, message) -> None:
    with pytest.raises(TreeFormatError) as caught:
        parse_tree(text)
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_saving_is_canonical_and_byte_stable() -> None:
    text = json.dumps(small(), indent=2, sort_keys=True) + "\n"
    assert dump_tree(parse_tree(text)) == text


BUNDLED = sorted((REPO / "kb" / "decision_trees").glob("*.json"))


def bundled_articles() -> dict[str, str]:
    from kb.cli.trees import articles_in

    return articles_in([REPO / "articles"])


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_tree_passes_validation_and_is_canonical(path: Path) -> None:
    text = path.read_text()
    graph = parse_tree(text)
    report = validate_tree(graph, context(articles=bundled_articles(), expected_id=path.stem))
    assert [str(p) for p in report.problems] == []
    assert dump_tree(graph) == text


def test_at_least_ten_bundled_trees_with_two_for_technicians() -> None:
    audiences = [parse_tree(p.read_text()).graph["audience"] for p in BUNDLED]
    assert len(audiences) >= 12 and audiences.count("technician") >= 2
