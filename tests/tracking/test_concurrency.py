"""Concurrent writers on one project (20 threads; several processes): every accepted write is
kept, stale writes are refused, nothing is lost; a writer SIGKILLed mid-write leaves the
database consistent."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.tracking.helpers import baseline, source
from tracking import events
from tracking.db import make_engine
from tracking.models import events as events_table
from tracking.state import current_state

ROOT = Path(__file__).resolve().parents[2]


def _check_consistent(engine, project: str, accepted: dict[int, str]) -> list:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        rows = conn.execute(select(events_table.c.id, events_table.c.seq, events_table.c.note)
                            .where(events_table.c.project_id == project)
                            .order_by(events_table.c.seq)).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))   # no gap, no duplicate
    base = baseline()                                # the heads cache agrees with the events
    assert current_state(engine, base).equals(current_state(engine, base, from_events=True))
    stored = {r.id: r.note for r in rows}
    for eid, note in accepted.items():                              # nothing accepted lost
        assert stored[eid] == note
    return rows


def test_twenty_threads_one_project(db_url, base, accounts) -> None:
    engine = make_engine(db_url, pool_size=25, max_overflow=5)
    acc = accounts["jinli"]
    accepted: dict[int, str] = {}
    stale = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def worker(i: int) -> None:
        start.wait()
        done = 0
        for attempt in range(200):
            v = events.project_version(engine, "p-jinli")
            note = f"thread {i} attempt {attempt}"
            try:
                ev = events.record_update(engine, acc, "p-jinli",
                                          source(note=note, progress_pct=attempt % 100),
                                          based_on=v, baseline=base)
            except events.StaleWriteError as exc:
                assert exc.current_version > v and exc.newer
                with lock:
                    stale.append(i)
                continue
            with lock:
                accepted[ev.id] = note
            done += 1
            if done == 3:
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert len(accepted) == 60
    rows = _check_consistent(engine, "p-jinli", accepted)
    assert len(rows) == 60
    engine.dispose()


def _writer(url: str, account_id: int, project: str, n: int, tag: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.tracking.writer", url, str(account_id), project, str(n),
         tag], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_several_processes_one_project(db_url, engine, base, accounts) -> None:
    procs = [_writer(db_url, accounts["planner"].id, "p-both", 15, f"proc{i}")
             for i in range(4)]
    accepted = {}
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        for line in out.splitlines():
            d = json.loads(line)
            accepted[d["id"]] = d["note"]
    assert len(accepted) == 60
    assert len(_check_consistent(engine, "p-both", accepted)) == 60


@pytest.mark.slow
def test_sigkill_mid_write_leaves_the_database_consistent(db_url, engine, base,
                                                          accounts) -> None:
    rng = random.Random(12)
    accepted: dict[int, str] = {}
    for round_ in range(3):
        p = _writer(db_url, accounts["planner"].id, "p-district", 0, f"kill{round_}")
        got = 0
        deadline = time.monotonic() + 120
        while got < 5 and time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            d = json.loads(line)
            accepted[d["id"]] = d["note"]
            got += 1
        time.sleep(rng.uniform(0, 0.05))   # somewhere inside a later write
        os.kill(p.pid, signal.SIGKILL)
        out, _ = p.communicate(timeout=60)
        for line in out.splitlines():      # lines flushed before the kill
            if line.strip():
                d = json.loads(line)
                accepted[d["id"]] = d["note"]
        assert p.returncode == -signal.SIGKILL
        assert got == 5
    rows = _check_consistent(engine, "p-district", accepted)
    assert len(rows) >= len(accepted)      # a write may commit just before its print
    # and the database takes new writes
    v = events.project_version(engine, "p-district")
    ev = events.record_update(engine, accounts["planner"], "p-district",
                              source(progress_pct=99), based_on=v, baseline=base)
    assert ev.seq == len(rows) + 1
