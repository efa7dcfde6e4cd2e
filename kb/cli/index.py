"""`kb index`: the search index (derived from the database; always rebuildable)."""

from __future__ import annotations

import os
import sys
import time

import click
from flask.cli import with_appcontext

from kb.changes import last_seq
from kb.cli.shared import db_session
from kb.extensions import kb_state
from kb.search import documents, service


@click.group("index")
def index_group() -> None:
    """The search index (derived from the database; always rebuildable)."""


@index_group.command("rebuild")
@click.option(
    "--procs",
    type=click.IntRange(1, 16),
    default=None,
    show_default="CPU cores (at most 4) up to 20,000 documents, else 1",
    help="Processes that analyse documents in parallel.",
)
@with_appcontext
def index_rebuild(procs: int | None) -> None:
    """Index every published article and tree from scratch, with a progress bar. Searches keep
    working on the old index until the new one is complete."""
    state = kb_state()
    with db_session() as session:
        total = documents.count_live(session)
        if procs is None:
            # Measured on 2 cores: 10,000 documents 1,049/s with 2 processes against 590/s
            # with one; 50,000 documents 379/s against 534/s (Whoosh's per-process sorting
            # pool spills to disk where kb's own term pool, used by one process, does not).
            procs = max(1, min(4, os.cpu_count() or 1)) if total <= 20_000 else 1
        started = time.perf_counter()
        with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
            count = service.rebuild(state, session, progress=bar.update, procs=procs)
    elapsed = time.perf_counter() - started
    rate = count / elapsed if elapsed > 0 else 0.0
    click.echo(f"Indexed {count} documents in {elapsed:.1f} s ({rate:.0f}/s).")


@index_group.command("check")
@click.option("--dry-run", is_flag=True, help="Only report drift; change nothing.")
@with_appcontext
def index_check(dry_run: bool) -> None:
    """Compare the index with the database (missing, stale, extra documents) and repair it."""
    with db_session() as session:
        drift = service.check(kb_state(), session, repair=not dry_run)
    for label, keys in (("missing", drift.missing), ("stale", drift.stale), ("extra", drift.extra)):
        for key in keys:
            click.echo(f"{label}: {key}")
    if drift.clean:
        click.echo("Index matches the database.")
    elif drift.repaired:
        click.echo(
            f"Repaired {len(drift.missing)} missing, {len(drift.stale)} stale and "
            f"{len(drift.extra)} extra document(s)."
        )
    else:
        click.echo("Drift found; run without --dry-run to repair it.")
        sys.exit(1)


@index_group.command("status")
@with_appcontext
def index_status() -> None:
    """Where the index is, how many documents it holds, and whether it is up to date."""
    state = kb_state()
    engine = service.backend(state)
    with db_session() as session:
        latest = last_seq(session)
    applied = engine.applied_seq()
    click.echo(f"backend: {engine.name}")
    click.echo(f"documents: {len(engine.versions())}")
    click.echo(f"size: {engine.size_bytes() / 1024:.0f} KiB")
    click.echo(
        f"changes applied: {applied} of {latest}"
        + ("" if applied >= latest else " (behind: run `kb index check`)")
    )
