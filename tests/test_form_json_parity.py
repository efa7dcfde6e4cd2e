"""Each action's HTML form and its JSON twin read one schema (kb.schemas): they refuse the same
bad input with a 422 and the same message per field (the page shows each beside its field or
in its list, keeping what was typed), and they accept the same good input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from kb.extensions import kb_state
from kb.outbox import dispatch
from tests.conftest import AuthActions, csrf_token
from tests.escalation.conftest import escalate

Params = dict[str, Any]


@dataclass
class Action:
    """One action: its page (``form``: path of the form page, ``post``: where it posts) and
    its JSON twin, the input as a dict (encoded for the form as a browser would), and the
    path values each side acts on (``setup`` gives them, one set per side)."""

    name: str
    post: str
    api: str
    bad: Params
    good: Params
    form: str = "/"
    api_method: str = "post"
    setup: Callable[[FlaskClient, str], tuple[Params, Params]] | None = None
    form_extra: Params = field(default_factory=dict)
    api_extra: Params = field(default_factory=dict)
    good_api: Params = field(default_factory=dict)  # per-side values that must differ
    good_form: Params = field(default_factory=dict)
    kept: str | None = None  # typed text the page must show again


def encoded(values: Params) -> Params:
    """A dict as a browser's form sends it: yes/no for booleans, lists comma-separated."""
    form: Params = {}
    for name, value in values.items():
        if isinstance(value, bool):
            form[name] = "yes" if value else "no"
        elif isinstance(value, list):
            form[name] = ", ".join(value)
        elif value is not None:
            form[name] = str(value)
    return form


def _api(client: FlaskClient, token: str, method: str, path: str, body: Params):
    return client.open(path, method=method.upper(), json=body, headers={"X-CSRFToken": token})


def _outages(count: int):
    def setup(client: FlaskClient, token: str) -> tuple[Params, Params]:
        ids = []
        for n in range(count):
            response = _api(
                client,
                token,
                "post",
                "/api/v1/outages",
                {"service": f"parity-{n}", "title": "Mail is down", "user_message": "Wait."},
            )
            assert response.status_code == 201, response.get_json()
            ids.append(response.get_json()["id"])
        return {"outage": ids[0]}, {"outage": ids[-1]}

    return setup


def _article(client: FlaskClient, token: str) -> tuple[Params, Params]:
    head = client.get("/api/v1/articles/change-password?draft=1").get_json()
    values = {"slug": "change-password", "base": head["head_revision_id"]}
    return values, values


def _drafts(client: FlaskClient, token: str) -> tuple[Params, Params]:
    """Two new drafts, one for each side."""
    sides = []
    for side in ("form", "api"):
        response = _api(
            client,
            token,
            "post",
            "/api/v1/articles",
            {"title": f"Parity {side}", "slug": f"parity-{side}", "body": "Restart it."},
        )
        assert response.status_code == 201, response.get_json()
        sides.append({"slug": f"parity-{side}", "base": response.get_json()["revision_id"]})
    return sides[0], sides[1]


def _sessions(client: FlaskClient, token: str) -> tuple[Params, Params]:
    tokens = []
    for _ in range(2):
        response = _api(client, token, "post", "/api/v1/sessions", {"tree": "email-not-working"})
        assert response.status_code == 201
        tokens.append(response.get_json()["id"])
    return {"token": tokens[0]}, {"token": tokens[1]}


def _tickets(client: FlaskClient, token: str) -> tuple[Params, Params]:
    kb = kb_state(client.application)
    escalate(kb, summary="Printer one is offline")
    escalate(kb, summary="Printer two is offline")
    dispatch(kb)
    items = client.get("/api/v1/queue").get_json()["items"]
    return {"ticket": items[0]["id"]}, {"ticket": items[1]["id"]}


ACTIONS = [
    Action(
        "article create",
        form="/articles/new",
        post="/articles/new",
        api="/api/v1/articles",
        form_extra={"action": "save"},
        bad={
            "title": " ",
            "slug": "Bad Slug!",
            "summary": "x" * 1001,
            "audience": "everyone",
            "review_by": "31/12/2027",
            "body": "Keep me.",
        },
        good={"title": "Parity check", "body": "Restart it."},
        good_form={"slug": "parity-form"},
        good_api={"slug": "parity-api"},
        kept="Keep me.",
    ),
    Action(
        "article edit",
        form="/articles/{slug}/edit",
        post="/articles/{slug}/edit",
        api="/api/v1/articles/{slug}",
        api_method="put",
        setup=_drafts,
        bad={
            "title": "",
            "tags": [f"tag{n}" for n in range(40)],
            "service": "teleportation",
            "base_revision_id": "{base}",
        },
        good={
            "title": "Parity edited",
            "slug": "{slug}",
            "base_revision_id": "{base}",
            "body": "Unplug it.",
        },
        form_extra={"action": "save"},
    ),
    Action(
        "article workflow step",
        post="/articles/{slug}/workflow/submit",
        api="/api/v1/articles/{slug}/submit",
        setup=_drafts,
        bad={"comment": "x" * 2001},
        good={"comment": "Superseded."},
    ),
    Action(
        "feedback",
        post="/articles/{slug}/feedback",
        api="/api/v1/articles/{slug}/feedback",
        setup=_article,
        bad={"helpful": "perhaps", "comment": "x" * 2001},
        good={"helpful": True, "comment": "Thanks"},
    ),
    Action(
        "flag",
        post="/articles/{slug}/flag",
        api="/api/v1/articles/{slug}/flag",
        setup=_article,
        bad={"reason": "boring"},
        good={"reason": "outdated", "comment": "Step 3 changed."},
    ),
    Action(
        "outage declare",
        form="/outages/new",
        post="/outages/new",
        api="/api/v1/outages",
        bad={
            "service": "",
            "title": "  ",
            "user_message": "Typed text",
            "impact": "severe",
            "started_at": "2026-11-23T14:30",
            "expected_restoration_at": "2026-11-23T07:00",
        },
        good={"title": "VPN is down", "user_message": "Use the office network."},
        good_form={"service": "vpn-form"},
        good_api={"service": "vpn-api"},
        kept="Typed text",
    ),
    Action(
        "outage update",
        post="/outages/{outage}/updates",
        api="/api/v1/outages/{outage}/updates",
        setup=_outages(1),
        bad={"text": " ", "expected_restoration_at": "soon"},
        good={"text": "The vendor is on it."},
    ),
    Action(
        "outage close",
        post="/outages/{outage}/close",
        api="/api/v1/outages/{outage}/close",
        setup=_outages(2),
        bad={"cause": "", "restored_at": "yesterday"},
        good={"cause": "A failed certificate renewal."},
    ),
    Action(
        "outage subscribe",
        post="/outages/{outage}/subscribe",
        api="/api/v1/outages/{outage}/subscriptions",
        setup=_outages(1),
        bad={"email": "x" * 250 + "@example.org"},
        good={"email": "watcher@example.org"},
    ),
    Action(
        "escalation request",
        form="/escalations/new",
        post="/escalations/new",
        api="/api/v1/escalations",
        bad={
            "summary": "x",
            "requester_name": " ",
            "requester_email": "not-an-address",
            "impact": "huge",
            "details": "Typed details",
        },
        good={
            "summary": "Printer on fire",
            "requester_name": "Ada",
            "requester_email": "ada@example.org",
            "impact": "low",
            "urgency": "low",
        },
        kept="Typed details",
    ),
    Action(
        "software request",
        form="/requests/software",
        post="/requests/software",
        api="/api/v1/requests/software",
        bad={"approver_email": "not-an-address", "requester_location": "Annex 3", "answers": {}},
        good={"approver_email": "boss@example.org"},
        good_api={"answers": {"name": "Inkscape", "reason": "Drawing plans"}},
        good_form={"answer-name": "Inkscape", "answer-reason": "Drawing plans"},
        kept="Annex 3",
    ),
    Action(
        "session start",
        post="/trees/email-not-working/start",
        api="/api/v1/sessions",
        api_extra={"tree": "email-not-working"},
        bad={"mode": "wizard"},
        good={"mode": "self_service"},
    ),
    Action(
        "session answer",
        post="/sessions/{token}",
        api="/api/v1/sessions/{token}/answer",
        setup=_sessions,
        form_extra={"action": "answer"},
        bad={"answer": "x" * 1001, "notes": "x" * 10_001},
        good={"answer": "Outlook keeps asking for my password"},
    ),
    Action(
        "ticket resolve",
        post="/queue/{ticket}/resolve",
        api="/api/v1/queue/{ticket}/resolve",
        setup=_tickets,
        bad={"resolution": " ", "followup_days": "soon"},
        good={"resolution": "Replaced the toner.", "create_draft": False},
    ),
]


def _fill(values: Params, params: Params) -> Params:
    return {
        name: value.format(**params) if isinstance(value, str) and "{" in value else value
        for name, value in values.items()
    }


def _typed(values: Params) -> Params:
    """JSON carries numbers as numbers: a base revision filled in as text becomes one."""
    return {
        name: int(value) if name == "base_revision_id" and str(value).isdigit() else value
        for name, value in values.items()
    }


@pytest.fixture
def admin(client: FlaskClient) -> tuple[FlaskClient, str]:
    AuthActions(client).login("admin")
    return client, csrf_token(client, "/")


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_form_and_json_refuse_the_same_input_alike(admin, action: Action) -> None:
    client, token = admin
    form_params, api_params = action.setup(client, token) if action.setup else ({}, {})
    api = _api(
        client,
        token,
        action.api_method,
        action.api.format(**api_params),
        _typed({**_fill(action.bad, api_params), **action.api_extra}),
    )
    assert api.status_code == 422, api.get_data(as_text=True)
    fields = api.get_json()["fields"]
    assert fields
    page = client.post(
        action.post.format(**form_params),
        data={
            **encoded(_fill(action.bad, form_params)),
            **action.form_extra,
            "csrf_token": token,
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422, html[:300]
    for name, message in fields.items():
        assert str(escape(message)) in html, (name, message)
    if action.kept:
        assert action.kept in html


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_form_and_json_accept_the_same_input_alike(admin, action: Action) -> None:
    client, token = admin
    form_params, api_params = action.setup(client, token) if action.setup else ({}, {})
    api = _api(
        client,
        token,
        action.api_method,
        action.api.format(**api_params),
        _typed({**_fill(action.good, api_params), **action.good_api, **action.api_extra}),
    )
    assert api.status_code in (200, 201), api.get_data(as_text=True)
    page = client.post(
        action.post.format(**form_params),
        data={
            **encoded(_fill(action.good, form_params)),
            **encoded(action.good_form),
            **action.form_extra,
            "csrf_token": token,
        },
    )
    assert page.status_code == 302, page.get_data(as_text=True)[:500]
