"""The background worker: delivers the outbox, fires due follow-ups and runs plugins' periodic
jobs (for example polling a ticketing system), until stopped."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from kb import followups, outbox
from kb.hooks import collect
from kb.records import Job
from kb.search import service

log = logging.getLogger(__name__)


def core_jobs(kb: Any) -> list[Job]:
    interval = float(kb.config["WORKER_INTERVAL_SECONDS"])
    return [
        Job("outbox", interval, lambda k: outbox.dispatch(k)),
        Job("followups", max(interval, 60.0), lambda k: followups.run_due(k)),
        Job("search", interval, _search_catch_up),
    ]


def _search_catch_up(kb: Any) -> None:
    """Keep this node's index current even when nobody searches (changes made on other nodes)."""
    if service.available(kb):
        with kb.session() as session:
            service.catch_up(kb, session)


def all_jobs(kb: Any) -> list[Job]:
    return core_jobs(kb) + collect(kb.pm, "kb_register_jobs", kb=kb)


def run_forever(kb: Any, stop: threading.Event | None = None, tick: float = 1.0) -> None:
    """Run every job at its interval until ``stop`` is set (or SIGTERM/SIGINT arrives)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    jobs = all_jobs(kb)
    next_run = {job.name: 0.0 for job in jobs}
    log.info("worker started: %s", ", ".join(f"{j.name} every {j.interval:g}s" for j in jobs))
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if now < next_run[job.name]:
                continue
            try:
                job.run(kb)
            except Exception:
                log.exception("worker job %s failed", job.name)
            next_run[job.name] = time.monotonic() + job.interval
        stop.wait(tick)
    log.info("worker stopped")
