"""Test helpers that look inside built folium layers: the GeoJSON they embed and the project
features expanded as the browser shows them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

import folium

from layers.display import DISPLAY_DECIMALS
from layers.elements import LookupTable
from layers.payload import COORD_SCALE, ProjectFeatures
from layers.scripts import js_source


def geojson_payload(m: folium.Map | folium.FeatureGroup) -> list[dict]:
    """The GeoJSON data embedded in `m`'s folium.GeoJson children (recursively)."""
    out: list[dict] = []

    def walk(el: object) -> None:
        if isinstance(el, folium.GeoJson):
            out.append(el.data)
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return out


def lookup_of(groups: Sequence[folium.FeatureGroup]) -> dict | None:
    """The ``{"s": strings, "y": styles, "k": row labels, "o": origin}`` table a
    `project_layers` result carries."""
    for fg in groups:
        for child in fg._children.values():
            if isinstance(child, LookupTable):
                return child.table
    return None


def _lonlat_coords(geometry: dict, origin: Sequence[int]) -> dict:
    def conv(c: Any) -> Any:
        if isinstance(c[0], (list, tuple)):
            return [conv(v) for v in c]
        return [round(origin[0] + c[0] / COORD_SCALE, DISPLAY_DECIMALS),
                round(origin[1] + c[1] / COORD_SCALE, DISPLAY_DECIMALS)]

    return {"type": geometry["type"], "coordinates": conv(geometry["coordinates"])}


def _table(table: ProjectFeatures | Mapping) -> dict:
    if isinstance(table, ProjectFeatures):
        return {"s": dict(enumerate(table.strings)), "y": dict(enumerate(table.styles)),
                "k": dict(enumerate(table.row_keys)), "o": list(table.origin)}
    return {k: ({int(i): v for i, v in table[k].items()} if k != "o" else table[k])
            for k in ("s", "y", "k", "o")}


#: builds tip/pop of each feature with layers/js/project_bind.js and a fake Leaflet layer
_BUILD = """(input) => {
    window.gyT = input.table;
    const bind = (BIND);
    return input.features.map((f) => {
        const layer = {bindTooltip(fn) { this.tip = fn(this); },
                       bindPopup(fn) { this.pop = fn(this); }};
        bind(f, layer);
        return {tip: layer.tip, pop: layer.pop};
    });
}"""
CHROMIUM = "/usr/bin/chromium"


def run_js(function: str, arg: object) -> object:
    """``(function)(arg)`` evaluated by a JavaScript engine: node (Debian ``nodejs``) when
    installed, else headless Chromium (the e2e browser); the result must be JSON."""
    if shutil.which("node"):
        script = ("global.window = {}; const input = JSON.parse(require('fs')"
                  ".readFileSync(0, 'utf8')); process.stdout.write(JSON.stringify(("
                  + function + ")(input)));")
        res = subprocess.run(["node", "-e", script], input=json.dumps(arg),
                             capture_output=True, text=True, check=True, timeout=60)
        return json.loads(res.stdout)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            return browser.new_page().evaluate(function, arg)
        finally:
            browser.close()


def browser_popups(features: Sequence[dict], table: ProjectFeatures | Mapping) -> list[dict]:
    """``[{"tip": ..., "pop": ...}]`` built by the browser's own code (layers/js/project_bind.js)
    for compact `features`."""
    t = _table(table)
    data = {"table": {k: ({str(i): v for i, v in t[k].items()} if k != "o" else t[k])
                      for k in t}, "features": list(features)}
    out = run_js(_BUILD.replace("BIND", js_source("project_bind")), data)
    assert isinstance(out, list)
    return out


def expand_feature(feature: dict, table: ProjectFeatures | Mapping) -> dict:
    """A compact project feature as the browser shows it: lon/lat coordinates and ``style``,
    ``tip`` and ``pop``, built by the browser's code (`browser_popups`)."""
    return expand_features([feature], table)[0]


def expand_features(features: Sequence[dict], table: ProjectFeatures | Mapping) -> list[dict]:
    t = _table(table)
    shown = browser_popups(features, table) if features else []
    return [{**f, "geometry": _lonlat_coords(f["geometry"], t["o"]),
             "properties": {**f["properties"], "style": t["y"][f["properties"]["s"]], **s}}
            for f, s in zip(features, shown, strict=True)]


def drawn_features(groups: Sequence[folium.FeatureGroup]) -> list[dict]:
    """Every project feature in `groups` expanded with ``style``/``tip``/``pop``
    (`expand_feature`), as the browser shows them."""
    table = lookup_of(groups) or {"s": {}, "y": {}, "k": {}, "o": [0, 0]}
    compact, other = [], []
    for fg in groups:
        for data in geojson_payload(fg):
            for f in data["features"]:
                (compact if "h" in f.get("properties", {}) else other).append(f)
    return expand_features(compact, table) + other
