"""The file form of an article: YAML front matter plus a Markdown body.

Parsing reports problems with the file's line numbers; writing is canonical (fixed key order,
flow-style tag lists, trailing newline), so an unchanged article exports byte for byte the same.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import frontmatter
import yaml

from kb.config import service_catalogue
from kb.limits import markdown_problem, setting

FIELDS = (
    "title",
    "slug",
    "summary",
    "tags",
    "category",
    "service",
    "audience",
    "status",
    "owner",
    "review_by",
)
AUDIENCES = ("public", "internal")
STATUSES = ("draft", "in_review", "published", "archived")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG = re.compile(r"^[\w][\w .+#/-]{0,58}$")


@dataclass
class Problem:
    """One thing wrong with a document: which field, which line, what to do."""

    message: str
    field: str | None = None
    line: int | None = None

    def where(self, path: str) -> str:
        return (
            f"{path}: line {self.line}: {self.message}" if self.line else f"{path}: {self.message}"
        )


class DocumentError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass
class ArticleDoc:
    title: str
    slug: str
    body: str
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    category: str = ""
    service: str = ""
    audience: str = "public"
    status: str = "draft"
    owner: str = ""
    review_by: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def front_matter(self, include_status: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in FIELDS:
            if name == "status" and not include_status:
                continue
            value = getattr(self, name)
            if value in (None, "", []) and name not in ("title", "slug"):
                continue
            data[name] = value
        data.update(self.extra)
        return data

    def to_text(self) -> str:
        """The canonical file text."""
        post = frontmatter.Post(self.body.strip(), **self.front_matter())
        return (
            frontmatter.dumps(post, sort_keys=False, default_flow_style=None, width=10_000) + "\n"
        )

    def content_hash(self) -> str:
        """Hash of what the article says, not its workflow status: same content, same hash."""
        post = frontmatter.Post(self.body.strip(), **self.front_matter(include_status=False))
        text = frontmatter.dumps(post, sort_keys=False, default_flow_style=None, width=10_000)
        return hashlib.sha256(text.encode()).hexdigest()


def parse_document(text: str, default_slug: str | None = None) -> ArticleDoc:
    """Parse a file's text; raise DocumentError listing every problem with its line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith("---"):
        raise DocumentError(
            [Problem("missing front matter: the file must start with '---'", line=1)]
        )
    try:
        metadata, body = frontmatter.parse(text)
    except yaml.MarkedYAMLError as error:
        mark = error.context_mark or error.problem_mark  # where the broken construct starts
        line = mark.line + 1 if mark else None  # the YAML text starts on the "---" line
        reason = error.problem or str(error)
        raise DocumentError(
            [Problem(f"front matter is not valid YAML: {reason}", line=line)]
        ) from None
    except yaml.YAMLError as error:
        raise DocumentError([Problem(f"front matter is not valid YAML: {error}", line=1)]) from None
    if not isinstance(metadata, dict) or not metadata:
        raise DocumentError([Problem("front matter must be a mapping of fields", line=2)])
    return validate_fields(metadata, body, _key_lines(text), default_slug)


def validate_fields(
    metadata: dict[str, Any],
    body: str,
    lines: dict[str, int] | None = None,
    default_slug: str | None = None,
) -> ArticleDoc:
    """Check and normalise front matter fields (used by import and by the editor)."""
    lines = lines or {}
    problems: list[Problem] = []

    def problem(name: str, message: str) -> None:
        problems.append(Problem(f"{name}: {message}", field=name, line=lines.get(name)))

    def text_field(name: str, required: bool = False, limit: int = 300) -> str:
        value = metadata.get(name)
        if value is None:
            if required:
                problem(name, "is required")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            problem(name, "must be text")
            return ""
        value = str(value).strip()
        if required and not value:
            problem(name, "is required")
        if len(value) > limit:
            problem(name, f"must be at most {limit} characters")
        return value

    title = text_field("title", required=True)
    slug = text_field("slug", limit=120) or (default_slug or "")
    if not slug:
        problem("slug", "is required")
    elif not SLUG.match(slug):
        problem("slug", "use lowercase letters, digits and single dashes (like vpn-error-809)")
    summary = text_field("summary", limit=1000)
    category = text_field("category", limit=100)
    service = text_field("service", limit=100)
    if service and service not in service_catalogue():
        problem("service", "must be one of " + ", ".join(service_catalogue()) + ", or empty")
    owner = text_field("owner", limit=254)

    audience = text_field("audience") or "public"
    if audience not in AUDIENCES:
        problem("audience", "must be public or internal")
    status = text_field("status") or "draft"
    if status not in STATUSES:
        problem("status", "must be one of " + ", ".join(STATUSES))

    tags = _tags(metadata.get("tags"), problem)
    body_problem = markdown_problem(body)
    if body_problem:
        problem("body", body_problem)

    review_by = metadata.get("review_by")
    if isinstance(review_by, str) and review_by.strip():
        try:
            review_by = date.fromisoformat(review_by.strip())
        except ValueError:
            problem("review_by", "must be a date like 2027-05-31")
            review_by = None
    elif review_by in ("", None):
        review_by = None
    elif not isinstance(review_by, date):
        problem("review_by", "must be a date like 2027-05-31")
        review_by = None

    extra = {key: value for key, value in metadata.items() if key not in FIELDS}
    if problems:
        raise DocumentError(problems)
    return ArticleDoc(
        title=title,
        slug=slug,
        body=body.strip(),
        summary=summary,
        tags=tags,
        category=category,
        service=service,
        audience=audience,
        status=status,
        owner=owner,
        review_by=review_by,
        extra=extra,
    )


def _tags(value: Any, problem) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        problem("tags", "must be a list like [vpn, remote]")
        return []
    if len(value) > setting("TAGS_MAX"):
        problem("tags", f"at most {setting('TAGS_MAX')} tags")
        return []
    tags: list[str] = []
    for item in value:
        tag = str(item).strip().lower()
        if not tag:
            continue
        if not TAG.match(tag):
            problem("tags", f"{tag!r} is not a usable tag")
            continue
        if tag not in tags:
            tags.append(tag)
    return tags


def _key_lines(text: str) -> dict[str, int]:
    """Line number of each top-level front matter key, for messages."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines
