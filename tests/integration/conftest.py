"""Integration tests start real servers (Request Tracker, PostgreSQL, SMTP) on 127.0.0.1.

A missing server program skips them with the reason, unless KB_REQUIRE_INTEGRATION is set
(as in CI): then it fails, so a broken CI machine cannot pass by skipping.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def unavailable(reason: str) -> None:
    if os.environ.get("KB_REQUIRE_INTEGRATION"):
        pytest.fail(f"integration tests required (KB_REQUIRE_INTEGRATION) but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}")


# --- PostgreSQL -------------------------------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throw-away cluster on a private port and socket folder; yields the server's URL
    (``postgresql+psycopg://postgres@127.0.0.1:PORT``): add ``/name`` of a database made with
    :func:`create_database`."""
    if not (PG_BIN / "initdb").exists():
        unavailable(f"PostgreSQL 15 is not installed ({PG_BIN}): apt-get install postgresql-15")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed: pip install -e '.[test]'")
    folder = Path(tempfile.mkdtemp(prefix="kb-pg-"))  # not under pytest's root-only folder
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    data, port = folder / "data", free_port()
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options]
    try:
        subprocess.run(
            _as_postgres([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            _as_postgres([*start, "-l", str(folder / "postgres.log"), "-w", "start"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the test cluster; returns its URL."""
    import psycopg

    port = server_url.rsplit(":", 1)[1]
    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
    ) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


@pytest.fixture(scope="session")
def postgres(postgres_server: str) -> str:
    """A database URL on the test cluster (database ``kb``)."""
    return create_database(postgres_server, "kb")
