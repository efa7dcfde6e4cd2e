"""Defaults in code; ``instance/config.py`` and ``KB_*`` environment variables override them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


class Defaults:
    """Every setting kb reads, with the value a fresh install uses."""

    # Database: SQLite in the instance folder unless a URL is given.
    DATABASE_URL: str | None = None
    SQL_ECHO = False

    # Who may read without signing in.
    PUBLIC_ACCESS = True

    # Cookies: HttpOnly and SameSite always; Secure when served over TLS (set it true there).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "kb_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024

    # Plugins: built-ins a site switches off by name; hook-call tracing for debugging.
    DISABLED_PLUGINS: list[str] = []
    TRACE_HOOKS = False

    # Where the bundled content lives (used by `kb init`).
    BUNDLED_ARTICLES: str | None = None
    BUNDLED_TREES: str | None = None

    # Site identity.
    SITE_NAME = "IT Help Desk"
    HELP_DESK_CONTACT = "the IT help desk"

    ITEMS_PER_PAGE = 20

    # Support groups escalations go to (id -> display name); trees' escalation nodes name one.
    SUPPORT_GROUPS: dict[str, str] = {
        "service-desk": "Service Desk",
        "desktop-support": "Desktop Support",
        "network": "Network Team",
        "identity-access": "Identity and Access",
        "messaging": "Messaging and Collaboration",
        "security": "Security Operations",
        "applications": "Business Applications",
        "facilities": "Facilities and AV",
    }

    # Automated checks (technicians only) may reach only these: host names (exact, or
    # wildcards like "*.example.org") and networks (CIDR). A name matched by a wildcard must
    # also resolve into an allowed network; an exactly listed name may resolve anywhere.
    # Empty lists allow nothing.
    CHECK_ALLOWED_HOSTS: list[str] = []
    CHECK_ALLOWED_NETWORKS: list[str] = []
    CHECK_TIMEOUT_SECONDS = 5.0


def bundled_paths() -> tuple[Path, Path]:
    """The folders of articles and trees that ship with kb."""
    package = Path(__file__).resolve().parent
    return package.parent / "articles", package / "decision_trees"


def configure_app(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Apply defaults, then instance/config.py, then KB_* environment, then test overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="KB")
    if test_config:
        app.config.update(test_config)
    articles, trees = bundled_paths()
    app.config["BUNDLED_ARTICLES"] = app.config["BUNDLED_ARTICLES"] or str(articles)
    app.config["BUNDLED_TREES"] = app.config["BUNDLED_TREES"] or str(trees)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret(Path(app.instance_path))
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "kb.sqlite3")


def load_or_create_secret(instance: Path) -> str:
    """Read instance/secret_key, creating it (mode 0600) on first start; never committed."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    # Write a private temporary file, then link it into place: two workers starting at once
    # both end up reading the one key that won.
    temporary = instance / f".secret_key.{os.getpid()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()
