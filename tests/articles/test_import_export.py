"""`kb import` / `kb export`: idempotent, revisioned, per-file errors, nothing half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb.content import import_content
from kb.models import Article, ArticleRevision

ARTICLE = """---
title: {title}
slug: {slug}
summary: Steps.
tags: [vpn]
category: Network and remote access
service: vpn
audience: {audience}
status: published
---

## Issue

{body}
"""


def write(
    folder: Path,
    slug: str,
    title: str = "A title",
    body: str = "Text.",
    audience: str = "public",
    name: str | None = None,
) -> Path:
    path = folder / (name or f"{slug}.md")
    path.write_text(ARTICLE.format(slug=slug, title=title, body=body, audience=audience))
    return path


@pytest.fixture
def empty_app(make_app):
    return make_app(content="empty")


@pytest.fixture
def session(empty_app):
    from kb.extensions import kb_state

    with empty_app.app_context(), kb_state(empty_app).session() as s:
        yield s


def revisions(session, slug: str) -> int:
    return session.scalar(
        select(func.count(ArticleRevision.id))
        .join(Article, ArticleRevision.article_id == Article.id)
        .where(Article.slug == slug)
    )


def test_importing_the_same_files_twice_creates_no_new_revision(session, tmp_path) -> None:
    write(tmp_path, "vpn-help")
    first = import_content(session, [tmp_path])
    second = import_content(session, [tmp_path])
    assert first.articles.count("created") == 1
    assert second.articles.count("unchanged") == 1
    assert revisions(session, "vpn-help") == 1


def test_a_changed_file_becomes_a_new_revision(session, tmp_path) -> None:
    write(tmp_path, "vpn-help", body="Old text.")
    import_content(session, [tmp_path])
    write(tmp_path, "vpn-help", body="New text.")
    report = import_content(session, [tmp_path])
    assert report.articles.count("updated") == 1
    assert revisions(session, "vpn-help") == 2
    article = session.scalar(select(Article).where(Article.slug == "vpn-help"))
    assert article.published_revision.body.endswith("New text.")
    assert article.published_revision.number == 2


def test_a_bad_file_is_reported_and_does_not_stop_the_others(session, tmp_path) -> None:
    write(tmp_path, "good-one")
    (tmp_path / "broken.md").write_text("---\ntitle: Broken\naudience: everyone\n---\nText\n")
    report = import_content(session, [tmp_path])
    assert report.articles.count("created") == 1
    assert report.error_lines == [
        f"{tmp_path / 'broken.md'}: line 3: audience: must be public or internal"
    ]
    assert session.scalar(select(func.count(Article.id))) == 1


def test_malformed_yaml_reports_path_and_line(session, tmp_path) -> None:
    (tmp_path / "bad-yaml.md").write_text("---\ntitle: X\ntags: [a, b\nslug: bad-yaml\n---\nText\n")
    report = import_content(session, [tmp_path])
    (line,) = report.error_lines
    assert line.startswith(f"{tmp_path / 'bad-yaml.md'}: line 3: front matter is not valid YAML")
    assert session.scalar(select(func.count(Article.id))) == 0


def test_duplicate_slugs_are_reported_and_neither_file_is_imported(session, tmp_path) -> None:
    write(tmp_path, "same-slug", name="one.md")
    write(tmp_path, "same-slug", name="two.md")
    report = import_content(session, [tmp_path])
    assert report.articles.count("error") == 2
    assert all("slug: 'same-slug' is also used by" in line for line in report.error_lines)
    assert session.scalar(select(func.count(Article.id))) == 0


def test_broken_links_are_reported_with_line(session, tmp_path) -> None:
    write(tmp_path, "linker", body="See [gone](no-such-article.md) and [ok](target.md).")
    write(tmp_path, "target")
    report = import_content(session, [tmp_path])
    assert report.warnings == [
        f"{tmp_path / 'linker.md'}: line 14: link to unknown article 'no-such-article'"
    ]


def test_export_is_byte_stable_and_reimports_unchanged(session, tmp_path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    original = write(source, "vpn-help").read_text()
    import_content(session, [source])
    from kb.content import export_content

    out1, out2 = tmp_path / "out1", tmp_path / "out2"
    export_content(session, out1)
    export_content(session, out2)
    assert (out1 / "vpn-help.md").read_bytes() == (out2 / "vpn-help.md").read_bytes()
    assert (out1 / "vpn-help.md").read_text() == original
    again = import_content(session, [out1])
    assert again.articles.count("unchanged") == 1


def test_bundled_articles_import_cleanly(session) -> None:
    repo = Path(__file__).resolve().parents[2]
    # Trees come along: articles link to them, and those links are checked.
    report = import_content(session, [repo / "articles", repo / "kb" / "decision_trees"])
    assert report.error_lines == []
    assert report.warnings == []
    assert report.articles.count("created") >= 40


def test_bundled_articles_are_in_canonical_form(session, tmp_path) -> None:
    """Exporting the bundled articles reproduces the files: `kb export articles/` is a no-op."""
    repo = Path(__file__).resolve().parents[2]
    import_content(session, [repo / "articles"])
    from kb.content import export_content

    export_content(session, tmp_path)
    for path in sorted((repo / "articles").glob("*.md")):
        assert (tmp_path / path.name).read_text() == path.read_text(), path.name
