"""Load benchmark: kb under gunicorn beside a minimal Flask view served the same way.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/load.py [--duration 10] [--clients 10,50] [--postgres]

In one run it builds a throw-away instance (bundled articles and trees, one admin), starts
`kb serve`'s gunicorn command line (kb.cli.serve.gunicorn_argv) for kb and for the reference,
a Flask app with one view returning a small HTML page, and drives each with locust (used as a
library) on 127.0.0.1 only. Scenarios: the home page, an article page, a search (JSON API), a
diagnostic step (start a session and answer its first step through the JSON API) and the
signed-in dashboard, each at every client count for ``--duration`` seconds (after a one-second
warm-up) or ``--max-requests`` requests, whichever comes first. It prints progress while it
runs, then a table: requests per second, p50/p95/p99 in milliseconds, errors, and throughput
as a fraction of the reference's at the same client count, with the targets checked.

With the diagnostic scenario it also measures the bare step (BARE_STEP_APP): the step's
database statements alone in a minimal Flask app, on the same database and gunicorn, which
bounds what any Flask and SQLAlchemy app can reach for that work here.

``--postgres`` runs kb a second time on a PostgreSQL 15 cluster started for the run (as
tests/integration/test_postgres.py does); without /usr/lib/postgresql/15/bin it says so.
``--workers``/``--threads`` override the gunicorn defaults of `kb serve` (for both apps), which
is how the worker model was chosen (bench/README.md).

The load generator shares the machine with the servers: on 2 cores its own CPU use lowers
every figure, kb's and the reference's alike, which is why the ratio is the figure to watch.
"""

from __future__ import annotations

# isort: off
# locust patches the standard library through gevent: it must come first.
import locust
from locust import FastHttpUser, constant, task
from locust.env import Environment
from locust.stats import StatsEntry
# isort: on

import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import gevent

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.cli.serve import DEFAULT_THREADS, DEFAULT_WORKERS, gunicorn_argv  # noqa: E402

ADMIN = "bench-admin@example.org"
PASSWORD = "load-bench-Password-41"
ARTICLE = "outlook-keeps-asking-password"
QUERY = "outlook keeps asking for my password"
TREE = "computer-slow"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REFERENCE_APP = """
from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><title>reference</title><h1>Hello</h1>" + "<p>text</p>" * 200


@app.get("/")
def index():
    return PAGE
"""
BARE_STEP_APP = """
\"\"\"A diagnostic step's database work and nothing else: the bound for kb's diagnostic.

Start writes one row; an answer reads the row by its token, updates it and inserts two step
rows (kb's answer that ends a walk does the same four statements), through the SQLAlchemy ORM,
in one transaction, on the same database as kb. No CSRF, cookie, sign-in, tree or rendering.
\"\"\"
import os
import secrets
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_pre_ping=True)
if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record):
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=10000")


class Base(DeclarativeBase):
    pass


class Walk(Base):
    __tablename__ = "bare_walks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    current_node: Mapped[str] = mapped_column(String(120))
    path: Mapped[list] = mapped_column(JSON)
    step_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="active")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Step(Base):
    __tablename__ = "bare_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    walk_id: Mapped[int] = mapped_column(ForeignKey("bare_walks.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    node_id: Mapped[str] = mapped_column(String(120))
    answer: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


app = Flask(__name__)
NODE = {"id": "start", "kind": "action", "answers": [{"label": "It worked"}]}


@app.get("/")
def index():
    return "ok"


@app.post("/api/v1/sessions")
def start():
    request.get_json()
    with Session(engine, expire_on_commit=False) as session:
        now = datetime.now(timezone.utc)
        walk = Walk(token=secrets.token_urlsafe(24), current_node="start", path=["start"],
                    updated_at=now)
        session.add(walk)
        session.commit()
        return jsonify(id=walk.token, status=walk.status, node=NODE), 201


@app.post("/api/v1/sessions/<token>/answer")
def answer(token):
    given = request.get_json()
    with Session(engine, expire_on_commit=False) as session:
        walk = session.scalar(select(Walk).where(Walk.token == token))
        if walk is None:
            return jsonify(error="not found"), 404
        now = datetime.now(timezone.utc)
        session.add(Step(walk_id=walk.id, seq=walk.step_count + 1, action="answer",
                         node_id=walk.current_node, answer=str(given.get("answer")), at=now))
        session.add(Step(walk_id=walk.id, seq=walk.step_count + 2, action="end", node_id="end",
                         at=now))
        walk.step_count += 2
        walk.current_node, walk.path, walk.status = "end", [*walk.path, "end"], "resolved"
        walk.updated_at = now
        session.commit()
        return jsonify(id=token, status=walk.status, node={"id": "end", "answers": []})
"""
# Targets at 50 clients (the issue): throughput as a fraction of the reference's.
# "search-fresh" is the search with no answers kept (every answer computed), held to the same.
TARGETS = {"article": 0.50, "diagnostic": 0.50, "search": 0.25, "search-fresh": 0.25}


@dataclass
class Result:
    target: str
    scenario: str
    clients: int
    requests: int
    errors: int
    rps: float
    p50: float
    p95: float
    p99: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


# -- the servers ------------------------------------------------------------------------------


class Server:
    """One gunicorn, started with kb serve's command line, stopped by its own pid."""

    def __init__(self, app_spec: str, env: dict[str, str], cwd: Path, workers: int, threads: int):
        self.port = free_port()
        argv = gunicorn_argv(
            app_spec,
            host="127.0.0.1",
            port=self.port,
            workers=workers,
            threads=threads,
            access_log=False,
        )
        self.log = open(cwd / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        try:
            wait_for(self.url + "/")
        except SystemExit:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


def make_instance(folder: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KB_INSTANCE=str(folder / "instance"),
        KB_ADMIN_EMAIL=ADMIN,
        KB_ADMIN_PASSWORD=PASSWORD,
        KB_SECRET_KEY="load-bench-" + "x" * 40,
    )
    if database_url:
        env["KB_DATABASE_URL"] = database_url
    kb = str(Path(sys.executable).parent / "kb")
    subprocess.run([kb, "init"], env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return env


def csrf_token(html: str) -> str:
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def sign_in(url: str) -> None:
    """Sign the admin in once through the login form, or stop with a clear message."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url + "/login") as page:
        html = page.read().decode()
    token = csrf_token(html)
    body = urllib.parse.urlencode({"csrf_token": token, "email": ADMIN, "password": PASSWORD})
    with opener.open(url + "/login", data=body.encode()) as answer:
        answer.read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    request = urllib.request.Request(url + "/dashboard", headers={"Cookie": cookies})
    with urllib.request.urlopen(request) as page:
        if "/login" in page.url:
            raise SystemExit("could not sign in the benchmark's admin")


class Postgres:
    """A throw-away PostgreSQL 15 cluster on a private port (as the integration tests do)."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise SystemExit(f"--postgres: PostgreSQL 15 is not installed ({PG_BIN})")
        self.folder = Path(tempfile.mkdtemp(prefix="kb-bench-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()

    def _as_postgres(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def __enter__(self) -> str:
        import psycopg

        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
        initdb += ["-E", "UTF8", "--locale=C", "--no-sync"]
        subprocess.run(self._as_postgres(initdb), check=True, capture_output=True, timeout=120)
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        start = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options]
        start += ["-l", str(self.folder / "postgres.log"), "-w", "start"]
        subprocess.run(self._as_postgres(start), check=True, capture_output=True, timeout=120)
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("CREATE DATABASE kb")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/kb"

    def __exit__(self, *_exc) -> None:
        if (self.data / "postmaster.pid").exists():
            stop = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]
            subprocess.run(self._as_postgres(stop), capture_output=True, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the scenarios ----------------------------------------------------------------------------


class Visitor(FastHttpUser):
    """One client, asking as fast as it gets answers (no think time)."""

    abstract = True
    wait_time = constant(0)
    ready = 0  # clients done with their set-up (on_start), counted on the base class

    def on_start(self) -> None:
        self.set_up()
        Visitor.ready += 1

    def set_up(self) -> None:
        """What a client does once before it is measured."""

    expect = ""  # a text the page must contain (a sign-in page instead is an error)

    def fetch(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
            elif self.expect and self.expect not in (answer.text or ""):
                answer.failure(f"{path} does not show {self.expect!r}")


def scenario(name: str, path: str, signed_in: bool = False) -> type[Visitor]:
    class Page(Visitor):
        abstract = False

        def set_up(self) -> None:
            if signed_in:  # each client signs in once, through the form, before measuring
                token = csrf_token(self.client.get("/login", name="sign in (once)").text)
                form = {"csrf_token": token, "email": ADMIN, "password": PASSWORD}
                self.client.post("/login", data=form, name="sign in (once)")

        @task
        def page(self) -> None:
            self.fetch(path, name)

    Page.__name__ = f"Visitor_{name}"
    return Page


class Diagnostic(Visitor):
    """A diagnostic step through the JSON API, as kb's own page does it: the tree's page once
    (session cookie and CSRF token), then start a session and answer its first step."""

    token = ""

    def set_up(self) -> None:
        answer = self.client.get(f"/trees/{TREE}", name="diagnostic page (once)")
        self.token = csrf_token(answer.text)

    @task
    def step(self) -> None:
        body = {"tree": TREE, "mode": "self_service"}
        headers = {"X-CSRFToken": self.token}
        with self.client.post(
            "/api/v1/sessions", json=body, headers=headers, name="diagnostic", catch_response=True
        ) as answer:
            if answer.status_code not in (200, 201):
                answer.failure(f"start: HTTP {answer.status_code}")
                return
            started = json.loads(answer.text)
        choice = first_answer(started.get("node") or {})
        with self.client.post(
            f"/api/v1/sessions/{started['id']}/answer",
            json=choice,
            headers=headers,
            name="diagnostic",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"answer: HTTP {answer.status_code} {answer.text[:80]}")


class BareStep(Diagnostic):
    """The same two requests against the bare-step app (no page, no CSRF token)."""

    def set_up(self) -> None:
        self.token = ""


def first_answer(node: dict) -> dict:
    answers = node.get("answers") or []
    if answers:
        first = answers[0]
        return {
            "answer": first.get("value") or first.get("label") if isinstance(first, dict) else first
        }
    return {"value": "1"}


def run_load(
    user_class: type[Visitor], host: str, clients: int, duration: float, max_requests: int
) -> tuple[int, int, float, float, float, float]:
    """(requests, errors, rps, p50, p95, p99) after a one-second warm-up."""
    env = Environment(user_classes=[user_class], host=host)
    runner = env.create_local_runner()
    Visitor.ready = 0
    runner.start(clients, spawn_rate=clients)
    while Visitor.ready < clients:
        gevent.sleep(0.1)
    gevent.sleep(1.0)
    env.stats.reset_all()
    started = time.monotonic()
    while time.monotonic() - started < duration and env.stats.total.num_requests < max_requests:
        gevent.sleep(0.1)
    elapsed = time.monotonic() - started
    total = StatsEntry(env.stats, "measured", "")  # without a client's one-off set-up requests
    for entry in list(env.stats.entries.values()):
        if not entry.name.endswith("(once)"):
            total.extend(entry)
    figures = (
        total.num_requests,
        total.num_failures,
        total.num_requests / elapsed if elapsed else 0.0,
        total.get_response_time_percentile(0.50) or 0.0,
        total.get_response_time_percentile(0.95) or 0.0,
        total.get_response_time_percentile(0.99) or 0.0,
    )
    runner.quit()
    for error in list(env.stats.errors.values())[:3]:
        print(f"      error x{error.occurrences}: {error.error}", flush=True)
    return figures


def measure(
    target: str, url: str, scenarios: list[tuple[str, type[Visitor]]], args
) -> list[Result]:
    results = []
    for clients in args.clients:
        for name, user_class in scenarios:
            print(f"  {target:<11} {name:<11} {clients:>3} clients ...", end=" ", flush=True)
            n, errors, rps, p50, p95, p99 = run_load(
                user_class, url, clients, args.duration, args.max_requests
            )
            print(f"{rps:7.1f} req/s  p50 {p50:.0f} ms  p95 {p95:.0f} ms  errors {errors}")
            results.append(Result(target, name, clients, n, errors, rps, p50, p95, p99))
    return results


def kb_scenarios() -> list[tuple[str, type[Visitor]]]:
    query = urllib.parse.urlencode({"q": QUERY})
    dashboard = scenario("dashboard", "/dashboard", signed_in=True)
    dashboard.expect = "Sign out"
    return [
        ("home", scenario("home", "/")),
        ("article", scenario("article", f"/articles/{ARTICLE}")),
        ("search", scenario("search", f"/api/v1/search?{query}")),
        ("diagnostic", Diagnostic),
        ("dashboard", dashboard),
    ]


def run_kb(label: str, folder: Path, database_url: str | None, args) -> list[Result]:
    print(f"{label}: creating an instance with the bundled content ...", flush=True)
    env = make_instance(folder, database_url)
    with Server("kb:create_app()", env, folder, args.workers, args.threads) as server:
        sign_in(server.url)  # fails early, with a clear message, when signing in does not work
        chosen = [(name, user) for name, user in kb_scenarios() if name in args.scenarios]
        results = measure(label, server.url, chosen, args)
    if "search" in args.scenarios:
        # The same search with no answers kept (SEARCH_ANSWERS_KEPT=0): what a question nobody
        # asked since the index last changed costs.
        print(f"{label}: the search again, every answer computed ...", flush=True)
        fresh = dict(env, KB_SEARCH_ANSWERS_KEPT="0")
        with Server("kb:create_app()", fresh, folder, args.workers, args.threads) as server:
            query = urllib.parse.urlencode({"q": QUERY})
            search = scenario("search-fresh", f"/api/v1/search?{query}")
            results += measure(label, server.url, [("search-fresh", search)], args)
    return results


def run_bare_step(label: str, folder: Path, database_url: str, args) -> list[Result]:
    """The diagnostic step's database work alone (BARE_STEP_APP), on kb's kind of database."""
    print(f"{label}: the diagnostic step's database work alone ...", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bare_step_app.py").write_text(BARE_STEP_APP)
    env = dict(os.environ, PYTHONPATH=str(folder), BARE_DATABASE_URL=database_url)
    create = "import bare_step_app as a; a.Base.metadata.create_all(a.engine)"
    subprocess.run([sys.executable, "-c", create], env=env, cwd=folder, check=True)
    with Server("bare_step_app:app", env, folder, args.workers, args.threads) as server:
        return measure(label, server.url, [("step", BareStep)], args)


def report(results: list[Result]) -> None:
    reference = {r.clients: r.rps for r in results if r.target == "reference"}
    print()
    header = f"{'target':<14}{'scenario':<12}{'clients':>8}{'req/s':>9}{'p50':>7}{'p95':>7}"
    print(header + f"{'p99':>7}{'errors':>8}{'of ref':>8}  target")
    for r in results:
        ratio = r.rps / reference[r.clients] if reference.get(r.clients) else 0.0
        verdict = ""
        if r.target != "reference" and r.clients == 50:
            goals = []
            if r.scenario in TARGETS:
                goals.append(
                    f">={TARGETS[r.scenario]:.0%} "
                    + ("ok" if ratio >= TARGETS[r.scenario] else "MISS")
                )
            goals.append("p95<=2xp50 " + ("ok" if r.p95 <= 2 * r.p50 else "MISS"))
            goals.append("no errors " + ("ok" if r.errors == 0 else "MISS"))
            verdict = ", ".join(goals)
        print(
            f"{r.target:<14}{r.scenario:<12}{r.clients:>8}{r.rps:>9.1f}{r.p50:>7.0f}{r.p95:>7.0f}"
            f"{r.p99:>7.0f}{r.errors:>8}{ratio:>8.0%}  {verdict}"
        )
    bare = {(r.target.split("-", 1)[1], r.clients): r.rps for r in results if r.scenario == "step"}
    for r in results:
        base = bare.get((r.target.split("-", 1)[-1], r.clients))
        if r.scenario == "diagnostic" and base:
            print(
                f"{r.target} diagnostic at {r.clients} clients: {r.rps / base:.0%} of the bare "
                "step's throughput (the same database work with nothing else)"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per measurement")
    parser.add_argument("--clients", default="10,50", help="concurrent clients, comma-separated")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--postgres", action="store_true", help="also measure kb on PostgreSQL")
    parser.add_argument(
        "--scenarios",
        default="home,article,search,diagnostic,dashboard",
        help="which kb scenarios, comma-separated",
    )
    args = parser.parse_args(argv)
    args.scenarios = set(args.scenarios.split(","))
    args.clients = [int(c) for c in args.clients.split(",")]
    worker_class = "sync" if args.threads == 1 else "gthread"
    print(
        f"locust {locust.__version__}; gunicorn {worker_class}, {args.workers} workers x "
        f"{args.threads} threads; {args.duration:.0f} s per measurement",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="kb-load-"))
    results: list[Result] = []
    try:
        (folder / "reference_app.py").write_text(REFERENCE_APP)
        env = dict(os.environ, PYTHONPATH=str(folder))
        with Server("reference_app:app", env, folder, args.workers, args.threads) as server:
            page = scenario("page", "/")
            results += measure("reference", server.url, [("page", page)], args)
        results += run_kb("kb-sqlite", folder / "sqlite", None, args)
        if "diagnostic" in args.scenarios:
            bare = folder / "bare-sqlite"
            results += run_bare_step("bare-sqlite", bare, f"sqlite:///{bare / 'bare.db'}", args)
        if args.postgres:
            with Postgres() as database_url:
                results += run_kb("kb-postgres", folder / "postgres", database_url, args)
                if "diagnostic" in args.scenarios:
                    bare = folder / "bare-postgres"
                    results += run_bare_step("bare-postgres", bare, database_url, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
