"""`kb user`: accounts, roles, passwords and API tokens."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kb.auth.users import (
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
from kb.cli.shared import db_session, password_from
from kb.limits import whole_number
from kb.models import Role, User


@click.group("user")
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
    password = password_from("KB_USER_PASSWORD", f"Password for {email}")
    if not password:
        raise click.UsageError("no password: set KB_USER_PASSWORD or run in a terminal")
    with db_session() as session:
        create_user(session, email, password, role=role, name=name)
        session.commit()
    click.echo(f"Created {role} {email}.")


@user_group.command("list")
@with_appcontext
def user_list() -> None:
    """List accounts."""
    with db_session() as session:
        for user in session.query(User).order_by(User.email):
            state = "" if user.active else " (disabled)"
            click.echo(f"{user.email:40} {user.role:11} {user.name}{state}")


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@with_appcontext
def user_set_role(email: str, role: str) -> None:
    """Change an account's role."""
    with db_session() as session:
        set_role(session, email, role)
        session.commit()
    click.echo(f"{email} is now {role}.")


@user_group.command("set-password")
@click.argument("email")
@with_appcontext
def user_set_password(email: str) -> None:
    """Change an account's password (from KB_USER_PASSWORD, or prompted); its sessions end."""
    password = password_from("KB_USER_PASSWORD", f"New password for {email}")
    if not password:
        raise click.UsageError("no password: set KB_USER_PASSWORD or run in a terminal")
    with db_session() as session:
        user = require_user(session, email)
        set_password(user, password)
        session.commit()
    click.echo(f"Password of {email} changed.")


@user_group.command("deactivate")
@click.argument("email")
@with_appcontext
def user_deactivate(email: str) -> None:
    """Disable an account: its sessions, remember cookies and API tokens stop working now."""
    with db_session() as session:
        user = set_active(require_user(session, email), False)
        session.commit()
        click.echo(f"{user.email} is deactivated; every session of it has ended.")


@user_group.command("activate")
@click.argument("email")
@with_appcontext
def user_activate(email: str) -> None:
    """Let a deactivated account sign in again (its API tokens work again unless revoked)."""
    with db_session() as session:
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
    with db_session() as session:
        token = create_token(session, require_user(session, email), name)
        session.commit()
    click.echo(token)


@token_group.command("list")
@click.argument("email")
@with_appcontext
def user_token_list(email: str) -> None:
    """List EMAIL's API tokens: number, name, created, last used, revoked."""
    with db_session() as session:
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
    with db_session() as session:
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
