"""Smaller trust defects: 405s name the allowed methods, the SQLite database is private to
its owner, and `kb import` treats duplicate article slugs and tree ids the same way."""

from __future__ import annotations

import os
import stat

import pytest

from kb import create_app
from kb.cli import cli
from kb.extensions import kb_state
from tests.trees.trees import small, write_tree


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/preview", {"POST"}),
        ("GET", "/logout", {"POST"}),
        ("DELETE", "/api/v1/outages", {"GET", "POST"}),
        ("PUT", "/articles/change-password", {"GET"}),
    ],
)
def test_a_405_names_the_allowed_methods(client, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    header = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
    assert allowed <= header, response.headers


def test_the_sqlite_database_is_created_readable_by_its_owner_only(tmp_path):
    previous = os.umask(0o022)  # the usual umask, which made the file world-readable
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x"}, instance_path=tmp_path)
        kb_state(app).engine.dispose()
    finally:
        os.umask(previous)
    database = tmp_path / "kb.sqlite3"
    assert database.exists()
    for path in [database, *tmp_path.glob("kb.sqlite3-*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path, oct(path.stat().st_mode))


ARTICLE = """---
title: Same slug {n}
slug: shared-slug
summary: s
category: Printing
service: printing
audience: public
status: published
---

Body {n}.
"""


def test_duplicate_slugs_and_tree_ids_are_both_per_file_errors(runner, tmp_path):
    for n in (1, 2):
        folder = tmp_path / f"folder{n}"
        folder.mkdir()
        (folder / f"article-{n}.md").write_text(ARTICLE.format(n=n))
        tree = small(title=f"Shared tree {n}")
        write_tree(folder, tree)
    tree_id = small()["graph"]["id"]
    result = runner.invoke(cli, ["import", str(tmp_path)])
    assert result.exit_code == 1
    for n in (1, 2):
        article = tmp_path / f"folder{n}" / f"article-{n}.md"
        tree = tmp_path / f"folder{n}" / f"{tree_id}.json"
        assert f"{article}: " in result.output and "'shared-slug' is also used by" in result.output
        assert f"{tree}: " in result.output, result.output
    assert f"tree id '{tree_id}' is also used by" in result.output
    assert "articles: 0 created, 0 updated, 0 unchanged, 2 error" in result.output
    assert "trees: 0 created, 0 updated, 0 unchanged, 2 error" in result.output
    listing = runner.invoke(cli, ["export", str(tmp_path / "out")])
    assert listing.exit_code == 0
    assert not (tmp_path / "out" / "shared-slug.md").exists()
    assert not (tmp_path / "out" / f"{tree_id}.json").exists()
