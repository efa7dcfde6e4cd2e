"""The plugin manager: built-ins (one tuple), then entry points in group ``kb``, then
``instance/plugins/*.py``. One manager per app, checked at start-up (misspelt hooks, and every
plugin's own settings through ``kb_check_config``). Hooks are called through :mod:`kb.hooks`."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pluggy

from kb import hookspecs
from kb.errors import PluginError
from kb.hooks import call_alone, implementers

log = logging.getLogger(__name__)

# Built-in plugins, by the name a site uses to disable one (DISABLED_PLUGINS) and module.
# A module may define ``configured(config) -> bool``: when it answers False (an integration the
# site has not set up) the plugin is not registered at all, so an unconfigured site is
# unaffected. A half-done configuration is reported by the plugin's ``kb_check_config``, which
# stops the start-up with every problem listed.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("whoosh_search", "kb.plugins.whoosh_search"),
    ("local_tickets", "kb.plugins.local_tickets.plugin"),
    ("request_tracker", "kb.plugins.request_tracker.plugin"),
    ("webhooks", "kb.plugins.webhooks.plugin"),
    ("smtp_notify", "kb.plugins.smtp_notify.plugin"),
    ("net_checks", "kb.plugins.net_checks"),
)

ENTRY_POINT_GROUP = "kb"


def build_plugin_manager(
    config: dict[str, Any], instance_path: Path, extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Build and check a fresh manager; misspelt hooks or broken plugins fail here, at start-up."""
    pm = pluggy.PluginManager("kb")
    pm.add_hookspecs(hookspecs)
    disabled = set(config.get("DISABLED_PLUGINS") or [])
    known = {name for name, _ in BUILTIN_PLUGINS}
    unknown = disabled - known
    for name in sorted(unknown):
        log.warning("DISABLED_PLUGINS names %r, which is not a built-in plugin", name)
    for name, module_name in BUILTIN_PLUGINS:
        if name in disabled:
            pm.set_blocked(name)
            continue
        module = importlib.import_module(module_name)
        configured = getattr(module, "configured", None)
        if configured is not None and not configured(config):
            continue
        pm.register(module, name=name)
    try:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except Exception as error:  # an installed package's plugin failed to import
        raise PluginError(
            f"a plugin installed in entry point group 'kb' failed: {error}"
        ) from error
    for plugin in extra:
        pm.register(plugin)
    load_instance_plugins(pm, instance_path / "plugins")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(f"plugin {error.plugin!r}: {error}") from error
    if config.get("TRACE_HOOKS"):
        log.setLevel(logging.DEBUG)  # asking for the trace is enough to see it
        pm.trace.root.setwriter(lambda message: log.debug("hook: %s", message.rstrip()))
        pm.enable_tracing()
    return pm


def load_instance_plugins(pm: pluggy.PluginManager, folder: Path) -> None:
    """Register every ``*.py`` in the instance's plugins folder, named by its file stem."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.py")):
        name = path.stem
        if pm.is_blocked(name) or pm.has_plugin(name):
            raise PluginError(f"{path}: a plugin named {name!r} is already registered or blocked")
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
        module_name = f"kb_instance_plugins.{name}_{digest}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise PluginError(f"{path}: cannot be loaded as a Python module")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise PluginError(f"{path}: failed to load: {error}") from error
        sys.modules[module_name] = module
        try:
            pm.register(module, name=name)
        except (ValueError, pluggy.PluginValidationError) as error:
            raise PluginError(f"{path}: {error}") from error


def config_problems(kb: Any) -> list[str]:
    """Every plugin's answer to ``kb_check_config``, one ``"plugin: problem"`` line each; a
    plugin whose check raises is a problem too."""
    problems: list[str] = []
    for plugin_name in implementers(kb.pm, "kb_check_config"):
        try:
            answers = call_alone(kb.pm, "kb_check_config", plugin_name, kb=kb, config=kb.config)
        except Exception as error:
            problems.append(f"{plugin_name}: checking its settings failed: {error!r}")
            continue
        for answer in answers:
            problems.extend(f"{plugin_name}: {' '.join(str(p).split())}" for p in answer or [])
    return problems


def check_config(kb: Any) -> None:
    """Refuse to start, listing every problem, when a plugin finds its settings wrong."""
    problems = config_problems(kb)
    if problems:
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        raise PluginError(
            f"cannot start: the settings have {count}:\n" + "\n".join(problems),
            problems=problems,
        )


def describe(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Each plugin with where it came from, its version, whether it is on, and its hooks.

    Built-ins that are switched off (DISABLED_PLUGINS, or not configured) are listed too.
    """
    builtin = {name for name, _ in BUILTIN_PLUGINS}
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        hooks = sorted(hook.name for hook in pm.get_hookcallers(plugin) or [])
        version = None
        if name in builtin:
            source = "built-in"
        elif dist is not None:
            source, version = f"entry point ({dist.project_name})", dist.version
        elif getattr(plugin, "__name__", "").startswith("kb_instance_plugins."):
            source = "instance"
        else:
            source = "registered by code"
        rows.append(
            {
                "name": str(name),
                "source": source,
                "version": version,
                "status": "on",
                "hooks": hooks,
            }
        )
    for name, _module in BUILTIN_PLUGINS:
        if pm.has_plugin(name):
            continue
        status = "disabled" if pm.is_blocked(name) else "not configured"
        rows.append(
            {"name": name, "source": "built-in", "version": None, "status": status, "hooks": []}
        )
    return sorted(rows, key=lambda row: row["name"])
