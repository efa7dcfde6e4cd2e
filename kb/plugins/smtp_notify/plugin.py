"""E-mail notifications: the requester and the support group hear of a new escalation, an
approver of the request waiting for them (and the requester of their decision), the
requester of its resolution and of a follow-up that fell due, an outage's subscribers of its
news, and an address someone subscribed of the link that confirms it. On when SMTP_HOST is set.

Deliveries go through the outbox, so a mail server that is down delays mail but loses none;
a retry sends the same Message-ID (derived from ``delivery_key``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from kb import hookimpl
from kb.config import base_url
from kb.followups import OPEN, followup_snapshot
from kb.models import Escalation, FollowUp, OutageSubscription
from kb.plugins.smtp_notify import mail

log = logging.getLogger(__name__)


def configured(config) -> bool:
    if not config.get("SMTP_HOST"):
        return False
    if not config.get("BASE_URL"):
        log.warning("smtp_notify: BASE_URL is not set, so links in e-mails will not work")
    return True


@hookimpl
def kb_check_config(config):
    if not config.get("SMTP_FROM"):
        return ["SMTP_HOST is set but SMTP_FROM (the sender) is not"]
    return []


@hookimpl
def kb_escalation_created(kb, escalation, delivery_key):
    mail.send(kb.config, mail.escalation_mails(escalation, delivery_key, kb.config))


@hookimpl
def kb_ticket_resolved(kb, resolution, delivery_key):
    with kb.session() as session:
        escalation = session.get(Escalation, resolution.escalation_id)
        if escalation is None or not escalation.requester_email:
            return
        followup = session.scalars(
            select(FollowUp)
            .where(FollowUp.escalation_id == escalation.id, FollowUp.status.in_(OPEN))
            .order_by(FollowUp.due_at.desc())
        ).first()
        base = base_url(kb.config)
        mails = mail.resolved_mail(
            resolution,
            requester_name=escalation.requester_name,
            requester_email=escalation.requester_email,
            summary=escalation.summary,
            status_url=f"{base}/escalations/{escalation.public_id}",
            followup_url=followup_snapshot(followup, kb.config).answer_url if followup else None,
            key=delivery_key,
            config=kb.config,
        )
    mail.send(kb.config, mails)


@hookimpl
def kb_followup_due(kb, followup, delivery_key):
    mail.send(kb.config, mail.followup_mail(followup, delivery_key, kb.config))


@hookimpl
def kb_outage_changed(kb, outage, delivery_key):
    base = base_url(kb.config)
    with kb.session() as session:
        tokens = dict(
            session.execute(
                select(OutageSubscription.email, OutageSubscription.token).where(
                    OutageSubscription.outage_id == outage.id,
                    OutageSubscription.confirmed_at.is_not(None),
                )
            ).all()
        )
    unsubscribe = {email: f"{base}/outages/unsubscribe/{token}" for email, token in tokens.items()}
    mail.send(kb.config, mail.outage_mails(outage, unsubscribe, delivery_key, kb.config))


@hookimpl
def kb_outage_subscription_requested(kb, subscription, delivery_key):
    mail.send(kb.config, mail.subscription_mail(subscription, delivery_key, kb.config))


@hookimpl
def kb_approval_requested(kb, approval, delivery_key):
    mail.send(kb.config, mail.approval_requested_mail(approval, delivery_key, kb.config))


@hookimpl
def kb_approval_decided(kb, approval, delivery_key):
    mail.send(kb.config, mail.approval_decided_mail(approval, delivery_key, kb.config))
