"""`kb serve` tells the address it really serves on, once it serves there."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import run_kb


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(instance: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    kb = Path(sys.executable).with_name("kb")
    environment = {
        "PATH": str(kb.parent) + ":/usr/bin:/bin",
        "KB_INSTANCE": str(instance),
        **(env or {}),
    }
    return subprocess.Popen(
        [str(kb), "serve", "--no-worker", "--workers", "1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        start_new_session=True,
    )


def _first_line(server: subprocess.Popen) -> str:
    """What `kb serve` prints first, then stop it (its own process group only)."""
    try:
        return server.stdout.readline().strip()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("instance")
    env = {"KB_ADMIN_PASSWORD": "plum-orbit-cactus-97"}
    result = run_kb(path, "init", "--no-content", env=env)
    assert result.returncode == 0, result.stderr
    return path


@pytest.mark.parametrize("how", ["option", "environment"])
def test_serve_prints_the_port_it_listens_on(instance, how) -> None:
    port = _free_port()
    if how == "option":
        server = _serve(instance, "--port", str(port), env={"PORT": "5000"})
    else:
        server = _serve(instance, env={"PORT": str(port)})
    line = _first_line(server)
    assert line.startswith(f"Serving kb on http://127.0.0.1:{port} "), line
    assert f"sign in at http://127.0.0.1:{port}/login" in line
    assert "5000" not in line


def test_serve_on_all_addresses_prints_an_address_a_browser_can_open(instance) -> None:
    port = _free_port()
    line = _first_line(_serve(instance, "--host", "0.0.0.0", "--port", str(port)))
    assert line.startswith(f"Serving kb on http://127.0.0.1:{port} "), line


def test_serve_on_a_taken_port_exits_2_naming_the_port(instance) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _serve(instance, "--port", str(port))
        out, err = server.communicate(timeout=120)
    assert server.returncode == 2
    assert "Serving kb" not in out
    assert err.strip() == (
        f"kb: the web server did not start on 127.0.0.1:{port} "
        "(the port is taken: choose another with --port or PORT)"
    )


def test_init_does_not_guess_a_port(instance, tmp_path_factory) -> None:
    fresh = tmp_path_factory.mktemp("fresh")
    result = run_kb(
        fresh, "init", "--no-content", env={"PORT": "8123", "KB_ADMIN_PASSWORD": "plum-orbit-9x"}
    )
    assert result.returncode == 0, result.stderr
    assert "5000" not in result.stdout and "8123" not in result.stdout
    assert "Sign in at /login" in result.stdout
