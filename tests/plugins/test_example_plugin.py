"""The worked example in docs/examples/kb-example-plugin, installed as a real package and
loaded through its entry point, as a site would."""

from __future__ import annotations

import json

import pytest

from kb.extensions import kb_state
from kb.outbox import dispatch
from kb.plugins import describe
from tests.conftest import REPO, AuthActions
from tests.escalation.conftest import escalate
from tests.plugins.packages import pip_install_copy
from tests.plugins.receiver import Receiver

EXAMPLE = REPO / "docs" / "examples" / "kb-example-plugin"


@pytest.fixture(scope="module")
def site_packages(tmp_path_factory):
    return pip_install_copy(EXAMPLE, tmp_path_factory.mktemp("example"))


@pytest.fixture
def chat():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app, site_packages, chat, monkeypatch):
    monkeypatch.syspath_prepend(str(site_packages))  # importlib.metadata now sees the package
    application = make_app(
        content="empty", BASE_URL="http://kb.test", EXAMPLE_CHAT_WEBHOOK_URL=chat.url
    )
    yield application
    kb_state(application).engine.dispose()


def test_the_example_plugin_is_loaded_from_its_entry_point(app):
    rows = {row["name"]: row for row in describe(kb_state(app).pm)}
    assert rows["example_chat"] == {
        "name": "example_chat",
        "source": "entry point (kb-example-plugin)",
        "version": "0.2.0",
        "status": "on",
        "hooks": ["kb_escalation_created", "kb_register_blueprints"],
    }
    from kb.cli import cli

    result = app.test_cli_runner().invoke(cli, ["plugins"])
    assert "example_chat  entry point (kb-example-plugin) 0.2.0" in result.output


def test_the_example_plugin_posts_escalations_to_the_chat(app, chat):
    public_id = escalate(kb_state(app), articles_viewed=[])
    assert chat.received == []
    dispatch(kb_state(app))
    (message,) = chat.received
    text = json.loads(message.body)["text"]
    assert "**P2** Printer on floor 3 is offline" in text
    assert f"http://kb.test/escalations/{public_id}" in text


def test_the_example_plugin_adds_a_page_for_technicians(app):
    escalate(kb_state(app), articles_viewed=[])
    client = app.test_client()
    assert client.get("/example/escalations").status_code == 302  # sign in first
    auth = AuthActions(client)
    auth.login("requester")
    assert client.get("/example/escalations").status_code == 403
    auth.logout()
    auth.login("technician")
    page = client.get("/example/escalations")
    assert page.status_code == 200
    assert "Printer on floor 3 is offline" in page.get_data(as_text=True)


def test_without_the_package_on_the_path_the_plugin_is_absent(make_app):
    assert not kb_state(make_app(content="empty")).pm.has_plugin("example_chat")
