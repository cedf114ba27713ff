"""Backup, restore and export of the tracking database.

* SQLite: ``VACUUM INTO`` a temp file next to the destination, checked with
  ``PRAGMA integrity_check``, then renamed into place: a consistent snapshot even while the
  app is writing (WAL readers do not block writers). Restore copies the backup into the live
  file with SQLite's online backup API (never a raw file copy, which would break the WAL).
* PostgreSQL: ``pg_dump --format=custom`` / ``pg_restore --clean --if-exists
  --single-transaction`` (all or nothing).
* Restore refuses to drop events that exist only in the live database unless ``force``.
* Export: every event as CSV (text cells that a spreadsheet would run are prefixed with
  ``'``) or JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from tracking import migrate
from tracking.db import is_sqlite
from tracking.events import EventRecord
from tracking.models import events


class BackupError(RuntimeError):
    pass


def _pg_tool(name: str) -> str:
    from tracking.pgtemp import PostgresMissingError, find_bindir

    try:
        return str(find_bindir() / name)
    except PostgresMissingError:
        found = shutil.which(name)
        if not found:
            raise BackupError(f"{name} not found; install postgresql-client") from None
        return found


def _libpq_url(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(engine: Engine) -> Path:
    database = make_url(str(engine.url)).database
    if not database:
        raise ValueError(f"{engine.url}: a SQLite URL without a file")
    return Path(database)


def backup(engine: Engine, dest: Path | str) -> Path:
    """Write a consistent backup of the database to `dest` (replaced atomically)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        if is_sqlite(engine):
            raw = sqlite3.connect(_sqlite_path(engine), timeout=30)
            try:
                raw.execute("VACUUM INTO ?", (str(tmp),))
            finally:
                raw.close()
            _check_sqlite_backup(tmp)
        else:
            proc = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner",
                                   "--file", str(tmp), "--dbname", _libpq_url(engine)],
                                  capture_output=True, text=True, timeout=3600)
            if proc.returncode:
                raise BackupError(f"pg_dump failed: {proc.stderr.strip()[:500]}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _check_sqlite_backup(path: Path) -> int:
    """Max event id in a SQLite backup; BackupError if it is not a sound tracking database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise BackupError(f"{path}: integrity check failed: {ok}")
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a tracking database backup ({exc})") from None


def _live_max_id(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))
                                    ).scalar_one())
    except Exception:  # no schema yet
        return 0


def restore(engine: Engine, src: Path | str, force: bool = False) -> str | None:
    """Replace the database's content with the backup `src`, then migrate it to the newest
    revision; returns that revision. Refuses (BackupError) when the live database holds events
    the backup lacks, unless `force`."""
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"{src}: no such backup file")
    live = _live_max_id(engine)
    if is_sqlite(engine):
        in_backup = _check_sqlite_backup(src)
        if live > in_backup and not force:
            raise BackupError(f"the database has events up to id {live}, the backup only up to "
                              f"{in_backup}: restoring would drop {live - in_backup} event(s); "
                              "use --force if that is intended")
        engine.dispose()
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(engine), timeout=30)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    else:
        if live and not force:
            raise BackupError(f"the database already holds events (up to id {live}); restore "
                              "into a new empty database (createdb), or use --force to "
                              "replace them")
        engine.dispose()
        proc = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                               "--single-transaction", "--dbname", _libpq_url(engine), str(src)],
                              capture_output=True, text=True, timeout=3600)
        if proc.returncode:
            raise BackupError(f"pg_restore failed: {proc.stderr.strip()[:800]}")
    engine.dispose()
    return migrate.upgrade(engine)


EXPORT_COLUMNS = tuple(c.name for c in events.columns if c.name != "geom")


def _plain(v: object) -> object:
    if isinstance(v, date | datetime):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def export_events(engine: Engine, fmt: str = "csv", since: datetime | None = None) -> str:
    """Every event (or those recorded after `since`), oldest first, as CSV or JSON text."""
    from geo.export import csv_safe

    q = select(*[events.c[c] for c in EXPORT_COLUMNS]).order_by(events.c.id)
    if since is not None:
        q = q.where(events.c.recorded_at > since)
    with engine.connect() as conn:
        rows = [EventRecord.from_row(r).to_dict() for r in conn.execute(q).mappings()]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1)
    if fmt != "csv":
        raise ValueError(f"format: csv or json, got {fmt!r}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EXPORT_COLUMNS)
    for r in rows:
        w.writerow([csv_safe(_plain(r[c])) if r[c] is not None else "" for c in EXPORT_COLUMNS])
    return buf.getvalue()
