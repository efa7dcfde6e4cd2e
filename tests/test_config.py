"""Configuration layers, instance selection and the generated secret key."""

from __future__ import annotations

from kb import create_app
from kb.extensions import kb_state


def test_instance_config_file_and_environment_override_defaults(tmp_path, monkeypatch) -> None:
    (tmp_path / "config.py").write_text("SITE_NAME = 'City Help Desk'\nITEMS_PER_PAGE = 7\n")
    monkeypatch.setenv("KB_ITEMS_PER_PAGE", "9")
    app = create_app(instance_path=tmp_path)
    assert app.config["SITE_NAME"] == "City Help Desk"
    assert app.config["ITEMS_PER_PAGE"] == 9
    kb_state(app).engine.dispose()


def test_kb_instance_selects_the_instance_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KB_INSTANCE", str(tmp_path / "one"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "one")
    assert (tmp_path / "one" / "kb.sqlite3").exists()
    kb_state(app).engine.dispose()


def test_secret_key_is_generated_once_and_reused(tmp_path) -> None:
    first = create_app(instance_path=tmp_path)
    second = create_app(instance_path=tmp_path)
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    for app in (first, second):
        kb_state(app).engine.dispose()


def test_sqlite_runs_in_wal_mode(app) -> None:
    with kb_state(app).engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
