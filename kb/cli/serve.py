"""`kb serve` (gunicorn with the background worker beside it) and `kb worker`."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kb.extensions import kb_state
from kb.worker import run_forever

# Sync workers, one request each: gunicorn stops a request that runs longer than
# REQUEST_TIMEOUT_SECONDS, which it cannot do to a thread (gthread). Measured with bench/load.py
# on 2 cores (bench/README.md), gthread served the article page about 30% faster but not the
# diagnostic step, with worse tails: sync stays the default; --threads N opts in to gthread.
DEFAULT_WORKERS = 4
DEFAULT_THREADS = 1


def gunicorn_argv(
    app_spec: str,
    *,
    host: str,
    port: int,
    workers: int = DEFAULT_WORKERS,
    threads: int = DEFAULT_THREADS,
    timeout: int = 30,
    access_log: bool = True,
) -> list[str]:
    """The gunicorn command line `kb serve` runs (bench/load.py serves its reference with the
    same one). One thread means sync workers; more means gthread."""
    bin_dir = Path(sys.executable).parent
    argv = [
        str(bin_dir / "gunicorn"),
        "--worker-class",
        "sync" if threads == 1 else "gthread",
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        str(timeout),
        "--bind",
        f"{host}:{port}",
    ]
    if threads > 1:
        argv += ["--threads", str(threads)]
    if access_log:
        argv += ["--access-logfile", "-"]
    return [*argv, app_spec]


def browser_address(host: str, port: int) -> str:
    """The address a person on this machine opens: a wildcard bind (0.0.0.0, ::) is reached
    through the loopback address; IPv6 literals get their brackets."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def port_is_free(host: str, port: int) -> bool:
    """Whether host:port can be bound now (gunicorn would otherwise retry, then give up)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _not_started(host: str, port: int, why: str) -> click.ClickException:
    error = click.ClickException(f"the web server did not start on {host}:{port} ({why})")
    error.exit_code = 2
    return error


def wait_until_listening(
    host: str, port: int, server: subprocess.Popen, timeout: float = 60.0
) -> bool:
    """True once something accepts connections on host:port; False if ``server`` ends first
    (the port is taken, say) or nothing listens within ``timeout`` seconds."""
    target = "127.0.0.1" if host in ("", "0.0.0.0") else ("::1" if host == "::" else host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with socket.create_connection((target, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=5000,
    show_default=True,
    envvar="PORT",
    type=click.IntRange(1, 65535),
    help="Also read from PORT.",
)
@click.option("--workers", default=DEFAULT_WORKERS, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker: more than 1 runs gthread workers, whose requests are not timed out.",
)
@click.option("--no-worker", is_flag=True, help="Do not start the background worker.")
@with_appcontext
def serve_command(host: str, port: int, workers: int, threads: int, no_worker: bool) -> None:
    """Serve kb with gunicorn on HOST:PORT, with the background worker beside it.

    Sync workers, one request each: gunicorn stops a request that runs longer than
    REQUEST_TIMEOUT_SECONDS (threads it could not interrupt). Put a buffering proxy (nginx)
    in front, as for any gunicorn site."""
    timeout = int(current_app.config.get("REQUEST_TIMEOUT_SECONDS") or 30)
    bin_dir = Path(sys.executable).parent
    web = gunicorn_argv(
        "kb:create_app()", host=host, port=port, workers=workers, threads=threads, timeout=timeout
    )
    if not port_is_free(host, port):
        raise _not_started(host, port, "the port is taken: choose another with --port or PORT")
    children = [subprocess.Popen(web)]
    if not no_worker:
        children.append(subprocess.Popen([str(bin_dir / "kb"), "worker"]))

    def stop(*_args) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    # The address is printed once gunicorn really listens there, so it is the one to open.
    if wait_until_listening(host, port, children[0]):
        address = browser_address(host, port)
        click.echo(
            f"Serving kb on {address} (sign in at {address}/login)"
            + ("" if no_worker else "; the background worker runs beside it")
        )
    else:
        stop()
        for child in children:
            child.wait(timeout=30)
        raise _not_started(host, port, "see its messages above")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            child.wait(timeout=30)
    sys.exit(children[0].returncode or 0)


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the background worker: outbox deliveries, follow-ups, plugin jobs."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    run_forever(kb_state())
