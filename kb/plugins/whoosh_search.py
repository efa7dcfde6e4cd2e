"""Built-in search engine: Whoosh, in ``instance/index/``.

A plugin like any other, so a site can switch it off (DISABLED_PLUGINS) and register its own
engine through ``kb_register_search_backends`` (see docs/plugins.md, "Search backends").
"""

from __future__ import annotations

from typing import Any

from kb import hookimpl
from kb.search.backend import BackendFactory
from kb.search.synonyms import Synonyms
from kb.search.whoosh_backend import WhooshBackend


def _whoosh(kb: Any) -> WhooshBackend:
    path = kb.instance_path / kb.config["SEARCH_INDEX_DIR"]
    synonyms = Synonyms.load(kb.instance_path / kb.config["SEARCH_SYNONYMS_FILE"])
    kept = int(kb.config.get("SEARCH_ANSWERS_KEPT", 512))
    return WhooshBackend(path, synonyms, answers_kept=kept)


@hookimpl(trylast=True)
def kb_register_search_backends(kb: Any) -> list[tuple[str, BackendFactory]]:
    return [("whoosh", _whoosh)]
