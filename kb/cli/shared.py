"""What several command modules need: a database session of the app being run, and a
password taken from the environment (for scripts) or a hidden prompt (for people)."""

from __future__ import annotations

import getpass
import os
import sys

import click
from sqlalchemy.orm import Session

from kb.extensions import kb_state


def db_session() -> Session:
    return kb_state().session()


def password_from(env_name: str, prompt: str) -> str | None:
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
