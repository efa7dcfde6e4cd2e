"""The conformance suite that ships for backend authors (kb.search.conformance): the built-in
Whoosh backend passes it, so does a toy backend that is not Whoosh, and backends with one
deliberate mistake each fail it, run as checks and as a backend author's pytest run would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kb.search.conformance import SearchBackendConformance
from kb.search.synonyms import Synonyms
from kb.search.whoosh_backend import WhooshBackend
from tests.search import memory_backend
from tests.search.memory_backend import MemoryBackend

REPO = Path(__file__).resolve().parents[2]
CHECKS = sorted(name for name in dir(SearchBackendConformance) if name.startswith("test_"))


class TestWhooshBackend(SearchBackendConformance):
    def make_backend(self, path: Path) -> WhooshBackend:
        # as the whoosh_search plugin builds it: the bundled synonyms unless the site has its own
        return WhooshBackend(path, Synonyms.load(path.parent / "synonyms.txt"))


class TestMemoryBackend(SearchBackendConformance):
    def make_backend(self, path: Path) -> MemoryBackend:
        return MemoryBackend(path)


def failed_checks(backend: type[MemoryBackend], tmp_path: Path) -> set[str]:
    """Run every check of the suite against ``backend``; the names of those that fail."""

    class Suite(SearchBackendConformance):
        def make_backend(self, path: Path) -> MemoryBackend:
            return backend(path)

    suite, failed = Suite(), set()
    for name in CHECKS:
        try:
            getattr(suite, name)(tmp_path / name)
        except (AssertionError, pytest.fail.Exception):
            failed.add(name)
    return failed


@pytest.mark.parametrize(
    ("backend", "caught_by"),
    [
        (
            memory_backend.IgnoresVisibility,
            {
                "test_staff_documents_leak_nowhere_for_everyone_else",
                "test_everyone_elses_answers_do_not_depend_on_staff_documents",
            },
        ),
        (
            memory_backend.FacetsCountStaff,
            {
                "test_staff_documents_leak_nowhere_for_everyone_else",
                "test_everyone_elses_answers_do_not_depend_on_staff_documents",
            },
        ),
        (memory_backend.RawSnippets, {"test_snippets_are_escaped_text_with_only_mark"}),
        (memory_backend.CommitsOnError, {"test_a_batch_that_fails_writes_nothing"}),
        (memory_backend.TiesByWriteOrder, {"test_equal_scores_are_ordered_by_key"}),
        (memory_backend.ForgetsDeletes, {"test_a_deleted_document_is_gone_everywhere"}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_broken_backend_fails_the_suite(tmp_path, backend, caught_by) -> None:
    failed = failed_checks(backend, tmp_path)
    assert caught_by <= failed, f"{backend.__name__} passed {caught_by - failed}"
    assert failed_checks(MemoryBackend, tmp_path / "correct") == set()


def test_a_backend_author_runs_it_with_pytest(tmp_path) -> None:
    """Subclassing in one's own test module is all it takes; pytest reports each check."""
    (tmp_path / "test_my_backend.py").write_text(
        "from kb.search.conformance import SearchBackendConformance\n"
        "from tests.search.memory_backend import IgnoresVisibility, MemoryBackend\n\n\n"
        "class TestGood(SearchBackendConformance):\n"
        "    def make_backend(self, path):\n"
        "        return MemoryBackend(path)\n\n\n"
        "class TestLeaky(SearchBackendConformance):\n"
        "    def make_backend(self, path):\n"
        "        return IgnoresVisibility(path)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", tmp_path],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    failed = {
        line.split("::")[-1].split(" ")[0]
        for line in result.stdout.splitlines()
        if line.startswith("FAILED")
    }
    assert "test_staff_documents_leak_nowhere_for_everyone_else" in failed, result.stdout
    assert "TestGood" not in result.stdout.split("short test summary")[-1]
    assert f"{len(CHECKS) * 2 - len(failed)} passed" in result.stdout


def test_kb_itself_never_needs_pytest() -> None:
    code = "import sys, kb.cli, kb.search.service; sys.exit('pytest' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
