"""Start-up and filter-change time of the real app script (``streamlit.testing`` AppTest).

Run as ``python -m bench.apptest [DATA_DIR]`` in a fresh process; prints one JSON object:

* ``import_s`` -- importing streamlit, geopandas, folium and the app's modules (paid once
  per server process, before the first session);
* ``startup_s`` -- the app's first full script run (cold caches: data loaded, features
  prepared, map serialized), i.e. what the first visitor waits for on the server;
* ``warm_s`` -- a second session's first run (warm, shared caches);
* ``rerun_s`` -- one filter change (category + town + text through the widgets), median of
  `--reps`.

`DATA_DIR` (optional) is used as ``GAOYAO_DATA_DIR`` (projects.geojson + boundaries/).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from geo.paths import REPO_ROOT

ROOT = REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data_dir", nargs="?", type=Path)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600.0)
    ns = ap.parse_args(argv)
    if ns.data_dir:
        os.environ["GAOYAO_DATA_DIR"] = str(ns.data_dir.resolve())
    for var in ("GAOYAO_KIOSK", "TIANDITU_KEY"):
        os.environ.pop(var, None)
    t0 = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    import geo.filtering  # noqa: F401
    import layers.map
    import layers.projects  # noqa: F401
    from bench.measure import peak_rss_mb, typical_filter

    import_s = time.perf_counter() - t0
    script = str(ROOT / "streamlit_app.py")

    def session() -> AppTest:
        return AppTest.from_file(script, default_timeout=ns.timeout)

    at = session()
    t0 = time.perf_counter()
    at.run()
    startup_s = time.perf_counter() - t0
    errors = [e.value for e in at.exception] + [e.value for e in at.error]
    second = session()
    t0 = time.perf_counter()
    second.run()
    warm_s = time.perf_counter() - t0

    import geopandas as gpd

    data = Path(os.environ.get("GAOYAO_DATA_DIR", ROOT / "data"))
    f = typical_filter(gpd.read_file(data / "projects.geojson", ignore_geometry=True))
    times = []
    for i in range(max(1, ns.reps)):
        s = session()
        s.run()
        s.multiselect(key="w_cat").set_value([f["category"]])
        if f["town"]:
            s.multiselect(key="w_town").set_value([f["town"]])
        s.text_input(key="w_q").set_value(f["text"] + ("" if i % 2 == 0 else " "))
        t0 = time.perf_counter()
        s.run()
        times.append(time.perf_counter() - t0)
        errors += [e.value for e in s.exception]
    out = {"import_s": import_s, "startup_s": startup_s, "warm_s": warm_s,
           "rerun_s": statistics.median(times), "errors": [str(e)[:200] for e in errors],
           "peak_rss_mb": peak_rss_mb(), "filter": f}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
