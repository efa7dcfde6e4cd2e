"""Database engine and sessions per app, one session per request, after-commit events, and
Alembic migrations (kb/migrations/)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, g
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from kb.extensions import kb_state

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The largest integer a database column holds (SQLite and PostgreSQL BIGINT): a bigger id or
# number cannot name anything, and sending it to the driver is an OverflowError.
MAX_INTEGER = 2**63 - 1


def storable_int(value: int) -> bool:
    return -MAX_INTEGER - 1 <= value <= MAX_INTEGER


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a generous busy timeout."""
    if url.startswith("sqlite"):
        create_private_file(make_url(url).database)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def create_private_file(database: str | None) -> None:
    """Create a new SQLite database file readable and writable by its owner only (0600), not
    with the process umask (usually world-readable). SQLite gives the -wal and -shm files the
    database file's mode. An existing file is left as it is."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except (FileExistsError, FileNotFoundError):
        return  # there already, or no such folder (SQLite then says so itself)
    os.close(fd)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


# --- after-commit events -------------------------------------------------------------------


def queue_event(session: Session, hook: str, /, **kwargs: Any) -> None:
    """Fire ``hook`` once the session's transaction commits; dropped if it rolls back.

    Positional-only, so a hook may itself take an argument named ``session``."""
    session.info.setdefault("pending_events", []).append((hook, kwargs))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the events wait for the real commit
    pending = session.info.pop("pending_events", [])
    kb = session.info.get("kb")
    if kb is None:
        return
    for hook, kwargs in pending:
        kb.notify(hook, **kwargs)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("pending_events", None)


# --- request scope ----------------------------------------------------------------------------


def get_db() -> Session:
    """The request's database session, created on first use and closed at teardown."""
    if "kb_db" not in g:
        g.kb_db = kb_state().session()
    return g.kb_db


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("kb_db", None)
        if session is not None:
            session.close()


# --- migrations -------------------------------------------------------------------------------


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    command.upgrade(alembic_config(engine), revision)


def schema_is_current(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())
