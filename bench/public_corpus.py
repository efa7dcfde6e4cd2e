"""Search quality and import speed on a public help corpus with editor-made judgments.

    .venv/bin/python bench/public_corpus.py --source PATH [--limit 2500] [--judgments 400]
        [--seed 7] [--api-sample 50] [--show-misses 0] [--keep] [--tuning]

PATH is GitHub's help documentation (the ``github/docs`` repository, or a fork of it): a bare
git directory (its HEAD is read with ``git archive``) or a checked-out folder holding
``content/`` and ``data/``. Nothing is written outside a temporary directory. Any commit
works; one of December 2021 (dfc135a2) has 1,670 pages and gives 1,507 judgments, so there
``--limit 2500`` imports every page.

Why this corpus: nobody on the kb team wrote it, and it judges itself. GitHub's editors list,
in each article's ``redirect_from``, the old URL paths of the articles that were merged or
renamed into it. The old path's last segment is the old article's title
(``/articles/how-to-change-your-username`` -> "how to change your username"), and the article
that now carries the redirect is where the editors send someone who looked for it. Dropped:
segments that are ids, numbers or generic words ("index", "about"); queries that equal the
article's current title (case, hyphens and punctuation aside) or another article's title;
redirects to a product's landing page (where retired pages are sent wholesale); queries the
redirects send to two different articles. The rest is deduplicated, and a seeded
sample of ``--judgments`` is kept (the total is printed).

Steps:

1. Articles become kb article files (front matter kb accepts, Markdown body as written). Liquid
   is rendered the way GitHub.com shows the page: version conditionals are evaluated for the
   article's first plan (fpt, else ghec, ghes, ghae), ``{% data %}`` variables and reusables
   are inlined as text, every other tag is dropped; ``{% raw %}`` text is kept as is. Index
   pages get the titles of their children as a list, as the site shows them. Every judged
   article is included; the rest up to ``--limit`` is a seeded sample.
2. A throw-away instance imports the folder with the real CLI (``kb import``, a subprocess),
   timed in wall seconds, indexing included (the index follows the database as it is written).
3. Every judged query runs through kb's search as an anonymous reader (the backend API with
   ``("public",)``), and a sample through ``GET /api/v1/search`` to confirm the two agree
   (the API pages by SEARCH_PER_PAGE, so its first page is compared).
4. The same queries run through ``bench/reference_ranker.py`` (plain Whoosh BM25F, OR of the
   words, title and body) over the same documents. Printed: MRR@10, recall@10, recall@100,
   P@1 side by side, per-query wins and losses, and the page-size check (kb's first 10 hits
   at per_page=10 against the first 10 at per_page=100; they should never differ).

Progress goes to stderr, tables to stdout. Timing depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_ranker import from_kb_documents  # noqa: E402

# Generic last segments that name no article ("/enterprise/admin/index", "/articles/about").
GENERIC_SEGMENTS = frozenset(
    """index about overview introduction reference guides guide home readme articles categories
    category enterprise admin user github latest api docs help""".split()  # noqa: SIM905
)
PLANS = ("fpt", "ghec", "ghes", "ghae")
# The newest GitHub Enterprise Server release when pages offer only ghes (github/docs of late
# 2021 documents 3.3); only used for ``ghes > x`` conditions on such pages.
GHES_LATEST = (3, 3)
TITLE_LIMIT, SUMMARY_LIMIT, SLUG_LIMIT, LABEL_LIMIT = 300, 1000, 120, 100
TAG_RE = re.compile(r"^[\w][\w .+#/-]{0,58}$")  # kb.articles.document.TAG


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- getting the corpus -----------------------------------------------------------------------


def materialise(source: Path, workdir: Path) -> tuple[Path, str]:
    """A folder with ``content/`` and ``data/`` (extracted from a bare git directory's HEAD
    into ``workdir``), and a description of the version read."""
    if (source / "content").is_dir():
        return source, f"folder {source.name}"
    git = ["git", f"--git-dir={source}"]
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    root = workdir / "corpus"
    root.mkdir()
    archive = subprocess.Popen(
        [*git, "archive", "--format=tar", "HEAD", "content", "data/variables", "data/reusables"]
        + (["data/features"] if _has_path(git, "data/features") else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # snapshots may lack large assets; content is all text
    )
    assert archive.stdout is not None
    with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
        tar.extractall(root, filter="data")
    if archive.wait() != 0:
        raise SystemExit(f"git archive failed for {source}")
    return root, f"commit {commit}"


def _has_path(git: list[str], path: str) -> bool:
    result = subprocess.run([*git, "ls-tree", "HEAD", path], capture_output=True, text=True)
    return bool(result.stdout.strip())


# --- Liquid, as GitHub.com renders it -------------------------------------------------------

TAG = re.compile(r"\{%-?\s*(.*?)\s*-?%\}", re.S)
OUTPUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
COMPARISON = re.compile(r"^([\w-]+)\s*(>=|<=|==|!=|=|>|<)\s*([\d.]+)$")


@dataclass(frozen=True)
class Plan:
    """Which of GitHub's products a page is rendered for."""

    name: str  # fpt | ghec | ghes | ghae
    release: tuple[int, ...] = GHES_LATEST

    @staticmethod
    def for_versions(versions: Any) -> Plan:
        if isinstance(versions, dict):
            for name in PLANS:
                if name in versions:
                    return Plan(name)
        return Plan("fpt")


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _compare(left: tuple[int, ...], op: str, right: tuple[int, ...]) -> bool:
    return {
        ">": left > right,
        "<": left < right,
        ">=": left >= right,
        "<=": left <= right,
        "=": left == right,
        "==": left == right,
        "!=": left != right,
    }[op]


class Liquid:
    """Just enough of GitHub's Liquid to turn a page into the text a reader sees."""

    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        self._variables: dict[str, Any] = {}
        self._features: dict[str, dict[str, Any]] = {}
        self._cache: dict[tuple[str, Plan], str] = {}
        features = self.data / "features"
        if features.is_dir():
            for path in features.glob("*.yml"):
                loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                self._features[path.stem] = loaded.get("versions") or {}

    def render(self, text: str, plan: Plan, depth: int = 0) -> str:
        """``text`` with conditionals evaluated, data references inlined, other tags dropped."""
        text = COMMENT.sub("", text)
        raws: list[str] = []

        def keep_raw(match: re.Match[str]) -> str:
            raws.append(match.group(1))
            return f"\x00{len(raws) - 1}\x00"

        text = RAW.sub(keep_raw, text)
        out: list[str] = []
        # Frames of open conditionals: (parent active, a branch was taken, this branch active).
        frames: list[tuple[bool, bool, bool]] = []
        active = True
        position = 0
        for match in TAG.finditer(text):
            if active:
                out.append(
                    OUTPUT.sub(
                        lambda m: self._output(m.group(1), plan, depth),
                        text[position : match.start()],
                    )
                )
            position = match.end()
            words = match.group(1).split(None, 1)
            name = words[0] if words else ""
            rest = words[1] if len(words) > 1 else ""
            if name in ("if", "ifversion", "unless"):
                condition = self._condition(rest, plan, strict=name == "ifversion")
                if name == "unless":
                    condition = not condition
                frames.append((active, condition, active and condition))
                active = active and condition
            elif name in ("elsif", "elsifversion") and frames:
                parent, taken, _ = frames[-1]
                condition = not taken and self._condition(rest, plan, strict=True)
                frames[-1] = (parent, taken or condition, parent and condition)
                active = parent and condition
            elif name == "else" and frames:
                parent, taken, _ = frames[-1]
                frames[-1] = (parent, True, parent and not taken)
                active = parent and not taken
            elif name in ("endif", "endifversion", "endunless") and frames:
                active = frames.pop()[0]
            elif active and name in ("data", "indented_data_reference"):
                out.append(self._data_tag(name, rest, plan, depth))
        if active:
            out.append(OUTPUT.sub(lambda m: self._output(m.group(1), plan, depth), text[position:]))
        rendered = "".join(out)
        rendered = re.sub(r"\x00(\d+)\x00", lambda m: raws[int(m.group(1))], rendered)
        return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", rendered)

    def _condition(self, expression: str, plan: Plan, strict: bool) -> bool:
        """``fpt or ghes > 3.1``, ``not ghae``, feature names; what is not a version
        expression (``operation.subcategory == 'x'``) counts as true outside ``ifversion``."""
        try:
            return any(
                all(self._atom(atom.strip(), plan) for atom in re.split(r"\s+and\s+", group))
                for group in re.split(r"\s+or\s+", expression.strip())
            )
        except LookupError:
            return not strict

    def _atom(self, atom: str, plan: Plan) -> bool:
        if atom.startswith("not "):
            return not self._atom(atom[4:].strip(), plan)
        match = COMPARISON.match(atom)
        name, op, number = match.groups() if match else (atom, None, None)
        if name in PLANS or name.startswith("ghae-"):
            if name.startswith("ghae"):
                return plan.name == "ghae"
            if name != plan.name:
                return False
            return op is None or (name == "ghes" and _compare(plan.release, op, _release(number)))
        if name in self._features:
            wanted = self._features[name].get(plan.name)
            if wanted is None:
                return False
            wanted = str(wanted).strip()
            found = re.match(r"^(>=|<=|=|>|<)\s*([\d.]+)$", wanted)
            if plan.name == "ghes" and found:
                return _compare(plan.release, found.group(1), _release(found.group(2)))
            return True
        raise LookupError(atom)

    def _output(self, expression: str, plan: Plan, depth: int) -> str:
        if expression.startswith("site.data."):
            return self._reference(expression.removeprefix("site.data.").split()[0], plan, depth)
        return ""

    def _data_tag(self, name: str, rest: str, plan: Plan, depth: int) -> str:
        parts = rest.split()
        if not parts:
            return ""
        text = self._reference(parts[0], plan, depth)
        spaces = re.search(r"spaces=(\d+)", rest)
        if name == "indented_data_reference" and spaces:
            pad = " " * int(spaces.group(1))
            text = "\n".join(pad + line if line.strip() else line for line in text.splitlines())
        return text

    def _reference(self, reference: str, plan: Plan, depth: int) -> str:
        """A variable's value or a reusable's text, rendered for ``plan``."""
        if depth > 6:
            return ""
        key = (reference, plan)
        if key in self._cache:
            return self._cache[key]
        kind, _, path = reference.partition(".")
        raw = ""
        if kind == "variables":
            file_name, _, inner = path.partition(".")
            value: Any = self._variable_file(file_name)
            for part in inner.split(".") if inner else []:
                value = value.get(part) if isinstance(value, dict) else None
            raw = str(value) if isinstance(value, str | int | float) else ""
        elif kind == "reusables":
            file = self.data / "reusables" / (path.replace(".", "/") + ".md")
            raw = file.read_text(encoding="utf-8") if file.is_file() else ""
        rendered = self.render(raw, plan, depth + 1).strip()
        self._cache[key] = rendered
        return rendered

    def _variable_file(self, name: str) -> Any:
        if name not in self._variables:
            path = self.data / "variables" / f"{name}.yml"
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
            self._variables[name] = loaded or {}
        return self._variables[name]


# --- articles -----------------------------------------------------------------------------------


@dataclass
class SourceArticle:
    path: str  # "content/account-and-profile/.../changing-your-github-username.md"
    url: str  # "/account-and-profile/.../changing-your-github-username"
    title: str
    intro: str
    body: str
    product: str
    topics: list[str]
    redirects: list[str]
    slug: str = ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def read_articles(root: Path, liquid: Liquid) -> list[SourceArticle]:
    """Every page under ``content/`` except the home page and READMEs, rendered as text."""
    content = root / "content"
    pages: list[tuple[Path, dict[str, Any], str]] = []
    for path in sorted(content.rglob("*.md")):
        if path.name.lower() == "readme.md" or path == content / "index.md":
            continue
        text = path.read_text(encoding="utf-8")
        match = re.match(r"^---\s*\n(.*?)\n---\s*\n?(.*)$", text, re.S)
        if not match:
            continue
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError:
            continue
        if isinstance(meta, dict) and meta.get("title"):
            pages.append((path, meta, match.group(2)))

    titles: dict[Path, str] = {}
    articles: list[SourceArticle] = []
    for path, meta, body in pages:
        plan = Plan.for_versions(meta.get("versions"))
        relative = path.relative_to(content)
        url = "/" + str(relative.with_suffix("")).removesuffix("/index").removesuffix("index")
        title = _one_line(liquid.render(str(meta["title"]), plan))
        titles[path] = title
        redirects = meta.get("redirect_from") or []
        articles.append(
            SourceArticle(
                path=str(path.relative_to(root)),
                url=url.rstrip("/") or "/",
                title=title,
                intro=_one_line(liquid.render(str(meta.get("intro") or ""), plan)),
                body=liquid.render(body, plan).strip(),
                product=relative.parts[0] if len(relative.parts) > 1 else "",
                topics=[str(t) for t in meta.get("topics") or [] if t],
                redirects=[str(r) for r in (redirects if isinstance(redirects, list) else [])],
            )
        )
    # Index pages list their children, as the site shows them.
    by_path = {root / a.path: a for a in articles}
    for path, meta, _ in pages:
        children = meta.get("children") or []
        lines = []
        for child in children if isinstance(children, list) else []:
            name = str(child).strip("/")
            for candidate in (path.parent / f"{name}.md", path.parent / name / "index.md"):
                if candidate in titles:
                    lines.append(f"- {titles[candidate]}")
                    break
        if lines:
            article = by_path[path]
            article.body = (article.body + "\n\n" + "\n".join(lines)).strip()
    return articles


# --- judgments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgment:
    query: str
    target: str  # the article's corpus path
    old_path: str


@dataclass
class JudgmentStats:
    redirects: int = 0
    not_a_title: int = 0  # ids, numbers, generic words
    same_as_title: int = 0
    other_title: int = 0
    landing: int = 0  # to a product's landing page: where retired pages are sent
    duplicates: int = 0
    ambiguous: int = 0
    total: int = 0


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def query_from_path(old_path: str) -> str | None:
    """The old article's title from its URL path; None when the last segment names nothing."""
    segment = old_path.split("#")[0].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    segment = segment.removesuffix(".md").removesuffix(".html").lower()
    if "@" in segment or segment in GENERIC_SEGMENTS:
        return None
    if not re.search(r"[a-z]{3}", segment) or re.fullmatch(r"[\d.v-]+|[0-9a-f]{7,}", segment):
        return None
    query = " ".join(re.split(r"[-_+]+", segment)).strip()
    return query if len(query) >= 4 and query not in GENERIC_SEGMENTS else None


def derive_judgments(articles: list[SourceArticle]) -> tuple[list[Judgment], JudgmentStats]:
    """One judgment per distinct (query, article) the redirects give, after the filters."""
    stats = JudgmentStats()
    titles = {normalise(a.title) for a in articles}
    found: dict[str, dict[str, str]] = {}  # query -> target path -> one old path
    for article in articles:
        own = normalise(article.title)
        landing = len(Path(article.path).parts) == 3 and article.path.endswith("/index.md")
        for old in article.redirects:
            stats.redirects += 1
            query = query_from_path(old)
            if query is None:
                stats.not_a_title += 1
                continue
            if normalise(query) == own:
                stats.same_as_title += 1
                continue
            if normalise(query) in titles:
                stats.other_title += 1
                continue
            if landing:
                stats.landing += 1
                continue
            targets = found.setdefault(query, {})
            if article.path in targets:
                stats.duplicates += 1
                continue
            targets[article.path] = old
    judgments = []
    for query, targets in sorted(found.items()):
        if len(targets) > 1:
            stats.ambiguous += 1
            continue
        (target, old), *_ = targets.items()
        judgments.append(Judgment(query, target, old))
    stats.total = len(judgments)
    return judgments, stats


# --- kb article files -------------------------------------------------------------------------


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > SLUG_LIMIT - 4:
        slug = slug[: SLUG_LIMIT - 4].rsplit("-", 1)[0]
    return slug or "page"


def assign_slugs(articles: list[SourceArticle]) -> dict[str, str]:
    """A unique, valid kb slug per article from its file name (the parent folder's for index
    pages); the map goes from corpus path to slug."""
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for article in sorted(articles, key=lambda a: a.path):
        stem = Path(article.path)
        base = slugify(stem.parent.name if stem.name == "index.md" else stem.stem)
        slug, n = base, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        article.slug = mapping[article.path] = slug
    return mapping


def product_labels(articles: list[SourceArticle]) -> dict[str, str]:
    """Category per product folder: the product index page's title."""
    labels = {}
    for article in articles:
        parts = Path(article.path).parts  # content/<product>/index.md
        if len(parts) == 3 and parts[2] == "index.md":
            labels[parts[1]] = article.title
    return labels


def write_kb_files(articles: list[SourceArticle], folder: Path, labels: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    for article in articles:
        tags = []
        for topic in article.topics:
            tag = topic.strip().lower()
            if TAG_RE.match(tag) and tag not in tags:
                tags.append(tag)
        category = labels.get(article.product, article.product.replace("-", " ").capitalize())
        meta = {
            "title": _clip(article.title, TITLE_LIMIT),
            "slug": article.slug,
            "summary": _clip(article.intro, SUMMARY_LIMIT),
            "tags": tags,
            "category": _clip(category, LABEL_LIMIT),
            "service": "github",
            "audience": "public",
            "status": "published",
        }
        if not meta["summary"]:
            del meta["summary"]
        if not tags:
            del meta["tags"]
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
        text = f"---\n{front}---\n\n{article.body}\n"
        (folder / f"{article.slug}.md").write_text(text, encoding="utf-8")


# --- import through the CLI ----------------------------------------------------------------------


@dataclass
class ImportOutcome:
    seconds: float
    summary: str
    errors: list[str] = field(default_factory=list)
    warnings: int = 0
    returncode: int = 0


def kb_environment(instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KB_INSTANCE=str(instance),
        KB_DATABASE_URL=f"sqlite:///{instance / 'kb.sqlite3'}",
        KB_SECRET_KEY="bench",
    )
    return env


def kb_command() -> str:
    beside = Path(sys.executable).parent / "kb"
    return str(beside if beside.exists() else REPO / ".venv" / "bin" / "kb")


def import_with_cli(folder: Path, instance: Path) -> ImportOutcome:
    """``kb db upgrade`` (untimed: schema), then ``kb import FOLDER`` timed in wall seconds."""
    env = kb_environment(instance)
    subprocess.run([kb_command(), "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run(
        [kb_command(), "import", str(folder)], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    errors = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and not line.startswith("warning:")
    ]
    warnings = sum(1 for line in done.stderr.splitlines() if line.startswith("warning:"))
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no summary)"
    return ImportOutcome(seconds, summary, errors, warnings, done.returncode)


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Scores:
    rr10: list[float] = field(default_factory=list)
    hit1: list[bool] = field(default_factory=list)
    hit10: list[bool] = field(default_factory=list)
    hit100: list[bool] = field(default_factory=list)
    ranks: list[int | None] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, ranked: list[str], expected: str) -> None:
        rank = ranked.index(expected) + 1 if expected in ranked[:100] else None
        self.ranks.append(rank)
        self.rr10.append(1.0 / rank if rank and rank <= 10 else 0.0)
        self.hit1.append(rank == 1)
        self.hit10.append(bool(rank and rank <= 10))
        self.hit100.append(rank is not None)

    def row(self) -> dict[str, float]:
        n = max(1, len(self.ranks))
        return {
            "MRR@10": sum(self.rr10) / n,
            "recall@10": sum(self.hit10) / n,
            "recall@100": sum(self.hit100) / n,
            "P@1": sum(self.hit1) / n,
            "ms/query": self.seconds * 1000 / n,
        }


def timed(scores: Scores, function: Callable[[], list[str]]) -> list[str]:
    started = time.perf_counter()
    result = function()
    scores.seconds += time.perf_counter() - started
    return result


def evaluate(
    instance: Path,
    judgments: list[Judgment],
    slugs: dict[str, str],
    api_sample: int,
    seed: int,
    show_misses: int,
) -> None:
    """Search every judged query with kb and with the reference, and print the comparison."""
    from kb import create_app
    from kb.changes import last_seq
    from kb.extensions import kb_state
    from kb.search import service
    from kb.search.backend import SearchRequest
    from kb.search.documents import PUBLIC, live_documents
    from kb.search.query import parse

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{instance / 'kb.sqlite3'}", "SECRET_KEY": "bench"},
        instance_path=instance,
    )
    kb = kb_state(app)
    engine = service.backend(kb)

    def kb_search(query: str, per_page: int) -> list[str]:
        request = SearchRequest(
            parse(query), (PUBLIC,), per_page=per_page, facets=False, highlight=False
        )
        return [f"{hit.kind}:{hit.slug}" for hit in engine.search(request).hits]

    with app.app_context(), kb.session() as session:
        latest, applied = last_seq(session), engine.applied_seq()
        documents = list(live_documents(session))
        indexed = len(engine.versions())
        say(
            f"index after import: {indexed} documents, {len(documents)} live; "
            f"changes applied {applied} of {latest}"
        )
        if applied != latest or indexed != len(documents):
            print(
                f"NOTE: index not in step after import ({indexed} indexed of "
                f"{len(documents)} live, changes {applied} of {latest}); caught up before "
                "searching"
            )
            service.catch_up(kb, session)
        say("building the reference ranker")
        reference = from_kb_documents(documents, visibilities=(PUBLIC,))

        kb_scores, ref_scores = Scores(), Scores()
        page_diffs: list[tuple[str, list[str], list[str]]] = []
        say(f"searching {len(judgments)} queries")
        for judgment in judgments:
            expected = f"article:{slugs[judgment.target]}"
            ranked = timed(kb_scores, lambda q=judgment.query: kb_search(q, 100))
            kb_scores.add(ranked, expected)
            ref_scores.add(
                timed(ref_scores, lambda q=judgment.query: reference.search(q, 100)), expected
            )
            first = kb_search(judgment.query, 10)
            if first != ranked[:10]:
                page_diffs.append((judgment.query, first, ranked[:10]))

        api_checked, api_differs = api_check(
            app, judgments, kb_search, random.Random(seed + 1), api_sample
        )
    reference.close()

    print(f"\njudged queries: {len(judgments)}; documents searched: {len(documents)}")
    header = (
        f"{'':10} {'MRR@10':>7} {'recall@10':>10} {'recall@100':>11} {'P@1':>7} {'ms/query':>9}"
    )
    print(header)
    for name, scores in (("kb", kb_scores), ("reference", ref_scores)):
        row = scores.row()
        print(
            f"{name:10} {row['MRR@10']:>7.3f} {row['recall@10']:>10.1%} "
            f"{row['recall@100']:>11.1%} {row['P@1']:>7.1%} {row['ms/query']:>9.1f}"
        )
    wins = losses = ties = 0
    for ours, theirs in zip(kb_scores.ranks, ref_scores.ranks, strict=True):
        a, b = ours or 10_000, theirs or 10_000
        wins, losses, ties = wins + (a < b), losses + (a > b), ties + (a == b)
    print(
        f"per query (rank of the expected article, top 100): kb better {wins}, "
        f"reference better {losses}, same {ties}"
    )
    print(
        f"page-size check: {len(page_diffs)} of {len(judgments)} queries have different "
        "first 10 hits at per_page=10 and per_page=100"
    )
    for query, small, large in page_diffs[:3]:
        at = next(
            (n for n, pair in enumerate(zip(small, large, strict=False)) if pair[0] != pair[1]),
            min(len(small), len(large)),
        )
        first = small[at] if at < len(small) else "(nothing)"
        second = large[at] if at < len(large) else "(nothing)"
        print(
            f"  {query!r}: from rank {at + 1}: {first} (per_page=10) vs {second} "
            f"(per_page=100); {len(small)} vs {len(large[:10])} hits"
        )
    print(
        f"API check: GET /api/v1/search for {api_checked} queries, {api_differs} differ from "
        "the backend's first page (per_page=10)"
    )
    if show_misses:
        print(f"\nkb misses (expected article not in kb's top 10), first {show_misses}:")
        shown = 0
        for judgment, rank, ref_rank in zip(
            judgments, kb_scores.ranks, ref_scores.ranks, strict=True
        ):
            if rank is not None and rank <= 10:
                continue
            print(
                f"  {judgment.query!r} -> {slugs[judgment.target]} (kb rank {rank or '-'}, "
                f"reference {ref_rank or '-'}; redirect {judgment.old_path})"
            )
            shown += 1
            if shown >= show_misses:
                break


def api_check(
    app: Any,
    judgments: list[Judgment],
    kb_search: Callable[[str, int], list[str]],
    rng: random.Random,
    sample: int,
) -> tuple[int, int]:
    """How many of a sample of queries get a different first page from the HTTP API than from
    the backend called directly. (The API pages with SEARCH_PER_PAGE; per_page is sent too.)"""
    client = app.test_client()
    chosen = rng.sample(judgments, min(sample, len(judgments)))
    differs = 0
    for judgment in chosen:
        response = client.get("/api/v1/search", query_string={"q": judgment.query, "per_page": 10})
        if response.status_code != 200:
            differs += 1
            say(f"API {response.status_code} for {judgment.query!r}")
            continue
        data = response.get_json()
        got = [f"{r['kind']}:{r['slug']}" for r in data["results"]]
        if got != kb_search(judgment.query, int(data.get("per_page") or 10)):
            differs += 1
    return len(chosen), differs


# --- main -------------------------------------------------------------------------------------


def choose_articles(
    articles: list[SourceArticle], must: Iterable[str], limit: int, rng: random.Random
) -> list[SourceArticle]:
    """Every article in ``must`` (corpus paths), then a seeded sample of the rest to ``limit``."""
    wanted = set(must)
    chosen = [a for a in articles if a.path in wanted]
    rest = [a for a in articles if a.path not in wanted]
    room = max(0, limit - len(chosen))
    chosen += rng.sample(rest, min(room, len(rest)))
    return sorted(chosen, key=lambda a: a.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        type=Path,
        required=True,
        help="github/docs: a bare git directory or a folder with content/",
    )
    parser.add_argument("--limit", type=int, default=2500, help="Articles to import (at most).")
    parser.add_argument("--judgments", type=int, default=400, help="Judged queries to sample.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--api-sample", type=int, default=50, help="Queries also sent through GET /api/v1/search."
    )
    parser.add_argument(
        "--show-misses",
        type=int,
        default=0,
        metavar="N",
        help="List N queries whose article kb does not rank in the top 10.",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the temporary folder (its path goes to stderr)."
    )
    parser.add_argument(
        "--tuning",
        action="store_true",
        help="Evaluate the judgments left out of the sample instead (the set to tune on, so "
        "that the sample's figures stay held out).",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    workdir = Path(tempfile.mkdtemp(prefix="kb-public-corpus-"))
    try:
        say(f"reading {args.source}")
        root, version = materialise(args.source.resolve(), workdir)
        articles = read_articles(root, Liquid(root))
        judgments, stats = derive_judgments(articles)
        sample = sorted(
            rng.sample(judgments, min(args.judgments, len(judgments))), key=lambda j: j.query
        )
        chosen = choose_articles(articles, (j.target for j in sample), args.limit, rng)
        slugs = assign_slugs(chosen)
        folder = workdir / "articles"
        write_kb_files(chosen, folder, product_labels(articles))
        sizes = sorted(len(a.body) for a in chosen)

        print(f"corpus: {args.source} ({version}); {len(articles)} pages")
        print(
            f"judgments: {stats.redirects} redirects -> {stats.total} judgments "
            f"(redirects dropped: {stats.not_a_title} ids/generic, {stats.same_as_title} "
            f"same as the title, {stats.other_title} another page's title, "
            f"{stats.landing} to a product landing page, {stats.duplicates} duplicates, "
            f"{stats.ambiguous} queries sent to two pages); sample {len(sample)} "
            f"(seed {args.seed})"
        )
        targets = len({j.target for j in sample})
        print(
            f"articles imported: {len(chosen)} (limit {args.limit}; {targets} "
            f"judged articles among them); body chars median {sizes[len(sizes) // 2]}, "
            f"max {sizes[-1]}, total {sum(sizes) / 1e6:.1f} M"
        )

        instance = workdir / "instance"
        instance.mkdir()
        say(f"kb import {len(chosen)} files")
        outcome = import_with_cli(folder, instance)
        rate = len(chosen) / outcome.seconds if outcome.seconds else 0.0
        print(
            f"import: {outcome.seconds:.1f} s wall ({rate:.0f} articles/s), `kb import` exit "
            f"{outcome.returncode}: {outcome.summary}; {outcome.warnings} warnings "
            "(links to pages kb does not have)"
        )
        if outcome.errors:
            print(f"import errors: {len(outcome.errors)} lines; first few:")
            for line in outcome.errors[:5]:
                print(f"  {line}")

        if args.tuning:
            held_out = {id(j) for j in sample}
            sample = [j for j in judgments if id(j) not in held_out and j.target in slugs]
            print(f"tuning set: the {len(sample)} judgments outside the sample")
        evaluate(instance, sample, slugs, args.api_sample, args.seed, args.show_misses)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
