"""Results depend on the documents and the query only: never on the page size, nor on how the
index happens to be split into segments (built in one rebuild, or piece by piece with updates
and deletions as imports and edits leave it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.extensions import kb_state
from kb.search.backend import SearchRequest, SearchResults
from kb.search.documents import PUBLIC, STAFF, live_documents
from kb.search.quality import load_judged
from kb.search.query import parse
from kb.search.synonyms import Synonyms
from kb.search.whoosh_backend import WhooshBackend

HERE = Path(__file__).parent
QUERIES = [
    (item.q, (PUBLIC, STAFF) if item.audience == "technician" else (PUBLIC,))
    for path in ("queries.yaml", "heldout.yaml")
    for item in load_judged(HERE / path)
]


@pytest.fixture(scope="module")
def documents(tmp_path_factory, template_instances):
    import shutil

    from kb import create_app

    instance = tmp_path_factory.mktemp("invariants")
    shutil.copy(template_instances["bundled"], instance / "kb.sqlite3")
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{instance / 'kb.sqlite3'}"},
        instance_path=instance,
    )
    with app.app_context(), kb_state(app).session() as session:
        docs = list(live_documents(session))
    kb_state(app).engine.dispose()
    return docs


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, documents) -> WhooshBackend:
    backend = WhooshBackend(tmp_path_factory.mktemp("rebuilt"), Synonyms.load(None))
    backend.rebuild(documents, seq=1)
    return backend


@pytest.fixture(scope="module")
def piecemeal(tmp_path_factory, documents) -> WhooshBackend:
    """Written in small batches, every document written twice (so old copies are deleted in
    earlier segments), the way incremental syncs leave an index."""
    backend = WhooshBackend(tmp_path_factory.mktemp("piecemeal"), Synonyms.load(None))
    for _ in range(2):
        for start in range(0, len(documents), 9):
            with backend.batch(timeout=5) as batch:
                assert batch is not None
                for doc in reversed(documents[start : start + 9]):
                    batch.upsert(doc)
    return backend


def _search(backend: WhooshBackend, q: str, who: tuple[str, ...], per_page: int) -> SearchResults:
    return backend.search(SearchRequest(parse(q), who, per_page=per_page, highlight=False))


def _keys(results: SearchResults) -> list[str]:
    return [f"{hit.kind}:{hit.slug}" for hit in results.hits]


def test_the_index_built_piece_by_piece_has_several_segments(piecemeal) -> None:
    generation = piecemeal._generation()
    assert len(generation.leaves) > 1 and not generation.live.all()


@pytest.mark.parametrize("name", ["rebuilt", "piecemeal"])
def test_the_first_page_does_not_depend_on_the_page_size(request, name) -> None:
    backend = request.getfixturevalue(name)
    differ = []
    for q, who in QUERIES:
        small, large = _search(backend, q, who, 10), _search(backend, q, who, 100)
        if (_keys(small), small.total, small.facets) != (
            _keys(large)[:10],
            large.total,
            large.facets,
        ):
            differ.append(q)
    assert not differ, f"{len(differ)} of {len(QUERIES)} queries differ: {differ[:5]}"


def test_results_do_not_depend_on_the_segment_layout(rebuilt, piecemeal) -> None:
    differ = []
    for q, who in QUERIES:
        one, other = _search(rebuilt, q, who, 20), _search(piecemeal, q, who, 20)
        if (_keys(one), one.total, one.facets) != (_keys(other), other.total, other.facets):
            differ.append(q)
    assert not differ, f"{len(differ)} of {len(QUERIES)} queries differ: {differ[:5]}"
