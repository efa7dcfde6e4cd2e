"""Password rules (NIST SP 800-63B): a minimum and a generous maximum length, no composition
rules, and no common, breached or context-derived passwords, wherever a password is set."""

from __future__ import annotations

import pytest

from kb.cli import cli
from tests.conftest import PASSWORD
from tests.test_cli import run_kb

WEAK = ["aaaaaaaaaa", "password12", " " * 10, "qwertyuiop", "1234567890"]


@pytest.mark.parametrize("password", WEAK)
def test_user_create_refuses_common_and_trivial_passwords(runner, password) -> None:
    result = runner.invoke(
        cli, ["user", "create", "weak@example.org"], env={"KB_USER_PASSWORD": password}
    )
    assert result.exit_code == 2, result.output
    assert "too easy to guess" in result.output
    assert "weak@example.org" not in runner.invoke(cli, ["user", "list"]).output


@pytest.mark.parametrize(
    ("email", "name", "password"),
    [
        ("pat.lowe@example.org", "", "pat.lowe@example.org"),
        ("pat.lowe@example.org", "", "patlowe2026!"),
        ("sam@example.org", "Samantha Quist", "samanthaquist1"),
        ("sam@example.org", "", "kbkbkbkbkbkb"),
    ],
)
def test_passwords_made_of_the_account_s_own_words_are_refused(
    runner, email, name, password
) -> None:
    result = runner.invoke(
        cli, ["user", "create", email, "--name", name], env={"KB_USER_PASSWORD": password}
    )
    assert result.exit_code == 2, result.output
    assert "too easy to guess" in result.output


def test_long_passphrases_without_composition_rules_are_accepted(runner) -> None:
    long_phrase = "the quick brown fox jumps over the lazy dog near the old help desk"
    assert len(long_phrase) >= 64
    for email, password in [
        ("long@example.org", long_phrase),
        ("fixture@example.org", PASSWORD),
        ("lower@example.org", "purple monkey dishwasher"),
    ]:
        result = runner.invoke(cli, ["user", "create", email], env={"KB_USER_PASSWORD": password})
        assert result.exit_code == 0, result.output


def test_passwords_longer_than_the_maximum_are_refused_with_the_limit(runner) -> None:
    result = runner.invoke(
        cli, ["user", "create", "huge@example.org"], env={"KB_USER_PASSWORD": "x7Q!" * 100}
    )
    assert result.exit_code == 2
    assert "at most 256 characters" in result.output


def test_init_refuses_a_weak_first_admin_password(tmp_path) -> None:
    env = {"KB_ADMIN_EMAIL": "boss@example.org", "KB_ADMIN_PASSWORD": "password12"}
    result = run_kb(tmp_path, "init", "--no-content", env=env)
    assert result.returncode == 2
    assert "too easy to guess" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_changing_a_password_applies_the_same_rules(runner, client, auth) -> None:
    weak = runner.invoke(
        cli, ["user", "set-password", "author@example.org"], env={"KB_USER_PASSWORD": "password12"}
    )
    assert weak.exit_code == 2 and "too easy to guess" in weak.output
    assert auth.login("author").status_code == 302  # the old password still works
    auth.logout()
    changed = runner.invoke(
        cli,
        ["user", "set-password", "author@example.org"],
        env={"KB_USER_PASSWORD": "violet lantern orchard"},
    )
    assert changed.exit_code == 0, changed.output
    assert auth.login("author").status_code == 401
    assert auth.login("author", password="violet lantern orchard").status_code == 302
