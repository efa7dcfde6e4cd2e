"""Every page type, seen by the people who see it, passes axe-core (no critical or serious
violation) at desktop and phone widths, fits a 375 px phone without sideways scrolling, and
leaves a screenshot a reviewer can open (``test-artifacts/screenshots/<page>-<width>.png``).

The pages are listed once (``PAGES``) and checked against the app's URL map, so a new page
type is either checked here or excluded with a reason. axe-core comes from npm (``make axe``
or ``.ci/run``); ``KB_AXE_JS`` names its ``axe.min.js``. Figures per page (violations and
page width) are written to ``test-artifacts/a11y-figures.json``."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from kb import create_app, hookimpl
from kb.cli import cli
from kb.extensions import kb_state
from kb.models import Escalation, FollowUp, Outage, OutageSubscription, Ticket
from kb.outbox import dispatch
from kb.reports.views import REPORTS
from tests.conftest import REPO, AuthActions, _base_config, csrf_token
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

AXE_JS = Path(
    os.environ.get("KB_AXE_JS") or REPO / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
)
ARTIFACTS = Path(os.environ.get("KB_TEST_ARTIFACTS") or REPO / "test-artifacts")
DESKTOP, PHONE = 1280, 375
WIDTHS = (DESKTOP, PHONE)
BLOCKING = ("critical", "serious")
ARTICLE = "printer-not-printing"
TREE = "printer-not-printing"

Path_ = str | Callable[["Site"], str]


@dataclass(frozen=True)
class Page:
    """One page type as one person sees it: ``path`` may name arranged things as
    ``{placeholders}`` (see ``Site.places``) or be a function for pages that are used up."""

    name: str
    endpoint: str
    path: Path_
    role: str | None = None  # None: not signed in
    status: int = 200


PAGES: tuple[Page, ...] = (
    # reading, not signed in
    Page("home", "articles.home", "/"),
    Page("search-hits", "search.search_page", "/search?q=printer"),
    Page("search-no-hits", "search.search_page", "/search?q=zyxwvut+qqqq"),
    Page("article", "articles.show", f"/articles/{ARTICLE}"),
    # tables, long error codes and URLs: they scroll in their region, never widen the page
    Page("article-tables", "articles.show", "/articles/vpn-error-codes"),
    Page("browse", "articles.browse", "/articles"),
    Page("trees", "trees.catalogue", "/trees"),
    Page("tree-landing", "trees.landing", f"/trees/{TREE}"),
    Page("login", "auth.login", "/login"),
    Page("not-found", "articles.show", "/articles/no-such-article", status=404),
    # guided troubleshooting
    Page("step-input", "trees.step", "/sessions/{step_input}"),
    Page("step-question", "trees.step", "/sessions/{step_question}"),
    Page("step-action-article", "trees.step", "/sessions/{step_action}"),
    Page("step-resolved", "trees.step", "/sessions/{step_resolved}"),
    Page("step-fixed", "trees.step", "/sessions/{step_fixed}"),
    Page("step-escalation", "trees.step", "/sessions/{step_escalation}"),
    Page("step-didnt-help", "trees.step", "/sessions/{step_didnt_help}"),
    Page("step-stopped", "trees.step", "/sessions/{step_stopped}"),
    Page("step-technician", "trees.step", "/sessions/{step_technician}", "technician"),
    Page("transcript", "trees.transcript", "/sessions/{step_didnt_help}/transcript"),
    # escalation, follow-ups, outages
    Page("escalation-form", "escalation.new_escalation", "/escalations/new"),
    Page(
        "escalation-form-from-session",
        "escalation.new_escalation",
        "/escalations/new?session={step_didnt_help}",
    ),
    Page("escalation-form-signed-in", "escalation.new_escalation", "/escalations/new", "requester"),
    Page("escalation-status", "escalation.status", "/escalations/{escalation}"),
    Page("requests", "requests.choose", "/requests"),
    Page("request-form", "requests.new_request", "/requests/software"),
    Page("request-form-signed-in", "requests.new_request", "/requests/folder-access", "requester"),
    Page("approval", "requests.approve", "/approvals/{approval_link}"),
    Page("followup-answer", "escalation.answer_followup", "/followups/{followup}"),
    Page("outages", "outages.index", "/outages"),
    Page("outage-open", "outages.show", "/outages/{outage_open}"),
    Page("outage-past", "outages.show", "/outages/{outage_past}"),
    Page("outage-open-technician", "outages.show", "/outages/{outage_open}", "technician"),
    Page("outage-declare", "outages.declare", "/outages/new", "technician"),
    Page("outage-confirm", "outages.confirm_subscription", "/outages/confirm/{confirm_link}"),
    Page(
        "outage-unsubscribed",
        "outages.unsubscribe",
        lambda site: f"/outages/unsubscribe/{site.fresh_subscription()}",
    ),
    # each role's own pages
    Page("home-requester", "articles.home", "/", "requester"),
    Page("dashboard-requester", "editor.dashboard", "/dashboard", "requester"),
    Page("forbidden", "reports.index", "/reports", "requester", status=403),
    Page("home-technician", "articles.home", "/", "technician"),
    Page("dashboard-technician", "editor.dashboard", "/dashboard", "technician"),
    Page("queue", "queue.queue", "/queue", "technician"),
    Page("ticket", "queue.ticket", "/queue/{ticket}", "technician"),
    Page("followups", "escalation.followup_list", "/followups", "technician"),
    Page("home-author", "articles.home", "/", "author"),
    Page("dashboard-author", "editor.dashboard", "/dashboard", "author"),
    Page("article-new", "editor.new", "/articles/new", "author"),
    Page("article-edit", "editor.edit", f"/articles/{ARTICLE}/edit", "author"),
    Page("article-history", "editor.history", f"/articles/{ARTICLE}/history", "author"),
    Page("article-revision", "editor.revision", f"/articles/{ARTICLE}/revisions/1", "author"),
    Page("article-diff", "editor.diff", f"/articles/{ARTICLE}/diff", "author"),
    Page("tree-new", "tree_editor.new", "/trees/new", "author"),
    Page("tree-edit", "tree_editor.edit", f"/trees/{TREE}/edit", "author"),
    Page("tree-history", "tree_editor.history", f"/trees/{TREE}/history", "author"),
    Page("tree-diff", "tree_editor.diff", f"/trees/{TREE}/diff", "author"),
    Page("home-reviewer", "articles.home", "/", "reviewer"),
    Page("dashboard-reviewer", "editor.dashboard", "/dashboard", "reviewer"),
    Page("tree-flags", "tree_flags.tree_flags", "/trees/{flagged_tree}/flags", "reviewer"),
    Page("reports", "reports.index", "/reports", "reviewer"),
    *(Page(f"report-{name}", "reports.show", f"/reports/{name}", "reviewer") for name in REPORTS),
    Page("home-admin", "articles.home", "/", "admin"),
    Page("dashboard-admin", "editor.dashboard", "/dashboard", "admin"),
    Page("users", "auth.users_page", "/admin/users", "admin"),
    Page("outbox", "escalation.outbox_page", "/admin/outbox", "admin"),
)

# GET routes that are not pages of their own, and why.
EXCLUDED = {
    "static": "files (stylesheet, scripts)",
    "articles.pygments_css_file": "a stylesheet",
    "health.healthz": "JSON for load balancers",
    "health.readyz": "JSON for load balancers",
    "reports.csv": "a CSV download",
    "trees.flowchart": "an SVG image, checked inside the landing, transcript and editor pages",
    "search.go": "redirects to the best hit or to the results page",
}
API_PREFIX = "/api/"  # JSON for programs: no page to check


class Mailroom:
    """Keeps the confirmation links kb would e-mail, so the confirmation page can be opened."""

    def __init__(self) -> None:
        self.links: list[str] = []
        self.approvals: list[str] = []

    @hookimpl
    def kb_outage_subscription_requested(self, kb, subscription, delivery_key):
        self.links.append(subscription.confirm_url.removeprefix("http://kb.test"))

    @hookimpl
    def kb_approval_requested(self, approval):
        self.approvals.append(approval.approve_url.removeprefix("http://kb.test"))


@dataclass
class Site:
    app: Any
    url: str
    places: dict[str, str] = field(default_factory=dict)
    storage: dict[str, Any] = field(default_factory=dict)  # signed-in browser state per role
    subscriptions: int = 0

    def path(self, page: Page) -> str:
        return page.path(self) if callable(page.path) else page.path.format(**self.places)

    def fresh_subscription(self) -> str:
        """A new subscription's unsubscribe token: the page uses it up."""
        self.subscriptions += 1
        client = self.app.test_client()
        outage = self.places["outage_open"]
        client.post(
            f"/outages/{outage}/subscribe",
            data={
                "csrf_token": csrf_token(client, f"/outages/{outage}"),
                "email": f"reader{self.subscriptions}@example.org",
            },
        )
        with kb_state(self.app).session() as session:
            return session.scalars(
                select(OutageSubscription.token).order_by(OutageSubscription.id.desc())
            ).first()


def _post(client, path: str, **data: str):
    response = client.post(path, data={"csrf_token": csrf_token(client, "/"), **data})
    assert response.status_code in (200, 302), f"POST {path}: {response.status_code}"
    return response


def _session(client, *steps: dict[str, str]) -> str:
    """Start the printer diagnostic, take ``steps`` and return the session's token."""
    started = _post(client, f"/trees/{TREE}/start")
    token = started.headers["Location"].rsplit("/", 1)[-1]
    for step in steps:
        _post(client, f"/sessions/{token}", **step)
    return token


def _arrange(site: Site, mailroom: Mailroom) -> None:
    """A realistic history (kb demo-data), then one thing of each kind a page shows."""
    app = site.app
    result = app.test_cli_runner().invoke(cli, ["demo-data", "--weeks", "2"])
    assert result.exit_code == 0, result.output
    anon = app.test_client()
    printer = {"action": "answer", "value": "HP-3F-East"}
    yes = {"action": "answer", "answer": "Yes"}
    worked = {"action": "answer", "answer": "It worked"}
    other = {"action": "answer", "answer": "Something else is wrong with printing"}
    site.places |= {
        "step_input": _session(anon),
        "step_question": _session(anon, printer),
        "step_action": _session(anon, printer, yes),
        "step_resolved": _session(anon, printer, yes, worked),
        "step_fixed": _session(anon, printer, yes, worked, {"action": "fixed"}),
        "step_escalation": _session(
            anon, printer, other, {"action": "answer", "value": "It prints blank pages"}
        ),
        "step_didnt_help": _session(
            anon, printer, {"action": "didnt_help", "notes": "Nothing on the screen"}
        ),
        "step_stopped": _session(anon, printer, {"action": "abandon"}),
    }
    _post(
        anon,
        f"/sessions/{site.places['step_question']}/flag",
        reason="wrong",
        comment="There is no power light on this model",
    )
    site.places["flagged_tree"] = TREE
    technician = app.test_client()
    AuthActions(technician).login("technician")
    site.places["step_technician"] = _session(technician, printer)
    for title in ("Printing is down on floor 3", "E-mail is down for everyone"):
        _post(
            technician,
            "/outages/new",
            service="printing" if "Printing" in title else "email",
            title=title,
            user_message="We are on it. Use another printer or Teams meanwhile.",
            impact="high",
            started_at="2026-11-23T08:00",
            expected_restoration_at="2026-11-23T12:00",
        )
    kb = kb_state(app)
    with kb.session() as session:
        outages = session.scalars(select(Outage.id).order_by(Outage.id.desc())).all()
        _post(technician, f"/outages/{outages[0]}/close", cause="A failed mail relay.")
        site.places |= {"outage_open": str(outages[1]), "outage_past": str(outages[0])}
        _post(anon, f"/outages/{outages[1]}/subscribe", email="someone@example.org")
        _post(
            anon,
            "/requests/software",
            **{
                "answer-name": "Inkscape",
                "answer-reason": "Drawing site plans for the planning committee.",
                "approver_email": "manager@example.org",
                "requester_name": "Robin Diaz",
                "requester_email": "robin@example.org",
            },
        )
        dispatch(kb)  # the worker delivers the confirmation mail and the approval request
        site.places["confirm_link"] = mailroom.links[-1].rsplit("/", 1)[-1]
        site.places["approval_link"] = mailroom.approvals[-1].rsplit("/", 1)[-1]
        site.places["escalation"] = session.scalars(
            select(Escalation.public_id).where(Escalation.status == "resolved")
        ).first()
        site.places["ticket"] = str(session.scalars(select(Ticket.id)).first())
        site.places["followup"] = session.scalars(select(FollowUp.token)).first()
    missing = sorted(name for name, value in site.places.items() if not value)
    assert missing == [], f"nothing arranged for {missing}"


def _edit_documents(site: Site, browser) -> None:
    """An author's second revision of the article and of the tree (history and diff pages)."""
    context = browser.new_context(base_url=site.url)
    tab = context.new_page()
    sign_in(tab, "author")
    tab.goto(f"/articles/{ARTICLE}/edit")
    tab.fill("textarea[name=summary]", "Nothing comes out of the printer: check these first.")
    tab.click("button[value=save]")
    tab.wait_for_selector(".flash.success")
    tab.goto(f"/trees/{TREE}/edit")
    tab.fill("input[name='node-0-label']", "Which printer is it?")
    tab.click("button[value=submit]")
    tab.wait_for_selector(".flash.success")
    context.close()


@pytest.fixture(scope="module")
def axe_js() -> Path:
    """axe-core's script, found before the site is built: skipped without it, unless the
    browser tests are required."""
    if not AXE_JS.is_file():
        message = f"axe-core not found at {AXE_JS} (make axe, or set KB_AXE_JS)"
        if os.environ.get("KB_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS


@pytest.fixture(scope="module")
def site(template_instances, tmp_path_factory, browser) -> Iterator[Site]:
    instance = tmp_path_factory.mktemp("a11y")
    (instance / "kb.sqlite3").write_bytes(template_instances["bundled"].read_bytes())
    index = template_instances["bundled"].parent / "index"
    if index.is_dir():
        shutil.copytree(index, instance / "index")
    mailroom = Mailroom()
    app = create_app(
        {**_base_config(instance), "BASE_URL": "http://kb.test"},
        instance_path=instance,
        plugins=[mailroom],
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site = Site(app=app, url=f"http://127.0.0.1:{server.server_port}")
    _arrange(site, mailroom)
    _edit_documents(site, browser)
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    kb_state(app).engine.dispose()


@pytest.fixture(scope="module")
def figures() -> Iterator[dict[str, dict[str, Any]]]:
    """Per page and width: axe's critical and serious counts and the page's width."""
    found: dict[str, dict[str, Any]] = {}
    yield found
    if found:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / "a11y-figures.json"
        previous = json.loads(out.read_text()) if out.exists() else {}
        for key, values in found.items():
            previous.setdefault(key, {}).update(values)
        out.write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n")


def _tab(browser, site: Site, role: str | None, width: int, *, for_axe: bool = False):
    """A fresh tab, signed in as ``role``; CSP is bypassed only to inject axe."""
    if role and role not in site.storage:
        context = browser.new_context(base_url=site.url)
        sign_in(context.new_page(), role)
        site.storage[role] = context.storage_state()
        context.close()
    context = browser.new_context(
        base_url=site.url,
        viewport={"width": width, "height": 900},
        storage_state=site.storage.get(role),
        bypass_csp=for_axe,
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    return context, tab, errors


def _open(tab, site: Site, page: Page) -> None:
    path = site.path(page)
    endpoint, _ = site.app.url_map.bind("kb.test").match(path.split("?")[0], method="GET")
    assert endpoint == page.endpoint, f"{path} is {endpoint}, not {page.endpoint}"
    response = tab.goto(path)
    assert response.status == page.status, f"{path}: {response.status}"
    if page.role:
        assert tab.locator(".who").count() == 1, f"{path}: not signed in as {page.role}"


def _key(page: Page, width: int) -> str:
    return f"{page.name}@{width}"


def test_every_page_type_is_checked_or_excluded_with_a_reason(app) -> None:
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    api = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)}
    checked = {page.endpoint for page in PAGES}
    assert sorted(pages - api - checked - set(EXCLUDED)) == []
    assert sorted(checked & set(EXCLUDED)) == []
    assert sorted(set(EXCLUDED) - pages) == [], "excluded routes that no longer exist"
    assert len({page.name for page in PAGES}) == len(PAGES)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_page_has_no_critical_or_serious_axe_violations(
    axe_js, browser, site, figures, page, width
):
    context, tab, errors = _tab(browser, site, page.role, width, for_axe=True)
    try:
        _open(tab, site, page)
        tab.add_script_tag(path=str(axe_js))
        violations = tab.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
    finally:
        context.close()
    counts = {
        impact: sum(len(v["nodes"]) for v in violations if v["impact"] == impact)
        for impact in ("critical", "serious", "moderate", "minor")
    }
    counts["rules"] = sorted({f"{v['impact']}:{v['id']}" for v in violations})
    figures.setdefault(_key(page, width), {}).update(counts)
    blocking = [
        f"{v['impact']} {v['id']} ({v['help']}): {', '.join(v['nodes'][:5])}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert blocking == [], "\n".join(blocking)
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_page_fits_the_screen_without_sideways_scrolling(browser, site, figures, page, width):
    context, tab, errors = _tab(browser, site, page.role, width)
    try:
        _open(tab, site, page)
        scroll_width = tab.evaluate("document.documentElement.scrollWidth")
        shots = ARTIFACTS / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(shots / f"{page.name}-{width}.png"), full_page=True)
        wide = tab.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (e.className && typeof e.className === 'string'
                       ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))""",
            width,
        )
    finally:
        context.close()
    figures.setdefault(_key(page, width), {})["width"] = scroll_width
    assert scroll_width <= width, f"{page.name} is {scroll_width} px wide: {wide}"
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.mark.parametrize("role", ("requester", "technician", "author", "reviewer", "admin"))
def test_the_signed_in_header_is_one_row_on_a_desktop(browser, site, role) -> None:
    context, tab, _ = _tab(browser, site, role, DESKTOP)
    try:
        tab.goto("/")
        centres = tab.evaluate(
            """() => [...document.querySelectorAll(
                'header.site .bar :is(a, button, input:not([type=hidden]), .who)')].map(e => {
                const box = e.getBoundingClientRect();
                return {name: e.textContent.trim() || e.tagName,
                        top: box.top, bottom: box.bottom}; })"""
        )
    finally:
        context.close()
    middles = [(box["top"] + box["bottom"]) / 2 for box in centres]
    assert max(middles) - min(middles) < 12, f"{role}'s header wraps: {centres}"


def test_search_results_come_before_the_facets_on_a_phone(browser, site) -> None:
    context, tab, _ = _tab(browser, site, None, PHONE)
    try:
        tab.goto("/search?q=printer")
        first_hit = tab.locator("ol.results li.result").first.bounding_box()
        facets = tab.locator(".facets").first.bounding_box()
    finally:
        context.close()
    assert first_hit is not None and facets is not None
    assert first_hit["y"] < facets["y"]
    assert first_hit["y"] < 900, f"the first result starts {first_hit['y']:.0f} px down"
