"""The tables (SQLAlchemy Core), as of the newest migration (``tracking/migrations``).

* ``accounts`` + ``account_towns``: who may log in, their role and towns.
* ``events``: the append-only update log. One row = one update of one project, numbered
  ``seq`` = 1, 2, ... per project (the project's *version*; unique, so two writers based on the
  same version cannot both be kept). A correction is a new row whose ``corrects_id`` names the
  row it replaces; ``order_seq`` is the position it takes (the corrected row's). UPDATE and
  DELETE on this table are refused by triggers on SQLite and PostgreSQL.
* ``project_heads`` and ``project_head_history``: derived caches of the events (each
  project's current state; its state after each of its events), kept by every write in the
  write's transaction and rebuildable from the events (``python -m geo db rebuild-cache``).
* ``sessions``: login sessions (only a SHA-256 of the token is stored), ``login_attempts``:
  every login attempt (for throttling and audit).

All times are UTC, stored without a zone. Locations are WKT text in WGS84 (EPSG:4326).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ROLES = ("planner", "town_official", "viewer")

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, server_default=""),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("password_changed_at", DateTime, nullable=False),
    CheckConstraint("role IN ('planner', 'town_official', 'viewer')", name="role"),
)

account_towns = Table(
    "account_towns", metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("town", String(32), primary_key=True),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("order_seq", Integer, nullable=False),
    Column("corrects_id", Integer, ForeignKey("events.id"), nullable=True),
    Column("recorded_at", DateTime, nullable=False),
    # what changes (NULL = not changed by this event)
    Column("status", String(32)),
    Column("status_date", Date),
    Column("progress_text", Text),
    Column("progress_pct", Float),
    Column("start_date", Date),
    Column("planned_completion", Date),
    Column("actual_completion", Date),
    Column("investment_amount", Numeric(18, 2)),
    Column("investment_currency", String(3)),
    Column("investment_source", Text),
    Column("location_wkt", Text),
    Column("location_precision", SmallInteger),
    Column("location_method", String(32)),
    # why, and where it can be checked (required)
    Column("note", Text, nullable=False),
    Column("source_title", Text, nullable=False),
    Column("source_date", Date, nullable=False),
    Column("source_ref", Text, nullable=False),
    # who (a snapshot at the time of writing)
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("username", String(64), nullable=False),
    Column("role", String(20), nullable=False),
    Column("account_towns", Text, nullable=False, server_default=""),
    UniqueConstraint("project_id", "seq"),
    CheckConstraint("seq >= 1 AND order_seq >= 1 AND order_seq <= seq", name="seq"),
    CheckConstraint("progress_pct IS NULL OR (progress_pct >= 0 AND progress_pct <= 100)",
                    name="pct"),
    CheckConstraint("location_precision IS NULL OR location_precision IN (1, 2)",
                    name="precision"),
    Index(None, "recorded_at"),          # revision 0002
    Index(None, "corrects_id"),          # revision 0002
)

sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("address", String(64), nullable=False, server_default=""),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("success", Boolean, nullable=False),
    Index(None, "username", "address", "at"),
)

project_heads = Table(
    # a derived cache (revision 0002): each project's current state, recomputed from its
    # events by record_update in the same transaction; never a source of truth
    "project_heads", metadata,
    Column("project_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("n_events", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    *[Column(c.name, c.type) for c in events.columns
      if c.name in ("status", "status_date", "progress_text", "progress_pct", "start_date",
                    "planned_completion", "actual_completion", "investment_amount",
                    "investment_currency", "investment_source", "location_wkt",
                    "location_precision", "location_method")],
)

project_head_history = Table(
    # a derived cache (revision 0003): the project's state right after its event number
    # ``seq`` (= its version), i.e. the fold of its events 1..seq. ``valid_from`` = the
    # newest recording time among those events, ``valid_to`` = the next row's valid_from
    # (NULL: still current), both UTC. "As of t": the one row per project with
    # valid_from <= t < valid_to. record_update appends a row and closes the previous one
    # in the event's transaction; never a source of truth
    "project_head_history", metadata,
    Column("project_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("valid_from", DateTime, nullable=False),
    Column("valid_to", DateTime),
    *[Column(c.name, c.type) for c in project_heads.columns
      if c.name not in ("project_id", "version", "n_events", "updated_at")],
    Index(None, "project_id", "valid_from", "seq"),
)

#: the columns an event may change, by group; a group is set as a whole by one event
GROUPS: dict[str, tuple[str, ...]] = {
    "status": ("status", "status_date"),
    "progress": ("progress_text", "progress_pct"),
    "start": ("start_date",),
    "planned": ("planned_completion",),
    "actual": ("actual_completion",),
    "investment": ("investment_amount", "investment_currency", "investment_source"),
    "location": ("location_wkt", "location_precision", "location_method"),
}
#: the column whose non-NULL value says "this event sets the group"
GROUP_KEY = {"status": "status", "progress": None, "start": "start_date",
             "planned": "planned_completion", "actual": "actual_completion",
             "investment": "investment_amount", "location": "location_wkt"}
CHANGE_COLUMNS = tuple(c for cols in GROUPS.values() for c in cols)
SOURCE_COLUMNS = ("note", "source_title", "source_date", "source_ref")
