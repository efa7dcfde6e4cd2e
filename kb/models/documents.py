"""What every reviewed, revisioned document shares (articles and decision trees), written once.

A document row points at its head (latest) and live (published) revision; each revision is one
saved state with who, when and why; each event is one workflow step. The mixins declare the
columns both kinds have, named and typed as the tables already are (the schema is the
migrations'), and the subclass adds its own key column, listing copy and relationships to it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from kb.models.base import UTCDateTime, utcnow


class DocumentStatus(StrEnum):
    """KCS lifecycle: work in progress -> not validated -> validated -> archived."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ReviewedDocument:
    """The document row: status, head and live revision, and when it was created and changed.

    A subclass sets ``document_kind`` ("article", "tree": also the policy's action prefix and
    the name of the revision's relationship back to it), ``revision_class`` and ``label``."""

    document_kind: ClassVar[str]
    revision_class: ClassVar[str]
    revision_table: ClassVar[str]

    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.DRAFT.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def head_revision_id(cls) -> Mapped[int | None]:
        return _revision_pointer(cls, "head")

    @declared_attr
    def published_revision_id(cls) -> Mapped[int | None]:
        return _revision_pointer(cls, "published")

    @declared_attr
    def head_revision(cls) -> Mapped[Any]:
        return relationship(
            cls.revision_class, foreign_keys=f"{cls.__name__}.head_revision_id", post_update=True
        )

    @declared_attr
    def published_revision(cls) -> Mapped[Any]:
        return relationship(
            cls.revision_class,
            foreign_keys=f"{cls.__name__}.published_revision_id",
            post_update=True,
        )

    @declared_attr
    def revisions(cls) -> Mapped[list[Any]]:
        return relationship(
            cls.revision_class,
            back_populates=cls.document_kind,
            foreign_keys=f"{cls.revision_class}.{cls.document_kind}_id",
            order_by=f"{cls.revision_class}.number",
        )

    @property
    def label(self) -> str:
        """How people and messages name it: an article's slug, a tree's id."""
        raise NotImplementedError

    @property
    def is_live(self) -> bool:
        """Readers can see it: a revision is published and the document is not archived."""
        return self.published_revision_id is not None and self.status != DocumentStatus.ARCHIVED

    @property
    def visible_revision(self) -> Any:
        """The live revision if there is one, else the head."""
        return self.published_revision or self.head_revision


def _revision_pointer(cls: Any, which: str) -> Mapped[int | None]:
    """The document's pointer to its ``which`` ("head", "published") revision: a foreign key
    created after both tables (they point at each other), named as the migrations name it."""
    return mapped_column(
        ForeignKey(
            f"{cls.revision_table}.id",
            use_alter=True,
            name=f"fk_{cls.__tablename__}_{which}_revision",
        ),
        nullable=True,
    )


class DocumentRevision:
    """One saved state of a document: its number, the revision it was based on, who, when
    and why. The subclass adds the content and the key column ``<kind>_id``."""

    document_kind: ClassVar[str]

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    base_revision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)

    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    author_name: Mapped[str] = mapped_column(String(254), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def author(cls) -> Mapped[Any]:
        return relationship("User")

    @property
    def document(self) -> Any:
        return getattr(self, self.document_kind)

    @property
    def document_id(self) -> Any:
        return getattr(self, f"{self.document_kind}_id")


class DocumentEvent:
    """One workflow step: who did what, when, from which status to which, and why. Steps that
    are not status changes (a comment, a logged resolution) have equal or empty statuses."""

    document_kind: ClassVar[str]
    revision_class: ClassVar[str]
    revision_table: ClassVar[str]

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20), default="")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_name: Mapped[str] = mapped_column(String(254), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def revision_id(cls) -> Mapped[int | None]:
        return mapped_column(
            ForeignKey(f"{cls.revision_table}.id", ondelete="SET NULL"), nullable=True
        )

    @declared_attr
    def revision(cls) -> Mapped[Any]:
        return relationship(cls.revision_class)
