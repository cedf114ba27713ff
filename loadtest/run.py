"""Bounded load test of the map app on loopback: many concurrent sessions changing filters.

    python -m loadtest.run --sessions 20 --minutes 2              # main run
    python -m loadtest.run --sessions 20 --minutes 2 --knee 1,2,5,10,20 --write
    python -m loadtest.run --sessions 2 --seconds 15               # smoke

It starts its own ``streamlit run`` on 127.0.0.1 (a free port; `--data-dir`, default the
committed ``data/``), opens `--sessions` Streamlit websocket sessions (`loadtest.client`, the
protocol the browser speaks), and each session changes a filter or the town view, waits for
the run to finish, thinks 0.3-1.0 s and repeats until the time is up. It reports errors,
median/p95 latency per change, and the server's RSS (/proc) before, during (peak) and after
the sessions closed. `--knee` repeats shorter runs at several concurrency levels and reports
where the median latency first doubles. Everything is bounded (<= 50 sessions, <= 10 minutes
per run) and stops by itself; targets other than loopback are refused.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from loadtest.client import StreamlitSession, require_loopback
from loadtest.server import ROOT, AppServer, rss_kib

MAX_SESSIONS = 50
MAX_SECONDS = 600
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass
class LevelResult:
    """One load level: `sessions` concurrent sessions for `seconds`."""

    sessions: int
    seconds: float
    changes: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    median_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    first_run_median_ms: float = 0.0
    rss_before_mib: float = 0.0
    rss_peak_mib: float = 0.0
    rss_after_mib: float = 0.0
    incomplete: int = 0  # runs without the map or the metric


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values` (nearest rank), 0 for none."""
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


async def one_session(base: str, until: float, rng: random.Random, latencies: list[float],
                      firsts: list[float], errors: list[str], counters: dict) -> None:
    s = StreamlitSession(base)
    try:
        first = await s.connect()
        firsts.append(first.seconds)
        errors.extend(first.errors)
        while time.monotonic() < until:
            await asyncio.sleep(rng.uniform(0.3, 1.0))
            if time.monotonic() >= until:
                break
            s.random_change(rng)
            res = await s.rerun()
            latencies.append(res.seconds)
            errors.extend(res.errors)
            counters["changes"] += 1
            if not (res.map_seen and res.metric_seen):
                counters["incomplete"] += 1
    except Exception as exc:  # a dropped connection or a timeout is an error, not a crash
        errors.append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        try:
            await s.close()
        except Exception as exc:
            errors.append(f"close: {type(exc).__name__}")


async def sample_rss(pid: int, stop: asyncio.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kib(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.25)


async def run_level(base: str, pid: int, sessions: int, seconds: float, seed: int,
                    settle_s: float) -> LevelResult:
    """`sessions` concurrent sessions for `seconds`, then wait `settle_s` for the server to
    drop them and read the RSS again."""
    res = LevelResult(sessions=sessions, seconds=seconds)
    res.rss_before_mib = rss_kib(pid) / 1024
    latencies: list[float] = []
    firsts: list[float] = []
    errors: list[str] = []
    counters = {"changes": 0, "incomplete": 0}
    stop = asyncio.Event()
    peak = [0]
    sampler = asyncio.create_task(sample_rss(pid, stop, peak))
    until = time.monotonic() + seconds
    await asyncio.gather(*(
        one_session(base, until, random.Random(seed * 1000 + i), latencies, firsts, errors,
                    counters)
        for i in range(sessions)
    ))
    stop.set()
    await sampler
    res.changes = counters["changes"]
    res.incomplete = counters["incomplete"]
    res.errors = len(errors)
    res.error_samples = errors[:5]
    res.median_ms = statistics.median(latencies) * 1000 if latencies else 0.0
    res.p95_ms = pct(latencies, 0.95) * 1000
    res.max_ms = max(latencies, default=0.0) * 1000
    res.first_run_median_ms = statistics.median(firsts) * 1000 if firsts else 0.0
    res.rss_peak_mib = peak[0] / 1024
    await asyncio.sleep(settle_s)
    res.rss_after_mib = min(rss_kib(pid) for _ in range(3)) / 1024
    return res


def knee_of(levels: list[LevelResult]) -> int | None:
    """Smallest concurrency whose median latency is at least twice the 1-session median."""
    if not levels or levels[0].median_ms <= 0:
        return None
    ref = levels[0].median_ms
    for lv in levels[1:]:
        if lv.median_ms >= 2 * ref:
            return lv.sessions
    return None


async def warm_up(base: str) -> None:
    s = StreamlitSession(base)
    await s.connect()
    rng = random.Random(0)
    for _ in range(8):
        s.random_change(rng)
        await s.rerun()
    await s.close()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=0.0)
    ap.add_argument("--seconds", type=float, default=0.0, help="overrides --minutes")
    ap.add_argument("--knee", default="", help="comma-separated levels, e.g. 1,2,5,10,20")
    ap.add_argument("--knee-seconds", type=float, default=20.0)
    ap.add_argument("--data-dir", default=str(ROOT / "data"))
    ap.add_argument("--session-ttl", type=int, default=5,
                    help="server.disconnectedSessionTTL for the test server (default 5 s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write", action="store_true", help="write loadtest/RESULTS.md")
    ap.add_argument("--json", default="", help="also write the results as JSON here")
    a = ap.parse_args(argv)
    seconds = a.seconds or (a.minutes * 60) or 120.0
    if not 1 <= a.sessions <= MAX_SESSIONS or not 0 < seconds <= MAX_SECONDS:
        ap.error(f"sessions must be 1..{MAX_SESSIONS}, time 1..{MAX_SECONDS} s")
    levels = [int(x) for x in a.knee.split(",") if x.strip()]
    if any(not 1 <= n <= MAX_SESSIONS for n in levels) or a.knee_seconds > MAX_SECONDS:
        ap.error("knee levels must be 1..50 sessions and <= 600 s each")
    settle = a.session_ttl + 4.0
    log = ROOT / "tests" / "artifacts" / "loadtest-streamlit.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = AppServer(env={"GAOYAO_DATA_DIR": str(Path(a.data_dir).resolve())},
                       args=("--server.disconnectedSessionTTL", str(a.session_ttl),
                             "--server.runOnSave", "false", "--server.fileWatcherType", "none"),
                       log=log)
    require_loopback(server.base)
    out: dict = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                 "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                            f"Python {platform.python_version()}",
                 "command": "python -m loadtest.run " + " ".join(argv or sys.argv[1:]),
                 "data_dir": a.data_dir}
    with server:
        out["rss_started_mib"] = server.rss_kib() / 1024
        asyncio.run(warm_up(server.base))
        time.sleep(settle)
        out["rss_baseline_mib"] = server.rss_kib() / 1024
        print(f"server pid {server.pid} on {server.base}; baseline RSS "
              f"{out['rss_baseline_mib']:.0f} MiB", flush=True)
        main_res = asyncio.run(run_level(server.base, server.pid, a.sessions, seconds, a.seed,
                                         settle))
        out["main"] = asdict(main_res)
        print("main:", json.dumps(out["main"], ensure_ascii=False), flush=True)
        knee_levels = []
        for n in levels:
            lv = asyncio.run(run_level(server.base, server.pid, n, a.knee_seconds, a.seed + n,
                                       settle))
            knee_levels.append(lv)
            print(f"level {n}:", json.dumps(asdict(lv), ensure_ascii=False), flush=True)
        out["levels"] = [asdict(lv) for lv in knee_levels]
        out["knee_sessions"] = knee_of(knee_levels)
        out["server_alive"] = server.proc.poll() is None
    out["errors_total"] = main_res.errors + sum(lv.errors for lv in knee_levels)
    if a.json:
        Path(a.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    if a.write:
        RESULTS.write_text(markdown(out), encoding="utf-8")
    print(markdown(out))
    return out


def markdown(out: dict) -> str:
    m = out["main"]
    lines = [
        "# Load test results (last run)",
        "",
        f"- date: {out['date']}",
        f"- machine: {out['machine']}",
        f"- command: `{out['command']}`",
        f"- data: `{out['data_dir']}`; one streamlit process on 127.0.0.1; sessions are "
        "Streamlit websocket clients (`loadtest/client.py`), think time 0.3-1.0 s",
        "- latency = from sending a filter/town change to the end of that script run (map "
        "component and metrics received); browser rendering not included",
        "",
        "## Main run",
        "",
        "| sessions | seconds | changes | errors | incomplete | median ms | p95 ms | max ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {m['sessions']} | {m['seconds']:.0f} | {m['changes']} | {m['errors']} | "
        f"{m['incomplete']} | {m['median_ms']:.0f} | {m['p95_ms']:.0f} | {m['max_ms']:.0f} |",
        "",
        "| RSS (MiB) | started | baseline (after warm-up) | peak during | after close |",
        "|---|---:|---:|---:|---:|",
        f"| streamlit | {out['rss_started_mib']:.0f} | {out['rss_baseline_mib']:.0f} | "
        f"{m['rss_peak_mib']:.0f} | {m['rss_after_mib']:.0f} |",
        "",
    ]
    if m["error_samples"]:
        lines += ["Errors (first 5): " + "; ".join(m["error_samples"]), ""]
    if out.get("levels"):
        lines += [
            "## Concurrency levels (knee)",
            "",
            "| sessions | changes | errors | median ms | p95 ms | peak RSS MiB | RSS after MiB |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for lv in out["levels"]:
            lines.append(f"| {lv['sessions']} | {lv['changes']} | {lv['errors']} | "
                         f"{lv['median_ms']:.0f} | {lv['p95_ms']:.0f} | "
                         f"{lv['rss_peak_mib']:.0f} | {lv['rss_after_mib']:.0f} |")
        knee = out.get("knee_sessions")
        lines += ["", f"Knee (median latency >= 2x the 1-session median): "
                      f"{knee if knee else 'not reached'} sessions.", ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    result = main()
    sys.exit(1 if result["errors_total"] else 0)
