"""`kb content check`: each rule fails on a bad example and passes on a good one, the exit
codes, the bundled set, and the self-service search text that never shows a raw placeholder."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.search.helpers import search
from tests.trees.helpers import import_tree
from tests.trees.trees import node, small

REPO = Path(__file__).resolve().parent.parent
TODAY = "2027-01-15"

BODY = """## Issue

Your document does not come out of the printer.

## Environment

Windows 11 laptops and the office printers. See [adding a printer](add-printer.md).

## Resolution

1. Run the [printer diagnostic](/trees/test-printer).
2. Clear the print queue.

## Cause

A stuck document blocks the queue.
"""


def article(slug: str = "printer-not-printing", body: str = BODY, **fields: Any) -> str:
    front = {
        "title": "Printer not printing",
        "slug": slug,
        "summary": "Get a stuck print job out.",
        "tags": "[printer]",
        "category": "Printing",
        "service": "printing",
        "audience": "public",
        "status": "published",
        "owner": "desk@example.org",
        "review_by": "2027-06-30",
        **fields,
    }
    lines = [f"{key}: {value}" for key, value in front.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


def good_tree() -> dict[str, Any]:
    data = small()
    for node_id in ("a_power", "c_ping", "esc_desk"):
        node(data, node_id)["text_technician"] = "Walk the caller through it; note the result."
    return data


def write_set(folder: Path, articles: dict[str, str] | None = None, trees=None) -> Path:
    """A content folder: articles by file name, trees as node-link data."""
    folder.mkdir(parents=True, exist_ok=True)
    if articles is None:
        articles = {"printer-not-printing.md": article(), "add-printer.md": article("add-printer")}
    for name, text in articles.items():
        (folder / name).write_text(text)
    for data in [good_tree()] if trees is None else trees:
        (folder / f"{data['graph']['id']}.json").write_text(json.dumps(data, indent=2))
    return folder


def check(*args: str):
    result = CliRunner().invoke(cli, ["content", "check", *args])
    return result.exit_code, result.stdout, result.stderr


def problems_of(folder: Path, today: str = TODAY) -> list[str]:
    code, out, err = check("--today", today, str(folder))
    if code == 0:
        assert out.endswith("ready to publish.\n") and not err, (out, err)
        return []
    assert code == 1 and err.startswith("kb: "), (out, err)
    return [line.removeprefix(str(folder) + "/") for line in out.splitlines()]


# --- the good set, exit codes ----------------------------------------------------------------


def test_a_good_set_is_clean_and_exits_0(tmp_path) -> None:
    code, out, err = check("--today", TODAY, str(write_set(tmp_path / "c")))
    assert (code, err) == (0, ""), out
    assert out.strip() == "2 article(s) and 1 tree(s) checked: ready to publish."


def test_problems_are_one_line_each_and_exit_1(tmp_path) -> None:
    folder = write_set(
        tmp_path / "c", {"printer-not-printing.md": article(audience="everyone")}, trees=[]
    )
    code, out, err = check("--today", TODAY, str(folder))
    assert code == 1
    assert out.splitlines() == [f"{folder}/printer-not-printing.md: line 8: audience: must be "
                                "public or internal"]  # fmt: skip
    assert err.strip() == "kb: 1 problem(s) in 1 article(s) and 0 tree(s)"


@pytest.mark.parametrize(
    "args, message",
    [
        (["/no/such/folder"], "does not exist"),
        (["--today", "15/01/2027"], "does not match the format"),
        (["--today"], "requires an argument"),
    ],
)
def test_bad_usage_exits_2_with_one_line(tmp_path, args, message) -> None:
    code, _out, err = check(*args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err


def test_a_folder_without_content_files_is_bad_usage(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    code, _out, err = check(str(tmp_path))
    assert code == 2
    assert "no articles (*.md) or trees (*.json)" in err


# --- links -------------------------------------------------------------------------------------


UNREADABLE = ": this public article's readers cannot open it"


@pytest.mark.parametrize(
    "link, expected",
    [
        ("[gone](no-such-article.md)", "link to unknown article 'no-such-article'"),
        ("[gone](/articles/no-such-article)", "link to unknown article 'no-such-article'"),
        ("[gone](/trees/no-such-tree)", "link to unknown tree 'no-such-tree'"),
        ("[staff](staff-only.md)", "link to internal article 'staff-only'" + UNREADABLE),
        ("[staff](/trees/staff-tree)", "link to technician-only tree 'staff-tree'" + UNREADABLE),
        ("[fine](add-printer.md) and `[code](no-such-article.md)`", None),
    ],
)
def test_broken_links_are_reported_with_their_line(tmp_path, link, expected) -> None:
    body = BODY.replace("2. Clear the print queue.", f"2. Clear the queue: {link}.")
    staff_tree = good_tree()
    staff_tree["graph"].update(id="staff-tree", audience="technician")
    articles = {
        "printer-not-printing.md": article(body=body),
        "add-printer.md": article("add-printer"),
        "staff-only.md": article("staff-only", audience="internal"),
    }
    found = problems_of(write_set(tmp_path / "c", articles, [good_tree(), staff_tree]))
    assert found == ([f"printer-not-printing.md: line 25: {expected}"] if expected else [])


def test_an_internal_article_may_link_internal_content(tmp_path) -> None:
    text = article(body=BODY.replace("(add-printer.md)", "(staff-only.md)"), audience="internal")
    articles = {"printer-not-printing.md": text, "staff-only.md": article("staff-only", "## x")}
    found = problems_of(write_set(tmp_path / "c", articles))
    assert not [line for line in found if line.startswith("printer-not-printing.md")]


def test_trees_must_name_articles_in_the_set(tmp_path) -> None:
    tree = good_tree()
    node(tree, "a_power")["article"] = "no-such-article"
    found = problems_of(write_set(tmp_path / "c", trees=[tree]))
    assert found == [
        "test-printer.json: node a_power: article: there is no article 'no-such-article'"
    ]


def test_a_steps_article_section_must_be_a_heading_of_its_article(tmp_path) -> None:
    tree = good_tree()
    node(tree, "a_power")["article_section"] = "resolution"
    assert problems_of(write_set(tmp_path / "good", trees=[tree])) == []
    node(tree, "a_power")["article_section"] = "workaround"
    found = problems_of(write_set(tmp_path / "bad", trees=[tree]))
    assert found == [
        "test-printer.json: node a_power: article_section: 'workaround' is not a heading of "
        "article 'printer-not-printing' (its headings: issue, environment, resolution, cause)"
    ]


def test_tree_links_are_only_checked_when_the_set_has_trees(tmp_path) -> None:
    assert problems_of(write_set(tmp_path / "c", trees=[])) == []


# --- placeholders ------------------------------------------------------------------------------


def test_placeholders_in_articles_fail_outside_code(tmp_path) -> None:
    body = BODY.replace(
        "2. Clear the print queue.",
        "2. Clear the queue of {printer_name}, or ask {who/how many} are affected.\n\n"
        "    bcdedit /set {default} safeboot minimal\n\n"
        "Run `Get-Printer -Name {name}`.\n\n```text\nDear {name},\n```",
    )
    articles = {
        "printer-not-printing.md": article(body=body),
        "add-printer.md": article("add-printer"),
    }
    found = problems_of(write_set(tmp_path / "c", articles))
    assert found == [
        "printer-not-printing.md: line 25: placeholder {printer_name} left in the text: "
        "write what the reader sees",
        "printer-not-printing.md: line 25: placeholder {who/how many} left in the text: "
        "write what the reader sees",
        # an indented line is not exempt (here it continues the list item): fences and spans are
        "printer-not-printing.md: line 27: placeholder {default} left in the text: "
        "write what the reader sees",
    ]


def _tree_with(**changes: Any) -> dict[str, Any]:
    tree = good_tree()
    for node_id, attrs in changes.items():
        if node_id == "graph":
            tree["graph"].update(attrs)
        else:
            node(tree, node_id).update(attrs)
    return tree


@pytest.mark.parametrize(
    "tree, expected",
    [
        (  # the validator's rule for texts, reported by the one command
            _tree_with(a_power={"text": "Switch {printer_model} on."}),
            ["node a_power: uses {printer_model}, which no input node sets"],
        ),
        (  # labels are filled like texts: only variables set before the step
            _tree_with(ask_name={"label": "Is {printer} on?"}),
            ["node ask_name: label: uses {printer}, which is not set on every path before this "
             "step"],
        ),
        (  # nothing ever fills the summary
            _tree_with(graph={"summary": "Fix {printer}."}),
            ["graph summary: uses {printer}, which is never filled in"],
        ),
    ],
)  # fmt: skip
def test_self_service_placeholders_must_be_set_before_the_step(tmp_path, tree, expected) -> None:
    found = problems_of(write_set(tmp_path / "c", trees=[tree]))
    assert found == [f"test-printer.json: {line}" for line in expected]


def test_answers_with_placeholders_fail(tmp_path) -> None:
    tree = good_tree()
    tree["edges"][1]["answer"] = "Yes, {printer} is on"
    found = problems_of(write_set(tmp_path / "c", trees=[tree]))
    assert found == [
        "test-printer.json: node q_power: answer 'Yes, {printer} is on': uses {printer}, "
        "which is never filled in"
    ]


def test_a_label_may_use_a_variable_set_before_it(tmp_path) -> None:
    tree = _tree_with(q_power={"label": "{printer} on?"})
    assert problems_of(write_set(tmp_path / "c", trees=[tree])) == []


# --- technician wording ------------------------------------------------------------------------


@pytest.mark.parametrize("node_id, kind", [("a_power", "action"), ("c_ping", "check"),
                                           ("esc_desk", "escalation")])  # fmt: skip
def test_public_trees_need_technician_wording_where_a_technician_acts(
    tmp_path, node_id, kind
) -> None:
    tree = good_tree()
    del node(tree, node_id)["text_technician"]
    found = problems_of(write_set(tmp_path / "c", trees=[tree]))
    assert found == [
        f"test-printer.json: node {node_id}: text_technician: a public tree's {kind} step needs "
        "technician wording (what the technician does here)"
    ]


def test_technician_trees_are_technician_wording_already(tmp_path) -> None:
    tree = small(audience="technician")  # no text_technician anywhere
    assert problems_of(write_set(tmp_path / "c", {}, [tree])) == []


# --- review and structure ----------------------------------------------------------------------


def test_articles_past_review_by_fail(tmp_path) -> None:
    folder = write_set(tmp_path / "c")
    assert problems_of(folder, today="2027-06-30") == []
    assert problems_of(folder, today="2027-07-01") == [
        f"{name}: line 11: review_by: 2027-06-30 has passed: review the article and set the "
        "next date"
        for name in ("add-printer.md", "printer-not-printing.md")
    ]


def test_published_articles_need_a_review_date_archived_ones_are_not_reviewed(tmp_path) -> None:
    articles = {
        "printer-not-printing.md": article(review_by=None),
        "add-printer.md": article("add-printer", status="archived", review_by="2020-01-01"),
    }
    assert problems_of(write_set(tmp_path / "c", articles, trees=[])) == [
        "printer-not-printing.md: review_by: a published article needs a date to review it by"
    ]


def test_articles_need_the_four_sections_with_text(tmp_path) -> None:
    body = BODY.replace("## Environment", "## Setting").replace(
        "A stuck document blocks the queue.", ""
    )
    articles = {
        "printer-not-printing.md": article(body=body),
        "add-printer.md": article("add-printer"),
    }
    found = problems_of(write_set(tmp_path / "c", articles))
    assert found == [
        "printer-not-printing.md: missing section '## Environment'",
        "printer-not-printing.md: line 27: section '## Cause' is empty",
    ]


# --- what import refuses -----------------------------------------------------------------------


def test_tree_validation_and_duplicates_are_reported_too(tmp_path) -> None:
    tree = good_tree()
    tree["nodes"].append({"id": "lost", "kind": "resolution", "label": "Lost", "text": "Never."})
    folder = write_set(tmp_path / "c", trees=[tree])
    (folder / "copy.md").write_text(article())
    found = problems_of(folder)
    assert "test-printer.json: node lost: cannot be reached from the start node 'ask_name'" in found
    duplicate = "slug 'printer-not-printing' is also used by"
    assert f"copy.md: line 3: {duplicate} {folder}/printer-not-printing.md" in found
    assert len(found) == 3


# --- the bundled set ---------------------------------------------------------------------------


def test_bundled_content_is_ready_to_publish() -> None:
    """The real command over the repository's own articles/ and kb/decision_trees/."""
    kb = Path(sys.executable).with_name("kb")
    done = subprocess.run(
        [str(kb), "content", "check"], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ready to publish" in done.stdout


# --- search and flowchart never show a raw placeholder ----------------------------------------


def test_public_search_snippets_show_a_readable_gap_not_a_placeholder(
    app, client, tmp_path
) -> None:
    tree = copy.deepcopy(good_tree())
    node(tree, "q_power")["text"] = "Is {printer} switched on at the zebrawall socket?"
    import_tree(app, tmp_path / "trees", tree)
    result = search(client, "zebrawall socket")
    hits = [hit for hit in result["results"] if hit["slug"] == "test-printer"]
    assert hits, result
    assert "{" not in hits[0]["snippet"]
    assert "your printer name" in hits[0]["snippet"].replace("<mark>", "").replace("</mark>", "")
    for q in ("printer", "meeting room", "laptop dock monitor", "switched on"):
        for hit in search(client, q, kind="tree")["results"]:
            assert "{" not in hit["snippet"], (q, hit)


def test_the_flowchart_shows_a_readable_gap(app, client, tmp_path) -> None:
    tree = _tree_with(q_power={"label": "{printer} on?"})
    import_tree(app, tmp_path / "trees", tree)
    svg = client.get("/trees/test-printer/flowchart.svg").get_data(as_text=True)
    assert "{printer}" not in svg
    assert "your printer name on?" in svg and "Is your printer name switched on?" in svg
