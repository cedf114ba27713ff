"""The fast reads (``project_heads`` for now, ``project_head_history`` for "as of") equal the
full fold of the events, on random seeded histories with corrections, on both backends; the
derived tables kept write by write equal a rebuild from the events (also via the CLI)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from geo.__main__ import main as geo_main
from tests.tracking.helpers import source
from tracking import events, migrate
from tracking.db import write_tx
from tracking.state import (
    cache_rows,
    current_state,
    rebuild_cache,
    state_as_of,
    verify_cache,
)

STATUSES = ("identification", "preparation", "implementation", "completion", "cancelled")


def _random_update(rng: random.Random, day: str) -> dict:
    """One random valid update: one to three groups."""
    kw: dict = {}
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        if kind == 0:
            kw.update(status=rng.choice(STATUSES), status_date=day)
        elif kind == 1:
            kw.update(progress_pct=rng.randint(0, 100),
                      progress_text=rng.choice((None, "桩基", "主体封顶")))
        elif kind == 2:
            kw.update(planned_completion=f"2026-{rng.randint(1, 12):02d}-01")
        elif kind == 3:
            kw.update(start_date=f"2023-{rng.randint(1, 12):02d}-15")
        elif kind == 4:
            kw.update(investment_amount=rng.randint(1, 9999) * 1000,
                      investment_currency="CNY", investment_source="专项债")
        else:
            kw.update(location=f"POINT ({112.3 + rng.random() * 0.4:.6f} "
                      f"{22.9 + rng.random() * 0.4:.6f})", location_precision=rng.choice((1, 2)))
    return kw


def _random_history(engine, base, account, clock, rng: random.Random, n: int) -> list[datetime]:
    """`n` writes on random projects, the clock moving by 0 s (ties), seconds, hours or
    days; ~25 % are corrections of a random not yet corrected event of the project
    (corrections of corrections included). Returns the recording times."""
    corrected: set[int] = set()
    times = []
    for _ in range(n):
        clock.advance(seconds=rng.choice((0, 0, 1, 59, 3600, 86400, 5 * 86400)))
        pid = rng.choice(list(base.ids))
        hist = events.history(engine, pid)
        kw = _random_update(rng, "2024-12-01")
        open_ = [e.id for e in hist if e.id not in corrected]
        if open_ and rng.random() < 0.25:
            kw["corrects"] = rng.choice(open_)
            corrected.add(kw["corrects"])
        events.record_update(engine, account, pid, source(**kw), based_on=len(hist),
                             baseline=base)
        times.append(clock.now)
    return times


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_reads_equal_the_fold_of_the_events(engine, base, accounts, clock, seed) -> None:
    rng = random.Random(seed)
    clock.now = datetime(2025, 1, 1, 0, 0, 0)
    times = _random_history(engine, base, accounts["planner"], clock, rng, 40)
    log = [e for p in base.ids for e in events.history(engine, p)]
    assert len(log) == 40
    assert sum(e.corrects_id is not None for e in log) >= 3      # corrections happened
    assert len(set(times)) < len(times)                          # and ties in time
    assert current_state(engine, base, cache=False).equals(
        current_state(engine, base, from_events=True))
    # every recording time, just before and after it, before the first and after the last
    moments = {times[0] - timedelta(days=1), times[-1] + timedelta(days=1)}
    for t in rng.sample(times, 15):
        moments |= {t, t - timedelta(microseconds=1), t + timedelta(microseconds=1)}
    for t in sorted(moments):
        fast = state_as_of(engine, base, t, cache=False)
        slow = state_as_of(engine, base, t, from_events=True, cache=False)
        assert fast.equals(slow), f"as of {t} (seed {seed})"
    # a plain date: the end of that day in 高要
    assert state_as_of(engine, base, "2025-01-20", cache=False).equals(
        state_as_of(engine, base, "2025-01-20", from_events=True, cache=False))
    assert state_as_of(engine, base, times[-1], cache=False).equals(
        current_state(engine, base, cache=False))


def test_rebuild_equals_what_the_writes_kept(engine, base, accounts, clock, capsys,
                                            monkeypatch) -> None:
    rng = random.Random(7)
    _random_history(engine, base, accounts["planner"], clock, rng, 30)
    with engine.connect() as conn:
        kept = cache_rows(conn)
    assert len(kept["project_head_history"]) == 30
    assert verify_cache(engine) == {"project_heads": 0, "project_head_history": 0}
    with engine.connect() as conn:        # the check wrote nothing
        assert cache_rows(conn) == kept
    with write_tx(engine) as conn:
        assert rebuild_cache(conn) == {"project_heads": len(kept["project_heads"]),
                                       "project_head_history": 30}
    with engine.connect() as conn:
        assert cache_rows(conn) == kept
    # the CLI: a damaged cache is found by --check and repaired by a rebuild
    monkeypatch.setenv("GAOYAO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM project_head_history WHERE seq = 1")
    assert geo_main(["db", "rebuild-cache", "--check"]) == 1
    assert "project_head_history: " in capsys.readouterr().out
    assert geo_main(["db", "rebuild-cache"]) == 0
    assert "project_head_history 30 rows" in capsys.readouterr().out
    assert geo_main(["db", "rebuild-cache", "--check"]) == 0
    with engine.connect() as conn:
        assert cache_rows(conn) == kept


def test_migration_0003_fills_the_history_from_existing_events(db_url, base, accounts,
                                                               clock) -> None:
    """From the previous revision with events in it (written, then the table dropped by the
    downgrade): 0003 builds the history from the events, and as-of reads it; the downgrade
    drops only the derived table."""
    from sqlalchemy import inspect

    from tracking.db import make_engine

    engine = make_engine(db_url)
    times = _random_history(engine, base, accounts["planner"], clock, random.Random(11), 12)
    assert migrate.downgrade(engine, "0002") == "0002"
    assert "project_head_history" not in inspect(engine).get_table_names()
    assert len(events.history(engine, "p-jinli")) + len(events.history(engine, "p-both")) \
        + len(events.history(engine, "p-xiaoxiang")) \
        + len(events.history(engine, "p-district")) == 12
    assert migrate.upgrade(engine) == migrate.head() == "0003"   # refilled from the events
    assert verify_cache(engine) == {"project_heads": 0, "project_head_history": 0}
    for t in times:
        assert state_as_of(engine, base, t, cache=False).equals(
            state_as_of(engine, base, t, from_events=True, cache=False))
    engine.dispose()
