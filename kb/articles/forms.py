"""Editor forms (Flask-WTF for CSRF and field rendering; kb's own validation decides)."""

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
from wtforms.validators import Length, Optional

from kb.articles.document import ArticleDoc
from kb.models import ArticleRevision, FlagReason


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=300)])
    slug = StringField(
        "Address (slug)",
        validators=[Length(max=120)],
        description="Lowercase words and dashes; leave empty to derive from title.",
    )
    summary = TextAreaField(
        "Summary",
        validators=[Length(max=1000)],
        description="One or two sentences shown in search results.",
    )
    tags = StringField("Tags", description="Comma-separated, include words people type.")
    category = StringField("Category", validators=[Length(max=100)])
    service = StringField("Service", validators=[Length(max=100)])
    audience = SelectField(
        "Audience",
        choices=[
            SelectChoice("public", "Public: everyone"),
            SelectChoice("internal", "Internal: technicians and above"),
        ],
    )
    owner = StringField(
        "Owner",
        validators=[Length(max=254)],
        description="Person or team e-mail responsible for keeping it right.",
    )
    review_by = DateField("Review by", validators=[Optional()])
    body = TextAreaField("Body (Markdown)")
    message = StringField("What changed", validators=[Length(max=500)])
    base_revision_id = HiddenField()

    def fields_dict(self) -> dict[str, Any]:
        return {
            "title": self.title.data,
            "slug": self.slug.data,
            "summary": self.summary.data,
            "tags": self.tags.data or "",
            "category": self.category.data,
            "service": self.service.data,
            "audience": self.audience.data,
            "owner": self.owner.data,
            "review_by": self.review_by.data,
            "body": self.body.data,
        }

    def base_revision(self) -> int | None:
        try:
            return int(self.base_revision_id.data) if self.base_revision_id.data else None
        except ValueError:
            return None

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
        for name, message in fields.items():
            field = getattr(self, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*list(field.errors or []), message]


class FlagForm(FlaskForm):
    reason = RadioField(
        "What is wrong?",
        choices=[
            SelectChoice(FlagReason.OUTDATED.value, "Outdated: the steps no longer match"),
            SelectChoice(FlagReason.WRONG.value, "Wrong: it does not fix the problem"),
            SelectChoice(FlagReason.UNCLEAR.value, "Unclear: hard to follow"),
        ],
    )
    comment = TextAreaField("Details (optional)", validators=[Length(max=2000)])
