"""SQLAlchemy models, one module per area; import them from here."""

from kb.models.articles import (
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticleFlag,
    ArticleResolution,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    Audience,
    FlagReason,
)
from kb.models.base import Base, utcnow
from kb.models.changes import Change
from kb.models.escalation import (
    Escalation,
    FollowUp,
    OutboxMessage,
    RequestApproval,
    Ticket,
    TicketNote,
    WebhookReceipt,
)
from kb.models.outages import Outage, OutageSubscription, OutageUpdate
from kb.models.search import SearchLog
from kb.models.trees import (
    SessionMode,
    SessionOutcome,
    SessionStatus,
    SessionStep,
    StepFlagReason,
    Tree,
    TreeEvent,
    TreeRevision,
    TreeSession,
    TreeStatus,
    TreeStepFlag,
)
from kb.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "Article",
    "ArticleEvent",
    "ArticleFeedback",
    "ArticleFlag",
    "ArticleResolution",
    "ArticleRevision",
    "ArticleStatus",
    "ArticleTag",
    "Audience",
    "Base",
    "Change",
    "Escalation",
    "FlagReason",
    "FollowUp",
    "Outage",
    "OutageSubscription",
    "OutageUpdate",
    "OutboxMessage",
    "RequestApproval",
    "Role",
    "SearchLog",
    "SessionMode",
    "SessionOutcome",
    "SessionStatus",
    "SessionStep",
    "StepFlagReason",
    "Ticket",
    "TicketNote",
    "Tree",
    "TreeEvent",
    "TreeRevision",
    "TreeSession",
    "TreeStatus",
    "TreeStepFlag",
    "User",
    "WebhookReceipt",
    "utcnow",
]
