"""Two kb nodes on one PostgreSQL, as a site runs them behind a load balancer: each `kb serve`
and `kb worker` is a real process with its own instance folder and search index, sharing only
SECRET_KEY and DATABASE_URL. What one node writes, the other must see and must not undo."""

from __future__ import annotations

import os
import signal
import string
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from kb import create_app
from kb.changes import record_change
from kb.extensions import kb_state
from kb.models import Article, Escalation, OutboxMessage
from kb.search import service
from tests.integration.conftest import create_database, free_port, wait_until

pytestmark = pytest.mark.integration

KB = str(Path(sys.executable).parent / "kb")
ADMIN = ("admin@kb.test", "a-long-admin-password")

# An instance plugin both nodes load: every delivery of kb_escalation_created appends one line
# (escalation, delivery key, process) to a shared file, so double deliveries can be counted.
RECORDER = """
import os

from kb import hookimpl


@hookimpl
def kb_escalation_created(kb, escalation, delivery_key):
    line = f"{escalation.public_id} {delivery_key} {os.getpid()}\\n".encode()
    fd = os.open(kb.config["TEST_DELIVERY_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
"""


def nonsense_word() -> str:
    """A word no bundled article contains (letters only, so the analyser keeps it whole)."""
    return "zq" + "".join(string.ascii_lowercase[int(c, 16)] for c in uuid.uuid4().hex[:10])


@dataclass
class Node:
    """One kb node: `kb serve` (gunicorn, no embedded worker) and `kb worker`, each in its own
    process group so that killing the node kills gunicorn's workers too."""

    name: str
    instance: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    serve: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KB, *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )

    def _spawn(self, label: str, *args: str) -> subprocess.Popen:
        log = self.instance.parent / f"{self.name}-{label}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            return subprocess.Popen(
                [KB, *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self) -> None:
        """Start the processes; :meth:`wait_ready` waits for them."""
        args = ("--host", "127.0.0.1", "--port", str(self.port), "--workers", "2", "--no-worker")
        self.serve = self._spawn("serve", "serve", *args)
        if self.worker is None or self.worker.poll() is not None:
            self.worker = self._spawn("worker", "worker")

    def wait_ready(self) -> None:
        wait_until(self.ready, 90, f"node {self.name} to answer /readyz on {self.url}", step=0.2)

    def ready(self) -> bool:
        if self.serve is not None and self.serve.poll() is not None:
            raise AssertionError(f"node {self.name} exited with {self.serve.returncode}")
        try:
            answer = httpx.get(f"{self.url}/readyz", timeout=10, trust_env=False)
        except httpx.TransportError:
            return False
        return answer.status_code == 200

    def kill(self) -> None:
        """SIGKILL the whole node: gunicorn's master and workers, and the worker."""
        for process in (self.serve, self.worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def stop(self) -> None:
        for process in (self.serve, self.worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.serve, self.worker):
            if process is None:
                continue
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def log_text(self) -> str:
        return "\n".join(
            f"----- {log.name} -----\n{log.read_text(errors='replace')[-6000:]}"
            for log in self.logs
            if log.exists()
        )


@dataclass
class Cluster:
    a: Node
    b: Node
    database_url: str
    token: str
    deliveries: Path

    def client(self) -> httpx.Client:
        """An API client as the admin; never through a proxy from the machine's environment."""
        return httpx.Client(
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
            trust_env=False,
        )

    def query(self, statement: Any) -> Any:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(statement).all()
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def running_cluster(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("multinode")
    database = create_database(postgres_server, "kb_multinode")
    deliveries = root / "deliveries.txt"
    common = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KB_")},
        "KB_DATABASE_URL": database,
        "KB_SECRET_KEY": "one-secret-shared-by-every-node",
        "KB_BASE_URL": "http://kb.test",
        "KB_ADMIN_EMAIL": ADMIN[0],
        "KB_ADMIN_PASSWORD": ADMIN[1],
        "KB_RATELIMIT_ENABLED": "false",  # per-process counters; the test sends bursts
        "KB_WORKER_INTERVAL_SECONDS": "1",
        "KB_TEST_DELIVERY_LOG": str(deliveries),
    }
    nodes = []
    for name in ("a", "b"):
        instance = root / name / "instance"
        (instance / "plugins").mkdir(parents=True)
        (instance / "plugins" / "record_deliveries.py").write_text(RECORDER)
        nodes.append(Node(name, instance, {**common, "KB_INSTANCE": str(instance)}))
    a, b = nodes
    init = a.run("init", "--no-content")  # the test writes its own articles
    assert init.returncode == 0, f"kb init failed:\n{init.stdout}\n{init.stderr}"
    token = a.run("user", "token", "create", ADMIN[0])
    assert token.returncode == 0, f"kb user token failed:\n{token.stdout}\n{token.stderr}"
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_ready()
        yield Cluster(a, b, database, token.stdout.strip(), deliveries)
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture
def cluster(running_cluster: Cluster) -> Iterator[Cluster]:
    """The running nodes; their logs are printed after each test, and pytest shows them only
    when the test failed."""
    yield running_cluster
    print(running_cluster.a.log_text())
    print(running_cluster.b.log_text())


def publish_article(client: httpx.Client, node: Node, slug: str, word: str) -> None:
    created = client.post(
        f"{node.url}/api/v1/articles",
        json={
            "title": f"The {word} gateway drops connections",
            "slug": slug,
            "summary": f"What to do when the {word} gateway drops connections.",
            "category": "Network",
            "service": "vpn",
            "body": f"## Issue\n\nThe {word} gateway drops connections.\n\n## Resolution\n\nOK.",
        },
        timeout=30,
    )
    assert created.status_code == 201, f"creating {slug} on node {node.name}: {created.text}"
    published = client.post(f"{node.url}/api/v1/articles/{slug}/publish", json={}, timeout=30)
    assert published.status_code == 200, f"publishing {slug} on {node.name}: {published.text}"


def found(client: httpx.Client, node: Node, word: str) -> list[str]:
    answer = client.get(f"{node.url}/api/v1/search", params={"q": word}, timeout=30)
    assert answer.status_code == 200, f"search on node {node.name}: {answer.text}"
    return [hit["slug"] for hit in answer.json()["results"]]


def test_article_published_on_one_node_is_found_by_search_on_the_other_within_a_second(cluster):
    """A search reads the change sequence at most every SEARCH_CHANGES_CHECK_SECONDS (0.25 s)
    and applies what it holds beyond its index, so B finds what A acknowledged within a second:
    the test searches B until it does, and fails if that takes longer."""
    client = cluster.client()
    lags = []
    for round_ in range(6):
        writer, reader = (cluster.a, cluster.b) if round_ % 2 == 0 else (cluster.b, cluster.a)
        word = nonsense_word()
        slug = f"gateway-{word}"
        found(client, reader, "printer")  # the reader has just read the sequence: worst case
        publish_article(client, writer, slug, word)
        acknowledged = time.perf_counter()
        hits = found(client, reader, word)
        while hits != [slug] and time.perf_counter() - acknowledged < 1.0:
            time.sleep(0.02)
            hits = found(client, reader, word)
        lags.append(time.perf_counter() - acknowledged)
        assert hits == [slug], (
            f"node {reader.name} did not find {slug!r}, published on node {writer.name}, "
            f"within a second: {hits}"
        )
    print(f"cross-node search lag (publish acknowledged -> found): {[round(s, 3) for s in lags]}")


def test_concurrent_saves_of_one_revision_on_two_nodes_have_exactly_one_winner(cluster):
    client_a, client_b = cluster.client(), cluster.client()
    word = nonsense_word()
    slug = f"race-{word}"
    publish_article(client_a, cluster.a, slug, word)
    for attempt in range(5):
        head = client_a.get(f"{cluster.a.url}/api/v1/articles/{slug}", timeout=30).json()
        base = head["head_revision_id"]
        barrier = threading.Barrier(2)

        def save(
            client: httpx.Client,
            node: Node,
            attempt: int = attempt,
            base: int = base,
            barrier: threading.Barrier = barrier,
        ) -> Any:
            barrier.wait()  # both requests leave together
            return client.put(
                f"{node.url}/api/v1/articles/{slug}",
                json={
                    "title": f"The {word} gateway drops connections",
                    "slug": slug,
                    "category": "Network",
                    "service": "vpn",
                    "body": f"## Issue\n\nEdited on node {node.name}, attempt {attempt}.",
                    "base_revision_id": base,
                },
                timeout=30,
            )

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(save, (client_a, client_b), (cluster.a, cluster.b)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 409], (
            f"attempt {attempt}: two saves of revision {base} answered {statuses}: "
            + " | ".join(answer.text[:300] for answer in answers)
        )
        winner = next(answer for answer in answers if answer.status_code == 200).json()
        after = client_b.get(f"{cluster.b.url}/api/v1/articles/{slug}", timeout=30).json()
        assert after["head_revision_id"] == winner["revision_id"] != base


def test_escalations_from_both_nodes_are_delivered_exactly_once_with_two_workers(cluster):
    client = cluster.client()
    created = []
    for n in range(10):
        node = cluster.a if n % 2 == 0 else cluster.b
        answer = client.post(
            f"{node.url}/api/v1/escalations",
            json={
                "summary": f"Printer {n} on floor 3 is offline",
                "impact": "medium",
                "urgency": "high",
                "requester_name": "Pat Doe",
                "requester_email": "pat@example.org",
            },
            timeout=30,
        )
        assert answer.status_code == 201, f"escalation on node {node.name}: {answer.text}"
        created.append(answer.json()["id"])

    def settled() -> bool:
        left = cluster.query(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "done")
        )
        return left[0][0] == 0 and all(
            status == "ticketed"
            for (status,) in cluster.query(
                select(Escalation.status).where(Escalation.public_id.in_(created))
            )
        )

    wait_until(settled, 60, "both workers to deliver the outbox")
    lines = cluster.deliveries.read_text().split() if cluster.deliveries.exists() else []
    records = [lines[i : i + 3] for i in range(0, len(lines), 3)]
    per_escalation = Counter(public_id for public_id, _key, _pid in records)
    delivered_by = Counter(pid for _id, _key, pid in records)
    print(f"deliveries per escalation: {dict(per_escalation)}; per worker process: {delivered_by}")
    assert {public_id: per_escalation[public_id] for public_id in created} == dict.fromkeys(
        created, 1
    ), "each escalation must be delivered to the plugin exactly once"
    tickets = cluster.query(
        select(Escalation.public_id, Escalation.ticket_ref).where(Escalation.public_id.in_(created))
    )
    assert len({ref for _id, ref in tickets}) == len(created), f"tickets: {tickets}"


def test_killing_a_node_mid_burst_loses_no_acknowledged_write(cluster):
    """Writers hit A until it is SIGKILLed; every create A acknowledged is in the database,
    and B serves reads and writes throughout."""
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    prefix = nonsense_word()

    def writer(number: int) -> None:
        client = cluster.client()
        for n in range(1000):
            if stop.is_set():
                return
            slug = f"{prefix}-{number}-{n}"
            try:
                answer = client.post(
                    f"{cluster.a.url}/api/v1/articles",
                    json={"title": f"Burst {number} {n}", "slug": slug, "body": "Burst."},
                    timeout=10,
                )
            except httpx.TransportError:
                continue  # the node died under this request: not acknowledged
            if answer.status_code < 400:
                with lock:
                    acknowledged.append(slug)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acknowledged) >= 15, 60, "node A to acknowledge 15 writes")
    cluster.a.kill()
    time.sleep(0.3)  # writers see refused connections for a moment
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    stored = {
        slug
        for (slug,) in cluster.query(select(Article.slug).where(Article.slug.like(f"{prefix}-%")))
    }
    lost = sorted(set(acknowledged) - stored)
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes are missing: {lost}"

    client = cluster.client()
    word = nonsense_word()
    publish_article(client, cluster.b, f"after-{word}", word)
    assert found(client, cluster.b, word) == [f"after-{word}"]
    print(f"node A acknowledged {len(acknowledged)} writes before SIGKILL; all stored")

    cluster.a.start()  # a restarted node catches up from the database
    cluster.a.wait_ready()
    assert found(client, cluster.a, word) == [f"after-{word}"]


def test_index_check_finds_no_drift_on_either_node(cluster):
    client = cluster.client()
    for node in (cluster.a, cluster.b):
        found(client, node, "printer")  # what a node does before any search: catch up
        check = node.run("index", "check", "--dry-run")
        assert check.returncode == 0 and "Index matches the database." in check.stdout, (
            f"node {node.name}: kb index check --dry-run said:\n{check.stdout}\n{check.stderr}"
        )


def test_a_change_committed_after_a_later_one_still_reaches_the_index(
    postgres_server, tmp_path, monkeypatch
):
    """PostgreSQL numbers changes at insert, and transactions commit in any order: a sync that
    sees change 2 while change 1 is still uncommitted must not mark 2 as applied, or 1 would
    never reach this node's index."""
    monkeypatch.setenv("KB_DATABASE_URL", create_database(postgres_server, "kb_late_commit"))
    app = create_app({"TESTING": True, "SECRET_KEY": "test"}, instance_path=tmp_path / "i")
    kb = kb_state(app)
    try:
        slow, fast = kb.session(), kb.session()
        record_change(slow, "article", "committed-late")
        slow.flush()  # takes the first number, commits below
        record_change(fast, "article", "committed-first")
        fast.commit()
        with kb.session() as session:
            first = service.sync(kb, session)
        assert (first.from_seq, first.to_seq, first.deleted) == (0, 0, 1), first
        slow.commit()
        with kb.session() as session:
            second = service.sync(kb, session)
        assert (second.from_seq, second.to_seq, second.deleted) == (0, 2, 2), second
        assert service.backend(kb).applied_seq() == 2
        slow.close()
        fast.close()
    finally:
        kb.engine.dispose()
