"""The database engine, from ONE setting: ``GAOYAO_DATABASE_URL``.

Default: an embedded SQLite file ``instance/tracking.sqlite`` (created on first start; the
``instance/`` folder is git-ignored). SQLite connections get WAL, foreign keys and a busy
timeout on connect; write transactions use ``BEGIN IMMEDIATE`` (see :func:`write_tx`) so that
two writers never both read an old version and then both try to write.
PostgreSQL: ``postgresql+psycopg://user@host/dbname`` (psycopg 3).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from geo.paths import INSTANCE_DIR

ENV_VAR = "GAOYAO_DATABASE_URL"
DEFAULT_PATH = INSTANCE_DIR / "tracking.sqlite"
SQLITE_BUSY_MS = 30_000


def database_url(url: str | None = None) -> str:
    """`url`, else ``$GAOYAO_DATABASE_URL``, else the default SQLite file."""
    return url or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_PATH}"


def redacted(url: str) -> str:
    """The URL with any password hidden (for messages and logs)."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    """A SQLAlchemy 2 engine for `url` (see :func:`database_url`). For a SQLite file the parent
    folder is created; each connection gets WAL, foreign keys on and a busy timeout."""
    url = database_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                                  "check_same_thread": False}, **kwargs)
        _sqlite_events(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-65536")      # 64 MiB page cache
        cur.execute("PRAGMA mmap_size=268435456")    # 256 MiB memory-mapped reads
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (the write lock is taken before the
    first read), READ COMMITTED on PostgreSQL (the unique (project_id, seq) key and a row lock
    decide between concurrent writers). Commits on success, rolls back on any exception."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn
