"""The ``kb`` command: a Flask command group. Bad input exits 2 with one line, never a trace."""

from __future__ import annotations

import getpass
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from kb.app import create_app
from kb.auth.users import (
    count_users,
    create_token,
    create_user,
    require_user,
    revoke_token,
    revoke_tokens,
    set_active,
    set_password,
    set_role,
    tokens_of,
)
from kb.content import export_content, import_content
from kb.errors import KbError
from kb.extensions import kb_state
from kb.limits import whole_number
from kb.models import Role, User


def _create_app(*_args, **_kwargs):
    return create_app()


class KbGroup(FlaskGroup):
    """Turns usage errors and kb errors into one line on stderr and exit status 2."""

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


def main() -> None:
    cli.main()


def _session():
    return kb_state().session()


def _password_from(env_name: str, prompt: str) -> str | None:
    """A password from the environment (for scripts) or a hidden prompt (for people)."""
    value = os.environ.get(env_name)
    if value:
        return value
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(f"{prompt}: ")
    second = getpass.getpass("Repeat it: ")
    if first != second:
        raise click.UsageError("the two passwords differ")
    return first


# --- init ------------------------------------------------------------------------------------


@cli.command("init")
@click.option("--if-needed", is_flag=True, help="Do nothing (and succeed) if already initialised.")
@click.option("--no-content", is_flag=True, help="Do not import the bundled articles and trees.")
@with_appcontext
def init_command(if_needed: bool, no_content: bool) -> None:
    """Create the database, import the bundled content and the first admin account."""
    state = kb_state()
    session = _session()
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
    click.echo("Sign in at http://127.0.0.1:5000/login (or your server's address).")


def _first_admin() -> tuple[str, str, bool]:
    email = os.environ.get("KB_ADMIN_EMAIL")
    if not email and sys.stdin.isatty():
        email = click.prompt("Admin e-mail", default="admin@localhost")
    email = email or "admin@localhost"
    password = _password_from("KB_ADMIN_PASSWORD", "Admin password")
    if password:
        return email, password, False
    return email, secrets.token_urlsafe(12), True


# --- import / export ------------------------------------------------------------------------


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def import_command(paths: tuple[Path, ...]) -> None:
    """Import articles (*.md) and trees (*.json) from files or folders. Idempotent."""
    with _session() as session:
        report = import_content(session, list(paths))
    for line in report.error_lines:
        click.echo(line, err=True)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(folder: Path) -> None:
    """Write every article (Markdown with front matter) and tree (JSON) into FOLDER."""
    with _session() as session:
        written = export_content(session, folder)
    click.echo(f"Exported {len(written)} files to {folder}")


# --- trees ----------------------------------------------------------------------------------


@cli.group("tree")
def tree_group() -> None:
    """Decision trees."""


@tree_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def tree_validate(paths: tuple[Path, ...]) -> None:
    """Check tree files (*.json; articles given as *.md count as existing), or every stored
    tree when no PATH is given. Prints each problem with its file and node; exit 2 if any."""
    from kb.trees.cli_support import validate_paths, validate_stored

    with _session() as session:
        lines, checked = validate_paths(session, list(paths)) if paths else validate_stored(session)
    for line in lines:
        click.echo(line, err=True)
    if lines:
        click.echo(f"kb: {len(lines)} problem(s) in the trees checked", err=True)
        sys.exit(2)
    click.echo(f"{checked} tree(s) valid.")


# --- search index ---------------------------------------------------------------------------


@cli.group("index")
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
    from kb.search import documents, service

    state = kb_state()
    with _session() as session:
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
    from kb.search import service

    with _session() as session:
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
    from kb.changes import last_seq
    from kb.search import service

    state = kb_state()
    engine = service.backend(state)
    with _session() as session:
        latest = last_seq(session)
    applied = engine.applied_seq()
    click.echo(f"backend: {engine.name}")
    click.echo(f"documents: {len(engine.versions())}")
    click.echo(f"size: {engine.size_bytes() / 1024:.0f} KiB")
    click.echo(
        f"changes applied: {applied} of {latest}"
        + ("" if applied >= latest else " (behind: run `kb index check`)")
    )


# --- users ----------------------------------------------------------------------------------


@cli.group("user")
def user_group() -> None:
    """Manage accounts."""


ROLE_CHOICE = click.Choice([r.value for r in Role])


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, default=Role.REQUESTER.value, show_default=True)
@click.option("--name", default="", help="Display name.")
@with_appcontext
def user_create(email: str, role: str, name: str) -> None:
    """Create an account. Password from KB_USER_PASSWORD, or prompted."""
    password = _password_from("KB_USER_PASSWORD", f"Password for {email}")
    if not password:
        raise click.UsageError("no password: set KB_USER_PASSWORD or run in a terminal")
    with _session() as session:
        create_user(session, email, password, role=role, name=name)
        session.commit()
    click.echo(f"Created {role} {email}.")


@user_group.command("list")
@with_appcontext
def user_list() -> None:
    """List accounts."""
    with _session() as session:
        for user in session.query(User).order_by(User.email):
            state = "" if user.active else " (disabled)"
            click.echo(f"{user.email:40} {user.role:11} {user.name}{state}")


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@with_appcontext
def user_set_role(email: str, role: str) -> None:
    """Change an account's role."""
    with _session() as session:
        set_role(session, email, role)
        session.commit()
    click.echo(f"{email} is now {role}.")


@user_group.command("set-password")
@click.argument("email")
@with_appcontext
def user_set_password(email: str) -> None:
    """Change an account's password (from KB_USER_PASSWORD, or prompted); its sessions end."""
    password = _password_from("KB_USER_PASSWORD", f"New password for {email}")
    if not password:
        raise click.UsageError("no password: set KB_USER_PASSWORD or run in a terminal")
    with _session() as session:
        user = require_user(session, email)
        set_password(user, password)
        session.commit()
    click.echo(f"Password of {email} changed.")


@user_group.command("deactivate")
@click.argument("email")
@with_appcontext
def user_deactivate(email: str) -> None:
    """Disable an account: its sessions, remember cookies and API tokens stop working now."""
    with _session() as session:
        user = set_active(require_user(session, email), False)
        session.commit()
        click.echo(f"{user.email} is deactivated; every session of it has ended.")


@user_group.command("activate")
@click.argument("email")
@with_appcontext
def user_activate(email: str) -> None:
    """Let a deactivated account sign in again (its API tokens work again unless revoked)."""
    with _session() as session:
        user = set_active(require_user(session, email), True)
        session.commit()
        click.echo(f"{user.email} can sign in again.")


class DefaultCommandGroup(click.Group):
    """A group whose first subcommand is implied: ``kb user token EMAIL`` still issues one."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [next(iter(self.commands)), *args]
        return super().parse_args(ctx, args)


@user_group.group("token", cls=DefaultCommandGroup)
def token_group() -> None:
    """API tokens: create (the default), list, revoke."""


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@with_appcontext
def user_token(email: str, name: str) -> None:
    """Issue an API token for EMAIL (shown once)."""
    with _session() as session:
        token = create_token(session, require_user(session, email), name)
        session.commit()
    click.echo(token)


@token_group.command("list")
@click.argument("email")
@with_appcontext
def user_token_list(email: str) -> None:
    """List EMAIL's API tokens: number, name, created, last used, revoked."""
    with _session() as session:
        for row in tokens_of(session, require_user(session, email)):
            used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
            state = "revoked" if row.revoked else "live"
            click.echo(
                f"{row.id:6}  {row.name:20} created {row.created_at:%Y-%m-%d}  "
                f"used {used:16}  {state}"
            )


@token_group.command("revoke")
@click.argument("what")
@click.option("--all", "revoke_all", is_flag=True, help="WHAT is an e-mail: revoke all its tokens.")
@with_appcontext
def user_token_revoke(what: str, revoke_all: bool) -> None:
    """Revoke token number WHAT (see `kb user token list`), or with --all every token of the
    account WHAT. A revoked token stops working at once."""
    with _session() as session:
        if revoke_all:
            count = revoke_tokens(session, require_user(session, what))
            session.commit()
            click.echo(f"Revoked {count} token(s) of {what}.")
            return
        number = whole_number(what)
        if number is None:
            raise click.UsageError("give a token number (kb user token list EMAIL), or --all EMAIL")
        row = revoke_token(session, number)
        session.commit()
        click.echo(f"Token {row.id} ({row.name}) of {row.user.email} is revoked.")


# --- database and serving -------------------------------------------------------------------


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply pending migrations (app start does this too)."""
    from kb.db import upgrade

    upgrade(kb_state().engine)
    click.echo("Schema is current.")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--no-worker", is_flag=True, help="Do not start the background worker.")
@with_appcontext
def serve_command(host: str, port: int, workers: int, no_worker: bool) -> None:
    """Serve kb with gunicorn on HOST:PORT, with the background worker beside it.

    Sync workers, one request each: gunicorn stops a request that runs longer than
    REQUEST_TIMEOUT_SECONDS (threads it could not interrupt). Put a buffering proxy (nginx)
    in front, as for any gunicorn site."""
    timeout = str(int(current_app.config.get("REQUEST_TIMEOUT_SECONDS") or 30))
    bin_dir = Path(sys.executable).parent
    web = [
        str(bin_dir / "gunicorn"),
        "--worker-class",
        "sync",
        "--workers",
        str(workers),
        "--timeout",
        timeout,
        "--graceful-timeout",
        timeout,
        "--bind",
        f"{host}:{port}",
        "--access-logfile",
        "-",
        "kb:create_app()",
    ]
    children = [subprocess.Popen(web)]
    if not no_worker:
        children.append(subprocess.Popen([str(bin_dir / "kb"), "worker"]))
    click.echo(f"Serving kb on http://{host}:{port}" + ("" if no_worker else " (with worker)"))

    def stop(*_args) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

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


@cli.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the background worker: outbox deliveries, follow-ups, plugin jobs."""
    from kb.worker import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    run_forever(kb_state())


@cli.group("outbox")
def outbox_group() -> None:
    """Deliveries to ticketing systems, webhooks and e-mail."""


@outbox_group.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@with_appcontext
def outbox_run(once: bool) -> None:
    """Deliver due messages (retrying failures with backoff)."""
    from kb.outbox import dispatch

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
    from sqlalchemy import select

    from kb.models import OutboxMessage

    with _session() as session:
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
    from kb.outbox import retry_dead

    with _session() as session:
        retry_dead(session, message_id)
        session.commit()
    click.echo(f"Message {message_id} will be retried.")


@cli.group("followups")
def followups_group() -> None:
    """Follow-ups with requesters."""


@followups_group.command("run")
@with_appcontext
def followups_run() -> None:
    """Fire kb_followup_due for every follow-up that is due."""
    from kb.followups import run_due

    click.echo(f"{run_due(kb_state())} follow-ups due")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def plugins_command(as_json: bool) -> None:
    """List plugins: where each comes from, whether it is on, and the hooks it implements."""
    import json

    from kb.plugins import describe

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


@cli.command("demo-data")
@click.option("--weeks", default=6, show_default=True, type=click.IntRange(1, 52))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--force", is_flag=True, help="Add demo history even if the instance has some.")
@with_appcontext
def demo_data_command(weeks: int, seed: int, force: bool) -> None:
    """Fill this instance with a reproducible, realistic history for the reports."""
    from kb.reports import demo

    state = kb_state()
    with _session() as session:
        if demo.has_history(session) and not force:
            raise click.UsageError("this instance already has sessions; use --force to add more")
    days = weeks * 7 + 1
    with click.progressbar(length=days, label="Simulating days", show_pos=True) as bar:
        summary = demo.generate(state, weeks=weeks, seed=seed, progress=bar.update)
    click.echo(
        f"Demo history: {summary.sessions} sessions, {summary.escalations} escalations "
        f"({summary.resolved} resolved), {summary.searches} searches, {summary.votes} "
        f"ratings, {summary.flags} flags, {summary.outages} past outage."
    )
    click.echo("Sign in as a reviewer or admin and open /reports.")
