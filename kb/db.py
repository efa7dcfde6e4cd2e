"""Database engine and sessions per app, one session per request, after-commit events, and
Alembic migrations (kb/migrations/)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, g
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from kb.extensions import kb_state

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The largest integer a database column holds (SQLite and PostgreSQL BIGINT): a bigger id or
# number cannot name anything, and sending it to the driver is an OverflowError.
MAX_INTEGER = 2**63 - 1


# Values in one ``IN (...)`` list: well under any database's limit on bound parameters.
IN_LIST_LIMIT = 500
Item = TypeVar("Item")


def in_batches(values: Sequence[Item]) -> Iterator[Sequence[Item]]:
    """``values`` in slices small enough for one ``IN (...)`` each (a list page, a bulk
    import: one query per 500 rows, not one per row and not one too large to send)."""
    for start in range(0, len(values), IN_LIST_LIMIT):
        yield values[start : start + IN_LIST_LIMIT]


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
    engine = create_engine(url, echo=echo)
    ping_connections_left_idle(engine)
    return engine


# A pooled connection that has been back in the pool longer than this is checked before use.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "kb_returned_at"


def ping_connections_left_idle(engine: Engine) -> None:
    """Check a server connection before use only if it sat idle in the pool.

    SQLAlchemy's ``pool_pre_ping`` checks every connection at every checkout: a round trip
    on every request, a sixth of a diagnostic step's cost on PostgreSQL. A connection returned
    less than ``PING_AFTER_IDLE_SECONDS`` ago was working a moment ago and is used as it is;
    one that sat idle (through a server restart, a failover, a firewall's timeout) is checked,
    and a dead one is replaced before the request uses it. A restart in the middle of steady
    use fails the requests already under way, as it does with any check, and the pool then
    replaces all its connections (SQLAlchemy invalidates the pool on a disconnect)."""

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool connects afresh and retries
            raise DisconnectionError(f"connection lost while idle: {error}") from error


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
