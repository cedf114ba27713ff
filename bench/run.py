"""Benchmark harness: ``make bench`` = ``python -m bench.run``.

For each size (the real registry and synthetic ones, see `bench.generate`) it builds the data
(`geo.build.build` into a temporary directory) and measures, in separate processes, the app
and the baseline (`bench.measure`), the real app script (`bench.apptest`), and the draw time
in headless Chromium (`bench.browser`). Results: ``bench/RESULTS.md`` (tables) and
``bench/results.json``.

Examples::

    python -m bench.run                                  # real,2000,20000,100000, 3 reps
    python -m bench.run --sizes 2000,20000 --reps 5
    python -m bench.run --smoke --out /tmp/r.md          # ~50 projects, 1 rep, seconds
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from geo.paths import REPO_ROOT

ROOT = REPO_ROOT
DEFAULT_OUT = ROOT / "bench" / "RESULTS.md"

#: (key, label, unit, scale) of every metric, in table order
METRICS = (
    ("build_s", "build (geocode + join + write)", "s", 1.0),
    ("load_s", "data load", "s", 1.0),
    ("prepare_s", "prepare once / cached copy per rerun", "s", 1.0),
    ("filter_s", "filter", "s", 1.0),
    ("render_home_s", "render home map (server)", "s", 1.0),
    ("change_s", "filter change: category+town+text (server)", "s", 1.0),
    ("change_cat_s", "filter change: one category (server)", "s", 1.0),
    ("payload_home_mb", "payload home render", "MB", 1.0),
    ("payload_change_kb", "payload filter change (category+town+text)", "kB", 1.0),
    ("payload_cat_kb", "payload filter change (one category)", "kB", 1.0),
    ("draw_s", "browser draw (home)", "s", 1.0),
    ("peak_rss_mb", "peak RSS", "MiB", 1.0),
    ("startup_s", "app first run (AppTest)", "s", 1.0),
    ("rerun_s", "app filter change (AppTest)", "s", 1.0),
)
METRIC_KEYS = tuple(m[0] for m in METRICS)


def machine() -> dict[str, Any]:
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory": mem, "python": platform.python_version(),
            "platform": platform.platform(), "date": dt.datetime.now(dt.UTC).strftime(
                "%Y-%m-%d %H:%M UTC")}


def _json_from(cmd: list[str], timeout: float) -> dict[str, Any]:
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, PYTHONWARNINGS="ignore"))
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)[:300]}"}
    return json.loads(lines[-1])


def prepare_size(size: str, work: Path, reps: int, seed: int) -> tuple[Path, float, int]:
    """Registry -> built data dir for `size` ('real' or a number); (dir, build seconds, n)."""
    from bench.generate import make_registry
    from geo.build import build

    d = work / f"size-{size}"
    if d.exists():
        shutil.rmtree(d)
    (d / "data").mkdir(parents=True)
    if size == "real":
        registry = ROOT / "data" / "projects.csv"
    else:
        registry = make_registry(int(size), d / "projects.csv", seed=seed)
    times, n = [], 0
    for _ in range(max(1, reps if size == "real" or int(size) <= 20_000 else 1)):
        t0 = time.perf_counter()
        n = len(build(registry, d / "data" / "projects.geojson", d / "data" / "layers"))
        times.append(time.perf_counter() - t0)
    os.symlink(ROOT / "data" / "boundaries", d / "data" / "boundaries")
    return d / "data", statistics.median(times), n


def run_size(size: str, work: Path, reps: int, seed: int, browser: bool,
             timeout: float) -> dict[str, Any]:
    data, build_s, n = prepare_size(size, work, reps, seed)
    out: dict[str, Any] = {"size": size, "n": n}
    py = sys.executable
    for variant in ("app", "baseline"):
        cmd = [py, "-m", "bench.measure", variant, str(data / "projects.geojson"),
               "--reps", str(reps), "--browser-timeout", str(min(timeout, 180.0))]
        if browser:
            cmd += ["--browser-args", str(work / f"size-{size}" / f"{variant}.json")]
        res = _json_from(cmd, timeout)
        res["build_s"] = build_s if variant == "app" else None
        out[variant] = res
    app_cmd = [py, "-m", "bench.apptest", "--reps", str(reps)]
    if size != "real":
        app_cmd.insert(3, str(data))
    res = _json_from(app_cmd, timeout)
    out["apptest"] = res
    for key in ("startup_s", "rerun_s"):
        out["app"][key] = res.get(key)
        out["baseline"][key] = None
    out["app"]["import_s"] = res.get("import_s")
    out["app"]["warm_s"] = res.get("warm_s")
    for v in ("app", "baseline"):
        r = out[v]
        r["payload_home_mb"] = r["payload_home_b"] / 1e6 if "payload_home_b" in r else None
        r["payload_change_kb"] = (r["payload_change_b"] / 1e3 if "payload_change_b" in r
                                  else None)
        r["payload_cat_kb"] = r["payload_cat_b"] / 1e3 if "payload_cat_b" in r else None
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def _ratio(app: Any, base: Any) -> str:
    if isinstance(app, (int, float)) and isinstance(base, (int, float)) and app > 0:
        return f"{base / app:.1f}×"
    return "—"


def render_markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"* date: {meta['date']}; machine: {meta['cores']} cores, {meta['memory']} RAM, "
        f"Python {meta['python']}, {meta['platform']}",
        f"* command: `{meta['command']}` (wall time {meta['wall_s']:.0f} s)",
        "* app = this product (`streamlit_app.py` code path); baseline = one `folium.GeoJson` "
        "of all features with a `GeoJsonPopup` of all fields through `st_folium` (what "
        "`GeoDataFrame.explore(popup=True)` builds). Ratio = baseline / app (>1: app better).",
        "* times are medians of the repetitions on a shared machine: compare ratios, not "
        "absolute values. See docs/performance.md for what each number means.",
        "",
        "## Summary (every metric)",
        "",
        "| size | variant | " + " | ".join(METRIC_KEYS) + " |",
        "|---|---|" + "---|" * len(METRIC_KEYS),
    ]
    for r in results:
        for v in ("app", "baseline"):
            row = r[v]
            lines.append(f"| {r['size']} ({r['n']}) | {v} | "
                         + " | ".join(_fmt(row.get(k)) for k in METRIC_KEYS) + " |")
    for r in results:
        app, base = r["app"], r["baseline"]
        lines += ["", f"## {r['size']} ({r['n']} projects)", "",
                  "| metric | unit | app | baseline | ratio |", "|---|---|---|---|---|"]
        for key, label, unit, _ in METRICS:
            lines.append(f"| {label} | {unit} | {_fmt(app.get(key))} | {_fmt(base.get(key))} "
                         f"| {_ratio(app.get(key), base.get(key))} |")
        notes = []
        for v in ("app", "baseline"):
            row = r[v]
            if row.get("error"):
                notes.append(f"{v} failed: {row['error']}")
            if row.get("browser_error"):
                notes.append(f"{v} browser: {row['browser_error']}")
            if "paths" in row:
                notes.append(f"{v} drew {row['paths']} SVG paths, {row['markers']} marker/"
                             f"cluster icons, {row['canvases']} canvases"
                             + (f" ({row['project_marks']} project paths/cluster icons)"
                                if v == "app" else ""))
        f = r["app"].get("filter")
        if f:
            notes.append(f"filter change: category `{f['category']}`, town `{f['town']}`, "
                         f"text `{f['text']}` → {r['app'].get('shown_filtered')} projects; "
                         f"category `{f['category']}` alone → {r['app'].get('shown_cat')}")
        at = r.get("apptest", {})
        if at.get("import_s") is not None:
            notes.append(f"AppTest: imports {at['import_s']:.2f} s, second session's first "
                         f"run {at['warm_s']:.2f} s (shared caches)")
        if at.get("error") or at.get("errors"):
            notes.append(f"AppTest problems: {at.get('error') or at.get('errors')}")
        lines += [""] + [f"* {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="real,2000,20000,100000",
                    help="comma-separated: 'real' and/or numbers of synthetic projects")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--smoke", action="store_true", help="~50 projects, 1 repetition")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--workdir", type=Path, help="keep generated data here (default: temp)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per measurement process")
    ns = ap.parse_args(argv)
    if ns.smoke:
        ns.sizes, ns.reps = "50", 1
    browser = not ns.no_browser and Path("/usr/bin/chromium").exists()
    started = time.perf_counter()
    tmp = None
    work = ns.workdir
    if work is None:
        tmp = tempfile.mkdtemp(prefix="gy-bench-")
        work = Path(tmp)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for size in [s.strip() for s in ns.sizes.split(",") if s.strip()]:
            print(f"[bench] size {size} ...", file=sys.stderr, flush=True)
            results.append(run_size(size, work, ns.reps, ns.seed, browser, ns.timeout))
            print(f"[bench] size {size} done ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    meta = machine()
    meta["command"] = "python -m bench.run " + " ".join(argv if argv is not None
                                                        else sys.argv[1:])
    meta["wall_s"] = time.perf_counter() - started
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(render_markdown(results, meta), encoding="utf-8")
    ns.out.with_suffix(".json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=1, ensure_ascii=False,
                   default=str), encoding="utf-8")
    print(f"[bench] wrote {ns.out} in {meta['wall_s']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
