"""Keeps the index in step with the database: registered on every app's plugin manager, so
search learns about changes through the article and tree hooks (articles never import search).

The hooks only say *that* something changed; what to index is read from the change sequence
(:func:`kb.search.service.sync`), so a missed or failed call is caught up by the next one."""

from __future__ import annotations

import logging
from typing import Any

from kb import hookimpl
from kb.search import service

log = logging.getLogger(__name__)


def follow(kb: Any) -> None:
    if not service.available(kb):
        return
    with kb.session() as session:
        report = service.sync(kb, session, timeout=kb.config["SEARCH_WRITE_TIMEOUT"])
    if not report.complete:
        log.warning("search index busy: %s left for the next sync", report.pending_note)


@hookimpl
def kb_article_changed(kb: Any, article: Any) -> None:
    follow(kb)


@hookimpl
def kb_tree_changed(kb: Any, tree: Any) -> None:
    follow(kb)
