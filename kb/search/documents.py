"""What the index holds: one flat, engine-neutral document per live article or tree."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from kb.articles.snapshot import ArticleSnapshot
from kb.articles.snapshot import snapshot as article_snapshot
from kb.db import in_batches
from kb.models import Article, ArticleStatus, Tree, TreeStatus
from kb.trees.catalog import all_tree_snapshots, tree_snapshot
from kb.trees.snapshot import TreeSnapshot

PUBLIC = "public"
STAFF = "staff"  # internal articles and technician trees: technicians and above

# Tokens that carry a digit or an underscore: error codes, KB numbers, ports, hex results
# ("809", "0x80070005", "AADSTS50076", "ERR_NAME_NOT_RESOLVED"). Kept whole and exact.
CODE_RE = re.compile(r"\b(?=[\w-]*[\d_])[A-Za-z0-9][\w-]{1,40}\b")

_MARKDOWN_NOISE = [
    (re.compile(r"```[^\n]*\n"), " "),  # fence lines (the code inside stays searchable)
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images keep their text
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.|!!!|\?\?\?)\s*", re.M), ""),
    (re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|[`|]"), " "),
    (re.compile(r"[ \t]+"), " "),
]


def plain_text(markdown: str) -> str:
    """Markdown reduced to readable text for indexing and snippets (cheap: no rendering)."""
    text = markdown
    for pattern, replacement in _MARKDOWN_NOISE:
        text = pattern.sub(replacement, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def codes_in(*texts: str) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        for match in CODE_RE.finditer(text):
            token = match.group(0).lower().strip("-_")
            if len(token) >= 3 and not token.isalpha():
                seen.setdefault(token, None)
    return list(seen)


@dataclass(frozen=True)
class SearchDocument:
    kind: str  # article | tree
    slug: str  # article slug or tree id
    title: str
    summary: str = ""
    body: str = ""  # plain text
    tags: list[str] = field(default_factory=list)
    category: str = ""
    service: str = ""
    visibility: str = PUBLIC  # public | staff

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.slug}"

    @property
    def codes(self) -> list[str]:
        return codes_in(self.title, self.summary, self.body, " ".join(self.tags))

    @property
    def version(self) -> str:
        """A hash of everything indexed: a different version means the index copy is stale."""
        digest = hashlib.sha256()
        for part in (
            self.kind,
            self.slug,
            self.title,
            self.summary,
            self.body,
            "\x1f".join(self.tags),
            self.category,
            self.service,
            self.visibility,
        ):
            digest.update(part.encode())
            digest.update(b"\x1e")
        return digest.hexdigest()[:20]


def from_article(article: ArticleSnapshot) -> SearchDocument | None:
    """The searchable form of a live article; None when readers cannot see it."""
    if not article.live:
        return None
    return SearchDocument(
        kind="article",
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        body=plain_text(article.body),
        tags=list(article.tags),
        category=article.category or "",
        service=article.service or "",
        visibility=PUBLIC if article.audience == "public" else STAFF,
    )


def from_tree(tree: TreeSnapshot) -> SearchDocument | None:
    if not tree.live:
        return None
    return SearchDocument(
        kind="tree",
        slug=tree.id,
        title=tree.title,
        summary=tree.summary,
        body=tree.text,
        tags=list(tree.tags),
        category=tree.category or "",
        service=tree.service or "",
        visibility=PUBLIC if tree.audience == "public" else STAFF,
    )


def documents_for(
    session: Session, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], SearchDocument | None]:
    """``document_for`` for many keys at once: articles in a few queries (a bulk import
    changes thousands), trees one by one (there are few)."""
    found: dict[tuple[str, str], SearchDocument | None] = {}
    slugs = [key for kind, key in keys if kind == "article"]
    for chunk in in_batches(slugs):
        articles = session.scalars(
            select(Article)
            .where(Article.slug.in_(chunk))
            .options(selectinload(Article.published_revision), selectinload(Article.head_revision))
        )
        by_slug = {article.slug: article for article in articles}
        for slug in chunk:
            article = by_slug.get(slug)
            found[("article", slug)] = (
                from_article(article_snapshot(article)) if article is not None else None
            )
    for kind, key in keys:
        if (kind, key) not in found:
            found[(kind, key)] = document_for(session, kind, key)
    return found


def document_for(session: Session, kind: str, key: str) -> SearchDocument | None:
    """The document the index should hold for ``kind``/``key`` now (None: it should hold none)."""
    if kind == "article":
        article = session.scalar(select(Article).where(Article.slug == key))
        return from_article(article_snapshot(article)) if article is not None else None
    if kind == "tree":
        tree = tree_snapshot(session, key)
        return from_tree(tree) if tree is not None else None
    return None


# Readers see it: a revision is published and it is not archived (Article.is_live, Tree.is_live).
_LIVE_ARTICLE = (
    Article.published_revision_id.is_not(None),
    Article.status != ArticleStatus.ARCHIVED.value,
)
_LIVE_TREE = (Tree.published_revision_id.is_not(None), Tree.status != TreeStatus.ARCHIVED.value)


def live_documents(session: Session) -> Iterator[SearchDocument]:
    """Every document the index should hold, straight from the database."""
    articles = session.scalars(
        select(Article).where(*_LIVE_ARTICLE).order_by(Article.id).execution_options(yield_per=500)
    )
    for article in articles:
        document = from_article(article_snapshot(article))
        if document is not None:
            yield document
    for tree in all_tree_snapshots(session):
        document = from_tree(tree)
        if document is not None:
            yield document


def count_live(session: Session) -> int:
    """How many documents ``live_documents`` yields (for progress bars)."""
    articles = session.scalar(select(func.count(Article.id)).where(*_LIVE_ARTICLE))
    trees = session.scalar(select(func.count(Tree.id)).where(*_LIVE_TREE))
    return int(articles or 0) + int(trees or 0)
