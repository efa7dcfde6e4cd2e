"""E-mail for escalations: composing the messages (plain text from templates in
``templates/email/``, with a simple HTML twin) and sending them over SMTP."""

from __future__ import annotations

import hashlib
import html
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from kb.config import base_url, site_zone
from kb.models import utcnow
from kb.outbox import PermanentFailure
from kb.records import (
    ApprovalSnapshot,
    EscalationSnapshot,
    FollowUpSnapshot,
    ResolutionSnapshot,
)
from kb.templating import when

_ENV = Environment(
    loader=PackageLoader("kb", "templates/email"),
    autoescape=False,  # plain text; the HTML twin is escaped by text_to_html
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
_ENV.filters["when"] = when
URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    key: str  # the delivery key: retries send the same Message-ID


def render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def text_to_html(text: str) -> str:
    """Paragraphs, line breaks and links: an HTML body that says exactly what the text says."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        '<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.4">\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


def _common(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "site_name": config.get("SITE_NAME") or "IT Help Desk",
        "base_url": base_url(config),
        "zone": site_zone(config),  # times in the site's zone, as on its pages
    }


def escalation_mails(
    escalation: EscalationSnapshot, key: str, config: dict[str, Any]
) -> list[Mail]:
    """A confirmation to the requester and the whole story to the support group."""
    mails = []
    context = {**_common(config), "escalation": escalation}
    if escalation.requester_email:
        mails.append(
            Mail(
                escalation.requester_email,
                f"We have your request: {escalation.summary}",
                render("escalation_requester.txt", **context),
                key,
            )
        )
    group_address = (config.get("SUPPORT_GROUP_EMAILS") or {}).get(escalation.group)
    if group_address:
        mails.append(
            Mail(
                group_address,
                f"[{escalation.priority}] {escalation.summary}",
                render("escalation_group.txt", **context),
                key,
            )
        )
    return mails


def resolved_mail(
    resolution: ResolutionSnapshot,
    *,
    requester_name: str,
    requester_email: str,
    summary: str,
    status_url: str,
    followup_url: str | None,
    key: str,
    config: dict[str, Any],
) -> list[Mail]:
    if not requester_email:
        return []
    text = render(
        "resolved.txt",
        **_common(config),
        resolution=resolution,
        requester_name=requester_name,
        summary=summary,
        status_url=status_url,
        followup_url=followup_url,
    )
    return [Mail(requester_email, f"Resolved: {summary}", text, key)]


def followup_mail(followup: FollowUpSnapshot, key: str, config: dict[str, Any]) -> list[Mail]:
    if not followup.requester_email:
        return []
    text = render("followup_due.txt", **_common(config), followup=followup)
    return [Mail(followup.requester_email, "Is it still fixed?", text, key)]


def outage_mails(
    outage: Any, unsubscribe_urls: dict[str, str], key: str, config: dict[str, Any]
) -> list[Mail]:
    """One message per subscriber still subscribed, each with its own unsubscribe link."""
    words = {"declared": "Outage", "updated": "Outage update", "closed": "Resolved"}
    subject = f"{words.get(outage.change, 'Outage')}: {outage.title}"
    return [
        Mail(
            address,
            subject,
            render(
                "outage_changed.txt",
                **_common(config),
                outage=outage,
                unsubscribe_url=unsubscribe_urls.get(address),
            ),
            key,
        )
        for address in outage.subscribers
        if address in unsubscribe_urls
    ]


def subscription_mail(subscription: Any, key: str, config: dict[str, Any]) -> list[Mail]:
    """The confirmation link for an outage subscription; nothing else goes to the address
    until it is used."""
    text = render("outage_confirm.txt", **_common(config), subscription=subscription)
    return [Mail(subscription.email, f"Confirm updates: {subscription.outage_title}", text, key)]


def approval_requested_mail(
    approval: ApprovalSnapshot, key: str, config: dict[str, Any]
) -> list[Mail]:
    """The approver's link; they need no account."""
    text = render("approval_requested.txt", **_common(config), approval=approval)
    subject = f"Please approve: {approval.request_title} for {approval.requester_name}"
    return [Mail(approval.approver_email, subject, text, key)]


def approval_decided_mail(
    approval: ApprovalSnapshot, key: str, config: dict[str, Any]
) -> list[Mail]:
    """The requester hears the decision (a decline with the approver's comment)."""
    if not approval.requester_email:
        return []
    text = render("approval_decided.txt", **_common(config), approval=approval)
    word = "Approved" if approval.status == "approved" else "Declined"
    return [Mail(approval.requester_email, f"{word}: {approval.summary}", text, key)]


def build_message(mail: Mail, config: dict[str, Any]) -> EmailMessage:
    sender = config["SMTP_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "kb.invalid"
    digest = hashlib.sha256(f"{mail.key}\n{mail.to}".encode()).hexdigest()[:32]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{digest}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(text_to_html(mail.text), subtype="html")
    return message


def send(config: dict[str, Any], mails: list[Mail]) -> int:
    """Send over one SMTP connection. A recipient the server refuses for good (5xx) is a
    PermanentFailure once the others are sent; anything else raises and is retried."""
    if not mails:
        return 0
    host = config["SMTP_HOST"]
    use_ssl = bool(config.get("SMTP_SSL"))
    port = int(
        config.get("SMTP_PORT") or (465 if use_ssl else 587 if config.get("SMTP_STARTTLS") else 25)
    )
    timeout = float(config.get("SMTP_TIMEOUT_SECONDS") or 10)
    refused: list[str] = []
    sent = 0
    context = ssl.create_default_context()
    if use_ssl:
        connection: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    with connection as smtp:
        if config.get("SMTP_STARTTLS") and not use_ssl:
            smtp.starttls(context=context)
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        for mail in mails:
            try:
                smtp.send_message(build_message(mail, config))
                sent += 1
            except smtplib.SMTPRecipientsRefused as error:
                codes = [code for code, _ in error.recipients.values()]
                if any(code < 500 for code in codes):
                    raise
                refused.append(f"{mail.to}: refused ({codes})")
    if refused:
        raise PermanentFailure("; ".join(refused))
    return sent
