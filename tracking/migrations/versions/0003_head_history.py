"""``project_head_history``: each project's state after each of its events (fast "as of").

A derived cache like ``project_heads`` (revision 0002): one row per event, the fold of the
project's events up to and including it, valid from the newest recording time among them
until the next row's (``valid_to``, NULL while current; UTC). ``record_update`` appends a row
and closes the previous one in the same transaction as the event; this migration fills it
from the existing events. "As of t" then reads the one row per project valid at t (SQLite:
an index seek per project on (project_id, valid_from, seq); PostgreSQL: one sequential pass
with a filter) instead of folding every event recorded by t.
The events table is unchanged (still append-only); ``python -m geo db rebuild-cache``
recomputes both caches from it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_head_history",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("valid_from", sa.DateTime, nullable=False),
        sa.Column("valid_to", sa.DateTime),
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
    op.create_index("ix_project_head_history_project_id_valid_from_seq",
                    "project_head_history", ["project_id", "valid_from", "seq"])
    from tracking.state import rebuild_history

    rebuild_history(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_project_head_history_project_id_valid_from_seq",
                  "project_head_history")
    op.drop_table("project_head_history")
