"""Rendering keeps Markdown features and removes anything that could run in a reader's browser."""

import pytest

from kb.articles.render import render_markdown
from tests.conftest import REPO

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<div onmouseover="alert(1)">hover</div>',
    "<iframe src='https://evil.example'></iframe>",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
    "<style>body{display:none}</style>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendering_removes_script_payload(payload: str) -> None:
    html = render_markdown(f"Before\n\n{payload}\n\nAfter").html.lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html and "onload" not in html and "onmouseover" not in html
    assert "<iframe" not in html and "<style" not in html
    assert "data:text/html" not in html
    assert "before" in html and "after" in html


def test_markdown_features_survive_sanitising() -> None:
    text = """## Steps

| Key | Value |
|-----|-------|
| a   | b     |

!!! warning
    Back up first.

```powershell
Restart-Service -Name Spooler
```
"""
    result = render_markdown(text)
    assert '<h2 id="steps">' in result.html
    assert "<table>" in result.html
    assert 'class="admonition warning"' in result.html
    assert 'class="highlight"' in result.html and "Restart-Service" in result.html
    assert result.toc[0]["id"] == "steps"


def test_article_links_are_rewritten_and_collected() -> None:
    result = render_markdown("See [reset](reset-forgotten-password.md) and [run](/trees/vpn).\n")
    assert 'href="/articles/reset-forgotten-password"' in result.html
    assert result.article_links == [("reset-forgotten-password", 1)]
    assert result.tree_links == [("vpn", 1)]


def test_links_inside_code_are_not_links() -> None:
    result = render_markdown("```\n[x](other.md)\n```\n")
    assert result.article_links == []


def test_links_are_found_without_rendering_as_rendering_finds_them() -> None:
    """Import checks links with a fast scan; it must agree with the renderer."""
    import frontmatter

    from kb.articles.render import links_in_markdown

    bodies = [frontmatter.load(path).content for path in sorted(REPO.glob("articles/*.md"))]
    bodies.append(
        "See [reset](reset-password.md#steps) and [the tree](/trees/vpn-cannot-connect).\n\n"
        "```\n[not a link](code-only.md)\n```\n\nInline `[nor this](x.md)` and [more][ref].\n\n"
        "[ref]: other-article.md\n"
    )
    for body in bodies:
        rendered = render_markdown(body)
        articles, trees = links_in_markdown(body)
        assert sorted(slug for slug, _ in articles) == sorted(
            slug for slug, _ in rendered.article_links
        )
        assert sorted(t for t, _ in trees) == sorted(t for t, _ in rendered.tree_links)
    articles, trees = links_in_markdown(bodies[-1])
    assert articles == [("reset-password", 1), ("other-article", 9)]
    assert trees == [("vpn-cannot-connect", 1)]


def test_tables_sit_in_a_keyboard_reachable_region_that_scrolls_sideways() -> None:
    """On a phone a wide table scrolls in its region instead of widening the page; the region
    is focusable so keyboard users can scroll it, and an author cannot forge one."""
    markdown = (
        "| code | meaning |\n|---|---|\n| 809 | blocked |\n\n"
        '<div class="table-scroll" tabindex="0" onclick="x()">forged</div>'
    )
    html = render_markdown(markdown).html
    region = '<div class="table-scroll" role="region" tabindex="0" aria-label="Table"><table>'
    assert html.count(region) == 1 and html.count("</table></div>") == 1
    assert "onclick" not in html and html.count('tabindex="0"') == 1


def test_a_table_written_inside_an_attribute_is_text_not_a_table() -> None:
    """The table wrapper is added after sanitising: it must only ever meet real tags."""
    html = render_markdown('![<table> plan](plan.png) [map](http://example.org "</table>")').html
    assert "table-scroll" not in html
    assert 'alt="&lt;table&gt; plan"' in html and 'title="&lt;/table&gt;"' in html
