"""Defaults in code; ``instance/config.py`` and ``KB_*`` environment variables override them.

The settings whose mistakes would otherwise surface deep inside a request (the priority matrix,
SLA targets, support groups, the service catalogue) are checked when the app is built, one line
per problem, so a wrong configuration never starts.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_app_context

from kb.errors import ConfigError
from kb.http_client import ca_bundle_problems

# The words of the priority matrix: impact and urgency levels, and the priorities it gives.
LEVELS = ("high", "medium", "low")
PRIORITIES = ("P1", "P2", "P3", "P4")


class Defaults:
    """Every setting kb reads, with the value a fresh install uses."""

    # Database: SQLite in the instance folder unless a URL is given.
    DATABASE_URL: str | None = None
    SQL_ECHO = False

    # Who may read without signing in.
    PUBLIC_ACCESS = True

    # Cookies: HttpOnly and SameSite always; Secure when served over TLS (set it true there).
    # The "keep me signed in" cookie takes the session cookie's flags (see follow_session_cookie)
    # and lasts REMEMBER_COOKIE_DURATION seconds unless the person signs out first.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "kb_session"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    # JSON request bodies: arrays and objects nested deeper than this are refused (422).
    JSON_MAX_DEPTH = 32
    # Input bounds (kb/limits.py), checked before rendering or storing: Markdown length and
    # nesting (brackets, list indentation, quotes), tags per article or tree, and items in any
    # other list field (articles on a resolution, choices, questions).
    MARKDOWN_MAX_CHARS = 100_000
    MARKDOWN_MAX_NESTING = 16
    TAGS_MAX = 30
    LIST_MAX_ITEMS = 100
    # `kb serve`: a request running longer than this is stopped (its worker restarted), and
    # workers get this long to finish their requests on shutdown.
    REQUEST_TIMEOUT_SECONDS = 30

    # Throttling (Flask-Limiter, kb/throttle.py). Rates like "5 per minute; 20 per hour", counted
    # per client address (per account for failed sign-ins). Memory storage holds for one server
    # process; with several, point RATELIMIT_STORAGE_URI at shared storage (redis://...).
    # Behind a reverse proxy set TRUSTED_PROXIES to the number of proxies in front of kb, or every
    # client shares the proxy's address.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_SIGN_IN_ACCOUNT = "5 per minute; 20 per hour"  # failed sign-ins
    RATELIMIT_SIGN_IN_CLIENT = "20 per minute; 100 per hour"  # failed sign-ins
    RATELIMIT_VOTES = "30 per hour"  # anonymous "was this helpful?" votes
    RATELIMIT_ESCALATIONS = "5 per hour; 20 per day"  # anonymous escalations
    RATELIMIT_SUBSCRIPTIONS = "10 per hour"  # outage e-mail subscriptions
    RATELIMIT_WEBHOOKS = "120 per minute"  # inbound webhooks and the RT scrip
    TRUSTED_PROXIES = 0

    # Logs: "text" (one readable line per record) or "json" (one object per line, for a log
    # pipeline); every record made while serving a request carries its id (kb/logs.py).
    LOG_FORMAT = "text"

    # Plugins: built-ins a site switches off by name; hook-call tracing for debugging.
    DISABLED_PLUGINS: list[str] = []
    TRACE_HOOKS = False

    # Where the bundled content lives (used by `kb init`).
    BUNDLED_ARTICLES: str | None = None
    BUNDLED_TREES: str | None = None

    # Site identity.
    SITE_NAME = "IT Help Desk"
    # The time zone every page shows times in (an IANA name like "Europe/Berlin"); None: the
    # machine's local zone (TZ, /etc/timezone or /etc/localtime; UTC when none says).
    TIMEZONE: str | None = None
    HELP_DESK_CONTACT = "the IT help desk"

    ITEMS_PER_PAGE = 20

    # Speed (kb/pagecache.py, kb/articles/view_counts.py): pages anonymous readers see are kept
    # per process this many seconds (0: never kept), and checked against other nodes' changes
    # at most every PAGE_CACHE_CHECK_SECONDS; article views are counted in memory and written
    # in one statement per article at most every VIEW_COUNT_FLUSH_SECONDS (0: on every view);
    # searches are logged in one statement at most every SEARCH_LOG_FLUSH_SECONDS
    # (kb/search/search_log.py; 0: with each search).
    PAGE_CACHE_SECONDS = 30.0
    PAGE_CACHE_CHECK_SECONDS = 1.0
    VIEW_COUNT_FLUSH_SECONDS = 5.0
    SEARCH_LOG_FLUSH_SECONDS = 5.0

    # Search: the backend (registered through kb_register_search_backends), its folder inside
    # the instance, the synonyms file (instance/synonyms.txt, else the bundled default), results
    # per page, how long a save waits for another writer's index lock before leaving the update
    # to the next sync, how long a search waits for another process that is writing the index
    # (changes made on another node, being applied) before answering from the index as it is,
    # how often a search re-reads the database's change sequence to apply changes made on another
    # node (seconds; this process's own changes count at once), whether queries are logged
    # (content-gap report), and how many answers the Whoosh index keeps per generation for
    # questions asked again (0: none kept).
    SEARCH_BACKEND = "whoosh"
    SEARCH_INDEX_DIR = "index"
    SEARCH_SYNONYMS_FILE = "synonyms.txt"
    SEARCH_PER_PAGE = 10
    SEARCH_WRITE_TIMEOUT = 5.0
    SEARCH_CATCH_UP_TIMEOUT = 2.0
    SEARCH_CHANGES_CHECK_SECONDS = 0.25
    SEARCH_LOG = True
    SEARCH_ANSWERS_KEPT = 512

    # Escalation: priority = matrix[impact][urgency]; SLA targets per priority in minutes
    # (calendar time). A ticket is "at risk" once less than this fraction of its time is left.
    PRIORITY_MATRIX: dict[str, dict[str, str]] = {
        "high": {"high": "P1", "medium": "P2", "low": "P3"},
        "medium": {"high": "P2", "medium": "P3", "low": "P4"},
        "low": {"high": "P3", "medium": "P4", "low": "P4"},
    }
    SLA_TARGETS: dict[str, dict[str, int]] = {
        "P1": {"response": 15, "resolution": 4 * 60},
        "P2": {"response": 60, "resolution": 8 * 60},
        "P3": {"response": 4 * 60, "resolution": 3 * 24 * 60},
        "P4": {"response": 24 * 60, "resolution": 10 * 24 * 60},
    }
    SLA_AT_RISK_FRACTION = 0.25
    # "This didn't help" escalations (no escalation node) go here unless the requester says more.
    DEFAULT_ESCALATION_GROUP = "service-desk"

    # Requests (kb/requests/): the request types' file in the instance folder (if absent, the
    # bundled kb/data/request_types.yaml), and how long an approver's link works.
    REQUEST_TYPES_FILE = "request_types.yaml"
    REQUEST_APPROVAL_SECONDS = 7 * 24 * 3600

    # Outbox: deliveries retry with exponential backoff (base * 2**attempt, capped) and give up
    # (visible to admins, retried by hand) after OUTBOX_MAX_ATTEMPTS.
    OUTBOX_MAX_ATTEMPTS = 12
    OUTBOX_BACKOFF_SECONDS = 30
    OUTBOX_BACKOFF_MAX_SECONDS = 30 * 60
    OUTBOX_CLAIM_SECONDS = 120
    WORKER_INTERVAL_SECONDS = 15

    # Outages: escalations for a service with an open outage join it instead of a new ticket.
    OUTAGE_ATTACH_ESCALATIONS = True
    # Outage e-mail goes only to addresses that confirmed; the link is valid this long.
    OUTAGE_CONFIRM_SECONDS = 2 * 24 * 3600

    # Outbound HTTP (webhooks, Request Tracker; kb/http_client.py): proxies come from the
    # environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); certificates are checked against this PEM
    # bundle when set (KB_CA_BUNDLE), else REQUESTS_CA_BUNDLE or SSL_CERT_FILE, else the system's
    # store. A bundle replaces the system's store: include the public CAs if kb needs them too.
    CA_BUNDLE = ""

    # Integrations: each built-in is off until its first setting is given (docs/plugins.md).
    # The address kb is served at, for links in tickets, e-mails and webhooks.
    BASE_URL = ""
    # Request Tracker 5 (kb/plugins/request_tracker/): base URL including its web path.
    RT_URL = ""
    RT_TOKEN = ""  # an RT auth token; or RT_USER and RT_PASSWORD
    RT_USER = ""
    RT_PASSWORD = ""
    RT_QUEUE = "General"
    RT_QUEUE_BY_GROUP: dict[str, str] = {}
    RT_PRIORITY_MAP: dict[str, int] = {"P1": 100, "P2": 75, "P3": 50, "P4": 25}
    RT_RESOLVED_STATUSES: list[str] = ["resolved"]
    RT_POLL_SECONDS = 300
    RT_SCRIP_SECRET = ""  # shared with the RT scrip that calls kb on resolution
    RT_LINK_VIEWED_ARTICLES = True  # no "kb-articles:" line: log into the articles viewed
    RT_TIMEOUT_SECONDS = 10.0
    # Webhooks (kb/plugins/webhooks/): outbound targets signed with WEBHOOK_SECRET, and the
    # inbound "ticket resolved" endpoint verified with WEBHOOK_INBOUND_SECRET (a mapping
    # source -> secret, or one secret for a single sender without X-KB-Source).
    WEBHOOK_URLS: list[str] = []
    WEBHOOK_SECRET = ""
    WEBHOOK_SOURCE = "kb"  # the name kb signs its deliveries with (X-KB-Source)
    WEBHOOK_INBOUND_SECRET: str | dict[str, str] = ""
    WEBHOOK_TOLERANCE_SECONDS = 300
    WEBHOOK_TIMEOUT_SECONDS = 10.0
    # E-mail (kb/plugins/smtp_notify/).
    SMTP_HOST = ""
    SMTP_PORT = 0  # 0: 465 with SMTP_SSL, 587 with SMTP_STARTTLS, else 25
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = False
    SMTP_SSL = False
    SMTP_FROM = ""
    SMTP_TIMEOUT_SECONDS = 10.0
    SUPPORT_GROUP_EMAILS: dict[str, str] = {}
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
    # The service catalogue: what an article's or a tree's ``service`` may name (an article may
    # leave it empty). Ids are lowercase words joined by dashes; search facets and outages use
    # the same ids.
    SERVICES: list[str] = [
        "identity",
        "email",
        "vpn",
        "wifi",
        "printing",
        "endpoint",
        "mobile",
        "file-shares",
        "backup",
        "software",
        "conferencing",
        "security",
        "web",
        "service-desk",
    ]

    # Automated checks (technicians only) may reach only these: host names (exact, or
    # wildcards like "*.example.org") and networks (CIDR). A name matched by a wildcard must
    # also resolve into an allowed network; an exactly listed name may resolve anywhere.
    # Empty lists allow nothing.
    CHECK_ALLOWED_HOSTS: list[str] = []
    CHECK_ALLOWED_NETWORKS: list[str] = []
    CHECK_TIMEOUT_SECONDS = 5.0


def bundled_paths() -> tuple[Path, Path]:
    """The folders of articles and trees that ship with kb: ``articles/`` beside the package
    in a checkout, else ``share/kb/articles`` under the install's data folder, where a wheel's
    data-files go (the environment's, or the user's for ``pip install --user``)."""
    package = Path(__file__).resolve().parent
    candidates = [package.parent / "articles"]
    for scheme in (sysconfig.get_default_scheme(), f"{os.name}_user"):
        with contextlib.suppress(KeyError):
            candidates.append(Path(sysconfig.get_path("data", scheme)) / "share/kb/articles")
    articles = next((path for path in candidates if path.is_dir()), candidates[-1])
    return articles, package / "decision_trees"


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
    follow_session_cookie(app.config)
    app.config["TIMEZONE"] = app.config.get("TIMEZONE") or local_zone_name()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret(Path(app.instance_path))
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "kb.sqlite3")


def local_zone_name() -> str:
    """The machine's time zone as an IANA name: ``TZ``, then /etc/timezone, then where
    /etc/localtime points into the zone database; "UTC" when none of them names a zone."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    with contextlib.suppress(OSError):
        target = str(Path("/etc/localtime").resolve())
        if "/zoneinfo/" in target:
            candidates.append(target.split("/zoneinfo/", 1)[1])
    for name in candidates:
        if name and not timezone_problems(name):
            return name
    return "UTC"


def base_url(config: Mapping[str, Any]) -> str:
    """The site's address for links that leave kb (e-mails, tickets, webhooks), without a
    trailing slash; empty when BASE_URL is not set."""
    return (config.get("BASE_URL") or "").rstrip("/")


def site_zone(config: Mapping[str, Any]) -> ZoneInfo:
    """The zone pages show times in (TIMEZONE, checked at start)."""
    return ZoneInfo(config.get("TIMEZONE") or local_zone_name())


def service_catalogue() -> tuple[str, ...]:
    """The running app's SERVICES; outside an app (a script, a unit test) the default."""
    if has_app_context():
        return tuple(current_app.config.get("SERVICES") or Defaults.SERVICES)
    return tuple(Defaults.SERVICES)


# --- checked at start ---------------------------------------------------------------------

SERVICE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SERVICE_ID_LIMIT = 100  # the database's service columns
GROUP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")  # escalations.group holds 60


def check_configuration(config: Mapping[str, Any]) -> None:
    """Raise ConfigError with every problem at once; create_app calls this before it builds
    anything on the configuration."""
    problems = configuration_problems(config)
    if problems:
        raise ConfigError(problems)


def configuration_problems(config: Mapping[str, Any]) -> list[str]:
    """One line per problem, each naming the setting and saying what it should be."""
    matrix = config.get("PRIORITY_MATRIX")
    return [
        *service_problems(config.get("SERVICES")),
        *support_group_problems(
            config.get("SUPPORT_GROUPS"), config.get("DEFAULT_ESCALATION_GROUP")
        ),
        *priority_matrix_problems(matrix),
        *sla_problems(config.get("SLA_TARGETS"), produced_priorities(matrix)),
        *timezone_problems(config.get("TIMEZONE")),
        *log_format_problems(config.get("LOG_FORMAT")),
        *ca_bundle_problems(config.get("CA_BUNDLE") or None),
        *seconds_problems(config),
        *count_problems(config),
    ]


SECONDS_SETTINGS = (
    "PAGE_CACHE_SECONDS",
    "PAGE_CACHE_CHECK_SECONDS",
    "VIEW_COUNT_FLUSH_SECONDS",
    "SEARCH_LOG_FLUSH_SECONDS",
    "SEARCH_CHANGES_CHECK_SECONDS",
)


def seconds_problems(config: Mapping[str, Any]) -> list[str]:
    """Durations are numbers of seconds, zero or more."""
    problems = []
    for name in SECONDS_SETTINGS:
        value = config.get(name, 0)
        try:
            ok = float(value) >= 0 and not isinstance(value, bool)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(f"{name}: {value!r} is not a number of seconds (0 or more)")
    return problems


COUNT_SETTINGS = ("SEARCH_ANSWERS_KEPT",)


def count_problems(config: Mapping[str, Any]) -> list[str]:
    """Sizes are whole numbers, zero or more."""
    problems = []
    for name in COUNT_SETTINGS:
        value = config.get(name, 0)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        if isinstance(value, str):
            ok = value.strip().isascii() and value.strip().isdigit()
        if not ok:
            problems.append(f"{name}: {value!r} is not a whole number (0 or more)")
    return problems


def timezone_problems(name: Any) -> list[str]:
    """None is the machine's zone; anything else must be a zone of the IANA database."""
    if name is None:
        return []
    problem = [
        f'TIMEZONE: {name!r} is not a time zone (an IANA name like "Europe/Berlin" or "UTC")'
    ]
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        return problem
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return problem
    return []


LOG_FORMATS = ("text", "json")


def log_format_problems(log_format: Any) -> list[str]:
    if log_format in LOG_FORMATS:
        return []
    return [f'LOG_FORMAT is {log_format!r}: must be "text" or "json"']


def _whole_minutes(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def service_problems(services: Any) -> list[str]:
    if not isinstance(services, list | tuple):
        return ['SERVICES must be a list of service ids, like ["email", "vpn"]']
    if not services:
        return ["SERVICES is empty: list the services articles and trees may name"]
    problems: list[str] = []
    seen: set[str] = set()
    for service in services:
        if not isinstance(service, str) or not SERVICE_ID.match(service):
            problems.append(
                f"SERVICES: {service!r} is not a service id (lowercase words joined by dashes, "
                "like file-shares)"
            )
        elif len(service) > SERVICE_ID_LIMIT:
            problems.append(f"SERVICES: {service[:20]!r}... is longer than {SERVICE_ID_LIMIT}")
        elif service in seen:
            problems.append(f"SERVICES: {service!r} is listed twice")
        else:
            seen.add(service)
    return problems


def support_group_problems(groups: Any, default_group: Any) -> list[str]:
    if not isinstance(groups, Mapping):
        return [
            "SUPPORT_GROUPS must map a group id to its display name, "
            'like {"service-desk": "Service Desk"}'
        ]
    if not groups:
        return ["SUPPORT_GROUPS is empty: escalations need at least one support group"]
    problems: list[str] = []
    for group, name in groups.items():
        if not isinstance(group, str) or not GROUP_ID.match(group):
            problems.append(
                f"SUPPORT_GROUPS: {group!r} is not a group id (letters, digits, . _ -; "
                "at most 60 characters)"
            )
        elif not isinstance(name, str) or not name.strip():
            problems.append(f"SUPPORT_GROUPS[{group!r}]: the display name must be text")
    if default_group not in groups:
        problems.append(
            f"DEFAULT_ESCALATION_GROUP {default_group!r} is not one of SUPPORT_GROUPS "
            f"({', '.join(map(str, groups))})"
        )
    return problems


def priority_matrix_problems(matrix: Any) -> list[str]:
    levels = ", ".join(LEVELS)
    if not isinstance(matrix, Mapping):
        return [
            f"PRIORITY_MATRIX must map impact ({levels}) to urgency ({levels}) to a priority, "
            'like {"high": {"high": "P1", "medium": "P2", "low": "P3"}, ...}'
        ]
    problems = [
        f"PRIORITY_MATRIX: {impact!r} is not an impact ({levels})"
        for impact in matrix
        if impact not in LEVELS
    ]
    for impact in LEVELS:
        row = matrix.get(impact)
        if row is None:
            problems.append(f"PRIORITY_MATRIX: no row for impact {impact!r}")
            continue
        if not isinstance(row, Mapping):
            problems.append(f"PRIORITY_MATRIX[{impact!r}] must map urgency ({levels}) to P1-P4")
            continue
        problems += [
            f"PRIORITY_MATRIX[{impact!r}]: {urgency!r} is not an urgency ({levels})"
            for urgency in row
            if urgency not in LEVELS
        ]
        for urgency in LEVELS:
            if urgency not in row:
                problems.append(f"PRIORITY_MATRIX[{impact!r}]: no entry for urgency {urgency!r}")
            elif row[urgency] not in PRIORITIES:
                problems.append(
                    f"PRIORITY_MATRIX[{impact!r}][{urgency!r}] is {row[urgency]!r}: "
                    f"must be one of {', '.join(PRIORITIES)}"
                )
    return problems


def produced_priorities(matrix: Any) -> list[str]:
    """The priorities a (valid) matrix gives, in order; every priority when it is not valid."""
    if priority_matrix_problems(matrix):
        return list(PRIORITIES)
    given = {matrix[impact][urgency] for impact in LEVELS for urgency in LEVELS}
    return [priority for priority in PRIORITIES if priority in given]


def sla_problems(targets: Any, needed: list[str]) -> list[str]:
    if not isinstance(targets, Mapping):
        return [
            "SLA_TARGETS must map each priority to minutes of calendar time, "
            'like {"P1": {"response": 15, "resolution": 240}, ...}'
        ]
    problems = [
        f"SLA_TARGETS: {priority!r} is not a priority ({', '.join(PRIORITIES)})"
        for priority in targets
        if priority not in PRIORITIES
    ]
    for priority in needed:
        target = targets.get(priority)
        if target is None:
            problems.append(f"SLA_TARGETS: no targets for {priority}, which PRIORITY_MATRIX gives")
            continue
        if not isinstance(target, Mapping):
            problems.append(
                f'SLA_TARGETS[{priority!r}] must be {{"response": minutes, "resolution": minutes}}'
            )
            continue
        bad = False
        for name in ("response", "resolution"):
            if not _whole_minutes(target.get(name)):
                bad = True
                problems.append(
                    f"SLA_TARGETS[{priority!r}][{name!r}] must be a whole number of minutes "
                    f"above 0, not {target.get(name)!r}"
                )
        if not bad and target["response"] > target["resolution"]:
            problems.append(
                f"SLA_TARGETS[{priority!r}]: the response target ({target['response']} min) "
                f"comes after the resolution target ({target['resolution']} min)"
            )
    return problems


def follow_session_cookie(config: dict[str, Any]) -> None:
    """The remember cookie signs a person in as surely as the session cookie: it is Secure
    whenever either is set so, always HttpOnly, and has the session cookie's SameSite unless
    a site sets its own."""
    config["REMEMBER_COOKIE_SECURE"] = bool(
        config.get("SESSION_COOKIE_SECURE") or config.get("REMEMBER_COOKIE_SECURE")
    )
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = config.get("REMEMBER_COOKIE_SAMESITE") or config.get(
        "SESSION_COOKIE_SAMESITE"
    )


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
