"""Request fixtures: an app with BASE_URL (links in approval records) and a mail-sending stand-in
so the status page may say "we e-mailed", and helpers to fill a type's form."""

from __future__ import annotations

import re

import pytest

from kb import hookimpl
from kb.extensions import kb_state

SOFTWARE = {
    "answer-name": "Adobe Acrobat Pro",
    "answer-version": "2024",
    "answer-reason": "Editing council forms for the planning committee.",
    "approver_email": "manager@example.org",
    "requester_name": "Robin Diaz",
    "requester_email": "robin@example.org",
}
LINK = re.compile(r"/approvals/([A-Za-z0-9._-]+)")


class ApprovalMailbox:
    """Stands in for a mail plugin: keeps what kb asked to send."""

    KB_SENDS_MAIL = True

    def __init__(self) -> None:
        self.requested: list = []
        self.decided: list = []

    @hookimpl
    def kb_approval_requested(self, approval):
        self.requested.append(approval)

    @hookimpl
    def kb_approval_decided(self, approval):
        self.decided.append(approval)

    def link(self) -> str:
        """The newest approval link's token."""
        match = LINK.search(self.requested[-1].approve_url)
        assert match
        return match.group(1)


@pytest.fixture
def mailbox() -> ApprovalMailbox:
    return ApprovalMailbox()


@pytest.fixture
def app(make_app, mailbox):
    application = make_app(content="empty", BASE_URL="http://kb.test", plugins=[mailbox])
    yield application
    kb_state(application).engine.dispose()


@pytest.fixture
def kb(app):
    return kb_state(app)
