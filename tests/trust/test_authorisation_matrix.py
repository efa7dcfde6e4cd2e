"""The authorisation matrix, generated from the URL map: every route and method, for every role
and anonymous, over objects in every state, checked against one table of who may use what.

- An endpoint without an entry in ``TABLE`` fails, and so does an entry for an endpoint that no
  longer exists: a new route must say who may use it.
- Reads (GET) run on one arranged instance; writes (POST/PUT/DELETE, and GETs that change
  something) run on a fresh copy per endpoint, roles from the least trusted up, with a valid
  CSRF token and an empty body, so what is checked is authorisation, not validation.
- An allowed role never gets 401/403 (nor 404 for a read, or a redirect to sign-in); a denied
  role gets 401/403/404 or a redirect to sign-in, never 2xx; nobody gets a 5xx.
- Leaks: no role below the one a hidden thing is for (anonymous visitors and requesters for
  internal and technician things, technicians too for unpublished work) sees its marker word in
  any GET body, including search results, totals, facets, suggestions, snippets, reports,
  flowcharts and transcripts; an administrator sees every marker somewhere, so the check is not
  vacuous. Anonymous visitors and requesters see no one else's session address, escalation id,
  follow-up or subscription link or API token except on that thing's own page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import product
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Blueprint, Flask, url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule as UrlRule

from kb import hookimpl
from kb.extensions import kb_state
from kb.reports.views import REPORTS
from tests.conftest import csrf_token
from tests.trust.matrix_world import MARKER_LEAST, MARKERS, ROLES, World, arrange, build_app, login

RANK = {role: index for index, role in enumerate(ROLES)}
NOBODY = "nobody"  # a rank above every role: no session passes (a secret or a state refuses)
RANK[NOBODY] = len(ROLES)

ARTICLE_STATES: dict[str, str | None] = {
    "public": None,
    "live with a draft": None,
    "internal": "technician",
    "draft": "author",
    "in review": "author",
    "archived": "author",
    "the technician's own proposal": "technician",  # the proposer, then authors and above
    "another technician's proposal": "author",
}
# Feedback and flags are for live articles only: no role may vote on a draft.
LIVE_ARTICLE_STATES = {
    **ARTICLE_STATES,
    "draft": NOBODY,
    "in review": NOBODY,
    "archived": NOBODY,
    "the technician's own proposal": NOBODY,
    "another technician's proposal": NOBODY,
}
TREE_STATES: dict[str, str | None] = {
    "public": None,
    "technician": "technician",
    "draft": "author",
    "archived": "author",
}
# A diagnostic session's address is its capability (README: "unguessable and can be reopened
# later"); technician-mode sessions exist only for technicians and above.
SESSION_STATES: dict[str, str | None] = {
    "anonymous visitor's": None,
    "another requester's": None,
    "technician's": "technician",
}

# The escalation form filled from a session that ended in escalation (?session=<address>).
ESCALATION_FORM_STATES: dict[str, str | None] = {
    "empty": None,
    "from another requester's session": None,
    "from a technician's session": "technician",
}


@dataclass(frozen=True)
class Rule:
    """The least role that may use an endpoint, raised per state of the object it names."""

    least: str | None = None
    states: dict[str, str | None] = field(default_factory=lambda: {"-": None})
    why: str = ""
    # A link that works once (unsubscribe): later roles may find it gone (404).
    once: bool = False
    # States where the object's own rule replaces the role (a proposer's own proposal).
    exempt: frozenset[str] = frozenset()

    def least_for(self, state: str) -> int:
        if state in self.exempt:
            return RANK[self.states[state]]
        return max(RANK[self.least], RANK[self.states[state]])


def anyone(why: str = "") -> Rule:
    return Rule(None, why=why)


def at_least(role: str) -> Rule:
    return Rule(role)


def article(
    least: str | None = None,
    states: dict[str, str | None] = ARTICLE_STATES,
    proposer: bool = False,
) -> Rule:
    """The article's audience and status decide, then the role; with ``proposer`` the
    technician who proposed it may too."""
    exempt = frozenset({"the technician's own proposal"}) if proposer else frozenset()
    return Rule(least, states, "audience and status, then the role", exempt=exempt)


def tree(least: str | None = None) -> Rule:
    return Rule(least, TREE_STATES, "technician trees for technicians; unpublished for authors")


def diagnostic_session() -> Rule:
    return Rule(None, SESSION_STATES, "whoever holds the address; technician sessions for staff")


def report(least: str) -> Rule:
    return Rule(least, {name: None for name in REPORTS}, "every report, in each of its forms")


def secret_only(why: str) -> Rule:
    return Rule(NOBODY, why=why)


# One entry per endpoint (``{method: Rule}`` when methods differ).
TABLE: dict[str, Rule | dict[str, Rule]] = {
    # pages and files anyone may read
    "static": anyone(),
    "articles.pygments_css_file": anyone(),
    "articles.home": anyone("public content only for anonymous (checked by the leak test)"),
    "articles.browse": anyone("public content only for anonymous"),
    "articles.show": article(),
    "search.search_page": anyone("results, totals, facets, snippets of visible content only"),
    "search.go": anyone(),
    "search.api_search": anyone("results, totals, facets, snippets of visible content only"),
    "search.api_suggest": anyone("suggestions from visible content only"),
    "auth.login": anyone(),
    "auth.logout": anyone(),
    "auth.me": anyone("anonymous gets authenticated: false"),
    "api.openapi": anyone(),
    # health checks for load balancers: each check's state only, never a reason
    "health.healthz": anyone("liveness: the process answers"),
    "health.readyz": anyone("readiness: ok/failing per check, no details"),
    # articles: reading, feedback, flags
    "articles_api.list_articles": anyone("public content only for anonymous"),
    "articles_api.get_article": article(),
    "editor.give_feedback": article(states=LIVE_ARTICLE_STATES),
    "articles_api.article_feedback": article(states=LIVE_ARTICLE_STATES),
    "editor.flag": article("requester", LIVE_ARTICLE_STATES),
    "articles_api.article_flag": article("requester", LIVE_ARTICLE_STATES),
    "editor.resolve_flag": article("reviewer"),  # or the article's owner
    # articles: authoring and review
    "editor.new": at_least("technician"),  # below author it becomes a proposal
    "articles_api.create_article": at_least("technician"),
    "editor.preview_api": at_least("technician"),
    # an author's unpublished draft on a live article is for people who may edit that draft
    "editor.edit": article("technician", {**ARTICLE_STATES, "live with a draft": "author"}),
    "articles_api.update_article": article(
        "technician", {**ARTICLE_STATES, "live with a draft": "author"}
    ),
    "editor.comment": article("author", proposer=True),
    "editor.history": article("author", proposer=True),
    "editor.revision": article("author", proposer=True),
    "editor.diff": article("author", proposer=True),
    "articles_api.article_history": article("author", proposer=True),
    "articles_api.article_diff": article("author", proposer=True),
    "editor.restore": article("author"),
    "articles_api.article_restore": article("author"),
    "editor.change_status": article("author", proposer=True),  # "submit": or the proposer
    "articles_api.article_transition": article("author", proposer=True),
    "editor.dashboard": at_least("requester"),
    # decision trees and diagnostic sessions
    "trees.catalogue": anyone("technician trees and drafts listed for staff only"),
    "trees_api.list_trees": anyone("technician trees for technicians only"),
    "trees.landing": tree(),
    "trees.flowchart": tree(),
    "trees_api.get_tree_json": tree(),
    "trees.start": tree(),
    "trees_api.start_session": tree(),  # the body names the tree (BODIES)
    "trees.step": diagnostic_session(),
    "trees.transcript": diagnostic_session(),
    "trees_api.get_session": diagnostic_session(),
    "trees_api.answer": diagnostic_session(),
    "trees_api.back": diagnostic_session(),
    "trees_api.didnt_help": diagnostic_session(),
    "trees_api.fixed": diagnostic_session(),
    "trees_api.not_fixed": diagnostic_session(),
    "trees_api.abandon": diagnostic_session(),
    "tree_flags.flag_step": diagnostic_session(),  # anonymous visitors throttled like votes
    "tree_flags.flag_step_api": diagnostic_session(),
    "tree_flags.tree_flags": tree("author"),
    "tree_flags.tree_flags_api": tree("author"),
    # the tree's own authors (the unpublished tree is the matrix author's) or reviewers
    "tree_flags.resolve": Rule("reviewer", TREE_STATES, "author of the tree", exempt={"draft"}),
    "tree_flags.resolve_api": Rule("reviewer", TREE_STATES, "author of the tree", exempt={"draft"}),
    "tree_editor.new": at_least("author"),
    "tree_editor.preview": at_least("author"),
    "tree_editor.edit": tree("author"),
    "tree_editor.history": tree("author"),
    "tree_editor.fix_groups": tree("author"),  # resolved escalations grouped by fix (JSON)
    "tree_editor.diff": tree("author"),
    "tree_editor.restore": tree("author"),
    "tree_editor.change_status": tree("author"),  # action "submit"
    # escalations, follow-ups, the ticket queue
    "escalation.new_escalation": Rule(None, ESCALATION_FORM_STATES, "filled from a session"),
    "escalation.create_api": Rule(None, ESCALATION_FORM_STATES, "from a session (BODIES)"),
    "escalation.status": anyone("whoever holds the request's unguessable id"),
    "escalation.status_api": anyone("whoever holds the request's unguessable id"),
    "escalation.answer_followup": anyone("whoever holds the follow-up link"),
    "escalation.followup_list": at_least("technician"),
    "queue.queue": at_least("technician"),
    "queue.queue_api": at_least("technician"),
    "queue.ticket": at_least("technician"),
    "queue.assign": at_least("technician"),
    "queue.comment": at_least("technician"),
    "queue.resolve": at_least("technician"),
    "queue.resolve_api": at_least("technician"),
    # outages
    "outages.index": anyone(),
    "outages.show": anyone("attached escalations for technicians only"),
    "outages.list_api": anyone(),
    "outages.get_api": anyone(),
    # requests: the chooser and forms are anyone's; the approver holds a signed link
    "requests.choose": anyone(),
    "requests.new_request": anyone(),
    "requests.types_api": anyone(),
    "requests.create_api": anyone(),
    "requests.approve": anyone("whoever holds the approver's signed link"),
    "requests.approve_api": anyone("whoever holds the approver's signed link"),
    "requests.new_approval_link": at_least("technician"),
    "outages.subscribe": anyone(),
    "outages.subscribe_api": anyone(),
    "outages.confirm_subscription": anyone("whoever holds the signed link"),
    "outages.unsubscribe": Rule(None, why="whoever holds the link", once=True),
    "outages.declare": at_least("technician"),
    "outages.declare_api": at_least("technician"),
    "outages.add_update": at_least("technician"),
    "outages.update_api": at_least("technician"),
    "outages.close": at_least("technician"),
    "outages.close_api": at_least("technician"),
    # reports
    "reports.index": at_least("reviewer"),
    "reports.show": report("reviewer"),
    "reports.csv": report("reviewer"),
    "reports.api": report("reviewer"),
    # administration
    "auth.users_page": at_least("admin"),
    "auth.activate_user": at_least("admin"),
    "auth.deactivate_user": at_least("admin"),
    "auth.revoke_token": at_least("admin"),
    "escalation.outbox_page": at_least("admin"),
    "escalation.outbox_retry": at_least("admin"),
    # other systems: a shared secret or a signature, never a session
    "request_tracker.rt_ticket_resolved": secret_only("X-KB-RT-Secret"),
    "webhooks.inbound_ticket_resolved": secret_only("HMAC signature (X-KB-Signature)"),
}

# GETs that change something: run with the writes, on a fresh copy.
WRITING_GETS = {"outages.unsubscribe"}


def rule_for(endpoint: str, method: str) -> Rule:
    entry = TABLE[endpoint]
    return entry[method] if isinstance(entry, dict) else entry


# --- URL parameters from the arranged objects, per state ---------------------------------------

ARTICLE_SLUGS = {
    "public": "change-password",
    "live with a draft": "mx-pending",
    "internal": "mx-internal",
    "draft": "mx-draft",
    "in review": "mx-review",
    "archived": "mx-archived",
    "the technician's own proposal": "mx-own-proposal",
    "another technician's proposal": "mx-proposal",
}
TREE_IDS = {
    "public": "mx-public-tree",
    "technician": "mx-tech-tree",
    "draft": "mx-draft-tree",
    "archived": "mx-archived-tree",
}


def parameters(world: World, endpoint: str, name: str, state: str) -> Any:
    """The value of URL parameter ``name`` for ``endpoint`` and the state of its object."""
    v = world.values
    if name == "slug":
        return ARTICLE_SLUGS[state]
    if name == "tree_id":
        return TREE_IDS[state]
    if name == "token":
        if endpoint.startswith(("trees.", "trees_api.", "tree_flags.")):
            return {
                "anonymous visitor's": v["anon_session"],
                "another requester's": v["victim_session"],
                "technician's": v["tech_session"],
            }[state]
        if endpoint == "escalation.answer_followup":
            return v["followup_token"]
        if endpoint == "outages.unsubscribe":
            return v["unsubscribe_token"]
    if name == "link" and endpoint.startswith("requests."):
        return v["approval_link"]
    if name == "public_id" and endpoint.startswith("requests."):
        return v["request_public_id"]
    if name == "key":  # a request type
        return "software"
    if name == "name":  # reports
        return state
    if name == "flag_id" and endpoint.startswith("tree_flags."):
        return v["step_flag_id"][TREE_IDS[state]]
    if name == "flag_id":
        return v["flag_id"][ARTICLE_SLUGS[state]]
    fixed = {
        "number": 1,
        "action": "submit",
        "public_id": v["public_id"],
        "outage_id": v["outage_id"],
        "link": v["confirm_link"],
        "ticket_id": v["ticket_id"],
        "message_id": v["message_id"],
        "user_id": v["user_id"],
        "token_id": v["token_id"],
        "filename": "kb.css",
    }
    return fixed[name]


def query_parameters(world: World, endpoint: str, state: str) -> dict[str, str]:
    """Query-string parameters that name an object, per state (url_for appends them)."""
    if endpoint == "escalation.new_escalation" and state != "empty":
        key = "victim_session" if "requester" in state else "tech_session"
        return {"session": world.values[key]}
    return {}


# Extra query strings for GETs, so search, suggestions, facets and filters are exercised with
# every marker (a hidden thing must not be found, counted, suggested or quoted).
def queries(endpoint: str, world: World) -> list[dict[str, str]]:
    words = list(MARKERS.values())
    if endpoint in ("search.search_page", "search.api_search"):
        return (
            [{}, {"q": "printer"}, {"q": "matrix"}, {"q": "printer", "kind": "tree"}]
            + [{"q": word} for word in words]
            + [{"q": word[:-1]} for word in words]  # spelling suggestions
            + [{"q": "matrix", "tag": "matrix"}, {"q": "printer", "service": "printing"}]
            + [{"q": "matrix test printer", "per_page": "100"}]
        )
    if endpoint == "search.api_suggest":
        return [{"q": "zq"}, {"q": "matr"}] + [{"q": word[:6]} for word in words]
    if endpoint == "articles.browse":
        return [{}, {"tag": "matrix"}, {"category": "Printing"}, {"service": "printing"}]
    if endpoint == "articles_api.list_articles":  # one page, so the total can be checked
        return [
            {"per_page": "200", **extra}
            for extra in ({}, {"tag": "matrix"}, {"category": "Printing"}, {"service": "printing"})
        ]
    if endpoint == "trees.flowchart":
        return [{}, {"revision": "1"}]
    return [{}]


# --- the arranged instance -------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, template_instances) -> World:
    return arrange(tmp_path_factory.mktemp("matrix") / "instance", template_instances["bundled"])


FIGURES: dict[str, Any] = {
    "requests": 0,
    "read requests": 0,
    "write requests": 0,
    "5xx": 0,
    "leaks": 0,
}


def endpoints_and_methods(app: Flask) -> list[tuple[UrlRule, str]]:
    found = []
    for url_rule in app.url_map.iter_rules():
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            found.append((url_rule, method))
    return sorted(found, key=lambda pair: (pair[0].endpoint, pair[1]))


def cases(world: World, app: Flask, writes: bool):
    """(url rule, method, state, path) for every route and method, reads or writes."""
    for url_rule, method in endpoints_and_methods(app):
        is_write = method != "GET" or url_rule.endpoint in WRITING_GETS
        if is_write != writes:
            continue
        entry = rule_for(url_rule.endpoint, method)
        for state in entry.states:
            values = {
                name: parameters(world, url_rule.endpoint, name, state)
                for name in url_rule.arguments
            }
            values.update(query_parameters(world, url_rule.endpoint, state))
            with app.test_request_context():
                path = url_for(url_rule.endpoint, **values)
            yield url_rule, method, entry, state, path


def to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and urlsplit(
        response.headers.get("Location", "")
    ).path.startswith("/login")


def judge(response, allowed: bool, write: bool, entry: Rule, api: bool = False) -> str | None:
    """What is wrong with this response, or None."""
    status = response.status_code
    FIGURES["requests"] += 1
    FIGURES["write requests" if write else "read requests"] += 1
    if status >= 500:
        FIGURES["5xx"] += 1
        return f"{status} server error"
    if allowed:
        if status in (401, 403) or to_sign_in(response):
            return f"allowed but refused ({status})"
        if status == 404 and not (write and entry.once):
            return "allowed but 404"
        if status == 405:
            return "405 on a listed method"
        return None
    if status in (401, 403, 404):
        return None
    if to_sign_in(response):  # a page sends a person to sign in; the API answers 401
        return "API redirected to sign-in" if api else None
    return f"denied but got {status}"


# Hidden things by the name search results link to (for search only: an error page may repeat
# the address it was asked for).
HIDDEN_NAMES = (
    "mx-internal",
    "mx-draft",
    "mx-review",
    "mx-archived",
    "mx-tech-tree",
    "mx-own-proposal",
    "mx-proposal",
)  # prefixes of hidden trees' ids too


LISTINGS = {
    "articles.home",
    "articles.browse",
    "articles_api.list_articles",
    "trees.catalogue",
    "trees_api.list_trees",
    "editor.dashboard",
}


def search_leaks(url_rule: UrlRule, response) -> list[str]:
    """Search results, lists, totals and facets count nothing hidden from this person."""
    if not (url_rule.endpoint.startswith("search.") or url_rule.endpoint in LISTINGS):
        return []
    body = response.get_data(as_text=True)
    found = [f"links to hidden {name}" for name in HIDDEN_NAMES if name in body]
    if (
        url_rule.endpoint in ("articles_api.list_articles", "trees_api.list_trees")
        and response.is_json
    ):
        data = response.get_json()
        if data.get("per_page", 200) >= 200 and data["total"] != len(data["items"]):
            found.append(f"total {data['total']} but {len(data['items'])} items")
    if url_rule.endpoint == "search.api_search" and response.status_code == 200:
        data = response.get_json()
        if data["pages"] <= 1 and data["total"] != len(data["results"]):
            found.append(f"total {data['total']} but {len(data['results'])} results")
        for name, values in data["facets"].items():
            for entry in values:
                hits = [hit for hit in data["results"] if _facet_value(hit, name, entry["value"])]
                if data["pages"] <= 1 and entry["count"] != len(hits):
                    found.append(f"facet {name}={entry['value']} counts {entry['count']}")
    return found


def _facet_value(hit: dict[str, Any], name: str, value: str) -> bool:
    if name in ("tag", "tags"):
        return value in hit["tags"]
    return hit.get(name) == value


def who(role: str | None) -> str:
    return role or "anonymous"


def table_problems(app: Flask) -> list[str]:
    """Routes without an entry, and entries (or their methods) without a route."""
    endpoints = {url_rule.endpoint for url_rule in app.url_map.iter_rules()}
    methods = {(r.endpoint, m) for r, m in endpoints_and_methods(app)}
    problems = [
        f"no entry in TABLE for route endpoint {e}" for e in sorted(endpoints - TABLE.keys())
    ]
    problems += [
        f"TABLE names {e}, which no longer exists" for e in sorted(TABLE.keys() - endpoints)
    ]
    for endpoint, entry in TABLE.items():
        if isinstance(entry, dict):
            problems += [
                f"TABLE: {endpoint} has no {m}" for m in entry if (endpoint, m) not in methods
            ]
    return problems


def test_the_table_has_one_entry_per_endpoint(world: World) -> None:
    app = build_app(world.copy_to(world.folder.parent / "table-check"))
    try:
        assert table_problems(app) == []
        FIGURES["routes"] = len(list(app.url_map.iter_rules()))
        FIGURES["endpoint methods"] = len(endpoints_and_methods(app))
    finally:
        kb_state(app).engine.dispose()


class ExtraRoutes:
    """A plugin adding a route the table does not know."""

    @hookimpl
    def kb_register_blueprints(self, kb):
        extra = Blueprint("extra", __name__)
        extra.add_url_rule("/extra", "page", lambda: "extra")
        return [extra]


def test_a_new_route_without_an_entry_fails(make_app) -> None:
    app = make_app(content="empty", plugins=[ExtraRoutes()])
    try:
        assert "no entry in TABLE for route endpoint extra.page" in table_problems(app)
    finally:
        kb_state(app).engine.dispose()


def test_reads_follow_the_table_and_leak_nothing(world: World) -> None:
    started = time.perf_counter()
    app = build_app(world.copy_to(world.folder.parent / "reads"))
    clients = {role: login(app, role) for role in ROLES}
    problems: list[str] = []
    leaks: list[str] = []
    seen: dict[str | None, set[str]] = {role: set() for role in ROLES}
    # Addresses, tokens and personal data that are someone else's: shown on no page but the
    # pages of the thing they belong to (whose addresses are listed after each).
    v = world.values
    own_escalation = [v["public_id"], v["followup_token"]]
    own_request = [v["request_public_id"], v["approval_link"]]
    secrets = {
        "another requester's session address": (v["victim_session"], [v["victim_session"]]),
        "a technician's session address": (v["tech_session"], [v["tech_session"]]),
        "another person's API token": (v["victim_token"], []),
        "someone's escalation id": (v["public_id"], own_escalation),
        "someone's follow-up link": (v["followup_token"], own_escalation),
        "someone's unsubscribe link": (v["unsubscribe_token"], [v["unsubscribe_token"]]),
        "someone's confirmation link": (v["confirm_link"], [v["confirm_link"]]),
        "a requester's address": ("pat@example.org", own_escalation),
        "an attached escalation's id": (v["attached_public_id"], [v["attached_public_id"]]),
        "an attached requester's address": ("sam.roe@example.org", [v["attached_public_id"]]),
        "a requester's name": ("Pat Doe", own_escalation),
        "an attached requester's name": ("Sam Roe", [v["attached_public_id"]]),
        "someone's request id": (v["request_public_id"], own_request),
        "someone's approval link": (v["approval_link"], [v["approval_link"]]),
        "a request's requester": ("kim.lee@example.org", own_request),
        "a request's approver": ("boss.lee@example.org", own_request),
    }
    try:
        for url_rule, _method, entry, state, path in cases(world, app, writes=False):
            for role in ROLES:
                allowed = RANK[role] >= entry.least_for(state)
                for query in queries(url_rule.endpoint, world):
                    url = (
                        f"{path}{'&' if '?' in path else '?'}{urlencode(query)}" if query else path
                    )
                    response = clients[role].get(url)
                    problem = judge(response, allowed, False, entry, path.startswith("/api/"))
                    label = f"{who(role)} GET {path} {query or ''} [{state}]"
                    asked = (path + " " + " ".join(query.values())).lower()
                    if problem:
                        problems.append(f"{label}: {problem}")
                    body = response.get_data(as_text=True).lower()
                    response.close()  # static files are streamed from an open file
                    if query.get("q"):  # the page repeats the question; that is no leak
                        body = body.replace(query["q"].lower(), "")
                    for what, word in MARKERS.items():
                        if word in body:
                            seen[role].add(word)
                            if RANK[role] < RANK[MARKER_LEAST[what]]:
                                leaks.append(f"{label}: shows the {what} ({word})")
                    if RANK[role] < RANK["technician"]:
                        leaks += [f"{label}: {leak}" for leak in search_leaks(url_rule, response)]
                        leaks += [
                            f"{label}: shows {what}"
                            for what, (word, own) in secrets.items()
                            if word.lower() in body
                            and not any(o.lower() in asked for o in own)  # not its own page
                        ]
    finally:
        kb_state(app).engine.dispose()
    FIGURES["leaks"] = len(leaks)
    FIGURES["read seconds"] = round(time.perf_counter() - started, 1)
    assert not problems + leaks, "\n".join(problems + leaks)
    unseen = sorted(set(MARKERS.values()) - seen["admin"])
    assert not unseen, f"markers an administrator never saw (not placed?): {unseen}"


def body_for(world: World, endpoint: str, state: str) -> dict[str, str]:
    """The body of a write: empty, except where the body names the object."""
    if endpoint == "trees_api.start_session":
        return {"tree": TREE_IDS[state]}
    if endpoint == "escalation.create_api":
        return query_parameters(world, "escalation.new_escalation", state)
    return {}


def _write(client: FlaskClient, method: str, path: str, token: str, body: dict[str, str]):
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        return client.open(path, method=method, json=body, headers={"X-CSRFToken": token})
    return client.open(path, method=method, data={"csrf_token": token, **body})


def test_writes_follow_the_table(world: World) -> None:
    started = time.perf_counter()
    problems: list[str] = []
    reference = build_app(world.copy_to(world.folder.parent / "writes-map"))
    try:
        write_cases = list(cases(world, reference, writes=True))
    finally:
        kb_state(reference).engine.dispose()
    by_endpoint: dict[tuple[str, str], list] = {}
    for url_rule, method, entry, state, path in write_cases:
        by_endpoint.setdefault((url_rule.endpoint, method), []).append((entry, state, path))
    for number, ((endpoint, method), items) in enumerate(sorted(by_endpoint.items())):
        app = build_app(world.copy_to(world.folder.parent / f"write-{number}"))
        try:
            clients = {role: login(app, role) for role in ROLES}
            tokens = {role: csrf_token(clients[role], "/") for role in ROLES}
            for role, (entry, state, path) in product(ROLES, items):
                allowed = RANK[role] >= entry.least_for(state)
                body = body_for(world, endpoint, state)
                response = _write(clients[role], method, path, tokens[role], body)
                problem = judge(response, allowed, True, entry, path.startswith("/api/"))
                response.close()
                if problem:
                    problems.append(f"{who(role)} {method} {path} [{state}]: {problem}")
        finally:
            kb_state(app).engine.dispose()
    FIGURES["write seconds"] = round(time.perf_counter() - started, 1)
    FIGURES["write endpoints"] = len(by_endpoint)
    assert not problems, "\n".join(problems)


def test_routes_for_other_systems_open_with_their_secret(world: World) -> None:
    """The control for the secret-only entries: with the secret they get past authentication
    (to a 4xx about the empty body), so the matrix's 401s are not a broken route."""
    from kb.plugins.webhooks import signing
    from kb.plugins.webhooks.inbound import DEFAULT_SOURCE

    app = build_app(world.copy_to(world.folder.parent / "secrets"))
    try:
        client = app.test_client()
        rt = client.post(
            "/api/v1/integrations/rt/ticket-resolved",
            json={},
            headers={"X-KB-RT-Secret": "matrix-rt-secret"},
        )
        assert rt.status_code == 422
        body, stamp = b"{}", str(int(time.time()))
        signature = signing.signature("matrix-webhook-secret", stamp, DEFAULT_SOURCE, "d-1", body)
        hook = client.post(
            "/api/v1/webhooks/ticket-resolved",
            data=body,
            content_type="application/json",
            headers={
                "X-KB-Delivery": "d-1",
                "X-KB-Timestamp": stamp,
                "X-KB-Signature": f"sha256={signature}",
            },
        )
        assert hook.status_code == 422, hook.get_data(as_text=True)
        # An API token stands for its user, with that user's role and no more.
        bearer = {"Authorization": f"Bearer {world.values['victim_token']}"}
        assert client.get("/api/v1/me", headers=bearer).get_json()["email"] == "victim@example.org"
        assert client.get("/api/v1/queue", headers=bearer).status_code == 403
        assert client.get("/api/v1/articles/mx-internal", headers=bearer).status_code == 404
    finally:
        kb_state(app).engine.dispose()


def test_figures(capsys) -> None:
    """Printed for the report (pytest -s); every count of problems is zero."""
    with capsys.disabled():
        print("\nauthorisation matrix:", FIGURES)
    assert FIGURES["5xx"] == 0 and FIGURES["leaks"] == 0
