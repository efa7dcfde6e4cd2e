"""Shared fixtures: an app per test on its own instance folder, a client, a CLI runner, users
of every role, and an ``auth`` helper so tests read like scripts."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb import create_app
from kb.auth.users import create_user
from kb.content import import_content
from kb.extensions import kb_state

PASSWORD = "correct-horse-battery"
ROLES = ("requester", "technician", "author", "reviewer", "admin")
REPO = Path(__file__).resolve().parent.parent
CSRF_FIELD = re.compile(
    r'name="csrf-token" content="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"'
)


def _base_config(instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{instance / 'kb.sqlite3'}",
        "SECRET_KEY": "test-secret",
        # Tests sign in and post far more often than people; tests/test_throttling.py turns
        # throttling on with its own limits.
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture(scope="session")
def template_instances(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrated databases built once per run and copied per test: one empty, one with the
    bundled content and a user of every role."""
    from kb.auth import users

    users.PASSWORD_METHOD = "pbkdf2:sha256:1000"  # fast sign-ins for the template accounts
    made: dict[str, Path] = {}
    for kind in ("empty", "bundled"):
        folder = tmp_path_factory.mktemp(f"template-{kind}")
        app = create_app(_base_config(folder), instance_path=folder)
        state = kb_state(app)
        with app.app_context(), state.session() as session:
            for role in ROLES:
                create_user(
                    session, f"{role}@example.org", PASSWORD, role=role, name=role.capitalize()
                )
            if kind == "bundled":
                import_content(session, [REPO / "articles", REPO / "kb" / "decision_trees"])
            session.commit()
        state.engine.dispose()
        made[kind] = folder / "kb.sqlite3"
    return made


@pytest.fixture
def make_app(tmp_path: Path, template_instances: dict[str, Path]) -> Callable[..., Flask]:
    """Build an app on a fresh copy of a template database (``content="bundled"|"empty"``)."""
    counter = {"n": 0}

    def factory(
        content: str = "bundled", plugins: list[object] | None = None, **config: Any
    ) -> Flask:
        counter["n"] += 1
        instance = tmp_path / f"instance{counter['n']}"
        instance.mkdir()
        shutil.copy(template_instances[content], instance / "kb.sqlite3")
        index = template_instances[content].parent / "index"
        if index.is_dir():  # the search index that followed the template's imports
            shutil.copytree(index, instance / "index")
        return create_app(
            {**_base_config(instance), **config}, instance_path=instance, plugins=plugins
        )

    return factory


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app()
    yield application
    kb_state(application).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask):
    """A database session on the app, for arranging and checking state directly."""
    with app.app_context():
        session = kb_state(app).session()
        yield session
        session.close()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a browser would get from a form page."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, who: str = "requester", password: str = PASSWORD):
        email = who if "@" in who else f"{who}@example.org"
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(self.client)},
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})

    def token(self) -> str:
        return csrf_token(self.client, "/")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
