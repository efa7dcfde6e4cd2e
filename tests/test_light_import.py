"""A plugin module imports ``kb.hookimpl`` and the records without loading the app."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from kb import hookimpl
from kb.records import EscalationSnapshot, TicketRef
from kb.hookspecs import RELIABLE
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("kb", "flask", "sqlalchemy"))
print(" ".join(loaded))
"""


def test_hookimpl_and_the_records_do_not_import_the_app() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["kb", "kb.hookspecs", "kb.records"]


def test_create_app_is_still_reachable_from_the_package() -> None:
    import kb
    from kb.app import create_app

    assert kb.create_app is create_app
