"""`kb plugins`, switching built-ins off with DISABLED_PLUGINS, and integrations that stay off
(or stop the start-up) according to their configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb import hookimpl
from kb.app import create_app
from kb.cli import cli
from kb.errors import PluginError
from kb.extensions import kb_state
from kb.models import OutboxMessage, Ticket
from kb.outbox import dispatch
from tests.escalation.conftest import escalate


def plugins_output(app, *args: str):
    result = app.test_cli_runner().invoke(cli, ["plugins", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_kb_plugins_lists_each_plugin_with_its_source_state_and_hooks(make_app):
    class SiteAudit:
        @hookimpl
        def kb_article_changed(self, kb, article):
            pass

    app = make_app(content="empty", plugins=[SiteAudit()])
    (Path(app.instance_path) / "plugins" / "site_banner.py").write_text(
        "from kb import hookimpl\n@hookimpl\ndef kb_register_blueprints(kb):\n    return []\n"
    )
    app = create_app(app.config.copy(), instance_path=app.instance_path, plugins=[SiteAudit()])
    text = plugins_output(app)
    assert "local_tickets  built-in\n    kb_create_ticket, kb_register_blueprints\n" in text
    assert "request_tracker  built-in [not configured]\n" in text
    assert "smtp_notify  built-in [not configured]\n" in text
    assert "webhooks  built-in [not configured]\n" in text
    assert "site_banner  instance\n    kb_register_blueprints\n" in text
    assert "registered by code\n    kb_article_changed\n" in text
    rows = {row["name"]: row for row in json.loads(plugins_output(app, "--json"))}
    assert rows["local_tickets"] == {
        "name": "local_tickets",
        "source": "built-in",
        "version": None,
        "status": "on",
        "hooks": ["kb_create_ticket", "kb_register_blueprints"],
    }
    assert rows["site_banner"]["source"] == "instance"


def test_a_site_can_disable_a_built_in_plugin(make_app):
    app = make_app(content="empty", DISABLED_PLUGINS=["local_tickets"], OUTBOX_MAX_ATTEMPTS=1)
    kb = kb_state(app)
    assert "local_tickets  built-in [disabled]" in plugins_output(app)
    assert app.test_client().get("/queue").status_code == 404  # its pages are gone too
    escalate(kb, articles_viewed=[])
    report = dispatch(kb)
    assert report.dead == 1 and "no ticketing plugin accepted" in report.errors[0]
    with kb.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_disabling_a_built_in_lets_a_site_plugin_take_its_place(make_app):
    from kb.records import TicketRef

    class SiteTickets:
        @hookimpl
        def kb_create_ticket(self, kb, escalation, idempotency_key):
            return TicketRef("site", "S-1")

    kb = kb_state(
        make_app(content="empty", DISABLED_PLUGINS=["local_tickets"], plugins=[SiteTickets()])
    )
    escalate(kb, articles_viewed=[])
    assert dispatch(kb).delivered >= 1
    with kb.session() as session:
        assert session.scalar(select(OutboxMessage.result)) == {
            "system": "site",
            "ref": "S-1",
            "url": "",
        }


def test_an_unconfigured_site_registers_none_of_the_integrations(make_app):
    app = make_app(content="empty")
    pm = kb_state(app).pm
    for name in ("request_tracker", "webhooks", "smtp_notify"):
        assert not pm.has_plugin(name)
    client = app.test_client()
    for path in ("/api/v1/integrations/rt/ticket-resolved", "/api/v1/webhooks/ticket-resolved"):
        assert client.post(path, json={}, headers={"Authorization": "Bearer x"}).status_code == 404


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"RT_URL": "https://rt.example.org/rt"}, "RT_TOKEN, or RT_USER and RT_PASSWORD"),
        ({"RT_URL": "rt.example.org", "RT_TOKEN": "t"}, "not an http"),
        ({"WEBHOOK_URLS": ["https://hooks.example.org"]}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URLS": "https://hooks.example.org", "WEBHOOK_SECRET": "s"}, "must be a list"),
        ({"WEBHOOK_URLS": ["ftp://x"], "WEBHOOK_SECRET": "s"}, "not an http"),
        ({"SMTP_HOST": "mail.example.org"}, "SMTP_FROM"),
    ],
)
def test_half_configured_integrations_stop_the_app_at_start_up(make_app, config, message):
    with pytest.raises(PluginError, match=message):
        make_app(content="empty", **config)
