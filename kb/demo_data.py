"""`kb demo-data`: a reproducible, realistic history (weeks of diagnostic sessions, searches,
escalations, tickets, resolutions, ratings, flags and an outage) so reports can be seen.

Everything is made through kb's own services (the session engine, escalation and resolution
services), so the data is what real use would leave behind. The same seed gives the same
history relative to the day it is run.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kb.auth.users import create_user, find_user
from kb.escalation.intake import EscalationRequest, create_escalation
from kb.escalation.service import ResolutionInput, resolve_escalation
from kb.escalation.tickets import create_local_ticket
from kb.models import (
    Article,
    ArticleFeedback,
    ArticleFlag,
    Escalation,
    OutboxMessage,
    Role,
    SearchLog,
    Ticket,
    TicketNote,
    Tree,
    TreeSession,
    utcnow,
)
from kb.outages import service as outages
from kb.search import service
from kb.search.query import parse
from kb.trees import engine
from kb.trees.graph import CHECK_ANSWERS
from kb.trees.handoff import escalation_fields, session_snapshot
from kb.trees.store import revision_graph

# How often each tree is used on a weekday, and how likely each escalation is handed over.
POPULARITY = {
    "locked-out-password": 9, "printer-not-printing": 8, "email-not-working": 6,
    "vpn-cannot-connect": 6, "wifi-problems": 5, "computer-slow": 4, "meeting-audio-video": 4,
    "monitor-or-dock": 3, "shared-drive-access": 3, "email-on-phone-setup": 2,
    "suspected-outage-triage": 1, "new-hire-provisioning": 1,
}  # fmt: skip
NAMES = [
    "Ann Lee",
    "Robin Diaz",
    "Sam Patel",
    "Chris Okafor",
    "Jo Nguyen",
    "Alex Moreau",
    "Pat Kowalski",
    "Lee Hansen",
    "Kim Silva",
    "Dana Brooks",
    "Morgan Reyes",
    "Ali Khan",
]
LOCATIONS = [
    "City Hall, 2nd floor",
    "Annex, floor 3",
    "Library branch 4",
    "Water works",
    "Court building B",
    "Home",
]
RESOLUTIONS = {
    "printer-not-printing": [
        "Cleared the stuck job and restarted the print spooler on print01.",
        "Re-added the printer queue on the user's PC.",
        "Replaced the toner cartridge and cleared a paper jam.",
    ],
    "locked-out-password": [
        "Reset the password after the identity check and unlocked the account.",
        "Removed an old phone's cached credentials that kept locking it.",
    ],
    "email-not-working": [
        "Rebuilt the Outlook profile; mail syncs again.",
        "Cleared saved Office credentials; Outlook stopped prompting.",
    ],
    "vpn-cannot-connect": [
        "Reinstalled the VPN client profile; the connection works.",
        "Home router blocked IPsec; switched the user to the SSL portal.",
    ],
    "wifi-problems": [
        "Updated the Wi-Fi driver; the connection is stable.",
        "Removed the stale Wi-Fi profile and re-enrolled the device certificate.",
    ],
    "computer-slow": ["Removed a stuck update and freed 20 GB; the laptop is back to normal."],
    "meeting-audio-video": [
        "Replaced the headset; audio works in Teams.",
        "Set the right microphone in Teams device settings.",
    ],
    "shared-drive-access": [
        "Added the user to the share's access group.",
        "Remapped the S: drive after the file server move.",
    ],
    "monitor-or-dock": [
        "Replaced the faulty dock power supply.",
        "Updated the dock firmware; both monitors work.",
    ],
    "email-on-phone-setup": ["Enrolled the phone in Company Portal; Outlook mobile now syncs."],
}
SEARCHES = [
    ("outlook keeps asking pw", 6),
    ("vpn error 809", 5),
    ("printer offline", 6),
    ("reset password", 8),
    ("mfa new phone", 4),
    ("wifi keeps dropping", 3),
    ("mailbox full", 3),
    ("teams no sound", 3),
    ("second monitor not working", 2),
    ("shared drive access denied", 3),
    ("bitlocker recovery key", 2),
    ("plotter prints blank pages", 2),
    ("badge reader rejects card", 2),
    ("how to book a meeting room projector", 1),
    ("pritner not printing", 2),
    ("sap timeout error", 1),
    ("kiosk mode tablet", 1),
]


@dataclass
class DemoSummary:
    sessions: int = 0
    escalations: int = 0
    resolved: int = 0
    searches: int = 0
    votes: int = 0
    flags: int = 0
    outages: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def has_history(session: Session) -> bool:
    return (session.scalar(select(func.count(TreeSession.id))) or 0) > 0


def _people(session: Session, rng: random.Random) -> tuple[list[Any], list[Any]]:
    techs, requesters = [], []
    for i in range(1, 4):
        email = f"demo-tech{i}@example.org"
        techs.append(
            find_user(session, email)
            or create_user(
                session, email, secrets.token_urlsafe(16), Role.TECHNICIAN.value, f"Tech {i}"
            )
        )
    for name in NAMES[:6]:
        email = name.lower().replace(" ", ".") + "@example.org"
        requesters.append(
            find_user(session, email)
            or create_user(session, email, secrets.token_urlsafe(16), Role.REQUESTER.value, name)
        )
    session.flush()
    return techs, requesters


def _walk(
    session,
    kb,
    tree: Tree,
    user,
    mode: str,
    start: datetime,
    rng: random.Random,
    give_up_after: int | None = None,
):
    """One session: answer until an end, with some people giving up or saying it didn't help
    (always after ``give_up_after`` steps, when given)."""
    ds = engine.start_session(session, tree, user, mode=mode, now=start)
    graph = revision_graph(ds.revision)
    now = start
    asked = False
    for step in range(40):
        if ds.finished and ds.status == "resolved" and not asked:
            asked = True  # "Did this fix it?": most say yes, some say no, some never answer
            now += timedelta(seconds=rng.randint(20, 300))
            roll = rng.random()
            if roll < 0.7:
                engine.confirm_fixed(session, ds, now=now)
            elif roll < 0.8:
                engine.not_fixed(session, ds, now=now)
        if ds.finished:
            break
        if give_up_after is not None and step >= give_up_after:
            engine.didnt_help(session, ds, now=now)
            break
        now += timedelta(seconds=rng.randint(15, 150))
        roll = rng.random()
        if roll < 0.035:
            engine.abandon(session, ds, now=now)
            break
        if roll < 0.06:
            engine.didnt_help(session, ds, now=now)
            break
        node = graph.nodes[ds.current_node]
        exits = list(graph.out_edges(ds.current_node, data=True))
        if node["kind"] == "input":
            choices = node.get("choices") or []
            value = (
                rng.choice(choices)
                if choices
                else (
                    str(node.get("min", 1))
                    if node.get("input_type") == "number"
                    else rng.choice(["PRN-B2-FL3", "LAPTOP-0193", "Error 809", "S:\\Finance"])
                )
            )
            if node.get("max_length"):
                value = value[: int(node["max_length"])]
            engine.answer(session, ds, user=user, value=value, now=now)
            continue
        if not exits:
            break
        weights = [3.0 if i == 0 else 1.0 for i in range(len(exits))]
        _, _target, edge = rng.choices(exits, weights=weights)[0]
        if node["kind"] == "check":
            by_outcome = {o: a for a, o in CHECK_ANSWERS.items()}
            engine.answer(session, ds, user=user, answer=by_outcome[edge["outcome"]], now=now)
        else:
            engine.answer(session, ds, user=user, answer=edge["answer"], now=now)
    if not ds.finished and rng.random() < 0.5:
        ds.updated_at = now  # walked away mid-way: left active, counted abandoned after a day
    return ds, now


def generate(
    kb: Any,
    weeks: int = 6,
    seed: int = 7,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    summary = DemoSummary()
    start_day = (now - timedelta(weeks=weeks)).replace(hour=0, minute=0, second=0)
    with kb.session() as session:
        techs, requesters = _people(session, rng)
        trees = {
            t.id: t
            for t in session.scalars(select(Tree).where(Tree.published_revision_id.is_not(None)))
        }
        slugs = list(
            session.scalars(select(Article.slug).where(Article.published_revision_id.is_not(None)))
        )
        session.commit()
        days = (now - start_day).days + 1
        for offset in range(days):
            day = start_day + timedelta(days=offset)
            weekday = day.weekday() < 5
            for tree_id, weight in POPULARITY.items():
                tree = trees.get(tree_id)
                if tree is None:
                    continue
                mean = weight * (1.0 if weekday else 0.2)
                for _ in range(_poisson(rng, mean)):
                    when = day + timedelta(hours=rng.uniform(7.5, 17.5))
                    if when >= now:
                        continue
                    technician_tree = tree.audience == "technician"
                    mode = "technician" if technician_tree or rng.random() < 0.3 else "self_service"
                    user = (
                        rng.choice(techs)
                        if mode == "technician"
                        else (rng.choice(requesters) if rng.random() < 0.4 else None)
                    )
                    ds, ended = _walk(session, kb, tree, user, mode, when, rng)
                    summary.sessions += 1
                    if ds.status == "escalated" and rng.random() < 0.8:
                        _escalate(session, kb, ds, ended, now, rng, techs, slugs, summary)
            session.commit()
            if progress:
                progress(1)
        # A VPN problem building up over the last day, for the recurring-incident report.
        vpn = trees.get("vpn-cannot-connect")
        if vpn is not None:
            for _ in range(18):
                when = now - timedelta(hours=rng.uniform(0.5, 20))
                ds, ended = _walk(
                    session,
                    kb,
                    vpn,
                    None,
                    "self_service",
                    when,
                    rng,
                    give_up_after=rng.randint(2, 4),
                )
                summary.sessions += 1
                if ds.status == "escalated":
                    _escalate(session, kb, ds, ended, now, rng, techs, slugs, summary)
            session.commit()
        _ratings(session, rng, slugs, start_day, now, summary)
        _searches(session, kb, rng, start_day, now, summary)
        _outage(session, kb, now, summary)
        # Delivery of demo history already "happened": nothing is left for the worker.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(status="done", delivered_at=now)
        )
        session.commit()
    return summary


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _escalate(session, kb, ds, ended, now, rng, techs, slugs, summary) -> None:
    fields = escalation_fields(
        session_snapshot(ds, kb.config.get("SUPPORT_GROUPS") or {}),
        kb.config["DEFAULT_ESCALATION_GROUP"],
    )
    name = rng.choice(NAMES)
    fields.update(
        requester_name=name,
        requester_email=name.lower().replace(" ", ".") + "@example.org",
        requester_location=rng.choice(LOCATIONS),
        impact=fields["impact"] or rng.choice(["low", "medium", "medium", "high"]),
        urgency=fields["urgency"] or rng.choice(["low", "medium", "high"]),
        answers_to_ask={q: "given on the phone" for q in fields["answers_to_ask"]},
    )
    escalation = create_escalation(session, kb, EscalationRequest(**fields), now=ended)
    summary.escalations += 1
    if escalation.outage_id is not None:
        return
    ticket = create_local_ticket(session, escalation.id, f"ticket:{escalation.public_id}")
    ticket.created_at = ended
    escalation.ticket_system, escalation.ticket_ref = "local", str(ticket.id)
    escalation.status = "ticketed"
    target = escalation.response_due - escalation.created_at
    responded = ended + target * rng.uniform(0.1, 1.5)
    if responded < now:
        tech = rng.choice(techs)
        ticket.assignee_id = tech.id
        ticket.status = "in_progress"
        escalation.first_response_at = responded
        escalation.status = "in_progress"
        session.add(
            TicketNote(
                ticket=ticket,
                author_id=tech.id,
                author_name=tech.email,
                kind="assign",
                body=f"Assigned to {tech.email}",
                at=responded,
            )
        )
    budget = escalation.resolve_due - escalation.created_at
    resolved = ended + budget * rng.uniform(0.05, 1.3)
    if resolved < now and escalation.first_response_at is not None:
        viewed = list(escalation.articles_viewed or [])
        articles = viewed[:1] if viewed and rng.random() < 0.75 else []
        if not articles and rng.random() < 0.5 and slugs:
            articles = [rng.choice(slugs)]
        resolve_escalation(
            session,
            kb,
            escalation,
            ResolutionInput(
                resolver=rng.choice(techs).email,
                text=rng.choice(RESOLUTIONS.get(escalation.tree_id or "", ["Fixed on the phone."])),
                articles=articles,
                ticket_system="local",
                ticket_ref=str(ticket.id),
                resolved_at=resolved,
                create_draft=rng.random() < 0.1,
            ),
        )
        ticket.status = "resolved"
        summary.resolved += 1


def _ratings(session, rng, slugs, start, now, summary) -> None:
    articles = {a.slug: a for a in session.scalars(select(Article).where(Article.slug.in_(slugs)))}
    helpfulness = {slug: rng.uniform(0.35, 0.95) for slug in slugs}
    span = (now - start).total_seconds()
    for slug, article in articles.items():
        article.view_count += rng.randint(20, 400)
        for _ in range(rng.randint(0, 12)):
            session.add(
                ArticleFeedback(
                    article_id=article.id,
                    helpful=rng.random() < helpfulness[slug],
                    at=start + timedelta(seconds=rng.uniform(0, span)),
                )
            )
            summary.votes += 1
        if helpfulness[slug] < 0.5 and rng.random() < 0.6:
            session.add(
                ArticleFlag(
                    article_id=article.id,
                    reason=rng.choice(["outdated", "wrong", "unclear"]),
                    comment="The steps did not match what I saw.",
                    at=now - timedelta(days=rng.uniform(0, 10)),
                )
            )
            summary.flags += 1
    session.commit()


def _outage(session, kb, now, summary) -> None:
    if outages.open_for_service(session, "email") is not None:
        return
    started = (now - timedelta(days=12)).replace(hour=9, minute=40)
    outage = outages.declare(
        session,
        kb,
        actor="demo-tech1@example.org",
        service="email",
        title="E-mail delayed for everyone",
        user_message="Messages arrive late. No need to report it.",
        started_at=started,
    )
    outages.post_update(
        session,
        kb,
        outage,
        actor="demo-tech1@example.org",
        text="Microsoft reports a service incident; we are monitoring.",
    )
    outages.close(
        session,
        kb,
        outage,
        actor="demo-tech1@example.org",
        cause="Mail flow delay in Exchange Online (vendor incident).",
        restored_at=started + timedelta(hours=2, minutes=35),
    )
    summary.outages += 1
    session.commit()


# What people type: mostly problems the bundled content covers, some it does not (the gaps).
SEARCHES_COVERED = [
    "outlook keeps asking for password",
    "outlook keeps asking pw",
    "vpn error 809",
    "vpn not connecting",
    "printer offline",
    "printer not printing",
    "forgot password",
    "account locked",
    "wifi not working",
    "wifi keeps dropping",
    "new phone authenticator",
    "mfa new phone",
    "mailbox full",
    "teams no sound",
    "camera not working teams",
    "second monitor not detected",
    "docking station",
    "computer slow",
    "laptop wont start",
    "bitlocker recovery key",
    "shared drive access denied",
    "onedrive not syncing",
    "restore deleted file",
    "install software",
    "phishing email",
    "guest wifi",
    "email on iphone",
    "certificate warning",
    "page wont load",
    "change password",
]
SEARCHES_GAPS = [
    "expense claim portal",
    "parking permit",
    "visio licence",
    "order new headset",
    "book a desk",
    "payslip login",
    "adobe acrobat pro",
    "conference room booking",
    "usb stick blocked",
    "screen recording software",
]
TYPOS = {"password": "pasword", "outlook": "outlok", "printer": "priner", "wifi": "wfii"}


def _searches(session, kb, rng, start, now, summary) -> None:
    """A search log shaped like a real one: covered problems are usually opened, gaps are
    searched again and again and find nothing. Result counts come from the real index."""

    if not service.available(kb):
        return
    service.sync(kb, session)
    found: dict[str, tuple[int, list[tuple[str, str]]]] = {}

    def run(text: str) -> tuple[int, list[tuple[str, str]]]:
        if text not in found:
            outcome = service.search(kb, session, None, text, record=False)
            hits = [(h.kind, h.slug) for h in outcome.results.hits]
            found[text] = (outcome.results.total, hits)
        return found[text]

    day = start
    while day < now:
        weekday = day.weekday() < 5
        for _ in range(_poisson(rng, 40 if weekday else 6)):
            at = day + timedelta(hours=rng.uniform(7, 18))
            if at >= now:
                continue
            if rng.random() < 0.12:
                text = rng.choice(SEARCHES_GAPS)
            else:
                text = rng.choice(SEARCHES_COVERED)
                if rng.random() < 0.1:
                    for word, typo in TYPOS.items():
                        text = text.replace(word, typo)
            total, hits = run(text)
            entry = SearchLog(
                at=at, query=text, normalized=parse(text).normalized(), results=total, source="web"
            )
            if hits and rng.random() < 0.72:
                rank = min(len(hits), 1 + int(rng.expovariate(1.6)))
                entry.clicked_kind, entry.clicked_key = hits[rank - 1]
                entry.clicked_rank = rank
                entry.clicked_at = at + timedelta(seconds=rng.randint(3, 40))
            session.add(entry)
            summary.searches += 1
        day += timedelta(days=1)
    session.commit()


def counts(session: Session) -> dict[str, int]:
    return {
        "sessions": session.scalar(select(func.count(TreeSession.id))) or 0,
        "escalations": session.scalar(select(func.count(Escalation.id))) or 0,
        "tickets": session.scalar(select(func.count(Ticket.id))) or 0,
    }
