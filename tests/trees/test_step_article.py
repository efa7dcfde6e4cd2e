"""A step that links an article shows its summary and the one section the step names; the
whole article waits behind <details>, and never with its prompt to run the diagnostic."""

from __future__ import annotations

from tests.trees.helpers import start, step

TO_THE_QUEUE = [
    {"value": "PRN-HQ-2-01"},
    {"answer": "No, or I'm not sure"},
    {"answer": "No, or I can't see the printer"},
    {"answer": "Yes, or I don't know"},
]


def walk(client, moves: list[dict[str, str]]) -> str:
    token = start(client, "printer-not-printing")
    for move in moves:
        assert step(client, token, **move).status_code == 302
    return client.get(f"/sessions/{token}").get_data(as_text=True)


def test_a_step_shows_its_section_and_keeps_the_rest_behind_details(client) -> None:
    html = walk(client, TO_THE_QUEUE)
    assert "Open Settings &gt; Bluetooth" in html  # the step (a_queue) itself
    shown, _, hidden = html.partition('<details class="article-full">')
    hidden = hidden.partition("</details>")[0]
    assert "Printer not printing" in shown  # the article's title and summary
    assert 'id="3-check-the-print-queue-windows-11"' in shown
    assert 'id="1-check-the-printer-itself"' not in shown and 'id="cause"' not in shown
    assert 'id="1-check-the-printer-itself"' in hidden and 'id="cause"' in hidden


def test_the_article_never_prompts_to_run_the_diagnostic_inside_it(client) -> None:
    html = walk(client, TO_THE_QUEUE)
    assert "Prefer a guided check?" not in html
    assert "Run the printer diagnostic" not in html


def test_a_step_without_a_section_shows_the_summary_only(client) -> None:
    html = walk(client, [{"value": "PRN-HQ-2-01"}, {"answer": "No, or I'm not sure"},
                         {"answer": "Yes, it shows a message"}])  # fmt: skip
    shown = html.partition('<details class="article-full">')[0]
    assert 'class="article-summary"' in shown and "article-section" not in shown
    assert "<h2" not in shown.partition('class="inline-article"')[2]
