"""The `kb` command: exit codes, one-line errors, init, users."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kb.cli import cli

REPO = Path(__file__).resolve().parent.parent


def run_kb(instance: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""):
    """Run the installed console script as a person would, on a given instance."""
    kb = Path(sys.executable).with_name("kb")
    environment = {
        "PATH": str(kb.parent) + ":/usr/bin:/bin",
        "KB_INSTANCE": str(instance),
        **(env or {}),
    }
    return subprocess.run(
        [str(kb), *args], capture_output=True, text=True, env=environment, input=stdin, timeout=120
    )


def test_init_creates_admin_imports_content_and_never_overwrites(tmp_path) -> None:
    env = {"KB_ADMIN_EMAIL": "boss@example.org", "KB_ADMIN_PASSWORD": "a-long-password"}
    first = run_kb(tmp_path, "init", env=env)
    assert first.returncode == 0, first.stderr
    assert "Created admin account boss@example.org" in first.stdout
    assert "Sign in at" in first.stdout
    assert "articles:" in first.stdout and " 0 created" not in first.stdout
    second = run_kb(tmp_path, "init", env=env)
    assert second.returncode == 2
    assert second.stderr.strip().endswith("is already initialised; it is never overwritten")
    assert len(second.stderr.strip().splitlines()) == 1
    again = run_kb(tmp_path, "init", "--if-needed", env=env)
    assert again.returncode == 0 and "is ready" in again.stdout


def test_init_without_a_terminal_generates_a_password_and_keeps_it_private(tmp_path) -> None:
    result = run_kb(tmp_path, "init", "--no-content")
    assert result.returncode == 0, result.stderr
    secret = tmp_path / "initial-admin-password.txt"
    assert secret.stat().st_mode & 0o077 == 0
    assert secret.read_text().strip() in result.stdout
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "args",
    [
        ("import", "/no/such/folder"),
        ("user", "create", "x@example.org", "--role", "wizard"),
        ("no-such-command",),
        ("export",),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args) -> None:
    result = run_kb(tmp_path, *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("kb: ")
    assert "Traceback" not in result.stderr


def test_user_create_reads_password_from_environment(runner, app) -> None:
    result = runner.invoke(
        cli,
        ["user", "create", "new@example.org", "--role", "author"],
        env={"KB_USER_PASSWORD": "long-enough-password"},
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(cli, ["user", "list"])
    assert "new@example.org" in listing.output and "author" in listing.output


def test_user_create_with_weak_password_exits_2(runner) -> None:
    result = runner.invoke(
        cli, ["user", "create", "weak@example.org"], env={"KB_USER_PASSWORD": "short"}
    )
    assert result.exit_code == 2
    assert "at least 10 characters" in result.output


def test_user_create_duplicate_exits_2(runner) -> None:
    result = runner.invoke(
        cli,
        ["user", "create", "author@example.org"],
        env={"KB_USER_PASSWORD": "long-enough-password"},
    )
    assert result.exit_code == 2
    assert "already exists" in result.output


def test_import_with_a_bad_file_exits_1_and_names_it(runner, tmp_path) -> None:
    (tmp_path / "bad.md").write_text("---\ntitle: X\naudience: nobody\n---\nText\n")
    result = runner.invoke(cli, ["import", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'bad.md'}: line 3: audience: must be public or internal" in result.output


def test_export_then_import_is_a_no_op(runner, tmp_path) -> None:
    assert runner.invoke(cli, ["export", str(tmp_path)]).exit_code == 0
    result = runner.invoke(cli, ["import", str(tmp_path)])
    assert result.exit_code == 0
    assert " 0 created, 0 updated" in result.output


def test_init_fails_loudly_when_bundled_content_does_not_import(tmp_path) -> None:
    """A broken or missing bundled folder is an error, not an empty knowledge base."""
    instance, content = tmp_path / "instance", tmp_path / "content"
    content.mkdir()
    (content / "broken.md").write_text("---\ntitle: x\naudience: everyone\n---\nBody\n")
    env = {"KB_ADMIN_PASSWORD": "a-long-password", "KB_BUNDLED_ARTICLES": str(content)}
    failed = run_kb(instance, "init", env=env)
    assert failed.returncode == 1
    assert "broken.md" in failed.stderr and "failed to import" in failed.stderr
    assert "Created admin account" not in failed.stdout
    missing = run_kb(instance, "init", env={**env, "KB_BUNDLED_ARTICLES": "/no/such/folder"})
    assert missing.returncode == 1 and "bundled content not found" in missing.stderr
    fixed = run_kb(instance, "init", env={"KB_ADMIN_PASSWORD": "a-long-password"})
    assert fixed.returncode == 0, fixed.stderr  # nothing was left half-initialised
