"""Full-text search over articles and decision trees.

The engine (Whoosh) stays behind :mod:`kb.search.backend`, so it could be replaced; the index
follows the database's change sequence (:mod:`kb.search.sync`) and is always rebuildable.
"""
