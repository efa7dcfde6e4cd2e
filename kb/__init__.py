"""kb: knowledge base and guided troubleshooting for IT help desks.

Light on purpose: ``from kb import hookimpl`` (and :mod:`kb.records`) loads pluggy and the hook
specifications, not the app, so a plugin module imports cheaply and without a cycle.
``kb.create_app`` is loaded from :mod:`kb.app` the first time someone asks for it.
"""

from __future__ import annotations

from typing import Any

from kb.hookspecs import hookimpl

__all__ = ["create_app", "hookimpl"]


def __getattr__(name: str) -> Any:
    """``kb.create_app`` (gunicorn's ``kb:create_app()``, scripts) without loading the app
    for everyone else: the one import kb defers on purpose."""
    if name == "create_app":
        from kb.app import create_app

        return create_app
    raise AttributeError(f"module 'kb' has no attribute {name!r}")
