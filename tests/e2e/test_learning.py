"""In a real browser: resolved escalations become a new branch of the tree. A reviewer finds
the group on the heatmap and opens it as a branch; an author turns the same group into a branch
from the tree's editor, rewords the question, saves a draft and submits it; the reviewer finds
it in the review queue, with the tickets that motivated it on the history page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in
from tests.trees.learning_flow import TREE, escalate_and_resolve

pytestmark = pytest.mark.e2e

FUSER = "Replaced the fuser unit."


def test_resolved_escalations_become_a_branch_that_goes_to_review(page, app) -> None:
    ids = [
        escalate_and_resolve(app, "esc_printer_fault", FUSER, ["printer-jams-and-print-quality"])
        for _ in range(2)
    ]

    sign_in(page, "reviewer")
    page.goto(f"/reports/tree-heatmap?tree={TREE}")
    row = page.locator("tr", has_text=FUSER).filter(has=page.locator("text=Turn into a branch"))
    row.locator("text=Turn into a branch").click()
    page.wait_for_selector("#learned-from")
    assert "New branch from 2 resolved escalations" in page.inner_text("#learned-from")
    question = page.locator("textarea", has_text="Is it this: Replaced the fuser unit?")
    assert question.count() == 1
    page.click("text=Sign out")

    sign_in(page, "author")
    page.goto(f"/trees/{TREE}/edit")
    page.click("summary:has-text('Learned from resolved escalations')")
    page.locator("#learned-groups li", has_text=FUSER).locator("text=Turn into a branch").click()
    page.wait_for_selector("#learned-from")
    page.locator("textarea", has_text="Is it this: Replaced the fuser unit?").fill(
        "Does the printer screen show a fuser error?"
    )
    assert "resolved escalations" in page.input_value("#message")
    page.click("button[value=save]")
    page.wait_for_selector(".flash.success")
    page.goto(f"/trees/{TREE}/history")
    history = page.inner_text("main")
    assert "Motivated by 2 resolved tickets" in history
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector(".flash.success")
    page.click("text=Sign out")

    sign_in(page, "reviewer")
    page.goto("/dashboard")
    page.click('#awaiting-review a:has-text("My printer won\'t print")')
    page.wait_for_selector(".motivated-by")
    links = page.locator(".motivated-by a")
    assert links.count() == 2
    hrefs = {links.nth(i).get_attribute("href") for i in range(2)}
    assert hrefs == {f"/escalations/{public_id}" for public_id in ids}
    page.locator("td.actions a", has_text="Changes").first.click()
    page.wait_for_selector("h1:has-text('Revision 1 → 2')")
    assert "Motivated by 2 resolved tickets" in page.inner_text("main")
    assert "Does the printer screen show a fuser error?" in page.inner_text("main")
