"""Schemathesis fuzzes every operation of /api/v1/openapi.json against the WSGI app, once as
an anonymous browser (session cookie and CSRF token, nobody signed in) and once with an
admin's API token. Checks: no 5xx, every response matches its documented schema, and no
request the document calls valid is refused with a 4xx other than 401/403/404/409.

Bounded: ``KB_FUZZ_EXAMPLES`` examples per operation and caller (default 100; about 80 s
on two cores) and a total budget of ``KB_FUZZ_SECONDS`` (default 170 s) after which the
remaining examples send nothing (counted as "not sent" in the summary line), so a slow machine
gets a shorter run rather than a timed failure. The examples are the same every run;
``KB_FUZZ_RANDOM=1`` explores new ones. Run only these with ``make fuzz`` (``pytest -m
fuzz``); ``make test`` runs them with the rest."""

from __future__ import annotations

import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
)

from kb.auth.users import create_token, require_user
from kb.extensions import kb_state
from kb.outbox import dispatch
from tests.conftest import CSRF_FIELD

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "100"))
BUDGET = float(os.environ.get("KB_FUZZ_SECONDS", "170"))
CHECKS = [not_a_server_error, response_schema_conformance, positive_data_acceptance]
STATS: Counter[str] = Counter()
STARTED: list[float] = []


def _fresh_name(size: int = 24) -> str:
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(size))


@pytest.fixture
def fuzz_app(make_app, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    # Hypothesis seeds the global ``random`` the same way before every example, and Whoosh
    # names new index segments with it: the second write of a run would reuse the first
    # segment's name. Outside Hypothesis the generator is never reseeded.
    for module in (
        "whoosh.codec.base",
        "whoosh.filedb.compound",
        "whoosh.filedb.filestore",
        "whoosh.writing",
    ):
        monkeypatch.setattr(f"{module}.random_name", _fresh_name)
    application = make_app()
    yield application
    kb_state(application).engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def fuzz_report(request: pytest.FixtureRequest) -> Iterator[None]:
    """One line at the end: requests sent, by status class and by kind of example."""
    STARTED.append(time.monotonic())
    yield
    if not STATS["requests"]:
        return
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(STATS.items()) if k != "requests")
    line = f"fuzz: {STATS['requests']} requests in {time.monotonic() - STARTED[0]:.0f} s ({counts})"
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)


def _within_budget() -> bool:
    return not STARTED or time.monotonic() - STARTED[0] < BUDGET


def _browser(app: Flask) -> dict[str, dict[str, str]]:
    """What an anonymous browser sends with a write: its session cookie and CSRF token."""
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    assert match
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return {
        "headers": {"X-CSRFToken": match.group(1) or match.group(2)},
        "cookies": {cookie.key: cookie.value},
    }


def _admin(app: Flask) -> dict[str, dict[str, str]]:
    with app.app_context(), kb_state(app).session() as session:
        token = create_token(session, require_user(session, "admin@example.org"), "fuzz")
        session.commit()
    return {"headers": {"Authorization": f"Bearer {token}"}}


def _call(case, caller: dict[str, dict[str, str]]) -> None:
    if not _within_budget():
        STATS["not sent (over budget)"] += 1
        return
    response = case.call(headers=caller["headers"], cookies=caller.get("cookies"))
    STATS["requests"] += 1
    STATS[f"{response.status_code // 100}xx"] += 1
    STATS[str(case.meta.generation.mode.value) if case.meta else "explicit"] += 1
    case.validate_response(response, checks=CHECKS, headers=caller["headers"])


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # no timed assertions: a shared CI core may be slow
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=not os.environ.get("KB_FUZZ_RANDOM"),
)


def _known(app: Flask) -> dict[str, Any]:
    """Path values that name things that exist, so examples reach past the 404: an article,
    a tree, an open outage, an escalation with its ticket and a diagnostic session."""
    client = app.test_client()
    headers = _admin(app)["headers"]

    def post(path: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=payload, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    outage = post(
        "/api/v1/outages",
        {"service": "Email", "title": "Mail is down", "user_message": "Mail does not arrive"},
    )
    escalation = post(
        "/api/v1/escalations",
        {
            "summary": "Printer on fire",
            "requester_name": "Ada",
            "requester_email": "ada@example.org",
            "impact": "low",
            "urgency": "low",
        },
    )
    session = post("/api/v1/sessions", {"tree": "email-not-working"})
    dispatch(kb_state(app))  # the outbox opens the escalation's ticket
    tickets = client.get("/api/v1/queue", headers=headers).get_json()["items"]
    return {
        "slug": "change-password",
        "tree_id": "email-not-working",
        "outage_id": outage["id"],
        "public_id": escalation["id"],
        "ticket_id": tickets[0]["id"],
        "token": session["id"],
        "number": 1,
        "name": "sla",
    }


def _can_be_invalid(operation: dict[str, Any]) -> bool:
    """Whether a negative example exists: a body, a query parameter, or a path parameter
    that is not just any text."""
    if "requestBody" in operation:
        return True
    return any(
        parameter["in"] == "query" or parameter["schema"] != {"type": "string"}
        for parameter in operation.get("parameters", [])
    )


def _fuzz(app: Flask, caller: dict[str, dict[str, str]], subtests) -> None:
    """Every operation of the document, positive and negative examples, each a subtest
    (schemathesis's own pytest loader does not work with pytest 9.2). Positive examples
    go half to random paths, half to things that exist."""
    known = _known(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        STATS["operations"] += 1
        strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
        names = {parameter.name for parameter in operation.path_parameters}
        if names:
            strategies.append(
                operation.as_strategy(
                    GenerationMode.POSITIVE,
                    path_parameters={name: known[name] for name in names if name in known},
                )
            )
        if _can_be_invalid(operation.definition.raw):
            strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))

        @FUZZ_SETTINGS
        @given(case=st.one_of(strategies))
        def run(case) -> None:
            _call(case, caller)

        with subtests.test(operation=operation.label):
            run()


def test_fuzz_anonymous(fuzz_app: Flask, subtests) -> None:
    _fuzz(fuzz_app, _browser(fuzz_app), subtests)


def test_fuzz_admin_token(fuzz_app: Flask, subtests) -> None:
    _fuzz(fuzz_app, _admin(fuzz_app), subtests)
