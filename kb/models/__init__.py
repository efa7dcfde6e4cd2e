"""SQLAlchemy models, one module per area; import them from here."""

from kb.models.articles import (
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticleFlag,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    Audience,
    FlagReason,
)
from kb.models.base import Base, utcnow
from kb.models.changes import Change
from kb.models.users import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "Article",
    "ArticleEvent",
    "ArticleFeedback",
    "ArticleFlag",
    "ArticleRevision",
    "ArticleStatus",
    "ArticleTag",
    "Audience",
    "Base",
    "Change",
    "FlagReason",
    "Role",
    "User",
    "utcnow",
]
