"""Every hook kb calls, and the markers plugins use. Grammar: collectors
``kb_register_*``/``kb_markdown_extensions``/``kb_check_config`` return lists, events
(``kb_<noun>_<past participle>``) return nothing, providers (``kb_<verb>_<noun>``) are
firstresult and return an object or None ("not mine").

Every hook receives ``kb``: the per-app :class:`kb.extensions.KbState` (configuration, database
sessions, plugin manager), so a plugin never needs a global app. Events marked ``@reliable``
are delivered at least once through the outbox (:mod:`kb.outbox`); this file is the one place
that says which they are and what record each carries. It imports nothing but pluggy and
:mod:`kb.records`, so ``from kb import hookimpl`` does not load the app.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pluggy

from kb.records import (
    ApprovalSnapshot,
    EscalationSnapshot,
    FollowUpSnapshot,
    OutageSnapshot,
    ResolutionSnapshot,
    SubscriptionSnapshot,
)

hookspec = pluggy.HookspecMarker("kb")
hookimpl = pluggy.HookimplMarker("kb")

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class ReliableEvent:
    """An event hook delivered through the outbox: ``argument`` names its record parameter,
    rebuilt as ``record`` from the JSON stored with each delivery."""

    hook: str
    argument: str
    record: type


RELIABLE: dict[str, ReliableEvent] = {}


def reliable(record: type) -> Callable[[F], F]:
    """Mark an event hook spec ``(kb, <argument>, delivery_key)`` as reliable, its
    ``<argument>`` being a ``record``."""

    def mark(spec: F) -> F:
        names = [n for n in inspect.signature(spec).parameters if n not in ("kb", "delivery_key")]
        if len(names) != 1:
            raise TypeError(f"{spec.__name__}: a reliable event carries exactly one record")
        RELIABLE[spec.__name__] = ReliableEvent(spec.__name__, names[0], record)
        return spec

    return mark


@hookspec
def kb_markdown_extensions(kb):
    """Collect extra Python-Markdown extensions for article rendering.

    Called once per render (a fresh ``markdown.Markdown`` is built for each document).
    Return a list of extension instances or importable extension names, or None.
    The output is still sanitised afterwards, so an extension cannot inject scripts.
    """


@hookspec
def kb_article_changed(kb, article):
    """An article was created, edited, imported, restored, submitted, archived or unarchived.

    Fires after the database transaction committed. ``article`` is a
    :class:`kb.articles.snapshot.ArticleSnapshot` of the article's visible state (the live
    revision if one is published, else the head revision). Return value ignored; an exception
    is logged with the plugin's name and never reaches the person saving.
    """


@hookspec
def kb_article_published(kb, article):
    """A revision of an article became the live, published one (approval or import).

    Fires after commit, after ``kb_article_changed`` for the same change. ``article`` is an
    :class:`kb.articles.snapshot.ArticleSnapshot`. Return value ignored; failures are logged.
    """


@hookspec
def kb_tree_changed(kb, tree):
    """A decision tree was created, edited, imported, published, archived or unarchived.

    Fires after commit. ``tree`` is a :class:`kb.trees.snapshot.TreeSnapshot` of the
    tree as people will see it (its live revision when one is published). Return value
    ignored; failures are logged with the plugin's name.
    """


# --- escalation and tickets -------------------------------------------------------------------
# The events marked @reliable are delivered through the outbox: kb writes one outbox row per
# implementing plugin in the same transaction as the change, and the dispatcher calls each
# plugin until it succeeds (with backoff). An implementation may therefore run more than once
# for the same event: use ``delivery_key`` (stable across retries) to make it idempotent. Raise
# to have it retried.


@hookspec(firstresult=True)
def kb_create_ticket(kb, escalation, idempotency_key):
    """Create the ticket for an escalation in a ticketing system.

    Called by the outbox dispatcher (never inside a web request), possibly several times for
    the same escalation if an earlier attempt failed: ``idempotency_key`` is the same each time,
    so return the ticket made before rather than a second one. ``escalation`` is a
    :class:`kb.records.EscalationSnapshot`. Return a
    :class:`kb.records.TicketRef`, or None if this plugin does not handle it (the
    next plugin is asked; kb's own queue, ``local_tickets``, answers last). Raise to fail this
    attempt: it is retried with exponential backoff. Stops at the first non-None result.
    """


@hookspec
@reliable(EscalationSnapshot)
def kb_escalation_created(kb, escalation, delivery_key):
    """An escalation was stored (a requester gave their details after a diagnostic failed).

    Reliable (through the outbox). ``escalation`` is an EscalationSnapshot with the transcript,
    group, priority and SLA due times. Use it to notify the requester and the support group.
    Return value ignored; raise to be retried.
    """


@hookspec
@reliable(ResolutionSnapshot)
def kb_ticket_resolved(kb, resolution, delivery_key):
    """A ticket was resolved, in kb's queue or an external system, and kb has already written
    the resolution into the linked articles (or a new draft article).

    Reliable (through the outbox). ``resolution`` is a
    :class:`kb.records.ResolutionSnapshot`. Return value ignored; raise to be
    retried.
    """


@hookspec
@reliable(FollowUpSnapshot)
def kb_followup_due(kb, followup, delivery_key):
    """A follow-up fell due (``kb followups run`` or the background worker found it).

    Reliable (through the outbox). ``followup`` is a
    :class:`kb.records.FollowUpSnapshot` with ``answer_url``, the link the
    requester uses to say "still fixed" or "not fixed". Return value ignored; raise to retry.
    """


@hookspec
@reliable(FollowUpSnapshot)
def kb_followup_answered(kb, followup, delivery_key):
    """The requester answered a follow-up (``followup.status`` is ``fixed`` or ``not_fixed``).

    Reliable (through the outbox). kb has already reopened its own ticket on "not fixed";
    plugins for external ticketing systems reopen theirs here. Return value ignored.
    """


@hookspec
@reliable(ApprovalSnapshot)
def kb_approval_requested(kb, approval, delivery_key):
    """A request needs someone's approval (its type names a manager or a data owner) before
    kb makes its ticket.

    Reliable (through the outbox). ``approval`` is a :class:`kb.records.ApprovalSnapshot`
    whose ``approve_url`` is the approver's single-use link, valid until ``expires_at``; a
    later call for the same request carries a new link that replaces this one. Send it to
    ``approval.approver_email`` (who need not have a kb account). Return value ignored; raise to
    be retried.
    """


@hookspec
@reliable(ApprovalSnapshot)
def kb_approval_decided(kb, approval, delivery_key):
    """The approver approved or declined a request (``approval.status``, with their
    ``comment``). An approved request's ticket is then made as for any escalation
    (``kb_create_ticket``, ``kb_escalation_created``); a declined one ends here.

    Reliable (through the outbox). Use it to tell the requester. Return value ignored; raise
    to be retried.
    """


@hookspec
def kb_register_blueprints(kb):
    """Collect Flask blueprints to add pages and API routes.

    Called once per app at start-up. Return a list of ``flask.Blueprint`` objects (or None).
    Blueprint names must be unique: a clash stops the app from starting, naming the plugin.
    Views must check permissions through ``kb.auth.policy`` like kb's own.
    """


@hookspec
def kb_register_jobs(kb):
    """Collect periodic jobs for the background worker (``kb worker``, started by ``kb serve``).

    Return a list of :class:`kb.records.Job` (name, interval in seconds, function taking ``kb``),
    or None. A job that raises is logged and run again at its next interval. Jobs may run in
    several worker processes at once on a multi-node site, so make them safe to overlap.
    """


@hookspec
@reliable(OutageSnapshot)
def kb_outage_changed(kb, outage, delivery_key):
    """An outage was declared, updated or closed (``outage.change`` says which).

    Reliable (through the outbox). ``outage`` is a :class:`kb.records.OutageSnapshot`
    with the latest update, cause and duration once closed, and ``subscribers`` (the e-mail
    addresses that asked for updates). Notification plugins tell them. Return value ignored;
    raise to be retried.
    """


@hookspec
@reliable(SubscriptionSnapshot)
def kb_outage_subscription_requested(kb, subscription, delivery_key):
    """Someone asked for e-mail about an outage for an address kb has not seen confirmed.

    Reliable (through the outbox). ``subscription`` is a
    :class:`kb.records.SubscriptionSnapshot` with ``email``, the outage's title and
    service, and ``confirm_url``: a signed link, valid until ``expires_at``, that the address's
    owner opens to start the updates. Until then the address is not among an outage's
    ``subscribers``. Mail plugins send the link; return value ignored; raise to be retried.
    """


# --- diagnostics ------------------------------------------------------------------------------


@hookspec
def kb_register_checks(kb):
    """Collect the automated checks that decision trees name in their ``check`` nodes.

    Called once per app, at start-up, so a broken or duplicate check stops the start rather
    than a technician's run. Return a list of check objects (see
    :class:`kb.trees.checks.Check`: ``name``, ``description``, ``params`` as a mapping of
    parameter name to
    :class:`kb.trees.checks.Param`, and ``run(params, timeout)`` returning a
    :class:`kb.trees.checks.CheckResult` with outcome pass, fail or error), or None.
    Two plugins registering the same name is an error at start-up; a site replaces a
    built-in check by disabling its plugin (DISABLED_PLUGINS) and registering its own.
    """


@hookspec
def kb_register_search_backends(kb):
    """Collect search engines: return a list of ``(name, factory)`` pairs, or None.

    ``factory(kb)`` builds the backend for one app (see
    :class:`kb.search.backend.SearchBackend`: batch writes with the change sequence number,
    rebuild, versions, search, title suggestions). The setting ``SEARCH_BACKEND`` picks one by
    name; the built-in Whoosh backend is registered as ``"whoosh"``. Two plugins registering
    the same name, or a SEARCH_BACKEND no plugin registers, stops the start-up.
    """


@hookspec
def kb_session_escalated(kb, session):
    """A diagnostic session ended escalated: it reached an escalation node, or the person
    said "This didn't help".

    Fires after commit. ``session`` is a :class:`kb.records.SessionSnapshot`:
    a plain copy of the session (token, tree id, revision, mode, transcript entries and text,
    variables, the escalation node with group, impact, urgency and what to ask, articles
    viewed, checks run, requester user id). Return value ignored; failures are logged with
    the plugin's name and never reach the person.
    """


# --- start-up ---------------------------------------------------------------------------------


@hookspec
def kb_check_config(kb, config):
    """Check this plugin's settings when the app starts.

    ``config`` is the app's configuration (the same mapping as ``kb.config``). Return a list
    of problems, one line each, naming the setting and what is wrong with it (for example
    ``"WEBHOOK_URLS is set but WEBHOOK_SECRET is not"``), or an empty list or None when all is
    well. kb asks every plugin, then refuses to start if any answered a problem, listing them
    all with the plugin's name; a plugin that raises here is reported the same way.
    """
