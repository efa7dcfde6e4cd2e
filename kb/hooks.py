"""Calling hooks: the one path, always through pluggy, so a plugin may take fewer arguments
than the spec and ``TRACE_HOOKS`` sees every call.

Events run each plugin's implementation on its own (pluggy's ``subset_hook_caller``): one
plugin failing is logged with its name and never stops the others, and a caller that must
retry one plugin (the outbox) calls it alone again.
"""

from __future__ import annotations

import logging
from typing import Any

import pluggy

log = logging.getLogger(__name__)


def implementers(pm: pluggy.PluginManager, hook_name: str) -> list[str]:
    """The names of the plugins implementing ``hook_name``, in the order pluggy calls them."""
    hook = getattr(pm.hook, hook_name)
    names: list[str] = []
    for impl in reversed(hook.get_hookimpls()):
        if impl.plugin_name not in names:
            names.append(impl.plugin_name)
    return names


def call_alone(pm: pluggy.PluginManager, hook_name: str, plugin_name: str, **kwargs: Any) -> Any:
    """Call one plugin's implementation of ``hook_name``, the other plugins left out.

    Returns what pluggy returns for the hook (a list of results, or the first result for a
    firstresult hook); the plugin's exception propagates."""
    others = [
        impl.plugin
        for impl in getattr(pm.hook, hook_name).get_hookimpls()
        if impl.plugin_name != plugin_name
    ]
    return pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)


def notify(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[str]:
    """Run every implementation of an event hook on its own; log failures, never raise.

    Returns the names of the plugins that failed, so a caller that must retry can.
    """
    failed: list[str] = []
    for plugin_name in implementers(pm, hook_name):
        try:
            call_alone(pm, hook_name, plugin_name, **kwargs)
        except Exception:
            log.exception("plugin %r failed in %s", plugin_name, hook_name)
            failed.append(plugin_name)
    return failed


def collect(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> list[Any]:
    """Call a collector hook and flatten the lists it returns (None means nothing to add)."""
    flat: list[Any] = []
    for result in getattr(pm.hook, hook_name)(**kwargs):
        if result:
            flat.extend(result)
    return flat


def collect_by_plugin(
    pm: pluggy.PluginManager, hook_name: str, **kwargs: Any
) -> list[tuple[str, Any]]:
    """Call a collector hook plugin by plugin: each item it returns with the plugin's name,
    for collectors whose items must be traced back to a plugin (a clash, a bad item)."""
    items: list[tuple[str, Any]] = []
    for plugin_name in implementers(pm, hook_name):
        for result in call_alone(pm, hook_name, plugin_name, **kwargs):
            items.extend((plugin_name, item) for item in result or [])
    return items
