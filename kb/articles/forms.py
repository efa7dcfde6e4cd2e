"""Editor forms: Flask-WTF for CSRF and field rendering only. What is valid is decided by the
schema classes (kb.articles.schemas) the JSON twins read too; lengths and choices shown here
are read from them, so a form carries no second set of rules."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from kb.articles.document import ArticleDoc
from kb.articles.schemas import ArticleFields
from kb.articles.schemas import Flag as FlagSchema
from kb.models import ArticleRevision
from kb.schemas import choices, max_length

AUDIENCE_LABELS = {"public": "Public: everyone", "internal": "Internal: technicians and above"}
REASON_LABELS = {
    "outdated": "Outdated: the steps no longer match",
    "wrong": "Wrong: it does not fix the problem",
    "unclear": "Unclear: hard to follow",
}


def bounded(model: type, name: str) -> dict[str, Any]:
    """The ``render_kw`` of a text field: its maxlength from the schema."""
    limit = max_length(model, name)
    return {"maxlength": limit} if limit else {}


class ArticleForm(FlaskForm):
    title = StringField("Title", render_kw=bounded(ArticleFields, "title"))
    slug = StringField(
        "Address (slug)",
        render_kw=bounded(ArticleFields, "slug"),
        description="Lowercase words and dashes; leave empty to derive from title.",
    )
    summary = TextAreaField(
        "Summary",
        render_kw=bounded(ArticleFields, "summary"),
        description="One or two sentences shown in search results.",
    )
    tags = StringField("Tags", description="Comma-separated, include words people type.")
    category = StringField("Category", render_kw=bounded(ArticleFields, "category"))
    service = StringField("Service", render_kw=bounded(ArticleFields, "service"))
    audience = SelectField(
        "Audience",
        choices=[
            SelectChoice(value, AUDIENCE_LABELS[value])
            for value in choices(ArticleFields, "audience")
        ],
        validate_choice=False,
    )
    owner = StringField(
        "Owner",
        render_kw=bounded(ArticleFields, "owner"),
        description="Person or team e-mail responsible for keeping it right.",
    )
    review_by = DateField("Review by")
    body = TextAreaField("Body (Markdown)")
    message = StringField("What changed", render_kw=bounded(ArticleFields, "message"))
    base_revision_id = HiddenField()

    def fill_from(self, doc: ArticleDoc | ArticleRevision) -> None:
        for name in (
            "title",
            "slug",
            "summary",
            "category",
            "service",
            "audience",
            "owner",
            "review_by",
            "body",
        ):
            getattr(self, name).data = getattr(doc, name)
        self.tags.data = ", ".join(doc.tags or [])

    def show_errors(self, fields: dict[str, str]) -> None:
        """Put each field's message beside it (a field the page does not show, such as the
        hidden base revision, beside the title)."""
        for name, message in fields.items():
            field = getattr(self, name, None)
            if field is None or not hasattr(field, "errors") or name == "base_revision_id":
                field, message = self.title, f"{name}: {message}"
            field.errors = [*list(field.errors or []), message]


class FlagForm(FlaskForm):
    reason = RadioField(
        "What is wrong?",
        choices=[
            SelectChoice(value, REASON_LABELS[value]) for value in choices(FlagSchema, "reason")
        ],
        validate_choice=False,
    )
    comment = TextAreaField("Details (optional)", render_kw=bounded(FlagSchema, "comment"))
