"""Server-side measurements of one variant (the app or the baseline) on one built data set.

Run in its own process (`bench.run` starts ``python -m bench.measure``) so that the peak
memory (``VmHWM`` of /proc/self/status) belongs to that variant and size alone. Prints one
JSON object. Times are seconds (median of `reps`), sizes bytes.

* **app** -- what ``streamlit_app.py`` does: `geo.loading.load_projects`, the drawable
  features prepared once per language/basemap (`layers.payload.project_features`, cached in the
  app), `geo.filtering.filter_projects`, then per rerun `layers.map.build_map` +
  `project_layers` + st_folium's serialization (base map script + ``feature_group_to_add``).
* **baseline** -- what a user would do without this product: ``gpd.read_file`` in
  ``st.cache_data`` (every rerun gets an unpickled copy), a plain pandas filter, and what
  ``GeoDataFrame.explore(popup=True)`` builds (`baseline_map`: one ``folium.GeoJson`` of all
  features with a ``GeoJsonPopup`` of all fields) shown with ``st_folium(m)``.

Two filter changes are measured: the typical one (category + town + text, few projects) and
one category alone (``change_cat_s``: several percent of the projects go to the browser).

The browser receives st_folium's component arguments as JSON; their size is the payload.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geo.paths import REPO_ROOT

ROOT = REPO_ROOT


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM, MiB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    """(median seconds over `reps` calls, last result)."""
    times, out = [], None
    for _ in range(max(1, reps)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def st_folium_args(m: Any, **kwargs: Any) -> dict[str, Any]:
    """The arguments st_folium hands to its frontend component for map `m` (captured by
    replacing the component function; nothing is sent anywhere)."""
    import streamlit_folium as sf

    captured: dict[str, Any] = {}

    def fake(**args: Any) -> dict:
        captured.update(args)
        return args.get("default", {})

    real = sf._component_func
    sf._component_func = fake
    try:
        sf.st_folium(m, **kwargs)
    finally:
        sf._component_func = real
    return {k: v for k, v in captured.items() if not callable(v)}


def payload_bytes(args: dict[str, Any]) -> int:
    """Bytes of the component arguments as JSON, serialized as Streamlit does
    (``json.dumps`` with ASCII escapes, components.v1.custom_component)."""
    return len(json.dumps(args).encode("utf-8"))


def typical_filter(projects: Any) -> dict[str, Any]:
    """A typical filter change: the most common category, the most common town among its
    projects, and a two-character text found in one of their titles (deterministic)."""
    cat = str(projects["category"].value_counts().index[0])
    sub = projects[projects["category"] == cat]
    codes = sub["town_codes"].fillna("").astype(str).str.split(";").explode()
    codes = codes[codes != ""]
    town = str(codes.value_counts().index[0]) if len(codes) else ""
    if town:
        sub = sub[sub["town_codes"].fillna("").astype(str).str.contains(town, regex=False)]
    title = str(sub["title_zh"].value_counts().index[0]) if len(sub) else "港"
    return {"category": cat, "town": town, "text": title[:2]}


def _frames() -> tuple[Any, Any, Any]:
    import geopandas as gpd

    b = ROOT / "data" / "boundaries"
    return tuple(gpd.read_file(b / n) for n in ("district.geojson", "towns.geojson",
                                                 "xijiang.geojson"))


def measure_app(path: Path, reps: int) -> dict[str, Any]:
    from geo import codelists as gc
    from geo import filtering, loading
    from geo.i18n import I18n, load_table
    from layers.basemaps import get_basemap
    from layers.map import build_map
    from layers.payload import project_features
    from layers.projects import project_layers

    district, towns, river = _frames()
    towns = towns.assign(code=towns["code"].astype(str))
    codelists = gc.load_codelists(ROOT / "data" / "codelists")
    tr = I18n(load_table(ROOT / "data" / "i18n.csv"), "zh")
    basemap = get_basemap("none")
    load_s, projects = timed(lambda: loading.load_projects(path), reps)
    prepare_s, features = timed(lambda: project_features(projects, codelists, tr, basemap),
                                min(reps, 2))
    f = typical_filter(projects)
    filt = lambda: filtering.filter_projects(projects, [f["category"]], None,  # noqa: E731
                                      [f["town"]] if f["town"] else None, None, f["text"],
                                      town_table=towns)
    filter_s, filtered = timed(filt, reps)
    legend = [c for c in codelists.categories.index if c in set(projects["category"])]

    def render(subset: Any) -> dict[str, Any]:
        base = build_map(district, towns, river, codelists, tr, basemap,
                         legend_categories=legend)
        groups = project_layers(subset, codelists, tr, basemap, features=features)
        return st_folium_args(base, key="gy_map", height=600, use_container_width=True,
                              returned_objects=["last_active_drawing", "last_object_clicked"],
                              feature_group_to_add=groups)

    layers_s, home = timed(lambda: render(projects), reps)
    layers_f_s, changed = timed(lambda: render(filt()), reps)
    one_cat = lambda: filtering.filter_projects(projects, [f["category"]])  # noqa: E731
    cat_s, by_cat = timed(lambda: render(one_cat()), reps)
    return {
        "n": len(projects), "filter": f, "shown_filtered": len(filtered),
        "load_s": load_s, "prepare_s": prepare_s, "filter_s": filter_s,
        "render_home_s": layers_s, "change_s": layers_f_s, "change_cat_s": cat_s,
        "payload_home_b": payload_bytes(home), "payload_change_b": payload_bytes(changed),
        "payload_cat_b": payload_bytes(by_cat), "shown_cat": len(one_cat()),
        "peak_rss_mb": peak_rss_mb(), "_home": home,
    }


def baseline_filter(gdf: Any, f: dict[str, Any]) -> Any:
    """What an analyst writes: pandas masks on category, town code and the titles."""
    mask = gdf["category"] == f["category"]
    if f["town"]:
        mask &= gdf["town_codes"].fillna("").astype(str).str.contains(f["town"], regex=False)
    hay = (gdf["title_zh"].fillna("") + " " + gdf["title_en"].fillna("") + " "
           + gdf["location_text"].fillna(""))
    mask &= hay.str.contains(f["text"], case=False, regex=False)
    return gdf[mask]


def baseline_map(gdf: Any) -> Any:
    """What ``gdf.explore(popup=True)`` builds (geopandas' explore needs matplotlib and
    mapclassify, which are not installed here): a folium Map fitted to the data with one
    ``folium.GeoJson`` of every located feature, a ``GeoJsonPopup`` of all fields and a
    ``GeoJsonTooltip`` of the title. Points become Leaflet's default markers, as in explore."""
    import folium

    shown = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    collections = shown.geom_type == "GeometryCollection"
    if collections.any():  # folium.GeoJson cannot bound GeometryCollections: one row per part
        import pandas as pd

        shown = pd.concat([shown[~collections],
                           shown[collections].explode(index_parts=False)])
    fields = [c for c in shown.columns if c != shown.geometry.name]
    m = folium.Map(tiles=None, control_scale=True)
    folium.GeoJson(shown, name="projects",
                   popup=folium.GeoJsonPopup(fields=fields),
                   tooltip=folium.GeoJsonTooltip(fields=["title_zh"])).add_to(m)
    if len(shown):
        minx, miny, maxx, maxy = (float(v) for v in shown.total_bounds)
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def measure_baseline(path: Path, reps: int) -> dict[str, Any]:
    import geopandas as gpd

    load_s, gdf = timed(lambda: gpd.read_file(path), reps)
    blob = pickle.dumps(gdf)  # st.cache_data stores a pickle and unpickles it on every rerun
    cached_s, _ = timed(lambda: pickle.loads(blob), reps)
    f = typical_filter(gdf)
    filter_s, filtered = timed(lambda: baseline_filter(pickle.loads(blob), f), reps)

    def render(subset: Any) -> dict[str, Any]:
        m = baseline_map(subset)
        return st_folium_args(m, key="map", height=600, use_container_width=True)

    render_s, home = timed(lambda: render(pickle.loads(blob)), reps)
    change_s, changed = timed(lambda: render(baseline_filter(pickle.loads(blob), f)), reps)

    def one_cat() -> Any:
        gdf = pickle.loads(blob)
        return gdf[gdf["category"] == f["category"]]

    cat_s, by_cat = timed(lambda: render(one_cat()), reps)
    return {
        "n": len(gdf), "filter": f, "shown_filtered": len(filtered),
        "load_s": load_s, "prepare_s": cached_s, "filter_s": filter_s,
        "render_home_s": render_s, "change_s": change_s, "change_cat_s": cat_s,
        "payload_home_b": payload_bytes(home), "payload_change_b": payload_bytes(changed),
        "payload_cat_b": payload_bytes(by_cat), "shown_cat": len(one_cat()),
        "peak_rss_mb": peak_rss_mb(), "_home": home,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("variant", choices=("app", "baseline"))
    ap.add_argument("geojson", type=Path)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--browser-args", type=Path, help="write the home render's args here")
    ap.add_argument("--browser-timeout", type=float, default=120.0)
    ns = ap.parse_args(argv)
    fn = measure_app if ns.variant == "app" else measure_baseline
    try:
        out = fn(ns.geojson, ns.reps)
    except MemoryError as exc:
        out = {"error": f"MemoryError: {exc}", "peak_rss_mb": peak_rss_mb()}
    home = out.pop("_home", None)
    if home is not None and ns.browser_args:
        from bench.browser import draw_time

        try:
            out.update(draw_time(home, ns.browser_args.parent, ns.browser_args.name,
                                 timeout_s=ns.browser_timeout))
            if ns.variant == "app" and out.get("n") and not out.get("project_marks"):
                out["browser_error"] = "no project feature was drawn (.gy-p/.gy-cluster)"
                out.pop("draw_s", None)
        except Exception as exc:  # the baseline may not draw at all at 100 000
            out["browser_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    sys.exit(main())
