"""SQLAlchemy models, one module per area; import them from here."""

from kb.models.articles import Article, ArticleRevision, ArticleStatus, ArticleTag, Audience
from kb.models.base import Base, utcnow
from kb.models.changes import Change
from kb.models.trees import (
    DiagnosticSession,
    SessionMode,
    SessionStatus,
    SessionStep,
    Tree,
    TreeEvent,
    TreeRevision,
    TreeStatus,
)
from kb.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "Article",
    "ArticleRevision",
    "ArticleStatus",
    "ArticleTag",
    "Audience",
    "Base",
    "Change",
    "DiagnosticSession",
    "Role",
    "SessionMode",
    "SessionStatus",
    "SessionStep",
    "Tree",
    "TreeEvent",
    "TreeRevision",
    "TreeStatus",
    "User",
    "utcnow",
]
