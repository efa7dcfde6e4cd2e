"""`kb plugins`: which plugins are on, where each comes from, and the hooks it implements."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from kb.extensions import kb_state
from kb.plugins import describe


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def plugins_command(as_json: bool) -> None:
    """List plugins: where each comes from, whether it is on, and the hooks it implements."""
    rows = describe(kb_state().pm)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        source = row["source"] + (f" {row['version']}" if row["version"] else "")
        state = "" if row["status"] == "on" else f" [{row['status']}]"
        click.echo(f"{row['name']}  {source}{state}")
        if row["hooks"]:
            click.echo("    " + ", ".join(row["hooks"]))
