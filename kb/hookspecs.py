"""Every hook kb calls. Grammar: collectors ``kb_register_*``/``kb_markdown_extensions`` return
lists, events (``kb_<noun>_<past participle>``) return nothing and run through ``notify()``,
providers (``kb_<verb>_<noun>``) are firstresult and return an object or None ("not mine").

Every hook receives ``kb``: the per-app :class:`kb.extensions.KbState` (configuration, database
sessions, plugin manager), so a plugin never needs a global app.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("kb")


@hookspec
def kb_markdown_extensions(kb):
    """Collect extra Python-Markdown extensions for article rendering.

    Called once per render (a fresh ``markdown.Markdown`` is built for each document).
    Return a list of extension instances or importable extension names, or None.
    The output is still sanitised afterwards, so an extension cannot inject scripts.
    """


@hookspec
def kb_article_changed(kb, article):
    """An article was created, edited, imported, restored, submitted, archived or unarchived.

    Fires after the database transaction committed. ``article`` is a
    :class:`kb.articles.snapshot.ArticleSnapshot` of the article's visible state (the live
    revision if one is published, else the head revision). Return value ignored; an exception
    is logged with the plugin's name and never reaches the person saving.
    """


@hookspec
def kb_article_published(kb, article):
    """A revision of an article became the live, published one (approval or import).

    Fires after commit, after ``kb_article_changed`` for the same change. ``article`` is an
    :class:`kb.articles.snapshot.ArticleSnapshot`. Return value ignored; failures are logged.
    """


@hookspec
def kb_tree_changed(kb, tree):
    """A decision tree was created, edited, imported, published, archived or unarchived.

    Fires after commit. ``tree`` is a :class:`kb.diagnostics.snapshot.TreeSnapshot` of the
    tree as people will see it (its live revision when one is published). Return value
    ignored; failures are logged with the plugin's name.
    """


@hookspec
def kb_register_checks(kb):
    """Collect the automated checks that decision trees name in their ``check`` nodes.

    Called once per app when the checks are first needed (validation, a technician running a
    tree). Return a list of check objects (see :class:`kb.diagnostics.checks.Check`: ``name``,
    ``description``, ``params`` as a mapping of parameter name to
    :class:`kb.diagnostics.checks.Param`, and ``run(params, timeout)`` returning a
    :class:`kb.diagnostics.checks.CheckResult` with outcome pass, fail or error), or None.
    Two plugins registering the same name is an error at start-up; a site replaces a
    built-in check by disabling its plugin (DISABLED_PLUGINS) and registering its own.
    """


@hookspec
def kb_session_escalated(kb, session):
    """A diagnostic session ended escalated: it reached an escalation node, or the person
    said "This didn't help".

    Fires after commit. ``session`` is a :class:`kb.diagnostics.handoff.SessionSnapshot`:
    a plain copy of the session (token, tree id, revision, mode, transcript entries and text,
    variables, the escalation node with group, impact, urgency and what to ask, articles
    viewed, checks run, requester user id). Return value ignored; failures are logged with
    the plugin's name and never reach the person.
    """
