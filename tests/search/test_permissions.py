"""Hidden documents leak through nothing: results, counts, facets, suggestions, autocomplete."""

from __future__ import annotations

import pytest

from tests.search.helpers import api_post, publish, search, slugs

SECRET = {
    "title": "Zanzibar console recovery runbook",
    "slug": "zanzibar-runbook",
    "summary": "Internal steps for the zanzibar console.",
    "tags": "zanzibarsecret",
    "category": "Runbooks",
    "service": "zanzibar",
    "audience": "internal",
    "body": "## Steps\n\nLog on to the zanzibar console with the breakglass account.",
}


@pytest.fixture
def secret(client, auth) -> dict:
    return publish(client, auth, **SECRET)


def _everything(client, q: str) -> str:
    """Every search surface, as one text to look for leaks in."""
    parts = [
        client.get("/api/v1/search", query_string={"q": q}).get_data(as_text=True),
        client.get("/search", query_string={"q": q}).get_data(as_text=True),
        client.get("/api/v1/search/suggest", query_string={"q": q}).get_data(as_text=True),
    ]
    return "\n".join(parts).lower()


@pytest.mark.parametrize("who", [None, "requester"])
def test_internal_articles_do_not_exist_for_end_users(client, auth, secret, who) -> None:
    if who:
        auth.login(who)
    for q in (
        "zanzibar",
        "zanzibar console",
        "breakglass",
        "zanzibr",
        "tag:zanzibarsecret",
        "service:zanzibar",
        "Zanzibar console recovery",
    ):
        seen = _everything(client, q)
        for marker in (
            "zanzibar-runbook",
            "recovery runbook",
            "runbooks",
            "breakglass account",
            "internal steps",
        ):
            assert marker not in seen, (q, marker)
    result = search(client, "console")
    assert "article:zanzibar-runbook" not in slugs(result)
    for facet in result["facets"].values():
        assert all("zanzibar" not in f["value"] for f in facet)
    # a misspelling of a hidden-only word gets no "did you mean" either
    assert search(client, "zanzibr")["suggestion"] is None


@pytest.mark.parametrize("who", ["technician", "author", "reviewer", "admin"])
def test_technicians_and_above_find_internal_articles(client, auth, secret, who) -> None:
    auth.login(who)
    assert slugs(search(client, "zanzibar console"))[0] == "article:zanzibar-runbook"
    assert search(client, "zanzibr")["suggestion"] == "zanzibar"
    suggest = client.get("/api/v1/search/suggest", query_string={"q": "zanzi"}).get_json()
    assert [s["slug"] for s in suggest["suggestions"]] == ["zanzibar-runbook"]


def test_technician_trees_are_hidden_from_end_users(client, auth) -> None:
    public = search(client, "new hire provisioning account laptop", kind="tree")
    assert "tree:new-hire-provisioning" not in slugs(public)
    auth.login("technician")
    staff = search(client, "new hire provisioning account laptop", kind="tree")
    assert "tree:new-hire-provisioning" in slugs(staff)


def test_drafts_and_proposals_are_found_by_nobody(client, auth) -> None:
    auth.login("author")
    created = api_post(
        client,
        "/articles",
        {
            "title": "Quokka draft",
            "body": "quokkaword only here",
            "audience": "public",
            "category": "Testing",
            "service": "testing",
            "owner": "author@example.org",
        },
    )
    assert created.status_code == 201
    for who in (None, "author", "admin"):
        auth.logout()
        if who:
            auth.login(who)
        assert search(client, "quokkaword")["total"] == 0


def test_counts_and_facets_for_end_users_count_only_what_they_can_open(
    client, auth, secret
) -> None:
    publish(
        client,
        auth,
        title="Zanzibar kiosk for visitors",
        category="Visitors",
        body="The zanzibar kiosk prints visitor badges.",
    )
    anonymous = search(client, "zanzibar")
    assert anonymous["total"] == 1
    assert {f["value"] for f in anonymous["facets"]["category"]} == {"visitors"}
    auth.login("technician")
    staff = search(client, "zanzibar")
    assert staff["total"] == 2
    assert {f["value"] for f in staff["facets"]["category"]} == {"visitors", "runbooks"}


@pytest.mark.parametrize("who", [None, "requester"])
def test_technician_wording_of_a_public_tree_is_not_searchable(client, auth, who) -> None:
    """The locked-out tree is public; its technician text (writeback, identity checks) is not."""
    if who:
        auth.login(who)
    assert search(client, "writeback")["total"] == 0
    for q in ("writeback unlocks", "lockout source failing device"):
        result = search(client, q)
        shown = " ".join(hit["snippet"] + hit["summary"] for hit in result["results"])
        assert "writeback" not in shown.lower() and "lockout source" not in shown.lower(), q
    auth.logout()
    auth.login("technician")
    assert "tree:locked-out-password" in slugs(search(client, "account locked out"))
