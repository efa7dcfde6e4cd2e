"""The input of each article action, one class each, read by the editor pages and by their
JSON twins alike (kb.schemas). The bounds are the ones kb.articles.document checks on import,
so an article that saves here also imports and exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from kb.articles.document import AUDIENCES, SLUG, TAG
from kb.articles.feedback import MAX_COMMENT
from kb.config import service_catalogue
from kb.limits import setting
from kb.models import FlagReason
from kb.schemas import (
    DateTimeText,
    Day,
    Id,
    Markdown,
    OptionalId,
    Record,
    Schema,
    documented,
    text,
)

Audience = Literal["public", "internal"]
Reason = Literal["outdated", "wrong", "unclear"]
assert set(Audience.__args__) == set(AUDIENCES)  # type: ignore[attr-defined]
assert set(Reason.__args__) == {r.value for r in FlagReason}  # type: ignore[attr-defined]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Filter = Annotated[str | None, Field(max_length=100)]


def _tag_list(value: Any) -> Any:
    """Tags as the form types them ("vpn, remote") or as a JSON list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    return value


def _tags_bounded(tags: list[str]) -> list[str]:
    limit = setting("TAGS_MAX")
    if len(tags) > limit:
        raise ValueError(f"at most {limit} tags")
    for tag in tags:
        if tag.strip() and not TAG.match(tag.strip().lower()):
            raise ValueError(f"{tag!r} is not a usable tag")
    return tags


def _slug(value: str) -> str:
    if value.strip() and not SLUG.match(value.strip()):
        raise ValueError("use lowercase letters, digits and single dashes (like vpn-error-809)")
    return value


def _in_catalogue(value: str) -> str:
    services = service_catalogue()
    if value.strip() and value.strip() not in services:
        raise ValueError("must be one of " + ", ".join(services) + ", or empty")
    return value


def _catalogue_documented(schema: dict[str, Any]) -> None:
    """The running app's catalogue (the document is built per request)."""
    schema["enum"] = ["", *service_catalogue()]


def _title(value: str) -> str:
    if not value.strip():
        raise ValueError("is required")
    return value


class ArticleFields(Schema):
    """What the editor shows: the front matter fields, the body and the save message."""

    title: Annotated[
        str,
        Field(
            max_length=300,
            **documented(
                minLength=3, pattern=r"^[A-Za-z0-9][A-Za-z0-9 .,:;!?'()/-]*[A-Za-z0-9.!?)]$"
            ),
        ),
        AfterValidator(_title),
    ]
    slug: Annotated[
        str,
        Field(
            max_length=120,
            description="made from the title when left empty",
            **documented(pattern=SLUG_PATTERN),
        ),
        AfterValidator(_slug),
    ] = ""
    summary: text(1000) = ""
    tags: Annotated[
        list[str],
        BeforeValidator(_tag_list),
        AfterValidator(_tags_bounded),
        Field(
            description='a list, or text separated by commas ("vpn, remote")',
            **documented(
                maxItems=10, items={"type": "string", "pattern": r"^[a-z0-9][a-z0-9 .+#/-]{0,58}$"}
            ),
        ),
    ] = []
    category: text(100) = ""
    service: Annotated[
        str,
        Field(max_length=100, json_schema_extra=_catalogue_documented),
        AfterValidator(_in_catalogue),
    ] = ""
    audience: Audience = "public"
    owner: text(254) = ""
    review_by: Day = None
    body: Annotated[
        Markdown,
        Field(
            description="Markdown",
            **documented(maxLength=5000, pattern=r"^[A-Za-z0-9 .,:;!?'\n]*$"),
        ),
    ] = ""
    message: text(500) = ""

    def document_fields(self) -> dict[str, Any]:
        """The fields kb.articles.workflow.doc_from_fields reads."""
        return self.model_dump(exclude={"message", "submit", "base_revision_id"})


def _slug_documented(schema: dict[str, Any]) -> None:
    """The document asks for a slug: not every title makes one (kb derives it when left out)."""
    schema["required"] = [*schema.get("required", []), "slug"]


class ArticleCreate(ArticleFields):
    """A new article; ``submit`` sends it to review at once."""

    model_config = {"json_schema_extra": _slug_documented}
    submit: bool = False


class ArticleEdit(ArticleFields):
    """A new revision of an article, refused (409) unless ``base_revision_id`` is its head."""

    base_revision_id: Annotated[Id, Field(description="the revision you edited")]
    submit: bool = False


class Transition(Schema):
    """A workflow step (submit, approve, request changes, publish, archive, unarchive)."""

    comment: text(2000) = ""


class Restore(Schema):
    """Restore an old revision as a new one (optionally checked against the head)."""

    base_revision_id: OptionalId = None


class Feedback(Schema):
    """Was this helpful? (the page's yes / no buttons are true / false)"""

    helpful: bool
    comment: text(MAX_COMMENT) = ""


class Flag(Schema):
    """Flag an article as outdated, wrong or unclear."""

    reason: Reason
    comment: text(MAX_COMMENT) = ""


class Preview(Schema):
    """Markdown to render as the article page would (limits checked by the view)."""

    markdown: Annotated[str, Field(**documented(maxLength=20_000))]


class ArticleListQuery(Schema):
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    per_page: Annotated[int | None, Field(ge=1, le=200, description="default ITEMS_PER_PAGE")] = (
        None
    )
    category: Filter = None
    service: Filter = None
    tag: Filter = None


class ArticleQuery(Schema):
    draft: Annotated[str | None, Field(max_length=5, description="any value: the head draft")] = (
        None
    )


class DiffQuery(Schema):
    """Two revision numbers (default: the head and the one before it)."""

    from_: Annotated[int | None, Field(alias="from", ge=1, le=10_000)] = None
    to: Annotated[int | None, Field(ge=1, le=10_000)] = None


# --- what the JSON twins answer -------------------------------------------------------------


class ArticleSummary(Record):
    """An article in a list."""

    slug: str
    title: str
    summary: str
    category: str
    service: str
    audience: Audience
    tags: list[str]
    status: str
    updated_at: DateTimeText
    url: str


class ArticleDetail(ArticleSummary):
    """The revision shown; ``head_revision_id`` (the base for an edit) only for people who
    may edit the head."""

    owner: str
    review_by: Annotated[str | None, Field(description="a date like 2027-05-31")]
    revision: int
    revision_id: int
    live: bool
    markdown: str
    html: str
    head_revision_id: int | None = None


class ArticleList(Record):
    items: list[ArticleSummary]
    total: int
    page: int
    per_page: int


class HistoryEntry(Record):
    """One revision of an article."""

    number: int
    id: int
    author: str
    message: str
    created_at: DateTimeText
    content_hash: str
