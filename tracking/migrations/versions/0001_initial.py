"""Initial schema: accounts, account_towns, events (append-only triggers), sessions,
login_attempts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
)
PG_TRIGGERS = (
    """CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$""",
    "CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("password_changed_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("role IN ('planner', 'town_official', 'viewer')",
                           name="ck_accounts_role"),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
    )
    op.create_table(
        "account_towns",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("town", sa.String(32), primary_key=True),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("order_seq", sa.Integer, nullable=False),
        sa.Column("corrects_id", sa.Integer, sa.ForeignKey("events.id"), nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
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
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("source_title", sa.Text, nullable=False),
        sa.Column("source_date", sa.Date, nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("account_towns", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("project_id", "seq", name="uq_events_project_id_seq"),
        sa.CheckConstraint("seq >= 1 AND order_seq >= 1 AND order_seq <= seq",
                           name="ck_events_seq"),
        sa.CheckConstraint("progress_pct IS NULL OR (progress_pct >= 0 AND progress_pct <= 100)",
                           name="ck_events_pct"),
        sa.CheckConstraint("location_precision IS NULL OR location_precision IN (1, 2)",
                           name="ck_events_precision"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("address", sa.String(64), nullable=False, server_default=""),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index("ix_login_attempts_username_address_at", "login_attempts",
                    ["username", "address", "at"])
    for sql in (PG_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS):
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_no_update_delete ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    for table in ("login_attempts", "sessions", "events", "account_towns", "accounts"):
        op.drop_table(table)
