"""create_app(): reads like a table of contents."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter
from werkzeug.security import safe_join

from kb import csrf_tokens, db, pagecache, session_cookies
from kb.api.views import bp as api_bp
from kb.articles import view_counts
from kb.articles.api import bp as articles_api_bp
from kb.articles.editor_views import bp as editor_bp
from kb.articles.views import bp as articles_bp
from kb.auth.views import bp as auth_bp
from kb.auth.views import init_login
from kb.config import check_configuration, configure_app
from kb.errors import PluginError, register_error_handlers
from kb.escalation import tickets
from kb.escalation.views import bp as escalation_bp
from kb.extensions import KbState, csrf, login_manager
from kb.health.views import bp as health_bp
from kb.hooks import collect_by_plugin
from kb.logs import init_request_logging
from kb.outages import service as outages_service
from kb.outages.views import bp as outages_bp
from kb.outages.views import init_banner
from kb.plugins import build_plugin_manager, check_config
from kb.reports.views import bp as reports_bp
from kb.requests import types as request_types
from kb.requests.views import bp as requests_bp
from kb.search import follow, search_log
from kb.search import service as search_service
from kb.search.views import bp as search_bp
from kb.templating import init_templates
from kb.throttle import init_throttling
from kb.trees.api import bp as trees_api_bp
from kb.trees.checks import registered_checks
from kb.trees.editor_views import bp as tree_editor_bp
from kb.trees.flag_views import bp as tree_flags_bp
from kb.trees.views import bp as trees_bp


def create_app(
    test_config: dict[str, Any] | None = None,
    instance_path: str | os.PathLike[str] | None = None,
    plugins: list[object] | None = None,
) -> Flask:
    """Build a kb app. ``instance_path`` (or KB_INSTANCE) selects the instance folder;
    ``plugins`` registers extra plugin objects (tests use it)."""
    instance = instance_path or os.environ.get("KB_INSTANCE")
    app = Flask(
        "kb",
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
    )
    configure_app(app, test_config)
    check_configuration(app.config)
    configure_logging(app)
    state = configure_state(app, plugins or [])
    check_config(state)
    configure_checks(state)
    configure_outbox(state)
    configure_intake(state)
    configure_requests(state)
    configure_database(app, state)
    configure_search(state)
    configure_extensions(app)
    configure_routing(app)
    configure_blueprints(app, state)
    configure_throttling(app)
    register_error_handlers(app)
    configure_templates(app)
    configure_security_headers(app)
    configure_static_files(app)
    return app


def configure_logging(app: Flask) -> None:
    """LOG_FORMAT, LOG_LEVEL, and a request id on every record of a request (kb/logs.py)."""
    init_request_logging(app)


def configure_state(app: Flask, plugins: list[object]) -> KbState:
    instance = Path(app.instance_path)
    (instance / "plugins").mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(app.config["DATABASE_URL"], echo=app.config["SQL_ECHO"])
    state = KbState(
        config=app.config,
        instance_path=instance,
        engine=engine,
        sessionmaker=db.make_sessionmaker(engine),
        pm=build_plugin_manager(app.config, instance, extra=plugins),
    )
    app.extensions["kb"] = state
    return state


def configure_checks(state: KbState) -> None:
    """Collect the automated checks now, so a duplicate or broken one fails at start-up."""
    registered_checks(state)


def configure_intake(state: KbState) -> None:
    """Areas that may take a new escalation before it becomes a ticket (an open outage)."""
    outages_service.install(state)


def configure_requests(state: KbState) -> None:
    """The request types (bundled, or the instance's file), checked now: a wrong file is one
    line per problem and the app does not start."""
    request_types.install(state)


def configure_outbox(state: KbState) -> None:
    """Outbox messages other than events are delivered by the area that owns them."""
    tickets.install(state)


def configure_database(app: Flask, state: KbState) -> None:
    if app.config.get("AUTO_MIGRATE", True):
        db.upgrade(state.engine)
    db.init_app(app)
    view_counts.init_app(app, state.session)
    search_log.init_app(app, state.session)


def configure_search(state: KbState) -> None:
    """The index follows the database through the article and tree hooks; the engine itself
    is opened on first use (kb.search.service.backend), but SEARCH_BACKEND is checked now."""
    search_service.check_backend_setting(state)
    state.pm.register(follow, name="search_follow")


def configure_extensions(app: Flask) -> None:
    session_cookies.init_app(app)
    csrf.init_app(app)
    csrf_tokens.init_app(app)
    login_manager.init_app(app)
    init_login(app)
    pagecache.init_app(app)


class BoundedInt(IntegerConverter):
    """``<int:...>`` only matches what a 64-bit database column can hold: a bigger number is
    a 404 like any other id that does not exist, not an overflow inside the database driver."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):
        top = db.MAX_INTEGER if max is None or max > db.MAX_INTEGER else max
        bottom = -db.MAX_INTEGER - 1 if min is None or min < -db.MAX_INTEGER - 1 else min
        super().__init__(url_map, fixed_digits=fixed_digits, min=bottom, max=top, signed=signed)


def configure_routing(app: Flask) -> None:
    """Before any blueprint is registered, so every integer route parameter is bounded."""
    app.url_map.converters["int"] = BoundedInt


def configure_blueprints(app: Flask, state: KbState) -> None:
    init_banner(app)
    for blueprint in (
        auth_bp,
        articles_bp,
        search_bp,
        editor_bp,
        trees_bp,
        tree_editor_bp,
        tree_flags_bp,
        escalation_bp,
        requests_bp,
        outages_bp,
        reports_bp,
        api_bp,
        articles_api_bp,
        trees_api_bp,
        health_bp,
    ):
        app.register_blueprint(blueprint)
    for plugin, blueprint in collect_by_plugin(state.pm, "kb_register_blueprints", kb=state):
        try:
            app.register_blueprint(blueprint)
        except ValueError as error:
            raise PluginError(
                f"plugin {plugin!r}, blueprint {blueprint.name!r}: {error}"
            ) from error


def configure_throttling(app: Flask) -> None:
    """After the blueprints: the limits are applied to registered endpoints."""
    init_throttling(app).exempt(health_bp)  # load balancers poll the health checks


def configure_templates(app: Flask) -> None:
    init_templates(app)


def configure_static_files(app: Flask) -> None:
    """Static files are cached for a year, and their addresses carry ``?v=`` and a digest of
    the file: a release that changes a file changes its address, so browsers fetch it anew."""
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 24 * 3600
    digests: dict[str, str] = {}

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        filename = values.get("filename")
        if endpoint != "static" or "v" in values or not filename or not app.static_folder:
            return
        if filename not in digests:
            path = safe_join(app.static_folder, filename)
            if path is None or not os.path.isfile(path):
                return
            digests[filename] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        values["v"] = digests[filename]


def configure_security_headers(app: Flask) -> None:
    """No inline scripts or styles, no framing, no MIME sniffing."""
    policy = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
