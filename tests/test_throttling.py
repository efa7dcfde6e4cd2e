"""Throttling (Flask-Limiter): failed sign-ins per account and per client address, anonymous
votes and escalations, outage subscriptions and inbound webhooks. A refusal is a 429 with a
message a person understands and Retry-After. The suite's fixture switches throttling off
(RATELIMIT_ENABLED); these tests switch it on, mostly with low limits."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def throttled(make_app):
    def factory(**config):
        return make_app(RATELIMIT_ENABLED=True, **config)

    return factory


def _client(app, address: str = "192.0.2.10"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client, email: str, password: str):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


def _assert_throttled(response, words: str) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    text = response.get_data(as_text=True)
    assert words in text
    assert "Traceback" not in text


def test_forty_wrong_passwords_then_the_right_one_is_refused_by_default(throttled) -> None:
    app = throttled()
    client = _client(app)
    statuses = [_sign_in(client, "author@example.org", f"guess-{n}").status_code for n in range(40)]
    assert statuses[0] == 401 and 429 in statuses
    right = _sign_in(client, "author@example.org", PASSWORD)
    _assert_throttled(right, "Too many failed sign-ins")
    assert client.get("/api/v1/me").get_json() == {"authenticated": False}


def test_failed_sign_ins_are_limited_per_account_from_any_address(throttled) -> None:
    app = throttled(RATELIMIT_SIGN_IN_ACCOUNT="3 per minute", RATELIMIT_SIGN_IN_CLIENT="50/minute")
    for n in range(3):
        wrong = _sign_in(_client(app, f"198.51.100.{n}"), "author@example.org", "nope")
        assert wrong.status_code == 401
    elsewhere = _client(app, "203.0.113.99")
    _assert_throttled(_sign_in(elsewhere, "Author@Example.org", PASSWORD), "this account")
    # another account from the same addresses is not affected
    other = _sign_in(_client(app, "198.51.100.0"), "reviewer@example.org", PASSWORD)
    assert other.status_code == 302


def test_successful_sign_ins_do_not_count(throttled) -> None:
    app = throttled(RATELIMIT_SIGN_IN_ACCOUNT="2 per minute", RATELIMIT_SIGN_IN_CLIENT="2/minute")
    for _ in range(5):
        client = _client(app)
        assert _sign_in(client, "author@example.org", PASSWORD).status_code == 302


def test_failed_sign_ins_are_limited_per_client_address_across_accounts(throttled) -> None:
    app = throttled(RATELIMIT_SIGN_IN_ACCOUNT="50 per minute", RATELIMIT_SIGN_IN_CLIENT="4/minute")
    sprayer = _client(app, "192.0.2.66")
    for role in ("requester", "technician", "author", "reviewer"):
        assert _sign_in(sprayer, f"{role}@example.org", "Winter2026!").status_code == 401
    _assert_throttled(_sign_in(sprayer, "admin@example.org", PASSWORD), "this address")
    assert _sign_in(_client(app, "192.0.2.67"), "admin@example.org", PASSWORD).status_code == 302


def _escalate_json(client, **extra):
    body = {
        "summary": "Everything is down",
        "details": "Nothing works",
        "impact": "high",
        "urgency": "high",
        "requester_name": "Mallory",
        "requester_email": "mallory@example.org",
        **extra,
    }
    return client.post(
        "/api/v1/escalations", json=body, headers={"X-CSRFToken": csrf_token(client, "/")}
    )


def test_fifteen_anonymous_p1_escalations_in_a_row_are_not_all_accepted(throttled) -> None:
    client = _client(throttled())
    statuses = [_escalate_json(client).status_code for _ in range(15)]
    assert statuses[0] == 201
    assert statuses.count(201) < 15 and statuses[-1] == 429


def test_anonymous_escalations_are_throttled_with_a_json_429(throttled) -> None:
    app = throttled(RATELIMIT_ESCALATIONS="2 per hour")
    client = _client(app)
    assert [_escalate_json(client).status_code for _ in range(2)] == [201, 201]
    refused = _escalate_json(client)
    _assert_throttled(refused, "Too many requests")
    body = refused.get_json()
    assert body["error"] == "too_many_requests" and "Try again in" in body["message"]
    page = client.post(
        "/escalations/new",
        data={"csrf_token": csrf_token(client, "/escalations/new"), "summary": "x"},
        headers={"Accept": "text/html"},
    )
    _assert_throttled(page, "Too many requests")
    assert _escalate_json(_client(app, "192.0.2.200")).status_code == 201


def test_signed_in_people_are_not_held_to_the_anonymous_limits(throttled) -> None:
    app = throttled(RATELIMIT_ESCALATIONS="1 per hour")
    client = _client(app)
    assert _sign_in(client, "requester@example.org", PASSWORD).status_code == 302
    assert [_escalate_json(client).status_code for _ in range(3)] == [201, 201, 201]


def test_anonymous_votes_are_throttled(throttled) -> None:
    app = throttled(RATELIMIT_VOTES="3 per hour")
    client = _client(app)
    token = csrf_token(client, "/articles/mailbox-full")
    for slug in ("mailbox-full", "change-password", "account-locked-out", "add-network-printer"):
        response = client.post(
            f"/articles/{slug}/feedback", data={"helpful": "no", "csrf_token": token}
        )
    _assert_throttled(response, "Too many requests")


def test_inbound_webhooks_are_throttled_per_client(throttled) -> None:
    app = throttled(WEBHOOK_INBOUND_SECRET="s3cret", RATELIMIT_WEBHOOKS="3 per minute")
    client = _client(app, "192.0.2.50")
    statuses = [
        client.post("/api/v1/webhooks/ticket-resolved", data=b"{}").status_code for _ in range(4)
    ]
    # refused for what they are (unsigned) until the limit, then for how many they are
    assert all(400 <= status < 500 and status != 429 for status in statuses[:3]), statuses
    assert statuses[3] == 429
    assert client.post("/api/v1/webhooks/ticket-resolved").headers["Retry-After"]


def test_behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for(throttled) -> None:
    app = throttled(
        TRUSTED_PROXIES=1, RATELIMIT_SIGN_IN_CLIENT="2/minute", RATELIMIT_SIGN_IN_ACCOUNT="50/hour"
    )
    proxy = _client(app, "10.0.0.1")

    def attempt(forwarded: str):
        return proxy.post(
            "/login",
            data={"email": "author@example.org", "password": "nope", "csrf_token": token},
            headers={"X-Forwarded-For": forwarded},
        )

    token = csrf_token(proxy)
    assert [attempt("192.0.2.1").status_code for _ in range(3)] == [401, 401, 429]
    assert attempt("192.0.2.2").status_code == 401


def test_the_suite_fixture_switches_throttling_off(app) -> None:
    client = _client(app)
    for _ in range(30):
        _sign_in(client, "author@example.org", "nope")
    assert _sign_in(client, "author@example.org", PASSWORD).status_code == 302


def test_limits_sit_on_their_views_unless_a_site_wide_limit_needs_every_request(
    throttled,
) -> None:
    """Without RATELIMIT_DEFAULT the limiter's check before every request is gone (the limited
    views check themselves: the tests above); with one, it stays and holds everywhere."""
    from flask_limiter import Limiter

    def limiter_hooks(app) -> list:
        return [
            hook
            for hook in app.before_request_funcs.get(None, [])
            if getattr(hook, "__func__", None) is Limiter._check_request_limit
        ]

    assert limiter_hooks(throttled()) == []
    site_wide = throttled(RATELIMIT_DEFAULT="2 per minute")
    assert len(limiter_hooks(site_wide)) == 1
    client = _client(site_wide)
    assert [client.get("/api/v1/me").status_code for _ in range(3)][-1] == 429
