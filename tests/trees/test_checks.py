"""Automated network checks: they reach only allowed hosts and networks, time out, never
follow a redirect off the allowlist, and a refused host causes no network traffic at all."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading

import pytest

from kb import hookimpl
from kb.errors import PluginError
from kb.extensions import kb_state
from kb.plugins.net_checks import DnsResolve, HttpStatus, NetworkPolicy, TcpConnect
from kb.trees.checks import CheckResult, Param, registered_checks, run_check

LOCAL = {"CHECK_ALLOWED_NETWORKS": ["127.0.0.0/8"], "CHECK_TIMEOUT_SECONDS": 2}


@pytest.fixture
def web():
    """A local HTTP server: / answers 200, /moved redirects to /, /away redirects off-site."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/")
            elif self.path == "/away":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            elif self.path == "/missing":
                self.send_response(404)
            else:
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def kb(make_app):
    return kb_state(make_app(content="empty", **LOCAL))


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to resolve a name or open a connection."""
    calls: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"unexpected network call: {name}{args}")

        return blocked

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    return calls


def test_kb_register_checks(make_app) -> None:
    class Disk:
        name = "disk_free"
        description = "Is there space left?"
        params = {"path": Param(str)}

        def run(self, params, timeout):
            return CheckResult("pass", f"plenty on {params['path']}")

    class Plugin:
        @hookimpl
        def kb_register_checks(self, kb):
            return [Disk()]

    state = kb_state(make_app(content="empty", plugins=[Plugin()]))
    assert {"dns_resolve", "tcp_connect", "http_status", "disk_free"} <= set(
        registered_checks(state)
    )
    assert run_check(state, "disk_free", {"path": "/srv"}) == CheckResult("pass", "plenty on /srv")


def test_two_checks_with_one_name_fail_at_start_up(make_app) -> None:
    class Again:
        @hookimpl
        def kb_register_checks(self, kb):
            return [TcpConnect(NetworkPolicy())]

    with pytest.raises(PluginError, match="'tcp_connect' is registered by both"):
        make_app(content="empty", plugins=[Again()])


def test_tcp_connect_passes_on_an_open_local_port_and_fails_on_a_closed_one(kb) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    assert run_check(kb, "tcp_connect", {"host": "127.0.0.1", "port": port}).outcome == "pass"
    server.close()
    result = run_check(kb, "tcp_connect", {"host": "127.0.0.1", "port": port})
    assert result.outcome == "fail" and "could not connect" in result.detail


def test_http_status_compares_the_status_and_follows_allowed_redirects(kb, web) -> None:
    assert run_check(kb, "http_status", {"url": web + "/"}).outcome == "pass"
    assert run_check(kb, "http_status", {"url": web + "/moved"}).outcome == "pass"
    missing = run_check(kb, "http_status", {"url": web + "/missing"})
    assert missing.outcome == "fail" and "answered 404" in missing.detail
    assert run_check(kb, "http_status", {"url": web + "/missing", "expect": 404}).outcome == "pass"


def test_http_status_does_not_follow_a_redirect_to_a_host_off_the_allowlist(kb, web) -> None:
    result = run_check(kb, "http_status", {"url": web + "/away"})
    assert result.outcome == "fail"
    assert "169.254.169.254" in result.detail and "not followed" in result.detail


@pytest.mark.parametrize(
    ("check", "params"),
    [
        ("tcp_connect", {"host": "example.com", "port": 443}),
        ("tcp_connect", {"host": "10.1.2.3", "port": 22}),
        ("http_status", {"url": "http://169.254.169.254/latest/meta-data/"}),
        ("http_status", {"url": "https://intranet.example.org/"}),
        ("dns_resolve", {"host": "anything.example.net"}),
        ("tcp_connect", {"host": "[::1]", "port": 22}),
    ],
)
def test_a_host_off_the_allowlist_is_refused_without_any_network_traffic(
    kb, no_network, check, params
) -> None:
    result = run_check(kb, check, params)
    assert result.outcome == "error" and result.detail.startswith("refused:")
    assert no_network == []


def test_with_no_allowlist_nothing_is_reachable(make_app, no_network) -> None:
    kb = kb_state(make_app(content="empty"))
    result = run_check(kb, "tcp_connect", {"host": "127.0.0.1", "port": 80})
    assert result.outcome == "error" and no_network == []


def resolver(answers: dict[str, list[str]]):
    def resolve(host: str, timeout: float) -> list[str]:
        return answers[host]

    return resolve


def test_a_wildcard_name_must_resolve_into_an_allowed_network() -> None:
    policy = NetworkPolicy(
        hosts=["*.example.org", "help.example.org"],
        networks=[ipaddress.ip_network("192.0.2.0/24")],
        resolver=resolver(
            {
                "intranet.example.org": ["192.0.2.10"],
                "rebound.example.org": ["127.0.0.1"],
                "help.example.org": ["203.0.113.5"],
            }
        ),
    )
    assert policy.addresses("intranet.example.org", 1) == ["192.0.2.10"]
    with pytest.raises(Exception, match="outside the allowed networks"):
        policy.addresses("rebound.example.org", 1)  # DNS rebinding onto loopback
    assert policy.addresses("help.example.org", 1) == ["203.0.113.5"]  # named exactly
    with pytest.raises(Exception, match="not on the allowlist"):
        policy.addresses("example.org.evil.net", 1)
    with pytest.raises(Exception, match="not on the allowlist"):
        policy.addresses("example.org", 1)  # the wildcard covers subdomains only


def test_the_checked_address_is_the_one_connected_to(monkeypatch) -> None:
    """A second lookup could answer differently (rebinding); the check never makes one."""
    answers = iter([["192.0.2.10"], ["127.0.0.1"]])
    policy = NetworkPolicy(
        hosts=["*.example.org"],
        networks=[ipaddress.ip_network("192.0.2.0/24")],
        resolver=lambda host, timeout: next(answers),
    )
    connected: list[tuple] = []

    def fake_connect(address, timeout=None):
        connected.append(address)
        raise OSError("no route")

    monkeypatch.setattr(socket, "create_connection", fake_connect)
    result = TcpConnect(policy).run({"host": "intranet.example.org", "port": 443}, 1)
    assert result.outcome == "fail" and connected == [("192.0.2.10", 443)]


def test_dns_resolve_reports_failure_and_timeout() -> None:
    def slow(host, timeout):
        raise TimeoutError()

    policy = NetworkPolicy(hosts=["gone.example.org"], resolver=slow)
    result = DnsResolve(policy).run({"host": "gone.example.org"}, 0.1)
    assert result.outcome == "fail" and "timed out" in result.detail


def test_a_bad_network_in_configuration_fails_at_start_up(make_app) -> None:
    with pytest.raises(PluginError, match="CHECK_ALLOWED_NETWORKS"):
        make_app(content="empty", CHECK_ALLOWED_NETWORKS=["not-a-network"])


def test_a_non_http_url_is_an_error(kb, no_network) -> None:
    result = HttpStatus(NetworkPolicy()).run({"url": "file:///etc/passwd"}, 1)
    assert result.outcome == "error" and no_network == []
