"""Outbound HTTP as a site behind a proxy sees it: a real forward proxy and real target servers
on loopback, started here; a self-signed certificate made here with the openssl command."""

from __future__ import annotations

import http.client
import http.server
import select
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kb import create_app
from kb.errors import ConfigError
from kb.http_client import TransportError, bypasses_proxy, send, send_json

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy and no CA bundle from the machine running the tests."""
    for name in PROXY_VARIABLES + CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class Target(http.server.BaseHTTPRequestHandler):
    """Answers every request with who it is and what it was asked."""

    def do_GET(self) -> None:
        self.server.seen.append((self.command, self.path))  # type: ignore[attr-defined]
        body = f"{self.server.label} {self.command} {self.path}".encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *_args: object) -> None:
        pass


class ForwardProxy(http.server.BaseHTTPRequestHandler):
    """A tiny forward proxy: absolute-URI requests are forwarded (HTTP), CONNECT is tunnelled
    (HTTPS); each request it handled is recorded."""

    def do_GET(self) -> None:
        self.server.forwarded.append((self.command, self.path))  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        wanted = urlsplit(self.path)  # a proxy is sent the absolute URI
        upstream = http.client.HTTPConnection(wanted.hostname, wanted.port, timeout=10)
        upstream.request(self.command, wanted.path or "/", body=body)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_POST = do_GET

    def do_CONNECT(self) -> None:
        self.server.forwarded.append((self.command, self.path))  # type: ignore[attr-defined]
        host, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, "Connection established")
        self.end_headers()
        sockets = [self.connection, upstream]
        while True:
            ready, _, _ = select.select(sockets, [], [], 10)
            if not ready:
                break
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    upstream.close()
                    return
                (upstream if sock is self.connection else self.connection).sendall(data)
        upstream.close()

    def log_message(self, *_args: object) -> None:
        pass


def serve(handler: type, **attributes: object) -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for name, value in attributes.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def target() -> Iterator[http.server.ThreadingHTTPServer]:
    yield from serve(Target, label="target", seen=[])


@pytest.fixture
def proxy() -> Iterator[http.server.ThreadingHTTPServer]:
    yield from serve(ForwardProxy, forwarded=[])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=kb test server",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
def tls_target(certificate: tuple[Path, Path]) -> Iterator[http.server.ThreadingHTTPServer]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for server in serve(Target, label="tls-target", seen=[]):
        server.socket = context.wrap_socket(server.socket, server_side=True)
        yield server


def url(server: http.server.ThreadingHTTPServer, scheme: str = "http", path: str = "/hook") -> str:
    return f"{scheme}://127.0.0.1:{server.server_port}{path}"


# --- proxies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_http_request_goes_through_the_proxy_the_environment_names(
    monkeypatch, target, proxy, variable
):
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.server_port}")
    answer = send("POST", url(target), body=b"{}", headers={"X-KB-Event": "test"})
    assert answer.status == 200 and answer.text == "target POST /hook"
    assert proxy.forwarded == [("POST", url(target))]


def test_https_request_is_tunnelled_through_https_proxy_and_checks_the_certificate(
    monkeypatch, tls_target, proxy, certificate
):
    monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{proxy.server_port}")  # no scheme: http://
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # not for https
    answer = send_json("GET", url(tls_target, "https"), ca_bundle=str(certificate[0]))
    assert answer.status == 200 and answer.text == "tls-target GET /hook"
    assert proxy.forwarded == [("CONNECT", f"127.0.0.1:{tls_target.server_port}")]


@pytest.mark.parametrize(
    "no_proxy",
    ["127.0.0.1", "127.0.0.0/8", "example.org, 127.0.0.1", "*", "localhost"],
)
def test_host_in_no_proxy_is_reached_directly(monkeypatch, target, proxy, no_proxy):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    host = "localhost" if no_proxy == "localhost" else "127.0.0.1"
    answer = send("GET", f"http://{host}:{target.server_port}/direct")
    assert answer.status == 200 and target.seen == [("GET", "/direct")]
    assert proxy.forwarded == []


def test_no_proxy_for_another_host_still_uses_the_proxy(monkeypatch, target, proxy):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    monkeypatch.setenv("NO_PROXY", "10.0.0.0/8,.example.org,127.0.0.1:1")
    assert send("GET", url(target)).status == 200
    assert proxy.forwarded == [("GET", url(target))]


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypassed"),
    [
        ("rt.example.org", 443, "example.org", True),
        ("example.org", 443, ".example.org", True),
        ("rt.example.org", 443, "*.example.org", True),
        ("badexample.org", 443, "example.org", False),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("10.1.2.3", 80, "10.1.2.3:8080", False),
        ("::1", 80, "::1", True),
        ("rt", 80, "", False),
    ],
)
def test_no_proxy_entries(host, port, no_proxy, bypassed):
    assert bypasses_proxy(host, port, no_proxy) is bypassed


def test_a_proxy_that_refuses_is_a_transport_error_naming_it(monkeypatch, target):
    monkeypatch.setenv("HTTP_PROXY", "http://user:secret@127.0.0.1:9")
    with pytest.raises(TransportError, match=r"through proxy http://127\.0\.0\.1:9") as caught:
        send("GET", url(target))
    assert "secret" not in str(caught.value)


# --- certificates -----------------------------------------------------------------------------


def test_self_signed_server_is_refused_without_a_ca_bundle(tls_target):
    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        send("GET", url(tls_target, "https"))
    assert tls_target.seen == []


def test_self_signed_server_is_trusted_with_the_ca_bundle_setting(tls_target, certificate):
    answer = send("GET", url(tls_target, "https"), ca_bundle=str(certificate[0]))
    assert answer.status == 200 and tls_target.seen == [("GET", "/hook")]


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_ca_bundle_falls_back_to_the_environment(monkeypatch, tls_target, certificate, variable):
    monkeypatch.setenv(variable, str(certificate[0]))
    assert send("GET", url(tls_target, "https")).status == 200


def test_ca_bundle_setting_wins_over_the_environment(monkeypatch, tls_target, certificate):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    elsewhere = "/etc/ssl/certs/ca-certificates.crt"
    if not Path(elsewhere).is_file():
        pytest.skip(f"no system bundle at {elsewhere}")
    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        send("GET", url(tls_target, "https"), ca_bundle=elsewhere)


# --- the configuration check ------------------------------------------------------------------


def test_missing_ca_bundle_stops_the_start_with_one_line(tmp_path):
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(ConfigError) as caught:
        create_app({"TESTING": True, "CA_BUNDLE": str(missing)}, instance_path=tmp_path / "i")
    assert caught.value.problems == [
        f"CA_BUNDLE: {missing} does not exist or is not a file (a PEM file of certificates)"
    ]


def test_ca_bundle_that_is_not_pem_stops_the_start(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(ConfigError) as caught:
        create_app({"TESTING": True, "CA_BUNDLE": str(junk)}, instance_path=tmp_path / "i")
    assert caught.value.problems[0].startswith(f"CA_BUNDLE: {junk} is not a readable PEM file")


def test_missing_bundle_named_by_the_environment_stops_the_start(monkeypatch, tmp_path):
    gone = tmp_path / "gone.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(gone))
    with pytest.raises(ConfigError) as caught:
        create_app({"TESTING": True}, instance_path=tmp_path / "i")
    assert caught.value.problems == [
        f"SSL_CERT_FILE: {gone} does not exist or is not a file (a PEM file of certificates)"
    ]


def test_valid_ca_bundle_lets_kb_start(tmp_path, certificate):
    app = create_app(
        {"TESTING": True, "CA_BUNDLE": str(certificate[0])}, instance_path=tmp_path / "i"
    )
    assert app.config["CA_BUNDLE"] == str(certificate[0])
