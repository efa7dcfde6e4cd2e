"""Built-in automated checks: DNS resolution, TCP connect and HTTP status, with timeouts.

They reach only what configuration allows, so kb can never be used to probe arbitrary
addresses: ``CHECK_ALLOWED_HOSTS`` (exact names, or wildcards like ``*.example.org``) and
``CHECK_ALLOWED_NETWORKS`` (CIDR). A name not on the list is refused before any lookup. A name
matched only by a wildcard must resolve into an allowed network; an exactly listed name may
resolve anywhere. Connections go to the address that was checked (no second lookup, so DNS
rebinding cannot swap it), and redirects are followed only to allowed hosts.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import ipaddress
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from kb import hookimpl
from kb.errors import PluginError
from kb.trees.checks import CheckResult, Param

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, float], list[str]]
LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){LABEL}(?:\.{LABEL})*$")
MAX_REDIRECTS = 3


class Refused(Exception):
    """The allowlist does not let this check reach that host."""


def system_resolver(host: str, timeout: float) -> list[str]:
    """Addresses of ``host`` from the system resolver, giving up after ``timeout`` seconds."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
        infos = future.result(timeout=timeout)
    finally:
        pool.shutdown(wait=False)
    return list(dict.fromkeys(info[4][0] for info in infos))


def setting_problems(config: dict[str, Any]) -> list[str]:
    """What is wrong with CHECK_ALLOWED_NETWORKS, one line per bad entry."""
    problems = []
    for text in config.get("CHECK_ALLOWED_NETWORKS") or []:
        try:
            ipaddress.ip_network(str(text).strip(), strict=False)
        except ValueError:
            problems.append(f"CHECK_ALLOWED_NETWORKS: {text!r} is not a network like 10.20.0.0/16")
    return problems


@dataclass
class NetworkPolicy:
    hosts: list[str] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    resolver: Resolver = system_resolver

    @classmethod
    def from_config(cls, config: dict[str, Any], resolver: Resolver = system_resolver):
        """The policy the settings describe; a setting that is wrong is PluginError (start-up
        has already refused it through ``kb_check_config``)."""
        problems = setting_problems(config)
        if problems:
            raise PluginError(problems[0])
        networks = [
            ipaddress.ip_network(str(text).strip(), strict=False)
            for text in config.get("CHECK_ALLOWED_NETWORKS") or []
        ]
        hosts = [
            str(h).strip().lower().rstrip(".") for h in config.get("CHECK_ALLOWED_HOSTS") or []
        ]
        return cls(hosts=[h for h in hosts if h], networks=networks, resolver=resolver)

    def in_networks(self, address: Address) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)

    def listed(self, host: str) -> str | None:
        """'exact' or 'wildcard' when the name is on the list, None when it is not."""
        if host in self.hosts:
            return "exact"
        for pattern in self.hosts:
            if pattern.startswith("*.") and host.endswith(pattern[1:]) and host != pattern[2:]:
                return "wildcard"
        return None

    def check_name(self, host: str) -> tuple[str, Address | None]:
        """Normalise ``host`` and refuse it unless allowed; no network traffic happens here."""
        host = host.strip().lower().rstrip(".")
        literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        try:
            address = ipaddress.ip_address(literal)
        except ValueError:
            address = None
        if address is not None:
            if self.in_networks(address) or literal in self.hosts:
                return literal, address
            raise Refused(f"{literal} is not in an allowed network")
        if not HOST_NAME.match(host):
            raise Refused(f"{host!r} is not a host name")
        if self.listed(host) is None:
            raise Refused(f"{host} is not on the allowlist")
        return host, None

    def addresses(self, host: str, timeout: float) -> list[str]:
        """The vetted addresses to connect to; Refused when any answer is out of bounds."""
        host, literal = self.check_name(host)
        if literal is not None:
            return [str(literal)]
        answers = self.resolver(host, timeout)
        if not answers:
            raise socket.gaierror(f"{host} has no addresses")
        if self.listed(host) == "exact":
            return answers
        for answer in answers:
            if not self.in_networks(ipaddress.ip_address(answer.split("%")[0])):
                raise Refused(f"{host} resolves to {answer}, outside the allowed networks")
        return answers


def _describe(error: BaseException) -> str:
    if isinstance(error, concurrent.futures.TimeoutError | TimeoutError | socket.timeout):
        return "timed out"
    return str(error) or error.__class__.__name__


@dataclass
class DnsResolve:
    policy: NetworkPolicy
    name: str = "dns_resolve"
    description: str = "Does the host name resolve to an address?"
    params: dict[str, Param] = field(
        default_factory=lambda: {"host": Param(str, help="host name, like intranet.example.org")}
    )

    def run(self, params: dict[str, Any], timeout: float) -> CheckResult:
        try:
            host, literal = self.policy.check_name(params["host"])
        except Refused as error:
            return CheckResult("error", f"refused: {error}")
        if literal is not None:
            return CheckResult("pass", f"{host} is an address")
        try:
            answers = self.policy.resolver(host, timeout)
        except (OSError, concurrent.futures.TimeoutError) as error:
            return CheckResult("fail", f"{host} did not resolve: {_describe(error)}")
        if not answers:
            return CheckResult("fail", f"{host} has no addresses")
        return CheckResult("pass", f"{host} resolves to {', '.join(answers)}")


@dataclass
class TcpConnect:
    policy: NetworkPolicy
    name: str = "tcp_connect"
    description: str = "Does the host accept a TCP connection on the port?"
    params: dict[str, Param] = field(
        default_factory=lambda: {"host": Param(str), "port": Param(int, help="1-65535")}
    )

    def run(self, params: dict[str, Any], timeout: float) -> CheckResult:
        port = params["port"]
        if not 1 <= port <= 65535:
            return CheckResult("error", f"port {port} is not between 1 and 65535")
        try:
            addresses = self.policy.addresses(params["host"], timeout)
        except Refused as error:
            return CheckResult("error", f"refused: {error}")
        except (OSError, concurrent.futures.TimeoutError) as error:
            return CheckResult("fail", f"{params['host']} did not resolve: {_describe(error)}")
        problems = []
        for address in addresses:
            try:
                with socket.create_connection((address, port), timeout=timeout):
                    return CheckResult("pass", f"connected to {address} port {port}")
            except OSError as error:
                problems.append(f"{address}: {_describe(error)}")
        return CheckResult("fail", f"could not connect to port {port} ({'; '.join(problems)})")


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to an address that was already vetted, whatever the Host header says."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class HttpStatus:
    policy: NetworkPolicy
    name: str = "http_status"
    description: str = "Does the URL answer with the expected HTTP status?"
    params: dict[str, Param] = field(
        default_factory=lambda: {
            "url": Param(str, help="http:// or https:// URL"),
            "expect": Param(int, required=False, help="status, default 200"),
        }
    )

    def run(self, params: dict[str, Any], timeout: float) -> CheckResult:
        expect = params.get("expect", 200)
        url = params["url"]
        for _ in range(MAX_REDIRECTS + 1):
            try:
                status, location = self._fetch(url, timeout)
            except Refused as error:
                return CheckResult("error", f"refused: {error}")
            except ValueError as error:
                return CheckResult("error", str(error))
            except (OSError, http.client.HTTPException) as error:
                return CheckResult("fail", f"{url}: {_describe(error)}")
            if status in (301, 302, 303, 307, 308) and location and status != expect:
                target = urljoin(url, location)
                try:
                    self.policy.check_name(urlsplit(target).hostname or "")
                except Refused as error:
                    return CheckResult(
                        "fail",
                        f"{url} answered {status}, redirecting to {target} ({error}); not followed",
                    )
                url = target
                continue
            outcome = "pass" if status == expect else "fail"
            return CheckResult(outcome, f"{url} answered {status} (expected {expect})")
        return CheckResult("fail", f"more than {MAX_REDIRECTS} redirects")

    def _fetch(self, url: str, timeout: float) -> tuple[int, str | None]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        address = self.policy.addresses(parts.hostname, timeout)[0]
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(parts.hostname, parts.port, address, timeout)
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            connection.request("GET", path, headers={"User-Agent": "kb-check/1"})
            response = connection.getresponse()
            return response.status, response.getheader("Location")
        finally:
            connection.close()


@hookimpl
def kb_check_config(config):
    return setting_problems(config)


@hookimpl
def kb_register_checks(kb):
    policy = NetworkPolicy.from_config(kb.config)
    return [DnsResolve(policy), TcpConnect(policy), HttpStatus(policy)]
