"""Escalations as Request Tracker tickets: what kb writes into RT, how a retry finds the ticket
an earlier attempt made, and how a resolved RT ticket comes back into kb.

RT has no idempotency keys, so kb ends the subject with a marker derived from the delivery's
key, ``(kb:0123456789abcdef)``, and searches for it before creating a ticket.

Which articles a resolution is logged in: a ``kb-articles: slug, slug`` line in the resolving
reply names them (``kb-articles: none`` asks for a draft article instead); without that line
kb uses the articles viewed during the diagnostic (RT_LINK_VIEWED_ARTICLES), and with none of
either a draft article is written for review. ``kb-followup: 2`` schedules a follow-up in two
days. These lines are removed from the text logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kb.config import base_url, site_zone
from kb.errors import Conflict
from kb.escalation.resilience import with_retries
from kb.escalation.service import ResolutionInput, record_first_response, resolve_escalation
from kb.limits import whole_number
from kb.models import Escalation, FollowUp
from kb.plugins.request_tracker.client import RTClient, RTError, parse_rt_date
from kb.records import EscalationSnapshot, FollowUpSnapshot
from kb.templating import when

log = logging.getLogger(__name__)

SYSTEM = "rt"
KB_NOTE = "[kb]"  # first line of every comment kb writes, so it is never read as a resolution
SUBJECT_LIMIT = 200
DIRECTIVE = re.compile(r"^[ \t]*kb-(articles|followup)[ \t]*:[ \t]*(.*?)[ \t]*$", re.I | re.M)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
NO_TEXT = "Resolved in Request Tracker (ticket #{id}) without a written resolution."


def client_for(config: dict[str, Any]) -> RTClient:
    return RTClient(
        config["RT_URL"],
        token=config.get("RT_TOKEN") or "",
        user=config.get("RT_USER") or "",
        password=config.get("RT_PASSWORD") or "",
        timeout=float(config.get("RT_TIMEOUT_SECONDS") or 10),
        ca_bundle=config.get("CA_BUNDLE") or None,
    )


# --- creating tickets ---------------------------------------------------------------------


def marker(idempotency_key: str) -> str:
    return "kb:" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


def subject(escalation: EscalationSnapshot, mark: str) -> str:
    suffix = f" ({mark})"
    summary = " ".join(escalation.summary.split())
    room = SUBJECT_LIMIT - len(suffix)
    if len(summary) > room:
        summary = summary[: room - 1].rstrip() + "…"
    return summary + suffix


def queue_for(escalation: EscalationSnapshot, config: dict[str, Any]) -> str:
    by_group = config.get("RT_QUEUE_BY_GROUP") or {}
    return by_group.get(escalation.group) or config.get("RT_QUEUE") or "General"


def _section(title: str, lines: list[str]) -> list[str]:
    return [title, "-" * len(title), *lines, ""] if lines else []


DUE = "%Y-%m-%d %H:%M %Z"


def ticket_body(escalation: EscalationSnapshot, config: dict[str, Any]) -> str:
    """Everything the requester already told kb, so nobody asks twice."""
    base = base_url(config)
    zone = site_zone(config)  # the site's clock, as its pages and e-mails show times
    contact = [
        f"Requester: {escalation.requester_name}"
        + (f" <{escalation.requester_email}>" if escalation.requester_email else ""),
    ]
    if escalation.requester_phone:
        contact.append(f"Phone: {escalation.requester_phone}")
    if escalation.requester_location:
        contact.append(f"Location: {escalation.requester_location}")
    lines = [
        f"Escalated from the knowledge base: {escalation.summary}",
        "",
        *contact,
        f"Priority: {escalation.priority} (impact {escalation.impact}, "
        f"urgency {escalation.urgency})",
        f"Respond by: {when(escalation.response_due, DUE, zone)}",
        f"Resolve by: {when(escalation.resolve_due, DUE, zone)}",
        f"Support group: {escalation.group_name}",
    ]
    if escalation.service:
        lines.append(f"Service: {escalation.service}")
    if escalation.tree_id:
        lines.append(
            f"Diagnostic: {base}/trees/{escalation.tree_id}"
            + (f" (ended at {escalation.node_id})" if escalation.node_id else "")
        )
    lines += [f"Status page (kb): {escalation.status_url}", ""]
    lines += _section("Details", escalation.details.splitlines())
    lines += _section("What was tried", escalation.transcript_text.splitlines())
    lines += _section(
        "Answers to the escalation questions",
        [f"{q}: {a or '(no answer)'}" for q, a in escalation.answers_to_ask.items()],
    )
    lines += _section(
        "Checks run",
        [
            "- "
            + " ".join(
                str(part)
                for part in (check.get("check"), check.get("target"))
                if part not in (None, "")
            )
            + f": {check.get('outcome', '?')}"
            + (f" ({check['detail']})" if check.get("detail") else "")
            for check in escalation.checks_run
        ],
    )
    lines += _section(
        "Articles viewed",
        [f"- {slug}: {base}/articles/{slug}" for slug in escalation.articles_viewed],
    )
    lines += [
        "When you resolve this ticket, kb writes your last reply into the knowledge base.",
        'Add a line "kb-articles: slug, slug" to name the articles that fixed it',
        '("kb-articles: none" if none did: kb then drafts a new article for review), and',
        '"kb-followup: 2" to have kb ask the requester in 2 days whether it is still fixed.',
    ]
    return "\n".join(lines).rstrip() + "\n"


def ticket_fields(
    escalation: EscalationSnapshot, idempotency_key: str, config: dict[str, Any]
) -> dict[str, Any]:
    priorities = config.get("RT_PRIORITY_MAP") or {}
    fields: dict[str, Any] = {
        "Queue": queue_for(escalation, config),
        "Subject": subject(escalation, marker(idempotency_key)),
        "Content": ticket_body(escalation, config),
        "ContentType": "text/plain",
        "Due": escalation.resolve_due.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if escalation.priority in priorities:
        fields["Priority"] = priorities[escalation.priority]
    if escalation.requester_email:
        fields["Requestor"] = escalation.requester_email
    return fields


def find_ticket(client: RTClient, idempotency_key: str) -> dict[str, Any] | None:
    """The ticket an earlier attempt with this key created, if any."""
    mark = marker(idempotency_key)
    found = [
        ticket
        for ticket in client.search(f"Subject LIKE '{mark}'", fields=("Subject", "Status"))
        if str(ticket.get("Subject", "")).endswith(f"({mark})")
    ]
    return min(found, key=lambda t: int(t["id"])) if found else None


def find_or_create(
    client: RTClient,
    escalation: EscalationSnapshot,
    idempotency_key: str,
    config: dict[str, Any],
) -> tuple[str, str]:
    """The RT ticket for this delivery: (id, status), created only if no attempt made it."""
    existing = find_ticket(client, idempotency_key)
    if existing is not None:
        return str(existing["id"]), str(existing.get("Status") or "new")
    return client.create_ticket(ticket_fields(escalation, idempotency_key, config)), "new"


# --- resolutions --------------------------------------------------------------------------


@dataclass
class Reply:
    """A resolving reply with kb's directive lines taken out."""

    text: str
    articles: list[str] | None = None  # None: no kb-articles line
    followup_days: float | None = None


def parse_reply(text: str) -> Reply:
    articles: list[str] | None = None
    followup: float | None = None
    for name, value in DIRECTIVE.findall(text):
        if name.lower() == "articles":
            articles = [] if value.strip().lower() in ("", "none", "-") else _slugs(value)
        else:
            number = re.match(r"\d+(?:\.\d+)?", value)
            followup = float(number.group()) if number else None
    kept = DIRECTIVE.sub("", text)
    kept = "\n".join(
        line for line in kept.splitlines() if not line.lstrip().startswith(">")
    )  # quoted e-mail
    kept = re.sub(r"\n?On .{0,200}wrote:\s*$", "", kept.strip()).strip()
    return Reply(re.sub(r"\n{3,}", "\n\n", kept), articles, followup or None)


def _slugs(value: str) -> list[str]:
    """Slugs from "a, b c" or article addresses (…/articles/a)."""
    slugs = []
    for part in re.split(r"[,\s]+", value.strip()):
        part = part.rstrip("/").rsplit("/", 1)[-1].removesuffix(".md").lower()
        if SLUG.fullmatch(part):
            slugs.append(part)
    return list(dict.fromkeys(slugs))


@dataclass
class RTResolution:
    ticket_id: str
    status: str
    resolved_at: datetime | None
    resolver: str
    reply: Reply
    written: bool = True  # False: resolved without any reply to log

    @property
    def text(self) -> str:
        return self.reply.text


def read_resolution(
    client: RTClient, ticket_id: str, resolved_statuses: list[str]
) -> RTResolution | None:
    """How an RT ticket was resolved (None if it is not resolved): the reply or comment that
    came last before the resolution, skipping kb's own notes and stopping at an earlier
    resolution (a ticket resolved, reopened and resolved again)."""
    ticket = client.ticket(ticket_id)
    status = str(ticket.get("Status") or "")
    if status not in resolved_statuses:
        return None
    history = client.history(ticket_id)
    resolving = [t for t in history if t.type == "Status" and t.new_value in resolved_statuses]
    last = resolving[-1] if resolving else None
    resolver = last.creator if last else ""
    text, author = "", ""
    for transaction in reversed(history):
        if last is not None and transaction.id > last.id:
            continue
        if transaction.type == "Status" and transaction is not last:
            if transaction.new_value in resolved_statuses:
                break  # the previous resolution: its reply was logged then
            continue
        if transaction.type not in ("Correspond", "Comment"):
            continue
        content = client.transaction_text(transaction.id).strip()
        if not content or content.startswith(KB_NOTE):
            continue
        text, author = content, transaction.creator
        break
    if not resolver or resolver == "RT_System":
        resolver = author or "RT"
    reply = parse_reply(text) if text else Reply("")
    written = bool(reply.text)
    if not written:
        reply.text = NO_TEXT.format(id=ticket_id)
    return RTResolution(
        ticket_id=str(ticket_id),
        status=status,
        resolved_at=parse_rt_date(ticket.get("Resolved")) or (last.created if last else None),
        resolver=_person(client, resolver),
        reply=reply,
        written=written,
    )


def _person(client: RTClient, user: str) -> str:
    """An RT user's e-mail address when it has one (it is what kb shows as the resolver)."""
    if not user or "@" in user or user == "RT":
        return user
    try:
        return client.user(user).get("EmailAddress") or user
    except RTError:
        return user


def reopened_at(session, escalation: Escalation) -> datetime | None:
    return session.scalar(
        select(func.max(FollowUp.answered_at)).where(
            FollowUp.escalation_id == escalation.id, FollowUp.status == "not_fixed"
        )
    )


def is_stale(session, escalation: Escalation, resolution: RTResolution) -> bool:
    """A reopened escalation whose RT ticket still shows the resolution that was reopened
    (kb's reopen has not reached RT yet)."""
    if escalation.status != "reopened" or resolution.text != escalation.resolution_text:
        return False
    reopened = reopened_at(session, escalation)
    return reopened is None or resolution.resolved_at is None or resolution.resolved_at <= reopened


def apply_resolution(kb: Any, escalation_id: int, resolution: RTResolution) -> str:
    """Resolve the escalation from its RT ticket; returns what happened."""
    config = kb.config

    def work(session) -> str:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None:
            return "gone"
        escalation.ticket_status = resolution.status
        if escalation.status == "resolved":
            return "already_resolved"
        if is_stale(session, escalation, resolution):
            return "stale"
        articles = resolution.reply.articles
        if articles is None:
            articles = (
                list(escalation.articles_viewed or [])
                if config.get("RT_LINK_VIEWED_ARTICLES", True)
                else []
            )
        snapshot = resolve_escalation(
            session,
            kb,
            escalation,
            ResolutionInput(
                resolver=resolution.resolver,
                text=resolution.text,
                articles=articles,
                ticket_system=SYSTEM,
                ticket_ref=resolution.ticket_id,
                resolved_at=resolution.resolved_at,
                create_draft=resolution.written,
                followup_days=resolution.reply.followup_days,
            ),
        )
        for item in snapshot.skipped_articles if snapshot else []:
            log.info(
                "RT ticket %s: not logged in %s: %s",
                resolution.ticket_id,
                item["slug"],
                item["reason"],
            )
        return "resolved"

    try:
        return with_retries(kb, work)
    except Conflict as error:  # resolved meanwhile with another text (another node got there)
        log.info("RT ticket %s: %s", resolution.ticket_id, error.message)
        return "already_resolved"


def sync_ticket(kb: Any, client: RTClient, escalation_id: int, ticket_id: str) -> str:
    """Bring one escalation up to date with its RT ticket."""
    resolved = list(kb.config.get("RT_RESOLVED_STATUSES") or ["resolved"])
    resolution = read_resolution(client, ticket_id, resolved)
    if resolution is None:
        return "not_resolved"
    return apply_resolution(kb, escalation_id, resolution)


@dataclass
class FollowReport:
    checked: int = 0
    resolved: int = 0
    errors: list[str] = field(default_factory=list)


def follow_tickets(kb: Any, client: RTClient, batch: int = 50) -> FollowReport:
    """The periodic poll: for kb's open escalations in RT, note first responses and pull
    the resolutions of tickets that RT now shows resolved."""
    report = FollowReport()
    resolved = list(kb.config.get("RT_RESOLVED_STATUSES") or ["resolved"])
    with kb.session() as session:
        open_ones = {
            ref: escalation_id
            for escalation_id, ref in session.execute(
                select(Escalation.id, Escalation.ticket_ref).where(
                    Escalation.ticket_system == SYSTEM,
                    Escalation.status.not_in(("resolved", "closed")),
                )
            )
            if ref and whole_number(ref) is not None
        }
    refs = sorted(open_ones, key=int)
    for start in range(0, len(refs), batch):
        chunk = refs[start : start + batch]
        query = " OR ".join(f"id = {ref}" for ref in chunk)
        tickets = client.search(query, fields=("Status", "Started", "Resolved"))
        report.checked += len(tickets)
        for ticket in tickets:
            ref, status = str(ticket["id"]), str(ticket.get("Status") or "")
            escalation_id = open_ones.get(ref)
            if escalation_id is None:
                continue
            try:
                if status in resolved:
                    if sync_ticket(kb, client, escalation_id, ref) == "resolved":
                        report.resolved += 1
                else:
                    note_progress(kb, escalation_id, status, parse_rt_date(ticket.get("Started")))
            except RTError as error:
                report.errors.append(f"RT ticket {ref}: {error}")
    return report


def note_progress(kb: Any, escalation_id: int, status: str, started: datetime | None) -> None:
    """Mirror RT's status on the requester's page; a ticket RT has started is a response."""
    with kb.session() as session:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None:
            return
        changed = escalation.ticket_status != status
        escalation.ticket_status = status
        if started is not None and escalation.first_response_at is None:
            record_first_response(escalation, started)
            changed = True
        if changed:
            session.commit()


def reopen_ticket(
    client: RTClient, ticket_id: str, followup: FollowUpSnapshot, comment: str, config
) -> str:
    """The requester says it is not fixed: reopen the RT ticket with a note saying so.
    Idempotent: a ticket that is already open again is left as it is."""
    resolved = list(config.get("RT_RESOLVED_STATUSES") or ["resolved"])
    status = str(client.ticket(ticket_id).get("Status") or "")
    if status not in resolved:
        return "already_open"
    note = "\n".join(
        [
            f"{KB_NOTE} The requester says the problem is not fixed.",
            "",
            f"Follow-up: {followup.text}",
            *([f"Their comment: {comment}"] if comment else []),
        ]
    )
    client.comment(ticket_id, note, status="open")
    status = str(client.ticket(ticket_id).get("Status") or "")
    if status != "open":
        raise RTError(f"RT ticket {ticket_id} is still {status!r} after reopening it")
    return "reopened"
