"""SEARCH_BACKEND is checked at start-up: a name no plugin registers, or a plugin whose
registration fails, stops create_app (and ``kb init``/``kb serve``) with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kb import hookimpl
from kb.errors import PluginError


def run_kb(instance: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a person runs it."""
    kb = Path(sys.executable).with_name("kb")
    environment = {"PATH": f"{kb.parent}:/usr/bin:/bin", "KB_INSTANCE": str(instance), **env}
    return subprocess.run(
        [str(kb), *args], capture_output=True, text=True, env=environment, timeout=120
    )


class Registers:
    """A plugin registering whatever it is given."""

    def __init__(self, entries: object) -> None:
        self.entries = entries

    @hookimpl
    def kb_register_search_backends(self, kb):
        if isinstance(self.entries, Exception):
            raise self.entries
        return self.entries


def test_an_unknown_backend_stops_the_app_naming_the_setting_and_the_known_ones(make_app):
    with pytest.raises(PluginError) as caught:
        make_app(content="empty", SEARCH_BACKEND="elastic")
    message = str(caught.value)
    assert "SEARCH_BACKEND" in message and "'elastic'" in message
    assert "known: 'whoosh'" in message
    assert len(message.splitlines()) == 1


def test_a_plugin_backend_is_known_by_its_name(make_app):
    plugin = Registers([("memory", lambda kb: None)])
    with pytest.raises(PluginError, match=r"known: 'memory', 'whoosh'"):
        make_app(content="empty", plugins=[plugin], SEARCH_BACKEND="nothing")
    make_app(content="empty", plugins=[Registers([("memory", lambda kb: None)])])


def test_no_backend_at_all_is_a_start_up_error(make_app):
    with pytest.raises(PluginError, match=r"'whoosh'.*\(known: none\)"):
        make_app(content="empty", DISABLED_PLUGINS=["whoosh_search"])


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (RuntimeError("no licence key"), "^plugin '.+' failed to register its search backends"),
        ([("broken",)], r"^plugin '.+' registered a search backend that is not a \(name, factory"),
        (["whoosh"], r"^plugin '.+' registered a search backend that is not a \(name, factory"),
        ([("whoosh", lambda kb: None)], "'whoosh' is registered by both 'whoosh_search' and '"),
    ],
)
def test_a_failing_registration_stops_the_app_naming_the_plugin(make_app, entries, message):
    with pytest.raises(PluginError, match=message):
        make_app(content="empty", plugins=[Registers(entries)])


@pytest.mark.parametrize("command", ["init", "serve"])
def test_kb_init_and_serve_print_one_line_and_exit_2(tmp_path, command):
    result = run_kb(tmp_path, command, env={"KB_SEARCH_BACKEND": "elastic"})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kb: SEARCH_BACKEND is 'elastic'")
    assert "known: 'whoosh'" in lines[0]
    assert "Serving" not in result.stdout


def test_kept_answers_are_a_setting_that_can_be_turned_off(make_app) -> None:
    from kb.errors import ConfigError
    from kb.extensions import kb_state
    from kb.search import service

    for bad in (-1, "many", 2.5, True):
        with pytest.raises(ConfigError, match="SEARCH_ANSWERS_KEPT"):
            make_app(SEARCH_ANSWERS_KEPT=bad)
    for kept, expected in ((0, 0), (3, 1)):
        app = make_app(SEARCH_ANSWERS_KEPT=kept)
        client = app.test_client()
        for _ in range(2):
            assert client.get("/api/v1/search", query_string={"q": "vpn"}).status_code == 200
        with app.app_context():
            engine = service.backend(kb_state(app))
            assert engine.answers_kept == kept
            assert len(engine._generation().results) == expected
        kb_state(app).engine.dispose()
