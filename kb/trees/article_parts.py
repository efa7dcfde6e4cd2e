"""The part of an article a diagnostic step shows: one section of its rendered HTML (the step
names it by the heading's anchor), and the article without its "run the diagnostic" prompts,
which make no sense inside a diagnostic. Works on the sanitised HTML kb's Markdown renders
(headings carry ids; blocks are p, li and admonition divs)."""

from __future__ import annotations

import re

_HEADING = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>')
# A sentence holding a link to a diagnostic (/trees/...): from the start of its block or the
# end of the previous sentence (with a short lead-in question such as "Still stuck?"), through
# the link, to its full stop. Block tags end it.
_INLINE = r"(?:[^<.!?]|<(?!/?(?:p|li|div|ul|ol|h[1-6])\b)[^>]*>)"
_LEAD_IN = r"(?:[^<.!?]{1,60}\?\s+)?"
_TREE_LINK = r'<a href="/trees/[^"]*"[^>]*>.*?</a>'
_TREE_PROMPT = re.compile(
    rf"(?:(?<=>)|(?<=[.!?] ))\s*{_LEAD_IN}{_INLINE}*?{_TREE_LINK}{_INLINE}*[.!?]?[ \t]*", re.S
)
_EMPTY = (
    re.compile(r"<p>\s*</p>\s*"),
    re.compile(r"<li>\s*</li>\s*"),
    re.compile(
        r'<div class="admonition[^"]*">\s*(?:<p class="admonition-title">[^<]*</p>\s*)?</div>\s*'
    ),
)


def without_tree_prompts(html: str) -> str:
    """``html`` without the sentences that send the reader to a diagnostic (and the blocks,
    list items or notes those sentences leave empty)."""
    cleaned = _TREE_PROMPT.sub("", html)
    for empty in _EMPTY:
        cleaned = empty.sub("", cleaned)
    return cleaned


def section(html: str, anchor: str) -> str:
    """The heading with id ``anchor`` and what follows it up to the next heading of the same
    or a higher level; empty when the article has no such heading."""
    headings = list(_HEADING.finditer(html))
    for index, found in enumerate(headings):
        if found.group(2) != anchor:
            continue
        level = int(found.group(1))
        end = next(
            (h.start() for h in headings[index + 1 :] if int(h.group(1)) <= level), len(html)
        )
        return html[found.start() : end].strip()
    return ""


def anchors(html: str) -> list[str]:
    """The ids of the headings a step may name as its section."""
    return [found.group(2) for found in _HEADING.finditer(html)]
