"""Progress-tracking benchmark: ``make bench-tracking`` = ``python -m bench.tracking``.

For each backend (SQLite file; PostgreSQL + PostGIS, a throwaway server from
``tracking.pgtemp``) it loads ``--events`` synthetic events (default 200 000) over
``--projects`` projects (default 20 000; ~2 % corrections), then times, median of
``--reps`` (>= 5) after one warm-up: the current state of the whole district, the state as of
a past date, and "changed in the last 30 days"; then ``--writers`` threads (default 20) call
``record_update`` on random projects for ``--seconds`` and we count writes/s. The table goes
under "## Progress tracking" in bench/RESULTS.md (only that section is replaced).

    python -m bench.tracking                     # both backends, full size, writes RESULTS.md
    python -m bench.tracking --events 20000 --projects 2000 --no-write   # quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Progress tracking"
TOWNS = ("南岸街道", "河台镇", "乐城镇", "水南镇", "禄步镇", "小湘镇", "大湾镇", "新桥镇", "白诸镇",
         "莲塘镇", "活道镇", "蛟塘镇", "回龙镇", "白土镇", "金渡镇", "金利镇", "蚬岗镇")
STATUSES = ("identification", "preparation", "implementation", "completion", "maintenance")
T0 = dt.datetime(2022, 1, 1)
SPAN_S = 4 * 365 * 86400


def make_baseline(n: int, rng: random.Random):
    from tracking.baseline import Baseline

    return Baseline.from_records([
        {"id": f"bench-{i:06d}", "status": rng.choice(STATUSES[:3]), "status_as_of": "2021-12",
         "towns_all": rng.choice(TOWNS), "precision": 3, "geocode_method": "town"}
        for i in range(n)])


def make_events(n_events: int, ids: list[str], account_id: int,
                rng: random.Random) -> list[dict]:
    """Synthetic events in recording order; seq per project; ~2 % corrections of the
    project's previous (uncorrected, non-correction) event."""
    times = sorted(rng.randrange(SPAN_S) for _ in range(n_events))
    seq: dict[str, int] = {}
    last: dict[str, tuple[int, int, bool]] = {}   # project -> (id, order_seq, correctable)
    rows = []
    for eid, t in enumerate(times, start=1):
        pid = rng.choice(ids)
        s = seq.get(pid, 0) + 1
        seq[pid] = s
        when = T0 + dt.timedelta(seconds=t)
        row = dict.fromkeys(("status", "status_date", "progress_text", "progress_pct",
                             "start_date", "planned_completion", "actual_completion",
                             "investment_amount", "investment_currency", "investment_source",
                             "location_wkt", "location_precision", "location_method",
                             "corrects_id"))
        row.update(id=eid, project_id=pid, seq=s, order_seq=s, recorded_at=when,
                   note="bench", source_title="bench", source_date=when.date(),
                   source_ref="bench", account_id=account_id, username="bench",
                   role="planner", account_towns="")
        prev = last.get(pid)
        if prev and prev[2] and rng.random() < 0.02:
            row["corrects_id"], row["order_seq"] = prev[0], prev[1]
        kind = rng.random()
        if kind < 0.35:
            row.update(status=rng.choice(STATUSES), status_date=when.date())
        elif kind < 0.7:
            row.update(progress_pct=round(rng.uniform(0, 100), 1), progress_text="施工中")
        elif kind < 0.8:
            row.update(planned_completion=dt.date(2026, rng.randint(1, 12), 1))
        elif kind < 0.9:
            row.update(investment_amount=rng.randint(1, 10_000) * 10_000,
                       investment_currency="CNY", investment_source="专项债")
        else:
            row.update(location_wkt=f"POINT ({112.2 + rng.random() * 0.5:.6f} "
                       f"{22.95 + rng.random() * 0.4:.6f})",
                       location_precision=rng.choice((1, 2)),
                       location_method="official_placement")
        last[pid] = (eid, row["order_seq"], row["corrects_id"] is None)
        if row["corrects_id"] is not None:
            last[pid] = (eid, row["order_seq"], False)
        rows.append(row)
    return rows


def median_time(fn, reps: int) -> float:
    """Median wall-clock seconds of `fn()` over `reps` runs after one warm-up run."""
    return median_times(fn, reps)[0]


def median_times(fn, reps: int) -> tuple[float, float]:
    """(median wall-clock s, median CPU s of this process) of `fn()` over `reps` runs after
    one warm-up. The CPU time is what the query costs the app process, much less affected by
    other work on the machine than the wall time (for PostgreSQL the server's CPU is not in
    it; for SQLite, in-process, it is all the work)."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict:
    from tests.tracking.helpers import source
    from tracking import auth, events, migrate, state
    from tracking.db import make_engine
    from tracking.models import events as events_table

    rng = random.Random(20251201)
    engine = make_engine(url, pool_size=args.writers + 5, max_overflow=5)
    migrate.upgrade(engine)
    acc = auth.create_account(engine, "bench", "a long measuring secret", "planner")
    base = make_baseline(args.projects, rng)
    rows = make_events(args.events, list(base.ids), acc.id, rng)
    t = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(events_table), rows[i:i + 20_000])
        state.rebuild_cache(conn)   # record_update keeps the caches; a bulk load rebuilds them
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('events_id_seq', (SELECT max(id) FROM events))"))
    # statistics, and on PostgreSQL the visibility map (index-only scans), as autovacuum
    # would leave them shortly after a bulk load
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    load_s = time.perf_counter() - t
    as_of = T0 + dt.timedelta(seconds=SPAN_S // 2)
    last = rows[-1]["recorded_at"]
    cur = state.current_state(engine, base)
    assert len(cur) == args.projects and int(cur["n_events"].sum()) == args.events
    res = {
        "backend": name, "events": args.events, "projects": args.projects, "load_s": load_s,
        "load_avg_before": os.getloadavg(),
        "current_cached_s": median_time(lambda: state.current_state(engine, base), args.reps),
        "as_of_cached_s": median_time(lambda: state.state_as_of(engine, base, as_of),
                                      args.reps),
        "changed_s": median_time(
            lambda: state.changed_since(engine, last - dt.timedelta(days=30)), args.reps),
        "changed_n": len(state.changed_since(engine, last - dt.timedelta(days=30))),
    }
    res["current_s"], res["current_cpu_s"] = median_times(
        lambda: state.current_state(engine, base, cache=False), args.reps)
    res["as_of_s"], res["as_of_cpu_s"] = median_times(
        lambda: state.state_as_of(engine, base, as_of, cache=False), args.reps)
    # the database's part alone: the same folded query (one row of JSON texts), fetched,
    # not decoded, no pandas
    for key, when in (("current_sql", None), ("as_of_sql", as_of)):
        sql, params = state.fast_query(engine, when)
        stmt = state.folded(engine, sql, params, state.HEAD_COLUMNS)

        def fetch(stmt=stmt, params=params) -> None:
            with engine.connect() as conn:
                conn.execute(stmt, params).one()

        res[f"{key}_s"], res[f"{key}_cpu_s"] = median_times(fetch, args.reps)
    res["load_avg_after"] = os.getloadavg()
    # writes: N threads, random projects, each write based on the version it just read
    ids = list(base.ids)
    counts = {"ok": 0, "stale": 0}
    lock = threading.Lock()
    stop = time.perf_counter() + args.seconds
    barrier = threading.Barrier(args.writers)

    def writer(seed: int) -> None:
        r = random.Random(seed)
        barrier.wait()
        while time.perf_counter() < stop:
            pid = r.choice(ids)
            v = events.project_version(engine, pid)
            try:
                events.record_update(engine, acc, pid, source(progress_pct=r.randint(0, 100)),
                                     based_on=v, baseline=base)
                k = "ok"
            except events.StaleWriteError:
                k = "stale"
            with lock:
                counts[k] += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.writers)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    res.update(writes_per_s=counts["ok"] / elapsed, stale=counts["stale"],
               writers=args.writers)
    engine.dispose()
    return res


#: earlier runs of this table, kept as history (newest first); a run replaces only the
#: table above them
HISTORY = """\
Earlier runs (replaced by the table above):

- 2026-12-02 04:51–04:56 UTC, rows read as Python tuples (before the column-wise JSON read),
  load averages 1.1–3.5, four runs: the whole-call medians moved between runs: SQLite
  current / as of 0.285 / 0.319, 0.122 / 0.156, 0.117 / 0.151 and 0.227 / 0.279 s;
  PostgreSQL 0.131 / 0.155, 0.209 / 0.168 and 0.215 / 0.216 s (SQL alone 0.04–0.16 s). A
  profile of one SQLite call at 0.145 s: 0.067 s fetching the rows, 0.05 s building the
  columns, 0.03 s the baseline merge; about 0.05 s more when a garbage collection fell
  inside. Reported as missed.
- 2026-12-02 04:20 (load average 5–6): current state 0.625 / 0.663 s (SQLite / PostgreSQL),
  as of 0.596 / 0.392 s; 132 / 96 writes/s.
- 2026-12-02, before `project_head_history` (revision 0003), rows turned into a
  frame row by row; load average about 9 at the end. Current state computed 0.664 s (SQLite) /
  0.834 s (PostgreSQL), cached 0.002 / 0.006 s; as of a past date 2.227 / 2.180 s (a grouped
  scan of every event up to the moment), cached 0.012 / 0.009 s; changed in the last 30 days
  0.478 / 0.353 s; 150 / 108 writes/s with 20 writers; 1 / 0 stale writes refused.
"""


def _loads(la: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.1f}" for v in la)


def table(results: list[dict], args: argparse.Namespace) -> str:
    lines = [
        HEADING, "",
        f"`python -m bench.tracking` on {dt.date.today().isoformat()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs (shared); {args.events:,} events over {args.projects:,} "
        f"projects (~2 % corrections); times are the median of {args.reps} runs after a "
        "warm-up, for the whole district, including building the pandas frame and merging "
        f"the baseline. Target: < 0.2 s. Writes: {args.writers} threads calling "
        f"`record_update` on random projects for {args.seconds:g} s. Load averages (1 / 5 / "
        "15 min, as `uptime` shows them) while each backend was measured are in the table: "
        "other work shares the two CPUs, and on a busy machine every wall time is several "
        "times the idle one; the CPU seconds of the app process are much less affected.", "",
        "Current state = one read of `project_heads` (kept by every write). As of = one read "
        "of `project_head_history` (each project's state after each of its events, kept by "
        "every write): the row valid at that moment, per project (SQLite: one index seek per "
        "project; PostgreSQL: one filtered sequential pass). Both equal the full fold of the "
        "events (tests on random histories, both backends). \"cached\": the same call "
        "again with the events unchanged (a Streamlit rerun): one indexed query to check, then "
        "a copy of the frame.", "",
        "Each read is column by column: the database folds every column of the result into "
        "one JSON array and the json module decodes it (`tracking.state._frame`). \"SQL "
        "only\": that folded query, its one row fetched but not decoded, no pandas: the "
        "database's share of the wall (CPU) time (for PostgreSQL the server's CPU is not in "
        "the process's CPU time).", "",
        "| backend | load average before / after | bulk load s | current state s: wall (CPU) "
        "[cached] | SQL only | as of a past date s: wall (CPU) [cached] | SQL only | "
        f"changed in last 30 days s | writes/s ({args.writers} writers) | stale writes refused |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['backend']} | {_loads(r['load_avg_before'])} → "
                     f"{_loads(r['load_avg_after'])} | {r['load_s']:.1f} | "
                     f"{r['current_s']:.3f} ({r['current_cpu_s']:.3f}) "
                     f"[{r['current_cached_s']:.3f}] | {r['current_sql_s']:.3f} "
                     f"({r['current_sql_cpu_s']:.3f}) | {r['as_of_s']:.3f} "
                     f"({r['as_of_cpu_s']:.3f}) [{r['as_of_cached_s']:.3f}] | "
                     f"{r['as_of_sql_s']:.3f} ({r['as_of_sql_cpu_s']:.3f}) | "
                     f"{r['changed_s']:.3f} ({r['changed_n']} projects) | "
                     f"{r['writes_per_s']:.0f} | {r['stale']} |")
    return "\n".join([*lines, "", *verdict(results)]) + "\n\n" + HISTORY


def verdict(results: list[dict], budget_s: float = 0.2) -> list[str]:
    """One line per backend: are the cold whole-district reads (wall medians) under the
    budget in this run?"""
    out = [f"**Budget (< {budget_s:g} s, cold, whole district, wall-clock median) in this "
           "run:**", ""]
    for r in results:
        ok = [k for k in ("current_s", "as_of_s") if r[k] < budget_s]
        word = "met" if len(ok) == 2 else "missed"
        out.append(f"- {r['backend']}: current state {r['current_s']:.3f} s, as of "
                   f"{r['as_of_s']:.3f} s: **{word}**"
                   + ("" if len(ok) == 2 else " (over: " + ", ".join(
                       k.removesuffix("_s").replace("_", " ") for k in ("current_s", "as_of_s")
                       if k not in ok) + ")"))
    return out


def write_section(section: str, path: Path = RESULTS) -> None:
    """Replace (or append) only the "## Progress tracking" section of `path`."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if HEADING in old:
        head, rest = old.split(HEADING, 1)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        new = head + section + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + section
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tracking")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--projects", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--writers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = ap.parse_args(argv)
    results = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="gaoyao-bench-") as tmp:
                results.append(run_backend("SQLite (file, WAL)",
                                           f"sqlite:///{tmp}/bench.sqlite", args))
        elif backend == "postgresql":
            from tracking.pgtemp import TempPostgres

            with TempPostgres() as pg:
                results.append(run_backend("PostgreSQL 15 + PostGIS (local socket)",
                                           pg.create_database("bench"), args))
        else:
            ap.error(f"unknown backend {backend}")
        print(results[-1], flush=True)
    section = table(results, args)
    print(section)
    if not args.no_write:
        write_section(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
