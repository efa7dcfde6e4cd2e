"""kb: knowledge base and guided troubleshooting for IT help desks."""

import pluggy

hookimpl = pluggy.HookimplMarker("kb")

from kb.app import create_app  # noqa: E402  (hookimpl must exist before plugins import it)

__all__ = ["create_app", "hookimpl"]
