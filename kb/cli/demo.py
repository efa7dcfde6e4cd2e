"""`kb demo-data`: fill an instance with a reproducible history so the reports have data."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kb import demo_data
from kb.cli.shared import db_session
from kb.extensions import kb_state


@click.command("demo-data")
@click.option("--weeks", default=6, show_default=True, type=click.IntRange(1, 52))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--force", is_flag=True, help="Add demo history even if the instance has some.")
@with_appcontext
def demo_data_command(weeks: int, seed: int, force: bool) -> None:
    """Fill this instance with a reproducible, realistic history for the reports."""
    state = kb_state()
    with db_session() as session:
        if demo_data.has_history(session) and not force:
            raise click.UsageError("this instance already has sessions; use --force to add more")
    days = weeks * 7 + 1
    with click.progressbar(length=days, label="Simulating days", show_pos=True) as bar:
        summary = demo_data.generate(state, weeks=weeks, seed=seed, progress=bar.update)
    click.echo(
        f"Demo history: {summary.sessions} sessions, {summary.escalations} escalations "
        f"({summary.resolved} resolved), {summary.searches} searches, {summary.votes} "
        f"ratings, {summary.flags} flags, {summary.outages} past outage."
    )
    click.echo("Sign in as a reviewer or admin and open /reports.")
