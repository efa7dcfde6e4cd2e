"""`kb outbox` and `kb followups`: deliveries to ticketing systems, webhooks and e-mail, and
the follow-ups with requesters that fall due."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from kb.cli.shared import db_session
from kb.extensions import kb_state
from kb.followups import run_due
from kb.models import OutboxMessage
from kb.outbox import dispatch, retry_dead


@click.group("outbox")
def outbox_group() -> None:
    """Deliveries to ticketing systems, webhooks and e-mail."""


@outbox_group.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@with_appcontext
def outbox_run(once: bool) -> None:
    """Deliver due messages (retrying failures with backoff)."""
    state = kb_state()
    while True:
        report = dispatch(state)
        if report.attempted or once:
            click.echo(
                f"delivered {report.delivered}, retrying {report.retried}, gave up {report.dead}"
            )
            for line in report.errors:
                click.echo(f"  {line}", err=True)
        if once:
            return
        time.sleep(state.config["WORKER_INTERVAL_SECONDS"])


@outbox_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include delivered messages.")
@with_appcontext
def outbox_list(show_all: bool) -> None:
    """Show pending, failing and dead deliveries."""
    with db_session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if not show_all:
            query = query.where(OutboxMessage.status != "done")
        for m in session.scalars(query):
            click.echo(
                f"{m.id:6} {m.status:10} {m.attempts:3}x {m.kind:6} {m.key} {m.last_error[:80]}"
            )


@outbox_group.command("retry")
@click.argument("message_id", type=int)
@with_appcontext
def outbox_retry(message_id: int) -> None:
    """Send a message that gave up round again."""
    with db_session() as session:
        retry_dead(session, message_id)
        session.commit()
    click.echo(f"Message {message_id} will be retried.")


@click.group("followups")
def followups_group() -> None:
    """Follow-ups with requesters."""


@followups_group.command("run")
@with_appcontext
def followups_run() -> None:
    """Fire kb_followup_due for every follow-up that is due."""
    click.echo(f"{run_due(kb_state())} follow-ups due")
