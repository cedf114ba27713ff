"""Alembic migrations, configured in code (no alembic.ini): ``upgrade(engine)`` etc.

The scripts live in ``tracking/migrations/versions``: ``0001`` the initial schema, ``0002``
indexes and ``project_heads`` (+ a PostGIS geometry column when the extension is installed),
``0003`` ``project_head_history`` (fast "as of").
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest revision id."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("tracking/migrations holds no revision")
    return head


def current(engine: Engine) -> str | None:
    """The database's revision (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database to `revision` (default: the newest); returns the new revision."""
    with engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current(engine)


def downgrade(engine: Engine, revision: str) -> str | None:
    with engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return current(engine)


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest revision (used on first start; idempotent)."""
    if current(engine) != head():
        upgrade(engine)
