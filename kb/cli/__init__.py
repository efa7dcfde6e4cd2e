"""The ``kb`` command: a Flask command group. Bad input exits 2 with one line, never a trace.

Each command group lives in its own module here; this one defines the group and adds them.
"""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from kb.app import create_app
from kb.cli import content, database, demo, index, outbox, plugins, serve, trees, users
from kb.errors import ConfigError, KbError


def _create_app(*_args, **_kwargs):
    return create_app()


class KbGroup(FlaskGroup):
    """Turns usage errors and kb errors into one line on stderr (a wrong configuration: one line
    per problem) and exit status 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """kb's own commands. Flask would build the app to look for more (``app.cli``, which kb
        does not use), so ``kb --help`` would fail on the very configuration a person is
        trying to fix; a command that needs the app builds it when it runs."""
        return sorted(self.commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name)

    def main(self, args=None, prog_name=None, **extra):  # type: ignore[override]
        try:
            result = super().main(
                args=args, prog_name=prog_name or "kb", standalone_mode=False, **extra
            )
        except click.UsageError as error:
            click.echo(f"kb: {error.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"kb: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except ConfigError as error:
            for problem in error.problems:
                click.echo(f"kb: {problem}", err=True)
            sys.exit(2)
        except KbError as error:
            click.echo(f"kb: {error.message}", err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("kb: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(
    cls=KbGroup,
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def cli() -> None:
    """kb: knowledge base and guided troubleshooting for IT help desks."""


for command in (
    content.init_command,
    content.import_command,
    content.export_command,
    content.content_group,
    trees.tree_group,
    index.index_group,
    users.user_group,
    database.db_group,
    serve.serve_command,
    serve.worker_command,
    outbox.outbox_group,
    outbox.followups_group,
    plugins.plugins_command,
    demo.demo_data_command,
):
    cli.add_command(command)


def main() -> None:
    cli.main()
