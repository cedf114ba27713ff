"""Reading state: baseline + events -> every project's current state, its state as of any
past moment, and what changed since a moment. One SQL query each (no per-project loop).

State of a project at moment ``t`` = the baseline, overridden group by group (status,
progress, start, planned, actual, investment, location) by the last event recorded at or
before ``t`` that sets the group. Events are ordered by position (``order_seq``: a correction
takes the place of the event it corrects) and then by ``seq``; an event corrected by a
correction recorded at or before ``t`` no longer counts. "As of" is by *recording* time: it
answers "what did the register say then", so a report for a past date never changes later.
The date a status took effect is the event's ``status_date`` (shown as ``status_as_of``).
"""

from __future__ import annotations

import gc
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, DateTime, Engine, TextClause, bindparam, text

from geo.notes import note, render
from tracking.baseline import Baseline
from tracking.models import CHANGE_COLUMNS, GROUP_KEY, GROUPS

#: a plain date in as-of/changed-since means the end of that day in the district (UTC+8)
DISTRICT_UTC_OFFSET = timedelta(hours=8)
DATE_COLUMNS = ("start_date", "planned_completion", "actual_completion")
_SHIFT = 1 << 40  # event ids < 2**40
#: never NULL in what the state queries return
INT_COLUMNS = ("version", "n_events")

STATE_COLUMNS = ("status", "status_as_of", "status_changed", "progress_text", "progress_pct",
                 "start_date", "planned_completion", "actual_completion", "investment_amount",
                 "investment_currency", "investment_source", "location_wkt",
                 "location_precision", "location_method", "version", "n_events",
                 "updated_at", "towns")


def to_utc(when: date | datetime | str) -> datetime:
    """A moment as naive UTC: a `date` (or 'YYYY-MM-DD') = the end of that day in 高要
    (UTC+8); a naive datetime is UTC; an aware one is converted."""
    if isinstance(when, str):
        when = (date.fromisoformat(when) if len(when.strip()) == 10
                else datetime.fromisoformat(when))
    if isinstance(when, datetime):
        return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    return datetime.combine(when + timedelta(days=1), time()) - DISTRICT_UTC_OFFSET


def _group_set(group: str, prefix: str = "") -> str:
    key = GROUP_KEY[group]
    if key is None:
        return " OR ".join(f"{prefix}{c} IS NOT NULL" for c in GROUPS[group])
    return f"{prefix}{key} IS NOT NULL"


def _state_sql(as_of: bool, one_project: bool = False, dialect: str = "sqlite") -> str:
    """SELECT project_id, version, n_events, updated_at, <CHANGE_COLUMNS> for every project
    with events (recorded at or before ``:t`` if `as_of`; only ``:p`` if `one_project`).

    One grouped pass over the events computes, per project and group, the key
    ``order_seq * 2**40 + id`` of the winning event (ids grow with seq within a project, the
    table being append-only), then one primary-key lookup per group fetches its values. The
    set of corrected events is materialised once (it is small)."""
    conds = (["e.recorded_at <= :t"] if as_of else []) + (
        ["e.project_id = :p"] if one_project else [])
    cut = ("WHERE " + " AND ".join(conds)) if conds else ""
    # SQLite: "+recorded_at" keeps the planner on the small corrects_id index
    rec = "+recorded_at" if dialect == "sqlite" else "recorded_at"
    cut_c = (f" AND {rec} <= :t" if as_of else "") + (
        " AND project_id = :p" if one_project else "")
    keys = ",\n".join(
        f"MAX(CASE WHEN s.corrects_id IS NULL AND ({_group_set(g, 'e.')}) "
        f"THEN CAST(e.order_seq AS BIGINT) * {_SHIFT} + e.id END) AS k_{g}" for g in GROUPS)
    joins = "\n".join(
        f"LEFT JOIN events g_{g} ON g_{g}.id = k.k_{g} % {_SHIFT}" for g in GROUPS)
    cols = ",\n".join(f"g_{g}.{c} AS {c}" for g, cs in GROUPS.items() for c in cs)
    return f"""
WITH s AS MATERIALIZED (
  SELECT DISTINCT corrects_id FROM events WHERE corrects_id IS NOT NULL {cut_c}
), k AS (
  SELECT e.project_id AS project_id, MAX(e.seq) AS version, COUNT(*) AS n_events,
         MAX(e.recorded_at) AS updated_at,
{keys}
  FROM events e LEFT JOIN s ON s.corrects_id = e.id
  {cut}
  GROUP BY e.project_id
)
SELECT k.project_id, k.version, k.n_events, k.updated_at,
{cols}
FROM k
{joins}
"""


def _frame(engine: Engine, sql: str, params: dict, keys: Sequence[str]) -> pd.DataFrame:
    """Run `sql`, which selects the columns `keys` (the first ``project_id``), and return its
    result as a frame with index ``project_id``: dates -> 'YYYY-MM-DD' text, times ->
    datetime64, amounts and percentages -> float, counts -> int64, other text as object
    columns (str or None). Row order: as the database returned it.

    Read column by column, not row by row: the database folds each column into one JSON
    array (``json_group_array`` / ``json_agg``: the aggregates of one SELECT are fed the same
    rows in the same order, so the arrays line up), and the json module decodes each array in
    C. 20 000 rows x 17 columns: one row of 17 texts instead of 20 000 Python tuples, about
    half the time (bench/RESULTS.md). The cyclic garbage collector is paused meanwhile: the
    values are fresh objects without cycles, and a collection falling inside costs more than
    the whole build."""
    stmt = folded(engine, sql, params, keys)
    with _gc_paused():
        with engine.connect() as conn:
            row = conn.execute(stmt, params).one()  # an aggregate: always one row
        columns = [_decoded(v) for v in row]
        index = pd.Index(_objects(columns[0]), name="project_id", dtype=object)
        arrays = {c: _column(c, col) for c, col in zip(keys[1:], columns[1:], strict=True)}
        # each array's own dtype: no per-value type inference of the object (text) columns
        data = {c: pd.Series(a, index=index, dtype=a.dtype, copy=False)
                for c, a in arrays.items()}
        return pd.DataFrame(data, index=index, columns=list(keys[1:]), copy=False)


def folded(engine: Engine, sql: str, params: dict, keys: Sequence[str]) -> TextClause:
    """`sql` (selecting `keys`) wrapped so that the result is ONE row: each column folded
    into a JSON array, in the same row order (see :func:`_frame`; the bench times it alone)."""
    agg = "json_agg" if engine.dialect.name == "postgresql" else "json_group_array"
    wrapped = f"SELECT {', '.join(f'{agg}(q.{k})' for k in keys)} FROM ({sql}) q"
    # typed binds: SQLite stores DateTime as text in SQLAlchemy's own format
    return text(wrapped).bindparams(*[bindparam(k, type_=DateTime()) for k in params
                                      if k in ("t", "s", "u")])


def _decoded(value: str | list | None) -> list:
    """A folded column as a list: SQLite returns the JSON text, psycopg the decoded list,
    PostgreSQL NULL for no rows."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it was on) for the block."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _column(name: str, col: list) -> np.ndarray | pd.DatetimeIndex:
    """One fetched column as an array: see :func:`_frame` (dates arrive as ISO text from
    both databases and stay so)."""
    if name in ("updated_at", "first_at", "last_at"):
        return pd.to_datetime(_objects(col), format="ISO8601")
    if name in ("investment_amount", "progress_pct", "location_precision"):
        return np.array(col, dtype=float)  # None -> NaN, Decimal -> float
    if name in INT_COLUMNS:
        return np.array(col, dtype=np.int64)
    return _objects(col)


def _objects(values: list | tuple) -> np.ndarray:
    """A 1-d object array of `values` (never a 2-d one, whatever the values are)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _combine(baseline: Baseline, tracked: pd.DataFrame) -> pd.DataFrame:
    """The baseline's projects (index ``id``, its order) with `tracked` (from :func:`_frame`)
    laid over them: columns ``STATE_COLUMNS``; version 0 where nothing was tracked."""
    base = baseline.frame
    t = tracked.reindex(base.index)
    changed = t["status"].notna()
    data: dict[str, pd.Series] = {
        "status": t["status"].where(changed, base["status"]),
        "status_as_of": t["status_date"].where(changed, base["status_as_of"]),
        "status_changed": changed,
    }
    for c in STATE_COLUMNS[3:-4]:
        data[c] = t[c]
    data["location_precision"] = t["location_precision"].astype("Int64")
    data["version"] = t["version"].fillna(0).astype("int64")
    data["n_events"] = t["n_events"].fillna(0).astype("int64")
    data["updated_at"] = pd.to_datetime(t["updated_at"])
    data["towns"] = base["towns"]
    out = pd.DataFrame(data, columns=list(STATE_COLUMNS))  # Series keep their dtypes
    out.index.name = "id"
    return out


_CACHE_SIZE = 8
_cache: OrderedDict[tuple, tuple] = OrderedDict()
_cache_lock = threading.Lock()


def events_marker(engine: Engine) -> tuple:
    """(newest event id, newest recording time): changes with every write and restore; for
    callers' own caches (e.g. the app's map layer)."""
    return _marker(engine)


def _marker(engine: Engine) -> tuple:
    """What identifies the events' content: the newest id and recording time (the table only
    grows; a restore changes them). Two index look-ups."""
    with engine.connect() as conn:
        return tuple(conn.execute(text("SELECT (SELECT MAX(id) FROM events), "
                                       "(SELECT MAX(recorded_at) FROM events)")).one())


def _cached(engine: Engine, baseline: Baseline, key: tuple,
            compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The frame for `key` from the per-process cache if the events did not change since it
    was computed (checked with one indexed query), else `compute()`; always a copy."""
    marker = _marker(engine)
    full = (engine.url.render_as_string(hide_password=False), id(baseline), *key)
    with _cache_lock:
        hit = _cache.get(full)
        if hit is not None and hit[0] == marker and hit[1] is baseline:
            _cache.move_to_end(full)
            return hit[2].copy()
    frame = compute()
    with _cache_lock:
        _cache[full] = (marker, baseline, frame)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return frame.copy()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


HEAD_COLUMNS = ("project_id", "version", "n_events", "updated_at", *CHANGE_COLUMNS)
HISTORY_COLUMNS = ("project_id", "seq", "valid_from", "valid_to", *CHANGE_COLUMNS)


def _history_sql() -> str:
    """SELECT project_id, seq, valid_from, valid_to, <CHANGE_COLUMNS>: every project's state
    right after each of its events, i.e. the fold of its events with seq <= that event's seq
    (the same rules as :func:`_state_sql`: a correction counts from its own seq on);
    ``valid_from`` the newest recording time among those events, ``valid_to`` the next row's
    ``valid_from`` (NULL for the last). For rebuilding ``project_head_history``: one grouped
    pass over the pairs (event, earlier-or-same event of its project), so the work grows with
    the sum over projects of (events per project)**2."""
    keys = ",\n".join(
        f"MAX(CASE WHEN c.id IS NULL AND ({_group_set(g, 'e.')}) "
        f"THEN CAST(e.order_seq AS BIGINT) * {_SHIFT} + e.id END) AS k_{g}" for g in GROUPS)
    joins = "\n".join(
        f"LEFT JOIN events g_{g} ON g_{g}.id = k.k_{g} % {_SHIFT}" for g in GROUPS)
    cols = ",\n".join(f"g_{g}.{c} AS {c}" for g, cs in GROUPS.items() for c in cs)
    return f"""
WITH k AS (
  SELECT x.project_id AS project_id, x.seq AS seq, MAX(e.recorded_at) AS valid_from,
{keys}
  FROM events x
  JOIN events e ON e.project_id = x.project_id AND e.seq <= x.seq
  LEFT JOIN events c ON c.corrects_id = e.id AND c.seq <= x.seq
  GROUP BY x.project_id, x.seq
)
SELECT k.project_id, k.seq, k.valid_from,
LEAD(k.valid_from) OVER (PARTITION BY k.project_id ORDER BY k.seq) AS valid_to,
{cols}
FROM k
{joins}
"""


def _as_of_sql(dialect: str) -> str:
    """SELECT project_id, version, n_events, updated_at, <CHANGE_COLUMNS> as of ``:t``, read
    from ``project_head_history``: the one row per project with valid_from <= t < valid_to.
    SQLite: per project with events (``project_heads``) one seek on the index (project_id,
    valid_from, seq), then the row by primary key: work grows with the number of projects.
    PostgreSQL: one sequential pass with that filter (an index probe per project costs more
    there): work grows with the number of events, at C speed. Projects with no event by
    ``:t`` have no row."""
    cols = ", ".join(f"h.{c} AS {c}" for c in CHANGE_COLUMNS)
    head = (f"SELECT h.project_id AS project_id, h.seq AS version, h.seq AS n_events, "
            f"h.valid_from AS updated_at, {cols}")
    if dialect == "postgresql":
        return (f"{head} FROM project_head_history h WHERE h.valid_from <= :t "
                "AND (h.valid_to IS NULL OR h.valid_to > :t)")
    last = ("SELECT x.seq FROM project_head_history x WHERE x.project_id = p.project_id "
            "AND x.valid_from <= :t ORDER BY x.valid_from DESC, x.seq DESC LIMIT 1")
    return (f"{head} FROM project_heads p JOIN project_head_history h "
            f"ON h.project_id = p.project_id AND h.seq = ({last})")


def refresh_head(conn: Connection, project_id: str) -> None:
    """Recompute one project's row of ``project_heads`` from its events, close its current
    row of ``project_head_history`` and append the new version (called by ``record_update``
    in the write's transaction, right after the event is inserted)."""
    p = {"p": project_id}
    conn.execute(text("DELETE FROM project_heads WHERE project_id = :p"), p)
    conn.execute(text(f"INSERT INTO project_heads ({', '.join(HEAD_COLUMNS)}) "
                      + _state_sql(False, True, conn.dialect.name)), p)
    conn.execute(text("UPDATE project_head_history SET valid_to = (SELECT updated_at FROM "
                      "project_heads WHERE project_id = :p) "
                      "WHERE project_id = :p AND valid_to IS NULL"), p)
    conn.execute(text(
        f"INSERT INTO project_head_history ({', '.join(HISTORY_COLUMNS)}) "
        f"SELECT project_id, version, updated_at, NULL, {', '.join(CHANGE_COLUMNS)} "
        "FROM project_heads WHERE project_id = :p"), p)


def rebuild_heads(conn: Connection) -> None:
    """Recompute all of ``project_heads`` from the events (migration 0002; see
    :func:`rebuild_cache` for both caches)."""
    conn.execute(text("DELETE FROM project_heads"))
    conn.execute(text(f"INSERT INTO project_heads ({', '.join(HEAD_COLUMNS)}) "
                      + _state_sql(False, False, conn.dialect.name)))


def rebuild_history(conn: Connection) -> None:
    """Recompute all of ``project_head_history`` from the events (migration 0003)."""
    conn.execute(text("DELETE FROM project_head_history"))
    conn.execute(text(f"INSERT INTO project_head_history ({', '.join(HISTORY_COLUMNS)}) "
                      + _history_sql()))


def rebuild_cache(conn: Connection) -> dict[str, int]:
    """Recompute both derived tables from the events (bulk loads, ``python -m geo db
    rebuild-cache``); returns their row counts. The events are only read."""
    rebuild_heads(conn)
    rebuild_history(conn)
    return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
            for t in ("project_heads", "project_head_history")}


def cache_rows(conn: Connection) -> dict[str, list[tuple]]:
    """The derived tables' rows, sorted, as plain tuples (to compare a rebuild with what the
    writes kept)."""
    out = {}
    for table, cols, order in (("project_heads", HEAD_COLUMNS, "project_id"),
                               ("project_head_history", HISTORY_COLUMNS, "project_id, seq")):
        out[table] = [tuple(r) for r in conn.execute(text(
            f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}"))]
    return out


def verify_cache(engine: Engine) -> dict[str, int]:
    """Rebuild both derived tables from the events inside a transaction that is then rolled
    back, and count the rows that differ from what the writes kept, per table (all 0 = the
    caches are exactly the fold of the events). SQLite: holds the write lock meanwhile."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin() as tx:
            kept = cache_rows(conn)
            rebuild_cache(conn)
            fresh = cache_rows(conn)
            tx.rollback()
    return {t: len(set(kept[t]) ^ set(fresh[t])) for t in kept}


def fast_query(engine: Engine, when: datetime | None = None) -> tuple[str, dict]:
    """The SQL (and its parameters) that :func:`current_state` (`when` None) or
    :func:`state_as_of` (`when`: naive UTC) run on the derived tables, e.g. to time the
    database's part alone (bench/tracking.py)."""
    if when is None:
        return (f"SELECT {', '.join(f'{c} AS {c}' for c in HEAD_COLUMNS)} "
                "FROM project_heads", {})
    return _as_of_sql(engine.dialect.name), {"t": when}


def current_state(engine: Engine, baseline: Baseline, *, from_events: bool = False,
                  cache: bool = True) -> pd.DataFrame:
    """Every baseline project's state now: one row per project id (index ``id``), columns
    ``STATE_COLUMNS``; ``version`` is what a write must state as ``based_on``. Read from
    ``project_heads`` (kept by every write); ``from_events=True`` recomputes it from the
    events instead (the two must agree; a test checks it). With `cache` the frame is reused
    while the events are unchanged (one indexed query to check), e.g. across Streamlit reruns
    or the several app pages of one process."""
    if from_events:
        return _combine(baseline, _frame(
            engine, _state_sql(False, False, engine.dialect.name), {}, HEAD_COLUMNS))
    sql, params = fast_query(engine)

    def compute() -> pd.DataFrame:
        return _combine(baseline, _frame(engine, sql, params, HEAD_COLUMNS))

    return _cached(engine, baseline, ("current",), compute) if cache else compute()


def state_as_of(engine: Engine, baseline: Baseline, when: date | datetime | str, *,
                from_events: bool = False, cache: bool = True) -> pd.DataFrame:
    """Every project's state as the register showed it at `when` (see :func:`to_utc`),
    read from ``project_head_history``; ``from_events=True`` folds the events recorded by then
    instead (slower; the two must agree, tests check it on random histories). Cached like
    :func:`current_state`."""
    t = to_utc(when)
    if from_events:
        return _combine(baseline, _frame(
            engine, _state_sql(True, False, engine.dialect.name), {"t": t}, HEAD_COLUMNS))
    sql, params = fast_query(engine, t)

    def compute() -> pd.DataFrame:
        return _combine(baseline, _frame(engine, sql, params, HEAD_COLUMNS))

    return _cached(engine, baseline, ("as_of", t), compute) if cache else compute()


def changed_since(engine: Engine, since: date | datetime | str,
                  until: date | datetime | str | None = None) -> pd.DataFrame:
    """Projects with events recorded after `since` (and at or before `until`): index
    ``project_id``; ``n_events``, ``first_at``, ``last_at``, ``version``, ``changed`` (the
    groups set, comma-joined) and ``by`` (usernames, comma-joined, sorted)."""
    flags = ",\n".join(f"MAX(CASE WHEN {_group_set(g)} THEN 1 ELSE 0 END) AS c_{g}"
                       for g in GROUPS)
    upper = "AND recorded_at <= :u" if until is not None else ""
    # SQLite: group by an expression, so the planner uses the recorded_at index for the
    # range instead of scanning every event in (project_id, seq) order
    grp = "+project_id" if engine.dialect.name == "sqlite" else "project_id"
    sql = f"""
SELECT project_id, COUNT(*) AS n_events, MIN(recorded_at) AS first_at,
       MAX(recorded_at) AS last_at, MAX(seq) AS version, {flags}
FROM events WHERE recorded_at > :s {upper} GROUP BY {grp}"""
    params = {"s": to_utc(since)}
    if until is not None:
        params["u"] = to_utc(until)
    flag_cols = [f"c_{g}" for g in GROUPS]
    df = _frame(engine, sql, params, ("project_id", "n_events", "first_at", "last_at",
                                      "version", *flag_cols)).sort_index()
    users = _frame(engine, f"SELECT project_id, username FROM events "
                   f"WHERE recorded_at > :s {upper} GROUP BY {grp}, username", params,
                   ("project_id", "username"))
    df["changed"] = [",".join(g for g, f in zip(GROUPS, row, strict=True) if f)
                     for row in df[flag_cols].to_numpy()]
    by = users.groupby(level=0)["username"].agg(lambda s: ",".join(sorted(set(s))))
    df["by"] = by.reindex(df.index)
    for c in ("first_at", "last_at"):
        df[c] = pd.to_datetime(df[c])
    return df.drop(columns=flag_cols)


def apply_state(projects: gpd.GeoDataFrame, state: pd.DataFrame) -> gpd.GeoDataFrame:
    """For the map: a copy of the built projects GeoDataFrame (``id`` column) with status,
    status_as_of replaced by the state, tracked columns added, and the geometry replaced
    (precision 1/2, method ``official_placement``) where a location was recorded."""
    import geopandas as gpd
    import shapely

    out = projects.copy()
    s = state.reindex(out["id"].to_numpy())
    for c in STATE_COLUMNS:
        if c in ("status", "status_as_of"):
            out[c] = s[c].where(s[c].notna(), out[c].to_numpy()).to_numpy()
        elif c != "towns":
            out[c] = s[c].to_numpy()
    has = s["location_wkt"].notna().to_numpy()
    if has.any():
        geoms = out.geometry.to_numpy().copy()
        geoms[has] = shapely.from_wkt(s["location_wkt"].to_numpy()[has])
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=projects.crs))
        out.loc[has, "precision"] = s["location_precision"].to_numpy()[has].astype(int)
        out.loc[has, "geocode_method"] = "official_placement"
        for column, lang in (("geocode_note", "en"), ("geocode_note_zh", "zh")):
            if column in out.columns:  # the build's note no longer says where it is
                out.loc[has, column] = render([note("official_placement")], lang)
    return out
