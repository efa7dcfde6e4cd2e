"""A client for Request Tracker 5's REST2 API with only what kb needs.

RT answers some failures with 200 or 201 and the error inside its list of messages (an
invalid status, a right that is missing): :func:`failed_messages` picks those out and the
client raises :class:`RTError` for them, as it does for 4xx and 5xx answers.
"""

from __future__ import annotations

import base64
import html as html_module
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from kb.http_client import Response, TransportError, send_json

# Phrases RT uses in messages that report a failure (RT::Record::Update, SetStatus, rights).
FAILURE = re.compile(
    r"isn't a valid|is not a valid|permission denied|no permission|couldn't|could not|"
    r"can't|cannot|invalid|illegal|not allowed|failed|unable to|no such|does ?n[o']t exist|"
    r"is required|must be",
    re.IGNORECASE,
)
QUOTED = re.compile(r"(?<=\s)'[^']*'")  # values RT quotes: a subject may say "cannot print"
UNSET = "1970-01-01T00:00:00Z"  # how RT writes a date that was never set


class RTError(Exception):
    """RT refused or failed a request. ``status`` is the HTTP status (None: unreachable)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def permanent(self) -> bool:
        """A request RT rejected as malformed: sending it again cannot help."""
        return self.status in (400, 422)


def failed_messages(messages: Any) -> list[str]:
    """The messages in an RT result list that report a failure."""
    if isinstance(messages, str):
        messages = [messages]
    if not isinstance(messages, list):
        return []
    return [str(m) for m in messages if m and FAILURE.search(QUOTED.sub("''", str(m)))]


def parse_rt_date(value: Any) -> datetime | None:
    """RT's ISO dates (UTC); None for the 1970 "not set" value or anything unreadable."""
    if not isinstance(value, str) or not value or value == UNSET:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Transaction:
    id: int
    type: str
    field: str
    old_value: str
    new_value: str
    created: datetime | None
    creator: str


class RTClient:
    """REST2 at ``base_url`` (RT's address including its web path, e.g. https://rt/rt)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        user: str = "",
        password: str = "",
        timeout: float = 10.0,
        ca_bundle: str | None = None,
    ) -> None:
        self.api = base_url.rstrip("/") + "/REST/2.0"
        self.timeout = timeout
        self.ca_bundle = ca_bundle  # kb.http_client: the CA_BUNDLE setting
        if token:
            self.auth = f"token {token}"
        else:
            self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    # --- transport -----------------------------------------------------------------------

    def call(self, method: str, path: str, payload: Any = None, **query: Any) -> Response:
        url = self.api + path + (("?" + urlencode(query)) if query else "")
        try:
            response = send_json(
                method,
                url,
                payload,
                headers={"Authorization": self.auth},
                timeout=self.timeout,
                ca_bundle=self.ca_bundle,
            )
        except TransportError as error:
            raise RTError(f"Request Tracker is unreachable: {error}") from error
        if not response.ok:
            data = response.json()
            message = data.get("message") if isinstance(data, dict) else None
            raise RTError(
                f"RT answered {response.status} to {method} {path}: "
                f"{message or response.text[:200].strip() or 'no details'}",
                response.status,
            )
        return response

    def _json(self, method: str, path: str, payload: Any = None, **query: Any) -> Any:
        data = self.call(method, path, payload, **query).json()
        if data is None:
            raise RTError(f"RT answered {method} {path} with something that is not JSON")
        return data

    def _pages(self, path: str, **query: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self._json("GET", path, page=page, per_page=100, **query)
            items.extend(data.get("items") or [])
            if page >= int(data.get("pages") or 1):
                return items
            page += 1

    # --- tickets -------------------------------------------------------------------------

    def create_ticket(self, fields: dict[str, Any]) -> str:
        data = self._json("POST", "/ticket", fields)
        ticket_id = data.get("id") if isinstance(data, dict) else None
        if not ticket_id:
            raise RTError(f"RT did not create the ticket: {data}")
        return str(ticket_id)

    def ticket(self, ticket_id: str | int) -> dict[str, Any]:
        return self._json("GET", f"/ticket/{int(ticket_id)}")

    def user(self, name: str) -> dict[str, Any]:
        data = self._json("GET", f"/user/{quote(name, safe='@')}")
        return data if isinstance(data, dict) else {}

    def search(self, query: str, fields: tuple[str, ...] = ("Subject", "Status")) -> list[dict]:
        """Tickets matching a TicketSQL ``query``, with ``fields``."""
        return self._pages("/tickets", query=query, fields=",".join(fields))

    def history(self, ticket_id: str | int) -> list[Transaction]:
        items = self._pages(
            f"/ticket/{int(ticket_id)}/history",
            fields="Type,Field,OldValue,NewValue,Created,Creator",
        )
        return [
            Transaction(
                id=int(item["id"]),
                type=str(item.get("Type") or ""),
                field=str(item.get("Field") or ""),
                old_value=str(item.get("OldValue") or ""),
                new_value=str(item.get("NewValue") or ""),
                created=parse_rt_date(item.get("Created")),
                creator=str((item.get("Creator") or {}).get("id") or ""),
            )
            for item in items
        ]

    def transaction_text(self, transaction_id: int) -> str:
        """The message of a correspondence or comment, as plain text."""
        items = self._pages(
            f"/transaction/{int(transaction_id)}/attachments", fields="ContentType,Content"
        )
        html = ""
        for item in items:
            content = item.get("Content") or ""
            kind = (item.get("ContentType") or "").lower()
            if kind == "text/plain" and content.strip():
                return content
            if kind == "text/html" and content.strip() and not html:
                html = content
        return html_to_text(html) if html else ""

    def comment(self, ticket_id: str | int, text: str, status: str | None = None) -> list[str]:
        return self._message("comment", ticket_id, text, status)

    def correspond(self, ticket_id: str | int, text: str, status: str | None = None) -> list[str]:
        return self._message("correspond", ticket_id, text, status)

    def _message(self, kind: str, ticket_id: str | int, text: str, status: str | None):
        payload: dict[str, Any] = {"Content": text, "ContentType": "text/plain"}
        if status:
            payload["Status"] = status
        messages = self._json("POST", f"/ticket/{int(ticket_id)}/{kind}", payload)
        problems = failed_messages(messages)
        if problems:  # 201, and yet part of it failed (typically the status change)
            raise RTError(f"RT ticket {ticket_id}: " + "; ".join(problems), 200)
        return messages if isinstance(messages, list) else [str(messages)]

    def update(self, ticket_id: str | int, fields: dict[str, Any]) -> list[str]:
        messages = self._json("PUT", f"/ticket/{int(ticket_id)}", fields)
        problems = failed_messages(messages)
        if problems:
            raise RTError(f"RT ticket {ticket_id}: " + "; ".join(problems), 200)
        return messages if isinstance(messages, list) else [str(messages)]

    def ticket_url(self, ticket_id: str | int) -> str:
        """The ticket's page in RT's web interface."""
        return (
            self.api.removesuffix("/REST/2.0") + f"/Ticket/Display.html?id={quote(str(ticket_id))}"
        )


TAG = re.compile(r"<[^>]+>")
BREAK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\s*/?\s*>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Good enough for a reply written in RT's rich-text editor."""
    text = BREAK.sub("\n", html)
    text = TAG.sub("", text)
    lines = [line.strip() for line in html_module.unescape(text).splitlines()]
    return "\n".join(lines).strip()
