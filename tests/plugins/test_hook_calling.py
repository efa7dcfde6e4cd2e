"""Every hook is called through pluggy: a plugin may take fewer arguments than the spec (in
collectors, events and reliable events alike), each plugin's event runs on its own, and
TRACE_HOOKS sees every call."""

from __future__ import annotations

import logging
import re

from kb import hookimpl
from kb.extensions import kb_state
from kb.hooks import call_alone, implementers, notify
from kb.hookspecs import RELIABLE
from kb.outbox import dispatch
from kb.records import EscalationSnapshot
from kb.trees.checks import CheckResult, registered_checks, run_check
from tests.escalation.conftest import escalate


class Disk:
    name = "disk_free"
    description = "Free space"
    params: dict = {}

    def run(self, params, timeout):
        return CheckResult("pass", "plenty")


def test_a_collector_that_leaves_out_kb_works(make_app) -> None:
    class Checks:
        @hookimpl
        def kb_register_checks(self):
            return [Disk()]

    state = kb_state(make_app(content="empty", plugins=[Checks()]))
    assert "disk_free" in registered_checks(state)
    assert run_check(state, "disk_free", {}) == CheckResult("pass", "plenty")


def test_event_hooks_that_leave_out_arguments_work(make_app) -> None:
    seen: list[str] = []

    class Terse:
        @hookimpl
        def kb_escalation_created(self, escalation):  # no kb, no delivery_key
            seen.append(escalation.summary)

        @hookimpl
        def kb_tree_changed(self):  # no argument at all
            seen.append("tree")

    state = kb_state(make_app(content="empty", plugins=[Terse()]))
    escalate(state)
    report = dispatch(state)
    assert report.dead == 0 and report.retried == 0
    assert seen == ["Printer on floor 3 is offline"]
    assert notify(state.pm, "kb_tree_changed", kb=state, tree=None) == []
    assert seen[-1] == "tree"


def test_one_failing_plugin_is_reported_and_the_others_still_run(make_app, caplog) -> None:
    seen: list[str] = []

    class Broken:
        @hookimpl
        def kb_tree_changed(self, kb, tree):
            raise RuntimeError("boom")

    class Fine:
        @hookimpl
        def kb_tree_changed(self, tree):
            seen.append(tree)

    state = kb_state(make_app(content="empty", plugins=[Broken(), Fine()]))
    broken = state.pm.get_name(_plugin(state, Broken))
    assert notify(state.pm, "kb_tree_changed", kb=state, tree="t") == [broken]
    assert seen == ["t"]
    assert f"plugin {broken!r} failed in kb_tree_changed" in caplog.text


def _plugin(state, cls):
    return next(p for p in state.pm.get_plugins() if isinstance(p, cls))


def test_call_alone_calls_one_plugin_only(make_app) -> None:
    calls: list[str] = []

    class One:
        @hookimpl
        def kb_tree_changed(self, tree):
            calls.append("one")

    class Two:
        @hookimpl
        def kb_tree_changed(self, tree):
            calls.append("two")

    state = kb_state(make_app(content="empty", plugins=[One(), Two()]))
    one = state.pm.get_name(_plugin(state, One))
    assert one in implementers(state.pm, "kb_tree_changed")
    call_alone(state.pm, "kb_tree_changed", one, kb=state, tree=None)
    assert calls == ["one"]


def test_trace_hooks_traces_events_reliable_events_and_collectors(make_app, caplog) -> None:
    class Listener:
        @hookimpl
        def kb_escalation_created(self, escalation, delivery_key):
            pass

        @hookimpl
        def kb_tree_changed(self, tree):
            pass

        @hookimpl
        def kb_register_checks(self, kb):
            return []

    caplog.set_level(logging.DEBUG, logger="kb.plugins")
    state = kb_state(make_app(content="empty", plugins=[Listener()], TRACE_HOOKS=True))
    state.notify("kb_tree_changed", tree=None)
    escalate(state)
    dispatch(state)
    traced = set(re.findall(r"hook:\s+(kb_\w+) \[hook\]", caplog.text))
    assert {
        "kb_check_config",  # start-up
        "kb_register_checks",  # a collector, plugin by plugin
        "kb_tree_changed",  # an event
        "kb_create_ticket",  # a provider, from the outbox
        "kb_escalation_created",  # a reliable event, from the outbox
    } <= traced


def test_reliable_events_are_declared_once_with_their_records() -> None:
    assert set(RELIABLE) == {
        "kb_escalation_created",
        "kb_ticket_resolved",
        "kb_followup_due",
        "kb_followup_answered",
        "kb_outage_changed",
        "kb_outage_subscription_requested",
        "kb_approval_requested",
        "kb_approval_decided",
    }
    created = RELIABLE["kb_escalation_created"]
    assert (created.argument, created.record) == ("escalation", EscalationSnapshot)
    assert RELIABLE["kb_outage_subscription_requested"].argument == "subscription"
