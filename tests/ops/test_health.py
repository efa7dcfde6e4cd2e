"""GET /healthz (liveness) and GET /readyz (readiness), as a load balancer asks them."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import create_engine, text

from kb import health
from kb.changes import record_change
from kb.db import make_sessionmaker
from kb.extensions import kb_state
from kb.models import OutboxMessage, utcnow
from kb.search import service as search_service
from tests.conftest import PASSWORD, csrf_token

STATES = {"ok", "failing", "warning", "skipped"}


def _break_the_database(app, tmp_path) -> None:
    """Point the app at a database that cannot be opened (its folder does not exist)."""
    state = kb_state(app)
    state.engine.dispose()
    state.engine = create_engine(f"sqlite:///{tmp_path / 'gone' / 'kb.sqlite3'}")
    state.sessionmaker = make_sessionmaker(state.engine)


def test_liveness_answers_without_looking_at_anything(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_a_ready_node_says_so_check_by_check(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "search": "ok", "outbox": "ok"},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_without_a_database_the_node_is_alive_but_not_ready(app, client, tmp_path, caplog) -> None:
    # a signed-in browser too: its session cookie must not make liveness look anyone up
    signed_in = app.test_client()
    response = signed_in.post(
        "/login",
        data={
            "email": "admin@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(signed_in),
        },
    )
    assert response.status_code == 302
    _break_the_database(app, tmp_path)
    for who in (client, signed_in):
        assert who.get("/healthz").status_code == 200
    with caplog.at_level(logging.WARNING, logger="kb.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "checks": {"database": "failing", "search": "skipped", "outbox": "skipped"},
    }
    body = response.get_data(as_text=True)
    assert "OperationalError" not in body and "sqlite" not in body  # no details to anyone
    reasons = [r for r in caplog.records if r.name == "kb.health"]
    assert reasons and "OperationalError" in reasons[0].getMessage()
    assert reasons[0].request_id == response.headers["X-Request-ID"]


def test_a_schema_behind_the_code_is_not_ready(app, client) -> None:
    with kb_state(app).engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "failing"


def test_an_index_far_behind_the_change_sequence_is_not_ready_until_it_catches_up(
    app, client
) -> None:
    kb = kb_state(app)
    with app.app_context(), kb.session() as session:
        for number in range(health.SEARCH_MAX_LAG + 1):
            record_change(session, "article", f"not-indexed-{number}")
        session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "database": "ok",
        "search": "failing",
        "outbox": "ok",
    }
    with app.app_context(), kb.session() as session:  # what the worker beside it does
        search_service.catch_up(kb, session)
    assert client.get("/readyz").status_code == 200


def test_a_few_changes_behind_is_still_ready(app, client) -> None:
    with app.app_context(), kb_state(app).session() as session:
        record_change(session, "article", "not-indexed-yet")
        session.commit()
    assert client.get("/readyz").status_code == 200


def test_an_index_that_cannot_open_is_not_ready(app, client, monkeypatch) -> None:
    def broken(kb):
        raise OSError("index folder is not readable")

    monkeypatch.setattr(search_service, "backend", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["search"] == "failing"
    assert "readable" not in response.get_data(as_text=True)


def test_old_dead_letters_are_reported_but_do_not_make_the_node_unready(app, client) -> None:
    with app.app_context(), kb_state(app).session() as session:
        session.add(
            OutboxMessage(kind="ticket", key="fresh", payload={}, status="dead", attempts=12)
        )
        session.commit()
    assert client.get("/readyz").get_json()["checks"]["outbox"] == "ok"  # not older than N
    with app.app_context(), kb_state(app).session() as session:
        session.add(
            OutboxMessage(
                kind="ticket",
                key="old",
                payload={},
                status="dead",
                attempts=12,
                next_attempt_at=utcnow() - health.DEAD_LETTER_AGE - timedelta(minutes=1),
            )
        )
        session.commit()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "search": "ok", "outbox": "warning"},
    }


def test_open_to_anyone_even_when_the_site_needs_sign_in(make_app) -> None:
    app = make_app(PUBLIC_ACCESS=False)
    client = app.test_client()
    assert client.get("/").status_code == 302  # the site itself needs sign-in
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    kb_state(app).engine.dispose()


def test_never_throttled(make_app) -> None:
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    assert [client.get("/api/v1/me").status_code for _ in range(3)][-1] == 429  # default holds
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    kb_state(app).engine.dispose()


def test_the_answer_holds_only_states(client) -> None:
    body = client.get("/readyz").get_json()
    assert set(body) == {"status", "checks"}
    assert set(body["checks"].values()) <= STATES
