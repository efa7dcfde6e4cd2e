"""The side-by-side diff gives the text the room, not the line numbers."""

from __future__ import annotations

import pytest

from tests.articles.test_workflow import ARTICLE, Api
from tests.conftest import AuthActions
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

WIDTHS = """() => [...document.querySelector('table.diff tbody tr:not(.gap)').children]
  .map(cell => cell.getBoundingClientRect().width)"""


@pytest.fixture
def changed_article(app) -> str:
    client = app.test_client()
    AuthActions(client).login("author")
    api = Api(client)
    created = api.post("/articles", ARTICLE).get_json()
    slug = created["slug"]
    head = api.get(f"/articles/{slug}?draft=1").get_json()["head_revision_id"]
    body = ARTICLE["body"] + "\n\nOne more line of text that is long enough to wrap somewhere."
    assert (
        api.put(
            f"/articles/{slug}", {**ARTICLE, "body": body, "base_revision_id": head}
        ).status_code
        == 200
    )
    return slug


@pytest.mark.parametrize(("mode", "texts"), [("side", (1, 3)), ("inline", (2,))])
@pytest.mark.parametrize("width", [1280, 375])
def test_line_numbers_are_narrow_and_the_text_gets_the_rest(
    page, changed_article, mode, texts, width
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, "author")
    page.goto(f"/articles/{changed_article}/diff?from=1&to=2&mode={mode}")
    cells = page.evaluate(WIDTHS)
    numbers = [w for i, w in enumerate(cells) if i not in texts]
    assert all(20 <= w <= 64 for w in numbers), cells  # room for four digits, no more
    assert all(cells[i] >= 3 * max(numbers) for i in texts), cells
