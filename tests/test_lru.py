"""kb.lru: the bounded map behind every per-process cache."""

from __future__ import annotations

from kb.lru import LRU


def test_the_least_recently_used_goes_first_and_size_zero_keeps_nothing() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0
    off: LRU[str, int] = LRU(0)
    off.put("a", 1)
    assert off.get("a") is None and len(off) == 0
