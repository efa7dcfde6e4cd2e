"""Integration tests start real servers (Request Tracker, PostgreSQL, SMTP) on 127.0.0.1.

A missing server program skips them with the reason, unless KB_REQUIRE_INTEGRATION is set
(as in CI): then it fails, so a broken CI machine cannot pass by skipping.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

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
