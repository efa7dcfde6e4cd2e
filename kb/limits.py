"""Bounds on input, checked before the input costs time: the size and nesting of Markdown
(Python-Markdown's time grows with the square of nested brackets, lists and quotes, and deep
lists overflow its recursion), and how many items a list field may hold. Limits are settings
(kb.config.Defaults); outside an app the defaults apply."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, has_app_context

from kb.config import Defaults

_ESCAPED = re.compile(r"\\.")
_NOT_BRACKET = re.compile(r"[^\[\]\n]+")
_LINE_START = re.compile(r"^([ \t>]*)", re.MULTILINE)


def setting(name: str) -> int:
    """A limit from the running app's configuration, else its default."""
    default = getattr(Defaults, name)
    if has_app_context():
        return int(current_app.config.get(name) or default)
    return int(default)


def markdown_nesting(text: str) -> int:
    """How deep Markdown nests, found in one pass without parsing: unclosed and nested
    ``[`` within a paragraph (escaped ones do not count), and per line the list or code
    indentation (four columns a level) plus the ``>`` quote markers in front of it."""
    deepest = 0
    for paragraph in re.split(r"\n[ \t]*\n", _ESCAPED.sub("", text)):
        depth = 0
        for char in _NOT_BRACKET.sub("", paragraph):
            if char == "[":
                depth += 1
                deepest = max(deepest, depth)
            elif char == "]" and depth:
                depth -= 1
    for prefix in _LINE_START.findall(text):
        quotes = prefix.count(">")
        columns = len(prefix.replace(">", "").replace("\t", "    "))
        deepest = max(deepest, quotes + columns // 4)
    return deepest


def markdown_problem(text: str) -> str | None:
    """Why ``text`` is too big or nested too deeply to render, or None when it is fine."""
    limit = setting("MARKDOWN_MAX_CHARS")
    if len(text) > limit:
        return f"is {len(text):,} characters long: at most {limit:,} are allowed"
    nesting = setting("MARKDOWN_MAX_NESTING")
    if markdown_nesting(text) > nesting:
        return (
            f"nests brackets, lists or quotes more than {nesting} levels deep: "
            "flatten it (or escape literal brackets as \\[)"
        )
    return None


def too_long(items: Any, name: str = "LIST_MAX_ITEMS") -> str | None:
    """Why a list field holds too many items, or None."""
    limit = setting(name)
    if isinstance(items, list | tuple) and len(items) > limit:
        return f"at most {limit} items"
    return None


def whole_number(text: str) -> int | None:
    """The number ``text`` spells in ASCII digits 0-9 (a non-negative int), else None.
    ``str.isdigit()`` is no guard before ``int()``: it is true for "²", which int() refuses
    (a 500 where a 422 was meant), and for "٣", which int() reads as 3."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    return int(text)
