"""Input kb cannot use is a 4xx with a message, never a 500: integers beyond 64 bits in any
route, JSON nested without end or carrying lone surrogates, outage fields of the wrong type."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

HUGE = "99999999999999999999999"


def integer_routes(app) -> list[tuple[str, str]]:
    """(method, path) for every route with an integer parameter, each filled with HUGE."""
    found = []
    for rule in app.url_map.iter_rules():
        ints = {n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)}
        if not ints:
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        path = rule.rule
        for name, converter in rule._converters.items():
            value = HUGE if name in ints else _sample(converter)
            path = path.replace(f"<{_spec(rule, name)}>", value)
        found.append((method, path))
    return found


def _spec(rule, name: str) -> str:
    import re

    match = re.search(rf"<([^<>]*:)?{name}>", rule.rule)
    return match.group(0)[1:-1]


def _sample(converter) -> str:
    items = getattr(converter, "items", None)
    if items:
        return sorted(items)[0]
    return "change-password"


def test_every_integer_route_answers_a_huge_integer_without_a_500(app, client, auth):
    auth.login("admin")
    token = auth.token()
    routes = integer_routes(app)
    assert len(routes) >= 15  # the walk really found the integer routes
    failures = []
    for method, path in routes:
        response = client.open(path, method=method, json={}, headers={"X-CSRFToken": token})
        if response.status_code >= 500:
            failures.append((method, path, response.status_code))
    assert failures == []


def test_a_huge_escalation_id_is_not_found(client, auth):
    auth.login("admin")
    response = client.get(f"/api/v1/escalations/{HUGE}")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def json_post_routes(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.methods & {"POST", "PUT"} or not rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            value = "1" if isinstance(converter, IntegerConverter) else _sample(converter)
            path = path.replace(f"<{_spec(rule, name)}>", value)
        paths.append(path)
    return paths


def test_json_nested_a_thousand_deep_is_refused_everywhere(app, client, auth):
    auth.login("admin")
    token = auth.token()
    deep = "[" * 1000 + "]" * 1000
    body = '{"title": ' + deep + ', "markdown": ' + deep + "}"
    paths = json_post_routes(app)
    assert "/api/v1/outages" in paths and "/api/v1/preview" in paths
    failures = []
    for path in paths:
        response = client.post(
            path, data=body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        if response.status_code >= 500:
            failures.append((path, response.status_code))
    assert failures == []
    response = client.post(
        "/api/v1/outages",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 422
    assert "nested" in response.get_json()["message"]


@pytest.mark.parametrize("path", ["/api/v1/outages", "/api/v1/articles", "/api/v1/preview"])
def test_a_lone_surrogate_is_refused(client, auth, path):
    auth.login("admin")
    body = (
        '{"title": "Mail \\ud800", "service": "email", "user_message": "x", "markdown": "\\ud800"}'
    )
    response = client.post(
        path, data=body, content_type="application/json", headers={"X-CSRFToken": auth.token()}
    )
    assert response.status_code == 400
    assert "surrogate" in response.get_json()["message"]


def test_paired_surrogates_are_fine(client, auth):
    auth.login("admin")
    body = '{"markdown": "smile \\ud83d\\ude00"}'
    response = client.post(
        "/api/v1/preview",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": auth.token()},
    )
    assert response.status_code == 200
    assert "\U0001f600" in response.get_json()["html"]


OUTAGE = {"service": "email", "title": "Mail is down", "user_message": "You cannot send mail."}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ["Mail"]}, "title"),
        ({"service": 7}, "service"),
        ({"user_message": {"a": 1}}, "user_message"),
        ({"impact": None}, "impact"),
        ({"started_at": 1780000000}, "started_at"),
        ({"started_at": ["2026-11-23T14:30"]}, "started_at"),
        ({"expected_restoration_at": 3.5}, "expected_restoration_at"),
    ],
)
def test_outage_fields_of_the_wrong_type_are_named(client, auth, change, field):
    auth.login("admin")
    response = client.post(
        "/api/v1/outages", json={**OUTAGE, **change}, headers={"X-CSRFToken": auth.token()}
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["fields"]
    assert client.get("/api/v1/outages").get_json()["open"] == []


def test_outage_updates_and_closes_check_types_too(client, auth):
    auth.login("admin")
    token = auth.token()
    created = client.post("/api/v1/outages", json=OUTAGE, headers={"X-CSRFToken": token})
    assert created.status_code == 201
    outage = created.get_json()["id"]
    update = client.post(
        f"/api/v1/outages/{outage}/updates",
        json={"text": None, "expected_restoration_at": 5},
        headers={"X-CSRFToken": token},
    )
    assert update.status_code == 422
    close = client.post(
        f"/api/v1/outages/{outage}/close",
        json={"cause": ["disk"], "restored_at": [1]},
        headers={"X-CSRFToken": token},
    )
    assert close.status_code == 422
    assert client.get(f"/api/v1/outages/{outage}").get_json()["status"] != "closed"


@pytest.mark.parametrize(
    "path",
    [
        f"/articles/change-password/diff?to={HUGE}",
        f"/articles/change-password/diff?from={HUGE}&to=1",
        f"/trees/vpn-cannot-connect/diff?to={HUGE}",
        f"/api/v1/articles/change-password/diff?to={HUGE}",
    ],
)
def test_huge_revision_numbers_in_queries_are_not_a_500(client, auth, path):
    auth.login("admin")
    assert client.get(path).status_code in (404, 422)
