"""Where kb may send a browser back to: the one check for every ``next`` taken from a request."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_local_path(target: str) -> bool:
    """A path on this site: starts with one ``/``, no scheme or host, no backslash (browsers
    read ``/\\host`` as ``//host``), no control characters or spaces (browsers drop some of
    them, so ``/<tab>/host`` would become ``//host``)."""
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def local_target(target: str | None, default: str) -> str:
    """``target`` when it is a local path, else ``default`` (a URL kb built itself)."""
    return target if target and is_local_path(target) else default
