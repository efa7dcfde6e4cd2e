"""Full-text search over articles and decision trees.

The engine (Whoosh) stays behind :mod:`kb.search.backend`, so a plugin can replace it
(:mod:`kb.search.conformance` checks one); the index follows the database's change sequence
(:mod:`kb.search.service`, :mod:`kb.search.follow`) and is always rebuildable.
"""
