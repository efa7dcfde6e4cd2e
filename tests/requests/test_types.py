"""Request types are configuration: the bundled file loads, an instance's file replaces it, and
a wrong file stops the app at start with one line per problem naming the type and field."""

from __future__ import annotations

import re

import pytest

from kb.config import Defaults
from kb.errors import ConfigError
from kb.extensions import kb_state
from kb.requests.types import BUNDLED, load_types, parse_types, request_types


def test_the_bundled_types_are_software_access_equipment_and_mailboxes() -> None:
    types = load_types(BUNDLED, Defaults.SUPPORT_GROUPS, Defaults.SLA_TARGETS)
    assert list(types) == ["software", "folder-access", "hardware", "mailbox"]
    assert types["software"].approver == "manager"
    assert types["software"].group == "applications"
    assert types["folder-access"].approver == "data-owner"
    access = {f.name: f for f in types["folder-access"].fields}["access"]
    assert access.type == "select" and access.choices == ("read", "change")


def test_an_instance_file_replaces_the_bundled_types(make_app, tmp_path) -> None:
    app = make_app(content="empty")
    folder = kb_state(app).instance_path
    (folder / "request_types.yaml").write_text(
        "types:\n"
        "  - key: badge\n    title: Door badge\n    group: facilities\n    priority: P3\n"
        "    fields:\n      - {name: building, label: Building, required: true}\n"
    )
    again = make_app(content="empty", REQUEST_TYPES_FILE=str(folder / "request_types.yaml"))
    types = request_types(kb_state(again))
    assert list(types) == ["badge"]
    assert types["badge"].needs_approval is False


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"group": "nobody"}, "type 'x': group 'nobody' is not one of SUPPORT_GROUPS"),
        ({"priority": "P9"}, "type 'x': priority 'P9' must be one of P1, P2, P3, P4"),
        ({"approver": "boss"}, "type 'x': approver must be one of none, manager, data-owner"),
        ({"fields": []}, "type 'x': fields must be a list with at least one field"),
        (
            {"fields": [{"name": "a", "label": "A", "type": "select"}]},
            "type 'x', field 'a': a select needs choices",
        ),
        (
            {"fields": [{"name": "a", "label": "A", "type": "radio"}]},
            "type 'x', field 'a': type 'radio' must be one of text, textarea, select",
        ),
        ({"key": "Not A Key"}, "types[0]: key 'Not A Key' must be lowercase words"),
    ],
)
def test_a_wrong_type_is_named_with_the_fix(item, problem) -> None:
    good = {
        "key": "x",
        "title": "X",
        "group": "service-desk",
        "priority": "P4",
        "fields": [{"name": "what", "label": "What"}],
    }
    _types, problems = parse_types(
        {"types": [{**good, **item}]}, Defaults.SUPPORT_GROUPS, Defaults.SLA_TARGETS
    )
    assert any(line.startswith(problem) for line in problems), problems


def test_every_problem_is_listed_at_once() -> None:
    _types, problems = parse_types(
        {
            "types": [
                {"key": "a", "title": "", "group": "nobody", "priority": "P4", "fields": []},
                {"key": "a", "title": "A", "group": "network", "priority": "P4", "fields": []},
            ]
        },
        Defaults.SUPPORT_GROUPS,
        Defaults.SLA_TARGETS,
    )
    assert len(problems) == 4  # title, group, fields of the first; the second listed twice


def test_a_wrong_instance_file_stops_the_app_naming_the_file(make_app, tmp_path) -> None:
    wrong = tmp_path / "types.yaml"
    wrong.write_text("types:\n  - key: x\n    title: X\n    group: nobody\n    priority: P4\n")
    with pytest.raises(ConfigError) as caught:
        make_app(content="empty", REQUEST_TYPES_FILE=str(wrong))
    assert caught.value.problems[0].startswith(f"{wrong}: type 'x': group 'nobody'")
    assert any("fields must be a list" in line for line in caught.value.problems)


def test_a_file_that_is_not_yaml_is_one_clear_line(make_app, tmp_path) -> None:
    wrong = tmp_path / "types.yaml"
    wrong.write_text("types: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        make_app(content="empty", REQUEST_TYPES_FILE=str(wrong))
    assert caught.value.problems[0].startswith(f"{wrong}: cannot read request types")


def test_a_known_data_owner_is_found_by_the_longest_folder_prefix() -> None:
    types, problems = parse_types(
        {
            "types": [
                {
                    "key": "folder-access",
                    "title": "Folder",
                    "group": "identity-access",
                    "priority": "P4",
                    "approver": "data-owner",
                    "fields": [{"name": "folder", "label": "Folder"}],
                    "owners": {
                        "S:\\Finance": "cfo@example.org",
                        "S:\\Finance\\Payroll": "payroll.lead@example.org",
                    },
                }
            ]
        },
        Defaults.SUPPORT_GROUPS,
        Defaults.SLA_TARGETS,
    )
    assert not problems
    kind = types["folder-access"]
    assert kind.owner_for("s:/finance/payroll/2026") == "payroll.lead@example.org"
    assert kind.owner_for("S:\\Finance\\Budgets") == "cfo@example.org"
    assert kind.owner_for("S:\\Planning") == ""


def test_the_bundled_articles_link_to_request_types_that_exist(make_app) -> None:
    from tests.conftest import REPO

    types = load_types(BUNDLED, Defaults.SUPPORT_GROUPS, Defaults.SLA_TARGETS)
    linked = {}
    for path in sorted((REPO / "articles").glob("*.md")):
        for key in re.findall(r"\]\(/requests/([a-z0-9-]+)\)", path.read_text()):
            linked[key] = path.name
    assert {"software", "folder-access", "mailbox"} <= set(linked)
    assert set(linked) <= set(types), f"links to unknown request types: {linked}"
    response = make_app(content="bundled").test_client().get("/articles/software-request")
    page = response.get_data(as_text=True)
    assert 'href="/requests/software"' in page


def test_kb_init_prints_the_request_type_problems_and_exits_2(tmp_path) -> None:
    from tests.test_config_checks import run_kb

    (tmp_path / "request_types.yaml").write_text(
        "types:\n  - key: x\n    title: X\n    group: nobody\n    priority: P4\n"
        "    fields:\n      - {name: a, label: A}\n"
    )
    result = run_kb(tmp_path, "init", "--if-needed")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"kb: {tmp_path / 'request_types.yaml'}: type 'x': group 'nobody' is not one of "
        "SUPPORT_GROUPS (service-desk, desktop-support, network, identity-access, messaging, "
        "security, applications, facilities)"
    ]
