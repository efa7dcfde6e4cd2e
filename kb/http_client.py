"""The one HTTP client every outbound integration uses (webhooks, Request Tracker), so that a
site behind a proxy or with its own certificate authority sets it up once.

- Every status comes back as a :class:`Response`; redirects are not followed; a request that
  never got an answer raises :class:`TransportError`.
- Proxies come from the environment, as curl and most tools read them: ``HTTPS_PROXY`` /
  ``HTTP_PROXY`` (or ``ALL_PROXY``) per scheme, and ``NO_PROXY`` (host names, ``.domains``,
  addresses and networks like ``10.0.0.0/8``, ``*`` for none) for what is reached directly.
- Certificates are checked against the ``CA_BUNDLE`` setting when a caller passes it, else
  ``REQUESTS_CA_BUNDLE`` or ``SSL_CERT_FILE``, else the system's store. A bundle replaces the
  system's store, as with curl and requests.

httpx does the HTTP; kb chooses the proxy itself because httpx's ``NO_PROXY`` knows no networks.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

# Where a CA bundle may come from when the caller passes none, in this order.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


class TransportError(Exception):
    """The request never got an HTTP answer (refused, reset, timed out, bad address, a proxy
    that would not connect, a certificate that is not trusted)."""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


# --- proxies ----------------------------------------------------------------------------------


def proxy_for(url: str) -> str | None:
    """The proxy a request to ``url`` goes through, or None for a direct connection. Read from
    the environment at each request (lower-case ``*_proxy`` names win over upper case)."""
    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(url)
    if parts.hostname is None or bypasses_proxy(parts.hostname, parts.port, proxies.get("no", "")):
        return None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def bypasses_proxy(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` sends ``host`` direct: ``*``; a name (itself and its subdomains);
    ``.example.org`` or ``*.example.org`` (subdomains and the domain); an address or a network;
    any of these with ``:port`` to match that port only."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for raw in no_proxy.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = entry.removeprefix("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """``host:port`` -> (host, port); IPv6 addresses keep their colons (``[::1]:8080``)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None


def _shown(proxy: str) -> str:
    """A proxy's address without its password, for error messages."""
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


# --- certificates -----------------------------------------------------------------------------


def ca_bundle_in_use(ca_bundle: str | None = None) -> tuple[str, str] | None:
    """``(where it was set, path)`` of the CA bundle a request trusts, or None for the system's
    store: the caller's setting first, then the environment."""
    if ca_bundle:
        return "CA_BUNDLE", ca_bundle
    for name in CA_BUNDLE_VARIABLES:
        if os.environ.get(name):
            return name, os.environ[name]
    return None


def trust(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The TLS settings for a request: certificates checked against the bundle in use."""
    chosen = ca_bundle_in_use(ca_bundle)
    return ssl.create_default_context(cafile=chosen[1] if chosen else None)


def ca_bundle_problems(ca_bundle: Any) -> list[str]:
    """For the configuration check: the bundle in use must be a file of PEM certificates."""
    if ca_bundle is not None and not isinstance(ca_bundle, str):
        return [f"CA_BUNDLE is {ca_bundle!r}: must be the path of a PEM file of certificates"]
    chosen = ca_bundle_in_use(ca_bundle)
    if chosen is None:
        return []
    where, path = chosen
    if not os.path.isfile(path):
        return [f"{where}: {path} does not exist or is not a file (a PEM file of certificates)"]
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError, ValueError) as error:
        return [f"{where}: {path} is not a readable PEM file of certificates ({error})"]
    return []


# --- sending ----------------------------------------------------------------------------------


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    ca_bundle: str | None = None,
) -> Response:
    """Send one request and return the answer, whatever its status. Header names are sent
    as written (X-KB-Signature, not X-kb-signature)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"{url!r} is not an http(s) address")
    proxy = proxy_for(url)
    via = f" (through proxy {_shown(proxy)})" if proxy else ""
    try:
        context = trust(ca_bundle)  # also for an https:// proxy in front of an http target
        with httpx.Client(
            proxy=proxy,
            verify=context,
            trust_env=False,  # proxies chosen above; the bundle by trust()
            follow_redirects=False,
            timeout=timeout,
        ) as client:
            answer = client.request(method, url, content=body, headers=headers or {})
            return Response(answer.status_code, answer.content, dict(answer.headers.items()))
    except (httpx.HTTPError, httpx.InvalidURL, ssl.SSLError, OSError, ValueError) as error:
        raise TransportError(f"{method} {url}{via}: {error or type(error).__name__}") from error


def send_json(
    method: str,
    url: str,
    payload: Any = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    ca_bundle: str | None = None,
) -> Response:
    body = None if payload is None else json.dumps(payload).encode()
    all_headers = {"Accept": "application/json", **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    return send(method, url, body=body, headers=all_headers, timeout=timeout, ca_bundle=ca_bundle)
