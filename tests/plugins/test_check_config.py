"""kb_check_config: every plugin checks its own settings at start-up, and kb refuses to start
with every problem listed, one line each (the command line too, without a traceback)."""

from __future__ import annotations

import pytest

from kb import hookimpl
from kb.errors import PluginError
from kb.extensions import kb_state
from tests.test_cli import run_kb


def test_kb_check_config(make_app) -> None:
    seen = []

    class Chat:
        @hookimpl
        def kb_check_config(self, kb, config):
            seen.append(kb.config is config)
            if not config.get("CHAT_URL"):
                return ["CHAT_URL is not set", "CHAT_ROOM is not set"]
            return []

    with pytest.raises(PluginError) as caught:
        make_app(content="empty", plugins=[Chat()])
    lines = caught.value.message.splitlines()
    assert lines[0] == "cannot start: the settings have 2 problems:"
    assert [line.split(": ", 1)[1] for line in lines[1:]] == [
        "CHAT_URL is not set",
        "CHAT_ROOM is not set",
    ]
    assert caught.value.details["problems"] == lines[1:]
    assert seen == [True]
    assert kb_state(make_app(content="empty", plugins=[Chat()], CHAT_URL="https://chat"))


def test_a_check_may_take_only_config_and_answer_none(make_app) -> None:
    class Quiet:
        @hookimpl
        def kb_check_config(self, config):
            return None

    assert make_app(content="empty", plugins=[Quiet()])


def test_a_check_that_raises_is_a_problem_with_the_plugins_name(make_app) -> None:
    class Crashy:
        @hookimpl
        def kb_check_config(self, config):
            raise KeyError("EXAMPLE_SETTING")

    with pytest.raises(PluginError, match=r"checking its settings failed: KeyError"):
        make_app(content="empty", plugins=[Crashy()])


def test_the_built_in_plugins_report_every_problem_at_once(make_app) -> None:
    with pytest.raises(PluginError) as caught:
        make_app(
            content="empty",
            SMTP_HOST="mail.example.org",
            WEBHOOK_URLS=["ftp://hooks.example.org"],
            RT_URL="rt.example.org",
            CHECK_ALLOWED_NETWORKS=["not-a-network"],
        )
    problems = caught.value.details["problems"]
    assert sorted(problems) == [
        "net_checks: CHECK_ALLOWED_NETWORKS: 'not-a-network' is not a network like 10.20.0.0/16",
        "request_tracker: RT_URL 'rt.example.org' is not an http(s) URL",
        "request_tracker: RT_URL is set but not how to sign in: set RT_TOKEN, or RT_USER and "
        "RT_PASSWORD",
        "smtp_notify: SMTP_HOST is set but SMTP_FROM (the sender) is not",
        "webhooks: 'ftp://hooks.example.org' in WEBHOOK_URLS is not an http(s) URL",
        "webhooks: WEBHOOK_URLS is set but WEBHOOK_SECRET is not",
    ]


@pytest.mark.parametrize("command", ["init", "serve"])
def test_the_command_line_prints_one_line_per_problem_and_no_traceback(tmp_path, command):
    env = {
        "KB_BASE_URL": "https://kb.example.org",
        "KB_SMTP_HOST": "mail.example.org",
        "KB_WEBHOOK_URLS": '["https://hooks.example.org"]',
    }
    result = run_kb(tmp_path, command, env=env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    first, *problems = result.stderr.strip().splitlines()
    assert first == "kb: cannot start: the settings have 2 problems:"
    assert sorted(problems) == [
        "smtp_notify: SMTP_HOST is set but SMTP_FROM (the sender) is not",
        "webhooks: WEBHOOK_URLS is set but WEBHOOK_SECRET is not",
    ]
