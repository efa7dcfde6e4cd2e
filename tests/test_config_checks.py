"""Configuration is checked at start: a wrong PRIORITY_MATRIX, SLA_TARGETS, SUPPORT_GROUPS or
SERVICES stops create_app, and `kb serve`, `kb init` and `make run` print one line per problem
and exit 2, without a traceback."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kb import create_app
from kb.config import Defaults, configuration_problems
from kb.errors import ConfigError
from tests.test_cli import REPO, run_kb


def settings(**changes: Any) -> dict[str, Any]:
    config = {
        name: copy.deepcopy(getattr(Defaults, name)) for name in vars(Defaults) if name.isupper()
    }
    config.update(changes)
    return config


def matrix(**cells: str) -> dict[str, dict[str, str]]:
    """The default matrix with some cells changed: ``high_low="P9"`` is [high][low]."""
    result = copy.deepcopy(Defaults.PRIORITY_MATRIX)
    for cell, value in cells.items():
        impact, urgency = cell.split("_")
        result[impact][urgency] = value
    return result


def test_the_defaults_are_valid() -> None:
    assert configuration_problems(settings()) == []


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"SERVICES": "email"}, 'SERVICES must be a list of service ids, like ["email", "vpn"]'),
        ({"SERVICES": []}, "SERVICES is empty: list the services articles and trees may name"),
        (
            {"SERVICES": ["email", "E-Mail"]},
            "SERVICES: 'E-Mail' is not a service id (lowercase words joined by dashes, like "
            "file-shares)",
        ),
        ({"SERVICES": ["email", "vpn", "email"]}, "SERVICES: 'email' is listed twice"),
        (
            {"SUPPORT_GROUPS": ["service-desk"]},
            "SUPPORT_GROUPS must map a group id to its display name, "
            'like {"service-desk": "Service Desk"}',
        ),
        (
            {"SUPPORT_GROUPS": {}},
            "SUPPORT_GROUPS is empty: escalations need at least one support group",
        ),
        (
            {"SUPPORT_GROUPS": {"service-desk": "Service Desk", "level 2": "Level 2"}},
            "SUPPORT_GROUPS: 'level 2' is not a group id (letters, digits, . _ -; at most 60 "
            "characters)",
        ),
        (
            {"SUPPORT_GROUPS": {"service-desk": ""}},
            "SUPPORT_GROUPS['service-desk']: the display name must be text",
        ),
        (
            {"DEFAULT_ESCALATION_GROUP": "helpdesk"},
            "DEFAULT_ESCALATION_GROUP 'helpdesk' is not one of SUPPORT_GROUPS (service-desk, "
            "desktop-support, network, identity-access, messaging, security, applications, "
            "facilities)",
        ),
        (
            {"PRIORITY_MATRIX": matrix(high_low="P9")},
            "PRIORITY_MATRIX['high']['low'] is 'P9': must be one of P1, P2, P3, P4",
        ),
        (
            {"PRIORITY_MATRIX": {k: v for k, v in matrix().items() if k != "medium"}},
            "PRIORITY_MATRIX: no row for impact 'medium'",
        ),
        (
            {"PRIORITY_MATRIX": {**matrix(), "critical": {"high": "P1"}}},
            "PRIORITY_MATRIX: 'critical' is not an impact (high, medium, low)",
        ),
        (
            {"PRIORITY_MATRIX": [["P1"]]},
            "PRIORITY_MATRIX must map impact (high, medium, low) to urgency (high, medium, low) "
            'to a priority, like {"high": {"high": "P1", "medium": "P2", "low": "P3"}, ...}',
        ),
        (
            {"SLA_TARGETS": {k: v for k, v in Defaults.SLA_TARGETS.items() if k != "P4"}},
            "SLA_TARGETS: no targets for P4, which PRIORITY_MATRIX gives",
        ),
        (
            {"SLA_TARGETS": {**Defaults.SLA_TARGETS, "P2": {"response": "1h", "resolution": 480}}},
            "SLA_TARGETS['P2']['response'] must be a whole number of minutes above 0, not '1h'",
        ),
        (
            {"SLA_TARGETS": {**Defaults.SLA_TARGETS, "P1": {"response": 300, "resolution": 240}}},
            "SLA_TARGETS['P1']: the response target (300 min) comes after the resolution "
            "target (240 min)",
        ),
        (
            {"SLA_TARGETS": {**Defaults.SLA_TARGETS, "P5": {"response": 1, "resolution": 2}}},
            "SLA_TARGETS: 'P5' is not a priority (P1, P2, P3, P4)",
        ),
    ],
)
def test_each_problem_is_one_clear_line(changes: dict[str, Any], line: str) -> None:
    assert configuration_problems(settings(**changes)) == [line]


def test_sla_targets_are_needed_only_for_the_priorities_the_matrix_gives() -> None:
    no_p4 = {k: v for k, v in Defaults.SLA_TARGETS.items() if k != "P4"}
    never_p4 = matrix(medium_low="P3", low_medium="P3", low_low="P3")
    assert configuration_problems(settings(PRIORITY_MATRIX=never_p4, SLA_TARGETS=no_p4)) == []


def test_create_app_refuses_a_wrong_configuration_before_touching_the_database(tmp_path) -> None:
    with pytest.raises(ConfigError) as raised:
        create_app({"SERVICES": [], "SUPPORT_GROUPS": {}}, instance_path=tmp_path)
    assert raised.value.problems == [
        "SERVICES is empty: list the services articles and trees may name",
        "SUPPORT_GROUPS is empty: escalations need at least one support group",
    ]
    assert not (tmp_path / "kb.sqlite3").exists()


BAD_CONFIG = """\
SERVICES = ["email", "email"]
PRIORITY_MATRIX = {"high": {"high": "P1", "medium": "P2", "low": "P3"}}
"""
BAD_LINES = [
    "kb: SERVICES: 'email' is listed twice",
    "kb: PRIORITY_MATRIX: no row for impact 'medium'",
    "kb: PRIORITY_MATRIX: no row for impact 'low'",
]


@pytest.mark.parametrize("args", [("serve", "--port", "5999"), ("init", "--if-needed")])
def test_kb_serve_and_init_print_one_line_per_problem_and_exit_2(tmp_path, args) -> None:
    (tmp_path / "config.py").write_text(BAD_CONFIG)
    result = run_kb(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == BAD_LINES
    assert result.stdout == ""


def test_help_works_while_the_configuration_is_wrong(tmp_path) -> None:
    """The person fixing the configuration can still read the commands' help."""
    (tmp_path / "config.py").write_text(BAD_CONFIG)
    result = run_kb(tmp_path, "--help")
    assert result.returncode == 0
    assert "Usage: kb" in result.stdout and "init" in result.stdout and "serve" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_a_wrong_setting_from_the_environment_is_reported_the_same_way(tmp_path) -> None:
    result = run_kb(tmp_path, "init", env={"KB_SERVICES": '"email"'})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'kb: SERVICES must be a list of service ids, like ["email", "vpn"]'
    ]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_stops_with_the_same_lines(tmp_path) -> None:
    (tmp_path / "config.py").write_text(BAD_CONFIG)
    venv = Path(sys.executable).parent.parent
    result = subprocess.run(
        # -o: the environment running these tests counts as installed; PORT: never the default
        ["make", "-s", "-C", str(REPO), "-o", f"{venv}/.installed", "run", f"VENV={venv}"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "KB_INSTANCE": str(tmp_path), "PORT": "5998"},
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[:3] == BAD_LINES
    assert "Traceback" not in result.stderr + result.stdout
