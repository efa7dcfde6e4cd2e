"""The transactional outbox: work for the world outside kb is written in the same transaction
as the change it reports, then delivered by a dispatcher with retries and exponential backoff.

It knows no area of kb. Two kinds of message:
- ``event``: call one plugin's implementation of a reliable event hook (one row per plugin, so
  a plugin that fails is retried alone and the others are not called twice). Which events are
  reliable, and the record each carries, is declared once in :mod:`kb.hookspecs`.
- any other kind is delivered by the handler its owning area registered for the app
  (:func:`register_handler`; the escalation area registers ``ticket``).
Each message has an idempotency key that deliveries pass on, so a retry never makes two tickets.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pluggy
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from kb.errors import NotFound
from kb.hooks import call_alone, implementers
from kb.hookspecs import RELIABLE
from kb.models import OutboxMessage, utcnow
from kb.records import from_dict, to_dict

log = logging.getLogger(__name__)

EVENT = "event"

# A handler delivers one message of its kind: handler(kb, payload, key) -> result to store.
Handler = Callable[[Any, dict[str, Any], str], dict[str, Any] | None]


class PermanentFailure(Exception):
    """A delivery that can never succeed as it is (for example rejected as invalid):
    it goes straight to the dead letters for a person to look at."""


def register_handler(kb: Any, kind: str, handler: Handler) -> None:
    """Let the area that owns message ``kind`` deliver it, for this app."""
    if kind == EVENT:
        raise ValueError("event messages are delivered by the outbox itself")
    kb.outbox_handlers[kind] = handler


def enqueue(session: Session, kind: str, key: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage(kind=kind, key=key, payload=payload)
    session.add(message)
    return message


def enqueue_event(
    session: Session, pm: pluggy.PluginManager, hook: str, key: str, payload: dict[str, Any]
) -> int:
    """One message per plugin implementing ``hook``; returns how many were queued."""
    if hook not in RELIABLE:
        raise ValueError(f"{hook} is not a reliable event")
    count = 0
    for plugin_name in implementers(pm, hook):
        enqueue(
            session,
            EVENT,
            f"{key}:{plugin_name}",
            {"hook": hook, "plugin": plugin_name, "args": payload},
        )
        count += 1
    return count


def queue_reliable(session: Session, kb: Any, hook: str, key: str, record: Any) -> None:
    """Queue reliable event ``hook`` with ``record`` for every implementing plugin, in the
    caller's transaction."""
    expected = RELIABLE[hook].record if hook in RELIABLE else None
    if expected is not None and not isinstance(record, expected):
        raise TypeError(f"{hook} carries a {expected.__name__}, not {type(record).__name__}")
    enqueue_event(session, kb.pm, hook, key, to_dict(record))


@dataclass
class DispatchReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead


def backoff(attempts: int, base: float, cap: float) -> timedelta:
    """base * 2**(attempts-1), capped, with up to 10% jitter so retries do not stampede."""
    seconds = min(cap, base * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=seconds * (1 + random.random() * 0.1))


def due_messages(session: Session, now: datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == "delivering") & (OutboxMessage.claimed_until < now),
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(session: Session, message_id: int, now: datetime, hold: timedelta) -> bool:
    """Atomically take a message so two dispatchers never deliver it at once."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                OutboxMessage.status == "pending",
                (OutboxMessage.status == "delivering") & (OutboxMessage.claimed_until < now),
            ),
        )
        .values(status="delivering", claimed_until=now + hold)
    )
    session.commit()
    return result.rowcount == 1


def dispatch(kb: Any, now: Callable[[], datetime] = utcnow, limit: int = 100) -> DispatchReport:
    """Deliver every message that is due; safe to run in several processes at once."""
    config = kb.config
    report = DispatchReport()
    hold = timedelta(seconds=config["OUTBOX_CLAIM_SECONDS"])
    with kb.session() as session:
        ids = due_messages(session, now(), limit)
        for message_id in ids:
            if not claim(session, message_id, now(), hold):
                continue
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            try:
                result = deliver(kb, message.kind, message.key, message.payload)
            except Exception as error:  # the outside world failed: record and retry later
                session.rollback()
                message = session.get(OutboxMessage, message_id)
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                message.claimed_until = None
                permanent = isinstance(error, PermanentFailure)
                if permanent or message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
                    message.status = "dead"
                    report.dead += 1
                    log.error(
                        "outbox %s %s gave up after %d attempts: %s",
                        message.kind,
                        message.key,
                        message.attempts,
                        message.last_error,
                    )
                else:
                    message.status = "pending"
                    message.next_attempt_at = now() + backoff(
                        message.attempts,
                        config["OUTBOX_BACKOFF_SECONDS"],
                        config["OUTBOX_BACKOFF_MAX_SECONDS"],
                    )
                    report.retried += 1
                    log.warning(
                        "outbox %s %s failed (attempt %d): %s",
                        message.kind,
                        message.key,
                        message.attempts,
                        message.last_error,
                    )
                report.errors.append(f"{message.key}: {message.last_error}")
                session.commit()
                continue
            message.status = "done"
            message.attempts += 1
            message.delivered_at = now()
            message.claimed_until = None
            message.result = result or {}
            message.last_error = ""
            session.commit()
            report.delivered += 1
    return report


def deliver(kb: Any, kind: str, key: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    if kind == EVENT:
        return deliver_event(kb, payload, key)
    handler = kb.outbox_handlers.get(kind)
    if handler is None:
        raise PermanentFailure(f"unknown outbox message kind {kind!r}")
    return handler(kb, payload, key)


def deliver_event(kb: Any, payload: dict[str, Any], key: str) -> dict[str, Any]:
    """Call the one plugin this message is for, through pluggy, with the record rebuilt."""
    hook, plugin_name = payload["hook"], payload["plugin"]
    event = RELIABLE.get(hook)
    if event is None:
        raise PermanentFailure(f"{hook} is not a reliable event")
    if plugin_name not in implementers(kb.pm, hook):
        return {"skipped": f"plugin {plugin_name} is no longer registered"}
    record = from_dict(event.record, payload["args"])
    call_alone(kb.pm, hook, plugin_name, kb=kb, delivery_key=key, **{event.argument: record})
    return {"plugin": plugin_name}


def retry_dead(session: Session, message_id: int) -> OutboxMessage:
    """An admin sends a dead message round again."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("No such outbox message.")
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.last_error = ""
    return message


def status_counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (pending, done, dead)."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    return {status: count for status, count in session.execute(query).all()}


def troubled(session: Session, limit: int = 200) -> list[OutboxMessage]:
    """The messages a person should look at: dead letters, and pending ones that have failed."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_(("dead", "pending")), OutboxMessage.attempts > 0)
            .order_by(OutboxMessage.status, OutboxMessage.next_attempt_at)
            .limit(limit)
        )
    )
