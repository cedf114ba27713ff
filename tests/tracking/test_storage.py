"""Storage: the one database setting, migrations (from empty and from the previous
revision), backup/restore round trips, export, and the ``python -m geo users|db`` CLI."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import datetime

import pytest
from sqlalchemy import insert, inspect, text

from geo.__main__ import main as geo_main
from tests.tracking.helpers import PASSWORD, source
from tracking import auth, backup, db, events, migrate
from tracking.models import events as events_table
from tracking.state import current_state


def _write(engine, base, acc, pid, **kw):
    return events.record_update(engine, acc, pid, source(**kw),
                                based_on=events.project_version(engine, pid), baseline=base)


def test_default_database_is_a_sqlite_file_created_on_first_start(tmp_path,
                                                                  monkeypatch) -> None:
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    monkeypatch.setattr(db, "DEFAULT_PATH", tmp_path / "instance" / "tracking.sqlite")
    assert db.database_url().endswith("instance/tracking.sqlite")
    engine = db.make_engine()
    migrate.ensure_schema(engine)
    assert (tmp_path / "instance" / "tracking.sqlite").is_file()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    migrate.ensure_schema(engine)  # idempotent
    monkeypatch.setenv(db.ENV_VAR, "postgresql+psycopg://u:secret@h/d")
    assert db.database_url() == "postgresql+psycopg://u:secret@h/d"
    assert "secret" not in db.redacted(db.database_url())
    engine.dispose()


def test_migration_from_empty(db_url) -> None:
    engine = db.make_engine(db_url)
    assert migrate.current(engine) is None
    assert migrate.upgrade(engine) == migrate.head() == "0003"
    names = set(inspect(engine).get_table_names())
    assert {"accounts", "account_towns", "events", "sessions", "login_attempts",
            "alembic_version"} <= names
    assert migrate.downgrade(engine, "base") is None
    assert "events" not in inspect(engine).get_table_names()
    engine.dispose()


def test_migration_from_the_previous_revision(db_url, base) -> None:
    engine = db.make_engine(db_url)
    assert migrate.upgrade(engine, "0001") == "0001"
    acc = auth.create_account(engine, "planner", PASSWORD, "planner")
    # an event as the 0001 schema stored it (written by that version of the code)
    values = events.validate(events.Update.from_mapping(source(
        status="implementation", status_date="2024-12-01", location="POINT (112.6 23.05)",
        location_precision=1)))
    with engine.begin() as conn:
        conn.execute(insert(events_table).values(
            **values, project_id="p-jinli", seq=1, order_seq=1,
            recorded_at=datetime(2025, 1, 2), account_id=acc.id, username="planner",
            role="planner", account_towns=""))
    idx = {i["name"] for i in inspect(engine).get_indexes("events")}
    assert "ix_events_recorded_at" not in idx
    assert migrate.upgrade(engine) == "0003"
    idx = {i["name"] for i in inspect(engine).get_indexes("events")}
    assert {"ix_events_recorded_at", "ix_events_corrects_id"} <= idx
    (ev,) = events.history(engine, "p-jinli")
    assert ev.status == "implementation" and ev.username == "planner"
    now = current_state(engine, base)        # project_heads filled by the migration
    assert now.loc["p-jinli", "status"] == "implementation" and now.loc["p-jinli", "version"] == 1
    assert now.equals(current_state(engine, base, from_events=True))
    if engine.dialect.name == "postgresql":   # PostGIS geometry filled for the old rows too
        with engine.connect() as conn:
            assert conn.execute(text("SELECT ST_AsText(geom), ST_SRID(geom) FROM events")
                                ).one() == ("POINT(112.6 23.05)", 4326)
    # still append-only after the migration, and writable
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE events SET note = 'x'"))
    _write(engine, base, acc, "p-jinli", progress_pct=50)
    assert migrate.downgrade(engine, "0001") == "0001"
    assert len(events.history(engine, "p-jinli")) == 2
    engine.dispose()


def test_backup_restore_round_trip(engine, base, accounts, tmp_path) -> None:
    p = accounts["planner"]
    for i in range(3):
        _write(engine, base, p, "p-jinli", progress_pct=10 * (i + 1))
    _write(engine, base, p, "p-district", location="POINT (112.5 23.0)", location_precision=2)
    before = current_state(engine, base)
    bak = backup.backup(engine, tmp_path / "backup.bin")
    _write(engine, base, p, "p-jinli", status="cancelled", status_date="2024-12-01")
    with pytest.raises(backup.BackupError, match="force"):
        backup.restore(engine, bak)
    assert backup.restore(engine, bak, force=True) == migrate.head()
    after = current_state(engine, base)
    assert after.drop(columns="updated_at").equals(before.drop(columns="updated_at"))
    assert (after["updated_at"].dropna() == before["updated_at"].dropna()).all()
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
    # accounts came back too, and writing continues
    _write(engine, base, p, "p-jinli", progress_pct=90)
    assert events.project_version(engine, "p-jinli") == 4


def test_restore_into_an_empty_database(db_url, pg_server, base, tmp_path) -> None:
    src = db.make_engine(db_url)
    migrate.upgrade(src)
    acc = auth.create_account(src, "planner", PASSWORD, "planner")
    _write(src, base, acc, "p-both", progress_text="完成招标")
    bak = backup.backup(src, tmp_path / "b.bin")
    if src.dialect.name == "sqlite":
        target = db.make_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    else:
        target = db.make_engine(pg_server.create_database("restored_here"))
    backup.restore(target, bak)
    (ev,) = events.history(target, "p-both")
    assert ev.progress_text == "完成招标"
    assert auth.login(target, "planner", PASSWORD).account.role == "planner"
    src.dispose()
    target.dispose()


def test_sqlite_backup_is_consistent_while_writing(tmp_path, base) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'live.sqlite'}")
    migrate.upgrade(engine)
    acc = auth.create_account(engine, "planner", PASSWORD, "planner")
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            _write(engine, base, acc, "p-jinli", progress_pct=1)

    t = threading.Thread(target=writer)
    t.start()
    try:
        for i in range(3):
            bak = backup.backup(engine, tmp_path / f"b{i}.sqlite")
            copy = db.make_engine(f"sqlite:///{bak}")
            seqs = [e.seq for e in events.history(copy, "p-jinli")]
            assert seqs == list(range(1, len(seqs) + 1))
            copy.dispose()
    finally:
        stop.set()
        t.join()
    with pytest.raises(backup.BackupError, match="not a tracking database"):
        (tmp_path / "junk").write_bytes(b"\0" * 5000)
        backup.restore(engine, tmp_path / "junk")
    engine.dispose()


def test_export_events(engine, base, accounts) -> None:
    _write(engine, base, accounts["jinli"], "p-jinli", progress_text="-1 层完成",
           investment_amount=12.5, investment_currency="CNY", investment_source="自筹")
    _write(engine, base, accounts["jinli"], "p-jinli", status="implementation",
           status_date="2024-12-01")
    rows = list(csv.DictReader(io.StringIO(backup.export_events(engine, "csv"))))
    assert [r["seq"] for r in rows] == ["1", "2"]
    assert rows[0]["progress_text"] == "'-1 层完成"     # spreadsheet formula neutralised
    assert rows[0]["investment_amount"] == "12.50" and rows[1]["username"] == "jinli"
    data = json.loads(backup.export_events(engine, "json"))
    assert data[1]["status"] == "implementation" and data[0]["progress_text"] == "-1 层完成"


def test_cli_users_and_db(db_url, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv(db.ENV_VAR, db_url)
    assert geo_main(["db", "init"]) == 0
    assert "revision 0003" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert geo_main(["users", "add", "li.ming", "--role", "town_official", "--town", "金利镇",
                     "--name", "李明"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert geo_main(["users", "add", "weak", "--role", "viewer"]) == 1
    assert "password" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert geo_main(["users", "add", "x", "--role", "town_official", "--town", "火星镇"]) == 1
    assert geo_main(["users", "add", "y", "--role", "viewer", "--password", "p"]) == 2
    capsys.readouterr()
    assert geo_main(["users", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row == {"username": "li.ming", "role": "town_official", "towns": ["金利镇"],
                   "display_name": "李明", "disabled": False}
    assert geo_main(["users", "disable", "li.ming"]) == 0
    assert geo_main(["users", "disable", "nobody"]) == 1
    engine = db.make_engine(db_url)
    with pytest.raises(auth.AuthError):
        auth.login(engine, "li.ming", PASSWORD)
    assert geo_main(["db", "backup", str(tmp_path / "b.bin")]) == 0
    assert geo_main(["db", "export-events", str(tmp_path / "e.json"), "--format", "json"]) == 0
    assert json.loads((tmp_path / "e.json").read_text()) == []
    assert geo_main(["db", "restore", str(tmp_path / "missing.bin")]) == 1
    assert geo_main(["db", "restore", str(tmp_path / "b.bin"), "--force"]) == 0
    assert geo_main(["db", "current"]) == 0
    engine.dispose()


def test_cli_parser_does_not_load_the_database_stack() -> None:
    import subprocess
    import sys

    from tracking import cli, models

    assert cli.ROLES == models.ROLES
    code = ("import sys, geo.__main__ as m; m.make_parser(); "
            "print('sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_missing_postgresql_fails_with_the_install_hint(tmp_path, monkeypatch) -> None:
    """The session fixture turns this error into a test FAILURE (pytest.fail), not a skip."""
    from tracking import pgtemp

    monkeypatch.setenv("GAOYAO_PG_BINDIR", str(tmp_path))   # a folder without initdb
    with pytest.raises(pgtemp.PostgresMissingError, match="make test"):
        pgtemp.TempPostgres()
    import inspect as pyinspect

    from tests.tracking import conftest
    src = pyinspect.getsource(conftest.pg_server)
    assert "pytest.fail" in src and "skip" not in src
