"""From resolved escalations back into trees: grouping by what fixed them, "Turn into a
branch" in the editor, and the motivating tickets on the tree's history."""

from __future__ import annotations

import networkx as nx
import pytest
from sqlalchemy import select

from kb.escalation.learning import branch_draft, fix_groups
from kb.extensions import kb_state
from kb.models import FollowUp, Tree, TreeRevision
from kb.reports.base import Period
from kb.reports.trees import heatmap_report
from kb.trees.store import check_tree
from tests.conftest import AuthActions, csrf_token
from tests.trees.helpers import form_fields
from tests.trees.learning_flow import TREE, escalate_and_resolve

FUSER = "Replaced the fuser unit."
ARTICLE = "printer-jams-and-print-quality"


@pytest.fixture
def learned(make_app):
    """Two fuser fixes (written slightly differently) and one other fix from the printer-fault
    escalation step, and a driver fix after "This didn't help" at the follow-me question."""
    app = make_app()
    ids = {
        "fuser": [
            escalate_and_resolve(app, "esc_printer_fault", FUSER, [ARTICLE]),
            escalate_and_resolve(
                app, "esc_printer_fault", "  replaced the FUSER unit  ", [ARTICLE]
            ),
        ],
        "cable": [escalate_and_resolve(app, "esc_printer_fault", "Reseated the network cable.")],
        "driver": [escalate_and_resolve(app, "q_secure", "Installed the driver.", didnt_help=True)],
    }
    return app, ids


def groups_of(app) -> list:
    with kb_state(app).session() as session:
        return fix_groups(session, session.get(Tree, TREE))


def group(app, fix: str):
    return next(g for g in groups_of(app) if g.fix.casefold().startswith(fix.casefold()))


def test_resolved_escalations_are_grouped_by_where_they_left_and_what_fixed_them(learned):
    app, ids = learned
    groups = groups_of(app)
    assert [(g.where, g.node, g.count) for g in groups] == [
        ("escalation", "esc_printer_fault", 2),
        ("didnt_help", "q_secure", 1),
        ("escalation", "esc_printer_fault", 1),
    ]
    fuser = groups[0]
    assert fuser.fix == FUSER  # the way it was written first (ties: the earliest)
    assert sorted(e.public_id for e in fuser.escalations) == sorted(ids["fuser"])
    assert all(e.ticket.startswith("local:") for e in fuser.escalations)
    assert fuser.articles == [(ARTICLE, 2)]
    assert all(g.blocked is None for g in groups)


def test_the_heatmap_lists_the_groups_with_their_tickets(learned):
    app, _ = learned
    with kb_state(app).session() as session:
        report = heatmap_report(session, Period.parse(None, None), {}, tree_id=TREE)
    fired = {row[0]: row for row in report.tables[1].rows}
    assert fired["esc_printer_fault"][2].startswith(f"{FUSER} (2)")
    assert "Installed the driver. (1)" in fired["(didn't help)"][2]
    table = next(t for t in report.tables if t.title.startswith("Resolved escalations"))
    assert table.title == "Resolved escalations by what fixed them"
    assert [row[4] for row in table.rows] == [2, 1, 1]
    assert all(branch and branch[0] == TREE for branch in table.branches)


@pytest.mark.parametrize(
    ("fix", "before", "no_goes_to"),
    [(FUSER, "in_panel_message", "esc_printer_fault"), ("Installed", "q_secure", None)],
)
def test_a_branch_draft_asks_first_and_keeps_the_old_way_as_no(learned, fix, before, no_goes_to):
    app, _ = learned
    kb = kb_state(app)
    key = group(app, fix).key
    with kb.session() as session:
        tree = session.get(Tree, TREE)
        draft = branch_draft(session, kb, tree, key)
        check_tree(session, kb, draft.graph, tree_id=TREE)  # valid as it opens
        head_nodes = tree.head_revision.node_count
    graph = draft.graph
    question, ending = draft.added[:2]
    assert graph.has_edge(before, question)
    assert graph.nodes[question]["kind"] == "question"
    assert graph.nodes[question]["text"].startswith("Is it this:")
    assert graph.nodes[ending]["kind"] == "resolution"
    assert graph.edges[question, ending]["answer"] == "Yes"
    no = next(t for _, t, a in graph.out_edges(question, data="answer") if a == "No")
    if no_goes_to:
        assert no == no_goes_to and not graph.has_edge(before, no_goes_to)
        assert graph.nodes[ending]["article"] == ARTICLE
        assert graph.number_of_nodes() == head_nodes + 2
    else:
        assert graph.nodes[no]["kind"] == "escalation"
        assert nx.has_path(graph, before, no)


@pytest.mark.parametrize("who", ["requester", "technician"])
def test_people_who_may_not_edit_trees_cannot_open_a_branch(learned, who):
    app, _ = learned
    client = app.test_client()
    AuthActions(client).login(who)
    response = client.get(f"/trees/{TREE}/edit?group={group(app, FUSER).key}")
    assert response.status_code == 403
    assert FUSER not in response.get_data(as_text=True)


def test_an_unknown_group_is_a_404_with_a_message(learned):
    app, _ = learned
    client = app.test_client()
    AuthActions(client).login("author")
    response = client.get(f"/trees/{TREE}/edit?group=0000000000000000")
    assert response.status_code == 404
    assert "No group of resolved escalations" in response.get_data(as_text=True)


def test_an_author_builds_a_branch_saves_it_and_the_history_names_the_tickets(learned):
    app, ids = learned
    kb = kb_state(app)
    author = app.test_client()
    AuthActions(author).login("author")
    editor = author.get(f"/trees/{TREE}/edit").get_data(as_text=True)
    key = group(app, FUSER).key
    assert "Learned from resolved escalations" in editor and f"group={key}" in editor

    page = author.get(f"/trees/{TREE}/edit?group={key}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "New branch from 2 resolved escalations" in html
    fields = form_fields(html, "tree-editor")
    assert fields["learned_from"] == key
    assert "from 2 resolved escalations" in fields["message"]
    assert FUSER in fields.values() and ARTICLE in fields.values()
    with kb.session() as session:  # nothing saved by opening the draft
        assert session.get(Tree, TREE).head_revision.motivated_by is None

    question = next(k for k, v in fields.items() if v.startswith("Is it this:"))
    fields[question] = "Does the printer show a fuser error?"
    fields["action"] = "submit"
    saved = author.post(f"/trees/{TREE}/edit", data=fields)
    assert saved.status_code == 302, saved.get_data(as_text=True)

    with kb.session() as session:
        tree = session.get(Tree, TREE)
        assert tree.status == "in_review"
        head = tree.head_revision
        assert sorted(m["public_id"] for m in head.motivated_by) == sorted(ids["fuser"])
        number = head.number
        graph_text = str(head.data)
    assert "Does the printer show a fuser error?" in graph_text

    history = author.get(f"/trees/{TREE}/history").get_data(as_text=True)
    assert "Motivated by 2 resolved tickets" in history
    for public_id in ids["fuser"]:
        assert f"/escalations/{public_id}" in history
    diff = author.get(f"/trees/{TREE}/diff?from={number - 1}&to={number}").get_data(as_text=True)
    assert "Motivated by 2 resolved tickets" in diff

    reviewer = app.test_client()
    AuthActions(reviewer).login("reviewer")
    board = reviewer.get("/dashboard").get_data(as_text=True)
    assert "Awaiting review" in board and f"/trees/{TREE}/history" in board


def test_a_save_that_changes_nothing_records_no_tickets(learned):
    app, _ = learned
    kb = kb_state(app)
    author = app.test_client()
    AuthActions(author).login("author")
    fields = form_fields(author.get(f"/trees/{TREE}/edit").get_data(as_text=True), "tree-editor")
    fields["learned_from"] = group(app, FUSER).key
    fields["action"] = "save"
    assert author.post(f"/trees/{TREE}/edit", data=fields).status_code == 302
    with kb.session() as session:
        revisions = session.scalars(select(TreeRevision).where(TreeRevision.tree_id == TREE)).all()
        assert all(r.motivated_by is None for r in revisions)


def test_the_heatmap_offers_turn_into_a_branch(learned):
    app, _ = learned
    reviewer = app.test_client()
    AuthActions(reviewer).login("reviewer")
    page = reviewer.get(f"/reports/tree-heatmap?tree={TREE}").get_data(as_text=True)
    assert "Turn into a branch" in page
    assert f"/trees/{TREE}/edit?group={group(app, FUSER).key}" in page


def test_the_groups_have_a_json_twin_for_authors_only(learned):
    app, ids = learned
    technician = app.test_client()
    AuthActions(technician).login("technician")
    assert technician.get(f"/api/v1/trees/{TREE}/fix-groups").status_code == 403
    author = app.test_client()
    AuthActions(author).login("author")
    body = author.get(f"/api/v1/trees/{TREE}/fix-groups").get_json()
    assert body["total"] == 3
    first = body["items"][0]
    assert first["fixed_by"] == FUSER and first["count"] == 2
    assert sorted(e["public_id"] for e in first["escalations"]) == sorted(ids["fuser"])
    assert first["branch_url"] == f"/trees/{TREE}/edit?group={first['key']}"


def test_still_not_fixed_at_an_ending_becomes_where_that_ending_leads(make_app):
    app = make_app()
    escalate_and_resolve(app, "res_released", "Renewed the print licence.", not_fixed=True)
    kb = kb_state(app)
    (only,) = groups_of(app)
    assert (only.where, only.node, only.blocked) == ("not_fixed", "res_released", None)
    with kb.session() as session:
        tree = session.get(Tree, TREE)
        draft = branch_draft(session, kb, tree, only.key)
        check_tree(session, kb, draft.graph, tree_id=TREE)
    question, ending, escalation = draft.added
    assert draft.graph.nodes["res_released"]["not_fixed_next"] == question
    assert draft.graph.nodes[ending]["text"] == "Renewed the print licence."
    assert draft.graph.nodes[escalation]["kind"] == "escalation"


def test_didnt_help_at_an_action_step_is_listed_but_not_branched(make_app):
    app = make_app()
    escalate_and_resolve(app, "a_release", "Reset the badge reader.", didnt_help=True)
    (only,) = groups_of(app)
    assert only.where == "didnt_help" and "by hand" in only.blocked
    author = app.test_client()
    AuthActions(author).login("author")
    editor = author.get(f"/trees/{TREE}/edit").get_data(as_text=True)
    assert "Reset the badge reader." in editor and f"group={only.key}" not in editor
    refused = author.get(f"/trees/{TREE}/edit?group={only.key}")
    assert refused.status_code == 422
    assert "add the branch by hand" in refused.get_data(as_text=True)


def test_a_branch_whose_group_is_gone_is_still_saved_without_tickets(learned):
    app, _ = learned
    kb = kb_state(app)
    author = app.test_client()
    AuthActions(author).login("author")
    html = author.get(f"/trees/{TREE}/edit?group={group(app, FUSER).key}").get_data(as_text=True)
    fields = form_fields(html, "tree-editor")
    fields["learned_from"] = "0000000000000000"
    fields["action"] = "save"
    saved = author.post(f"/trees/{TREE}/edit", data=fields, follow_redirects=True)
    assert saved.status_code == 200
    assert "saved without them" in saved.get_data(as_text=True)
    with kb.session() as session:
        head = session.get(Tree, TREE).head_revision
        assert head.number == 2 and head.motivated_by is None


def test_a_fix_that_did_not_hold_is_not_learned(make_app):
    """The requester answered the follow-up "not fixed": the escalation is reopened and its
    resolution no longer counts as what fixed it."""
    app = make_app()
    escalate_and_resolve(app, "esc_printer_fault", FUSER, followup_days="2")
    assert [g.count for g in groups_of(app)] == [1]
    with kb_state(app).session() as session:
        token = session.scalar(select(FollowUp.token))
    requester = app.test_client()
    answered = requester.post(
        f"/followups/{token}",
        data={"fixed": "no", "csrf_token": csrf_token(requester, f"/followups/{token}")},
    )
    assert answered.status_code == 302
    assert groups_of(app) == []
