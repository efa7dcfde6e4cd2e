"""Built-in search engine: Whoosh, in ``instance/index/``.

A plugin like any other, so a site can switch it off (DISABLED_PLUGINS) and register its own
engine through ``kb_register_search_backends``.
"""

from __future__ import annotations

from typing import Any

from kb import hookimpl


def _whoosh(kb: Any) -> Any:
    from kb.search.synonyms import Synonyms
    from kb.search.whoosh_backend import WhooshBackend

    path = kb.instance_path / kb.config["SEARCH_INDEX_DIR"]
    synonyms = Synonyms.load(kb.instance_path / kb.config["SEARCH_SYNONYMS_FILE"])
    return WhooshBackend(path, synonyms)


@hookimpl(trylast=True)
def kb_register_search_backends(kb: Any) -> list[tuple[str, Any]]:
    return [("whoosh", _whoosh)]
