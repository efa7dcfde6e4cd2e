"""The plugin manager and the hooks: each hook has a test named after it, and a meta-test
checks that every hook is documented and tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from kb import hookimpl, hookspecs
from kb.articles.document import parse_document
from kb.articles.interchange import _apply
from kb.errors import PluginError
from kb.extensions import kb_state

TESTS = Path(__file__).resolve().parent
DOC = """---
title: Plugin test
slug: plugin-test
status: {status}
---
Body with a :smile: and <script>x()</script>.
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    @hookimpl
    def kb_article_changed(self, kb, article):
        self.calls.append(("changed", article))

    @hookimpl
    def kb_article_published(self, kb, article):
        self.calls.append(("published", article))


def save(app, status: str = "published", commit: bool = True) -> None:
    with app.app_context(), kb_state(app).session() as session:
        _apply(session, parse_document(DOC.format(status=status)), message="test")
        if commit:
            session.commit()
        else:
            session.rollback()


def test_kb_article_changed(make_app) -> None:
    recorder = Recorder()
    app = make_app(content="empty", plugins=[recorder])
    save(app, status="draft")
    ((name, article),) = recorder.calls
    assert name == "changed"
    assert article.slug == "plugin-test" and article.status == "draft" and not article.live


def test_kb_article_published(make_app) -> None:
    recorder = Recorder()
    app = make_app(content="empty", plugins=[recorder])
    save(app)
    assert [name for name, _ in recorder.calls] == ["changed", "published"]
    published = recorder.calls[1][1]
    assert published.live and published.title == "Plugin test" and published.revision_number == 1


def test_article_hooks_do_not_fire_when_the_transaction_rolls_back(make_app) -> None:
    recorder = Recorder()
    app = make_app(content="empty", plugins=[recorder])
    save(app, commit=False)
    assert recorder.calls == []


def test_a_failing_plugin_does_not_break_the_save(make_app, caplog) -> None:
    class Broken:
        @hookimpl
        def kb_article_changed(self, kb, article):
            raise RuntimeError("boom")

    recorder = Recorder()
    app = make_app(content="empty", plugins=[Broken(), recorder])
    save(app)
    assert [name for name, _ in recorder.calls] == ["changed", "published"]
    assert "failed in kb_article_changed" in caplog.text
    with app.app_context():
        assert app.test_client().get("/articles/plugin-test").status_code == 200


def test_kb_markdown_extensions(make_app) -> None:
    from markdown.extensions import Extension
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    class Highlight(Extension):
        def extendMarkdown(self, md):
            md.inlinePatterns.register(SimpleTagInlineProcessor(r"(==)(.+?)==", "mark"), "mark", 50)

    class MarkPlugin:
        @hookimpl
        def kb_markdown_extensions(self, kb):
            return [Highlight(), "markdown.extensions.abbr"]

    app = make_app(plugins=[MarkPlugin()])
    from kb.articles.render import render_markdown

    assert "<mark>" not in render_markdown("a ==b== c").html
    with app.app_context(), kb_state(app).session() as session:
        from kb.articles.reading import rendered
        from kb.articles.revisions import get_article

        revision = get_article(session, "mailbox-full").published_revision
        revision.body += "\n\nThis is ==important== <script>x()</script>.\n"
        revision.html = None
        html, _ = rendered(kb_state(app), session, revision)
    assert "<mark>important</mark>" in html
    assert "<script" not in html


def test_instance_plugins_are_loaded_from_the_instance_folder(make_app, tmp_path) -> None:
    app = make_app(content="empty")
    plugins = Path(app.instance_path) / "plugins"
    (plugins / "site_audit.py").write_text(
        "from kb import hookimpl\n"
        "seen = []\n"
        "@hookimpl\n"
        "def kb_article_changed(kb, article):\n"
        "    seen.append(article.slug)\n"
    )
    from kb.app import create_app

    reloaded = create_app(app.config.copy() | {"SECRET_KEY": "x"}, instance_path=app.instance_path)
    pm = kb_state(reloaded).pm
    assert pm.has_plugin("site_audit")
    save(reloaded)
    assert pm.get_plugin("site_audit").seen == ["plugin-test"]


def test_an_instance_plugin_with_a_misspelt_hook_fails_at_start_up(make_app) -> None:
    app = make_app(content="empty")
    (Path(app.instance_path) / "plugins" / "typo.py").write_text(
        "from kb import hookimpl\n@hookimpl\ndef kb_article_chnged(kb, article):\n    pass\n"
    )
    from kb.app import create_app

    with pytest.raises(PluginError, match="kb_article_chnged"):
        create_app(app.config.copy(), instance_path=app.instance_path)


def test_an_instance_plugin_that_does_not_import_fails_with_its_path(make_app) -> None:
    app = make_app(content="empty")
    path = Path(app.instance_path) / "plugins" / "broken.py"
    path.write_text("import no_such_module\n")
    from kb.app import create_app

    with pytest.raises(PluginError, match=re.escape(str(path))):
        create_app(app.config.copy(), instance_path=app.instance_path)


def hook_names() -> list[str]:
    return sorted(
        name
        for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("kb_")
    )


def test_every_hook_is_documented_and_has_a_test_named_after_it() -> None:
    test_source = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    problems = []
    for name in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        if len(doc) < 40:
            problems.append(f"{name}: docstring missing or too short")
        if not re.search(rf"def test_{name}\b", test_source):
            problems.append(f"{name}: no test named test_{name}")
    assert problems == []
