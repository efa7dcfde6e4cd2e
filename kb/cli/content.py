"""`kb init`, `kb import`, `kb export`: content in and out of an instance, and the first
administrator of a new one; `kb content check`: whether content files are ready to publish."""

from __future__ import annotations

import os
import secrets
import sys
from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kb.auth.users import count_users, create_user
from kb.cli.shared import db_session, password_from
from kb.config import bundled_paths
from kb.content import export_content, import_content
from kb.content_check import check_content, content_files
from kb.extensions import kb_state
from kb.models import Role
from kb.plugins.net_checks import DnsResolve, HttpStatus, TcpConnect


@click.command("init")
@click.option("--if-needed", is_flag=True, help="Do nothing (and succeed) if already initialised.")
@click.option("--no-content", is_flag=True, help="Do not import the bundled articles and trees.")
@with_appcontext
def init_command(if_needed: bool, no_content: bool) -> None:
    """Create the database, import the bundled content and the first admin account."""
    state = kb_state()
    session = db_session()
    with session:
        if count_users(session) > 0:
            if if_needed:
                click.echo(f"Instance {state.instance_path} is ready.")
                return
            raise click.UsageError(
                f"instance {state.instance_path} is already initialised; it is never overwritten"
            )
        if not no_content:
            paths = [
                Path(current_app.config["BUNDLED_ARTICLES"]),
                Path(current_app.config["BUNDLED_TREES"]),
            ]
            missing = [str(p) for p in paths if not p.is_dir()]
            if missing:
                raise click.ClickException(
                    f"bundled content not found at {', '.join(missing)}; reinstall kb"
                )
            report = import_content(session, paths)
            for line in report.error_lines:
                click.echo(line, err=True)
            click.echo(f"Imported bundled content: {report.summary()}")
            if report.failed:
                # No admin yet: the instance stays uninitialised and `kb init` can run again.
                raise click.ClickException("bundled content failed to import (see above)")
        email, password, generated = _first_admin()
        create_user(session, email, password, role=Role.ADMIN.value, name="Administrator")
        session.commit()
    click.echo(f"Created admin account {email}.")
    if generated:
        secret_file = state.instance_path / "initial-admin-password.txt"
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        click.echo(f"Generated password: {password}  (also in {secret_file}; change it)")
    click.echo("Sign in at /login on the address `kb serve` prints when it is ready.")


def _first_admin() -> tuple[str, str, bool]:
    email = os.environ.get("KB_ADMIN_EMAIL")
    if not email and sys.stdin.isatty():
        email = click.prompt("Admin e-mail", default="admin@localhost")
    email = email or "admin@localhost"
    password = password_from("KB_ADMIN_PASSWORD", "Admin password")
    if password:
        return email, password, False
    return email, secrets.token_urlsafe(12), True


# --- import / export ------------------------------------------------------------------------


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def import_command(paths: tuple[Path, ...]) -> None:
    """Import articles (*.md) and trees (*.json) from files or folders. Idempotent."""
    with db_session() as session:
        report = import_content(session, list(paths))
    for line in report.error_lines:
        click.echo(line, err=True)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(folder: Path) -> None:
    """Write every article (Markdown with front matter) and tree (JSON) into FOLDER."""
    with db_session() as session:
        written = export_content(session, folder)
    click.echo(f"Exported {len(written)} files to {folder}")


# --- check ----------------------------------------------------------------------------------


@click.group("content")
def content_group() -> None:
    """Articles and trees as files."""


@content_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date review_by is compared with (YYYY-MM-DD; default: today).",
)
def check_command(paths: tuple[Path, ...], today: datetime | None) -> None:
    """Check articles (*.md) and trees (*.json), by default the bundled ones, for what would
    stop a help desk lead publishing them as is. Offline, no database. One line per problem;
    exit 1 if there are any."""
    chosen = list(paths) or bundled_content()
    articles, trees = content_files(chosen)
    if not articles and not trees:
        raise click.UsageError(
            "no articles (*.md) or trees (*.json) in " + ", ".join(str(p) for p in chosen)
        )
    report = check_content(
        chosen, (today.date() if today else date.today()), checks=builtin_check_specs()
    )
    for line in report.lines():
        click.echo(line)
    counted = f"{report.articles} article(s) and {report.trees} tree(s)"
    if not report.ok:
        click.echo(f"kb: {len(report.problems)} problem(s) in {counted}", err=True)
        sys.exit(1)
    click.echo(f"{counted} checked: ready to publish.")


def bundled_content() -> list[Path]:
    """The bundled articles and trees: beside the code in a checkout, or the wheel's copy
    (shown relative to the current folder when they are under it)."""
    here = Path.cwd()
    return [
        p.relative_to(here) if p.is_relative_to(here) else p for p in bundled_paths() if p.is_dir()
    ]


def builtin_check_specs() -> dict[str, dict[str, bool]]:
    """The built-in automated checks' parameters (``net_checks``), what trees may name without
    an instance's plugins."""
    return {
        check.name: {name: spec.required for name, spec in check.params.items()}
        for check in (DnsResolve(None), TcpConnect(None), HttpStatus(None))  # type: ignore[arg-type]
    }
