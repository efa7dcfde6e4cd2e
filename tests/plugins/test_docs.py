"""docs/plugins.md keeps up with the code: every hook, every built-in and every integration
setting is described there."""

from __future__ import annotations

import inspect
import re

import pytest

from kb import hookspecs
from kb.config import Defaults
from kb.plugins import BUILTIN_PLUGINS
from tests.conftest import REPO

DOC = (REPO / "docs" / "plugins.md").read_text()
HOOKS = sorted(
    name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("kb_")
)
SETTINGS = sorted(
    name for name in vars(Defaults) if re.match(r"(RT|WEBHOOK|SMTP)_|SUPPORT_GROUP_EMAILS$", name)
)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_described_in_docs_plugins_md(hook):
    assert re.search(rf"\*\*`{hook}\(", DOC), f"docs/plugins.md: no paragraph for {hook}"
    assert f"`{hook}(" in DOC.split("## Every hook")[1].split("\n\n")[1], (
        f"docs/plugins.md: {hook} is missing from the table of hooks"
    )


@pytest.mark.parametrize("name", [name for name, _ in BUILTIN_PLUGINS])
def test_every_built_in_plugin_is_described(name):
    assert f"`{name}`" in DOC


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_integration_setting_is_described(setting):
    assert f"`{setting}`" in DOC


def test_the_worked_example_in_the_docs_is_the_one_in_the_repository():
    example = (REPO / "docs/examples/kb-example-plugin/pyproject.toml").read_text()
    assert (
        'example_chat = "kb_example_plugin"' in example
        and 'example_chat = "kb_example_plugin"' in DOC
    )
    scrip = (REPO / "docs/examples/rt-scrip-kb-ticket-resolved.pl").read_text()
    assert "X-KB-RT-Secret" in scrip and "KBTicketResolvedURL" in scrip


def test_the_reliable_events_in_the_table_are_the_ones_declared_in_hookspecs():
    table = DOC.split("## Every hook")[1].split("\n\n")[1]
    documented = set(re.findall(r"^\| `(kb_\w+)\(.*?\| reliable event \|", table, re.MULTILINE))
    assert documented == set(hookspecs.RELIABLE)
