"""kb's bulk segment writer writes exactly what Whoosh's own writer writes."""

from __future__ import annotations

from whoosh import index
from whoosh.codec.whoosh3 import W3Codec

from kb.search.documents import SearchDocument
from kb.search.whoosh_backend import WhooshBackend, make_schema
from kb.search.whoosh_writing import BulkW3Codec, TermPool

WORDS = [
    "printer",
    "outlook",
    "password",
    "vpn",
    "wifi",
    "error",
    "0x80070005",
    "mailbox",
    "sync",
    "laptop",
    "dock",
]


def _documents(count: int) -> list[SearchDocument]:
    """Enough documents for posting lists longer than one block (128 postings)."""
    return [
        SearchDocument(
            kind="article",
            slug=f"doc-{n}",
            title=f"{WORDS[n % len(WORDS)]} problem {n}",
            summary=" ".join(WORDS[(n + k) % len(WORDS)] for k in range(n % 5)),
            body=" ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 40 + n % 7)),
            tags=[WORDS[n % 3]],
            visibility="public" if n % 4 else "staff",
        )
        for n in range(count)
    ]


def _written(folder, codec, documents, pool_mb: int | None = None) -> dict:
    ix = index.create_in(str(folder), make_schema())
    fields_of = WhooshBackend.__new__(WhooshBackend)._fields  # the field values kb writes
    writer = ix.writer(codec=codec)
    if pool_mb is not None:
        TermPool.install(writer, limitmb=pool_mb)
        writer.pool.limit = pool_mb * 1024 * 1024 or 200_000  # 0: spill every ~200 kB
    for doc in documents:
        writer.add_document(**fields_of(doc))
    pool = writer.pool
    writer.commit()
    postings: dict = {"spills": getattr(pool, "spills", None) and "some"}
    with ix.reader() as reader:
        for fieldname, btext in reader.all_terms():
            info = reader.term_info(fieldname, btext)
            matcher = reader.postings(fieldname, btext)
            items = []
            while matcher.is_active():
                items.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings[(fieldname, btext)] = (
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                items,
            )
    return postings


def test_bulk_writer_writes_the_same_postings_and_statistics(tmp_path) -> None:
    documents = _documents(400)
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "bulk").mkdir()
    ours = _written(tmp_path / "bulk", BulkW3Codec(), documents)
    theirs = _written(tmp_path / "whoosh", W3Codec(), documents)
    ours.pop("spills"), theirs.pop("spills")
    assert ours.keys() == theirs.keys()
    assert any(len(entry[4]) > 128 for entry in ours.values())  # several blocks were written
    assert ours == theirs


def test_the_term_pool_gives_the_same_index_in_memory_and_when_it_spills(tmp_path) -> None:
    documents = _documents(400)
    theirs = None
    for name, pool_mb in (("whoosh", None), ("memory", 256), ("spilled", 0)):
        (tmp_path / name).mkdir()
        written = _written(tmp_path / name, BulkW3Codec(), documents, pool_mb)
        assert (written.pop("spills") == "some") == (name == "spilled"), name
        theirs = theirs or written
        assert written == theirs, name
