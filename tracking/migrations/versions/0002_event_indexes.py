"""Indexes for "changed since" and corrections; ``project_heads``; on PostGIS a geometry.

* ``ix_events_recorded_at`` (changed_since, as-of) and ``ix_events_corrects_id``.
* ``project_heads``: each project's current state (a cache kept by every write, so the
  whole district's current state is one small table read), filled from the existing events.
* PostgreSQL with the ``postgis`` extension installed: ``events.geom``, a STORED generated
  ``geometry(Geometry, 4326)`` column computed from ``location_wkt`` (so the application keeps
  writing only WKT, and SQLite keeps working), with a GiST index. Without PostGIS: skipped.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _has_postgis() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.execute(sa.text(
        "SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first() is not None


def upgrade() -> None:
    op.create_index("ix_events_recorded_at", "events", ["recorded_at"])
    op.create_index("ix_events_corrects_id", "events", ["corrects_id"])
    op.create_table(
        "project_heads",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("n_events", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(32)),
        sa.Column("status_date", sa.Date),
        sa.Column("progress_text", sa.Text),
        sa.Column("progress_pct", sa.Float),
        sa.Column("start_date", sa.Date),
        sa.Column("planned_completion", sa.Date),
        sa.Column("actual_completion", sa.Date),
        sa.Column("investment_amount", sa.Numeric(18, 2)),
        sa.Column("investment_currency", sa.String(3)),
        sa.Column("investment_source", sa.Text),
        sa.Column("location_wkt", sa.Text),
        sa.Column("location_precision", sa.SmallInteger),
        sa.Column("location_method", sa.String(32)),
    )
    from tracking.state import rebuild_heads

    rebuild_heads(op.get_bind())
    if _has_postgis():
        op.execute("ALTER TABLE events ADD COLUMN geom geometry(Geometry, 4326) "
                   "GENERATED ALWAYS AS (ST_GeomFromText(location_wkt, 4326)) STORED")
        op.execute("CREATE INDEX ix_events_geom ON events USING gist (geom)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_events_geom")
        op.execute("ALTER TABLE events DROP COLUMN IF EXISTS geom")
    op.drop_table("project_heads")
    op.drop_index("ix_events_corrects_id", "events")
    op.drop_index("ix_events_recorded_at", "events")
