"""`kb import` / `kb export` with trees, and `kb tree validate`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from kb.cli import cli
from kb.content import export_content, import_content
from kb.extensions import kb_state
from kb.models import TreeRevision
from kb.trees.catalog import all_tree_snapshots, tree_snapshot
from tests.trees.helpers import REPO
from tests.trees.trees import node, small, write_tree


@pytest.fixture
def session(app):
    with app.app_context(), kb_state(app).session() as s:
        yield s


def revisions(session, tree_id: str) -> int:
    return session.scalar(
        select(func.count(TreeRevision.id)).where(TreeRevision.tree_id == tree_id)
    )


def test_import_is_idempotent_and_a_changed_file_is_a_new_revision(session, tmp_path) -> None:
    write_tree(tmp_path, small())
    first = import_content(session, [tmp_path])
    assert first.trees.summary() == "trees: 1 created, 0 updated, 0 unchanged, 0 error"
    again = import_content(session, [tmp_path])
    assert again.trees.count("unchanged") == 1 and revisions(session, "test-printer") == 1
    changed = small(title="Test printer, improved")
    write_tree(tmp_path, changed)
    third = import_content(session, [tmp_path])
    assert third.trees.count("updated") == 1 and revisions(session, "test-printer") == 2
    assert tree_snapshot(session, "test-printer").title == "Test printer, improved"


def test_an_invalid_tree_is_reported_with_path_and_node_and_not_imported(session, tmp_path) -> None:
    data = small()
    node(data, "esc_desk")["group"] = "nobody"
    node(data, "a_power")["article"] = "no-such-article"
    path = write_tree(tmp_path, data)
    report = import_content(session, [tmp_path])
    assert report.failed and report.trees.count("error") == 1
    assert f"{path}: node esc_desk: group: there is no support group 'nobody'" in "\n".join(
        report.error_lines
    )
    assert any("node a_power: article" in line for line in report.error_lines)
    assert tree_snapshot(session, "test-printer") is None


def test_a_file_whose_name_differs_from_its_id_is_refused(session, tmp_path) -> None:
    path = write_tree(tmp_path, small(), name="other-name")
    report = import_content(session, [tmp_path])
    assert f"{path}: graph id 'test-printer' must equal the file name 'other-name'" in (
        report.error_lines
    )


def test_a_broken_file_does_not_stop_the_others(session, tmp_path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    write_tree(tmp_path, small())
    report = import_content(session, [tmp_path])
    assert report.trees.count("created") == 1 and report.trees.count("error") == 1
    assert any("broken.json: not valid JSON" in line for line in report.error_lines)


def test_articles_and_trees_in_one_import_can_name_each_other(make_app, tmp_path) -> None:
    app = make_app(content="empty")
    article = (REPO / "articles" / "printer-not-printing.md").read_text()
    (tmp_path / "printer-not-printing.md").write_text(
        article + "\n[Run the diagnostic](/trees/test-printer) or [this](/trees/missing-tree)\n"
    )
    write_tree(tmp_path, small())
    with app.app_context(), kb_state(app).session() as session:
        report = import_content(session, [tmp_path])
    assert not report.failed, report.error_lines
    assert report.trees.count("created") == 1
    unknown = {w.split("unknown tree ")[1] for w in report.warnings if "unknown tree" in w}
    assert "'missing-tree'" in unknown and "'test-printer'" not in unknown


def test_export_is_byte_stable_and_reimport_is_a_no_op(session, tmp_path) -> None:
    export_content(session, tmp_path)
    for path in sorted((REPO / "kb" / "decision_trees").glob("*.json")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    report = import_content(session, [tmp_path])
    assert report.trees.count("unchanged") == len(list(tmp_path.glob("*.json")))


def test_catalog_snapshots_cover_every_tree_live_or_not(session, tmp_path) -> None:
    snapshots = {s.id: s for s in all_tree_snapshots(session)}
    assert len(snapshots) >= 12
    triage = snapshots["suspected-outage-triage"]
    assert triage.live and triage.audience == "technician" and triage.revision_id
    assert "outage" in triage.text.lower()
    assert tree_snapshot(session, "no-such-tree") is None


def test_cli_tree_validate_checks_files_and_exits_2_on_problems(runner, tmp_path) -> None:
    good = runner.invoke(cli, ["tree", "validate", str(REPO / "kb" / "decision_trees")])
    assert good.exit_code == 0, good.output
    bundled = len(list((REPO / "kb" / "decision_trees").glob("*.json")))
    assert bundled >= 18 and f"{bundled} tree(s) valid" in good.output
    data = small()
    node(data, "q_power")["text"] = "Is {model} on?"
    path = write_tree(tmp_path, data)
    bad = runner.invoke(cli, ["tree", "validate", str(path)])
    assert bad.exit_code == 2
    assert f"{path}: node q_power: uses {{model}}, which no input node sets" in bad.output


def test_cli_tree_validate_without_paths_checks_the_stored_trees(runner) -> None:
    result = runner.invoke(cli, ["tree", "validate"])
    assert result.exit_code == 0 and "tree(s) valid" in result.output


def test_cli_import_reports_an_invalid_tree_and_exits_1(runner, tmp_path) -> None:
    data = small()
    data["edges"].append({"source": "res_fixed", "target": "q_power", "answer": "Again"})
    write_tree(tmp_path, data)
    result = runner.invoke(cli, ["import", str(tmp_path)])
    assert result.exit_code == 1
    assert "node res_fixed: a resolution ends the diagnostic" in result.output
    assert json.loads((tmp_path / "test-printer.json").read_text())["graph"]["id"]
