"""Every request has an id: returned in X-Request-ID and carried by every log record made while
serving it; LOG_FORMAT chooses text or one JSON object per line."""

from __future__ import annotations

import json
import logging
import re

import pytest

from kb import create_app
from kb.errors import ConfigError
from kb.extensions import kb_state
from tests.conftest import csrf_token
from tests.test_cli import run_kb

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def _access(caplog, request_id: str) -> logging.LogRecord:
    lines = [r for r in caplog.records if r.name == "kb.access" and r.request_id == request_id]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    return lines[0]


def test_every_response_carries_a_new_id(client) -> None:
    first, second = client.get("/"), client.get("/api/v1/articles")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(GENERATED.match(value) for value in ids) and ids[0] != ids[1]
    assert GENERATED.match(client.get("/no-such-page").headers["X-Request-ID"])


def test_a_client_cannot_choose_the_id_without_a_trusted_proxy(client) -> None:
    response = client.get("/", headers={"X-Request-ID": "chosen-by-client"})
    assert GENERATED.match(response.headers["X-Request-ID"])


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("4f2c9e1a7b3d4c5e8f9a0b1c2d3e4f5a", True),  # nginx's $request_id
        ("lb-7.42:abc_DEF", True),
        ("bad id", False),
        ("x" * 129, False),
        ("-starts-with-a-dash", False),
        ("line\\nbreak", False),
    ],
)
def test_behind_a_trusted_proxy_its_well_formed_id_is_kept(make_app, sent, kept) -> None:
    app = make_app(TRUSTED_PROXIES=1)
    answered = app.test_client().get("/", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert (answered == sent) is kept
    if not kept:
        assert GENERATED.match(answered)
    kb_state(app).engine.dispose()


def test_every_record_of_a_request_carries_its_id(app, client, caplog) -> None:
    caplog.set_level(logging.INFO)
    app.add_url_rule("/logs-probe", "logs_probe", _probe)  # this test's app only
    response = client.get("/logs-probe")
    request_id = response.headers["X-Request-ID"]
    probe = [r for r in caplog.records if r.getMessage() == "probing"]
    assert probe and probe[0].request_id == request_id
    assert probe[0].method == "GET" and probe[0].path == "/logs-probe"
    access = _access(caplog, request_id)
    assert access.status == 200 and access.duration_ms >= 0
    assert access.getMessage().startswith("GET /logs-probe 200 ")


def _probe() -> str:
    logging.getLogger("kb.somewhere").info("probing")
    return "ok"


def test_records_outside_a_request_say_so(caplog) -> None:
    caplog.set_level(logging.INFO)
    logging.getLogger("kb.test").info("no request here")
    assert caplog.records[-1].request_id == "-"


def test_capability_addresses_never_reach_the_log(client, caplog) -> None:
    caplog.set_level(logging.INFO)
    trees = client.get("/api/v1/trees").get_json()
    tree = trees["items"][0]["id"] if "items" in trees else trees[0]["id"]
    started = client.post(
        "/api/v1/sessions", json={"tree": tree}, headers={"X-CSRFToken": csrf_token(client, "/")}
    )
    assert started.status_code == 201
    token = started.get_json()["id"]
    response = client.get(f"/sessions/{token}?note=private-words")
    assert response.status_code == 200
    access = _access(caplog, response.headers["X-Request-ID"])
    assert access.path == "/sessions/*" and access.getMessage().startswith("GET /sessions/* ")
    assert token not in caplog.text and "private-words" not in caplog.text


def test_health_checks_log_their_access_line_quietly(client, caplog) -> None:
    caplog.set_level(logging.INFO)
    response = client.get("/healthz")
    assert not [
        r
        for r in caplog.records
        if r.name == "kb.access" and r.request_id == response.headers["X-Request-ID"]
    ]


def test_json_lines_for_a_log_pipeline(make_app, capsys) -> None:
    app = make_app(LOG_FORMAT="json")
    capsys.readouterr()
    response = app.test_client().get("/search?q=printer")
    request_id = response.headers["X-Request-ID"]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    ours = [line for line in lines if line.get("request_id") == request_id]
    access = [line for line in ours if line["logger"] == "kb.access"]
    assert len(access) == 1
    assert access[0].keys() >= {"time", "level", "logger", "message", "request_id"}
    assert access[0]["method"] == "GET" and access[0]["path"] == "/search"
    assert access[0]["status"] == 200 and isinstance(access[0]["duration_ms"], float)
    assert access[0]["level"] == "INFO" and "printer" not in json.dumps(lines)
    kb_state(app).engine.dispose()


def test_text_lines_carry_the_id(make_app, capsys) -> None:
    app = make_app(LOG_FORMAT="text")
    capsys.readouterr()
    response = app.test_client().get("/")
    err = capsys.readouterr().err
    assert f"INFO kb.access [{response.headers['X-Request-ID']}] GET / 200 " in err
    kb_state(app).engine.dispose()


def test_a_wrong_log_format_stops_the_start(tmp_path) -> None:
    with pytest.raises(ConfigError) as raised:
        create_app({"LOG_FORMAT": "xml"}, instance_path=tmp_path)
    assert raised.value.problems == ['LOG_FORMAT is \'xml\': must be "text" or "json"']


def test_a_wrong_log_format_from_the_environment_is_one_line(tmp_path) -> None:
    result = run_kb(tmp_path, "init", env={"KB_LOG_FORMAT": "yaml"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == ['kb: LOG_FORMAT is \'yaml\': must be "text" or "json"']
