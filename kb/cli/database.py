"""`kb db`: the database schema."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kb.db import upgrade
from kb.extensions import kb_state


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply pending migrations (app start does this too)."""
    upgrade(kb_state().engine)
    click.echo("Schema is current.")
