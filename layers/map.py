"""Folium map and layers built from GeoDataFrames (EPSG:4326 in; no Streamlit here).

* `build_map` -- the base map: background (a `Basemap`), district outline, Xi River, the towns
  (labelled, dashed while their outlines are modelled), the legend; it fits the district.
* `project_layers` -- one FeatureGroup per category (points clustered with Leaflet.markercluster,
  lines and areas as GeoJSON), styled by status and precision (`layers.style`).
* `town_highlight` -- the selected town's outline.

Every builder takes the `Basemap` and passes its data through `for_display`, which converts it to
GCJ-02 when (and only when) the basemap is drawn in GCJ-02 (AMap). Text is escaped in
`layers.style`; data reach the page as JSON (folium's ``tojson``), tooltips/popups are bound
from those JSON strings, so nothing from the data is ever pasted into JavaScript source.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.utilities import JsCode, get_obj_in_upper_tree
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from geo.codelists import Codelists
from geo.i18n import I18n
from geo.stats import DISTRICT_LEVEL
from layers.assets import LocalMap, LocalMarkerCluster
from layers.basemaps import Basemap
from layers.style import (
    category_color,
    drawn_kind,
    esc,
    feature_style,
    is_approximate,
    popup_rows,
    status_stage,
    title,
    tooltip_line,
)

DISPLAY_DECIMALS = 5  # ~1 m: enough for a plan map, 1 byte less per number than 6
#: above this many lines/areas in one render they are drawn on one shared <canvas> instead of
#: one SVG element each (faster to draw; below it SVG keeps CSS classes for styling/tests)
CANVAS_MIN_SHAPES = 1500
ZOOM_SNAP = 0.25
BACKGROUND = "#eef0ea"
TOWN_COLOR = "#555555"
HIGHLIGHT_COLOR = "#ffb300"
RIVER_COLOR = "#4a90c2"
DISTRICT_COLOR = "#222222"

# Leaflet binds these strings as HTML; they were escaped in Python (layers.style).
_BIND = JsCode(
    """function(feature, layer) {
        var p = feature.properties || {};
        if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
        if (p.pop) { layer.bindPopup(p.pop, {maxWidth: 340}); }
    }"""
)
_TOWN_LABEL = JsCode(
    """function(feature, latlng) {
        var p = feature.properties || {};
        return L.marker(latlng, {interactive: false, keyboard: false,
            icon: L.divIcon({className: 'gy-town-label',
                             html: '<span>' + (p.label || '') + '</span>',
                             iconSize: null})});
    }"""
)
_POINT = JsCode(
    """function(feature, latlng) {
        return L.circleMarker(latlng, (feature.properties || {}).style || {});
    }"""
)
# Project features are compact (see `project_features`): the style is an index into the
# render's lookup table ``window.gyT.y``; tooltip and popup are assembled only when opened,
# by concatenating strings that were all HTML-escaped in Python (``p.h``: escaped titles/id,
# ``p.k``: the row labels (a list of ``gyT.k``), ``p.v``: the row values; numbers refer to
# escaped strings in ``window.gyT.s``). No data
# value is pasted into JavaScript source, and JS never escapes or unescapes anything.
_PROJECT_BIND = JsCode(
    """function(feature, layer) {
        var p = feature.properties || {};
        if (!p.h) { return; }
        function S(x) {
            return typeof x === "number" ? ((window.gyT || {s: {}}).s[x] || "") : (x || "");
        }
        layer.bindTooltip(function() {
            return "<b>" + (p.a ? "\u2248 " : "") + p.h[0] + "</b><br>" + S(p.t);
        }, {sticky: true});
        layer.bindPopup(function() {
            var rows = "", K = (window.gyT || {k: {}}).k[p.k] || [];
            for (var i = 0; i < K.length && i < p.v.length; i++) {
                rows += "<tr><th>" + S(K[i]) + "</th><td>" + S(p.v[i]) + "</td></tr>";
            }
            return '<div class="gy-pop"><b>' + p.h[0] + "</b>"
                + (p.h[1] ? "<br><i>" + p.h[1] + "</i>" : "") + "<table>" + rows
                + "</table><small>" + (p.h.length > 2 ? p.h[2] : p.pid) + "</small></div>";
        }, {maxWidth: 340});
    }"""
)
_PROJECT_POINT = JsCode(
    """function(feature, latlng) {
        var p = feature.properties || {};
        return L.circleMarker(latlng, ((window.gyT || {y: {}}).y[p.s]) || {});
    }"""
)
_PROJECT_STYLE = JsCode(
    """function(feature) {
        return ((window.gyT || {y: {}}).y[(feature.properties || {}).s]) || {};
    }"""
)
# project coordinates are integers: 1e-5 degree steps from the table's origin ``o`` (lon, lat)
_PROJECT_COORDS = JsCode(
    """function(c) {
        var o = (window.gyT || {o: [0, 0]}).o;
        return L.latLng(o[1] + c[1] / 1e5, o[0] + c[0] / 1e5);
    }"""
)
COORD_SCALE = 10 ** DISPLAY_DECIMALS
_CANVAS = JsCode("(window.gyCanvas = window.gyCanvas || L.canvas({padding: 0.5}))")


class CompactJSON(dict):
    """A GeoJSON dict that folium's ``tojson`` writes without spaces and with non-ASCII text
    as UTF-8 (``<``, ``>``, ``&``, ``'`` are still \\u escapes, so it stays script-safe).
    Other objects are serialised exactly as before (see `_install_compact_json`)."""


#: a "{" that starts a Jinja tag; in JSON text it can only occur inside a string
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def _compact_dumps(obj: object, **kwargs: object) -> str:
    """folium's ``tojson``: `CompactJSON` without spaces and with UTF-8 text; for every object,
    a ``{`` that would open a Jinja tag (``{{``, ``{%``, ``{#``) inside a string is written as
    ``\\u007b`` (same JSON value). branca compiles rendered scripts as templates again when a
    whole page is rendered (`render_html`), so a text like ``{{ 7*7 }}`` would otherwise be
    evaluated by Jinja on the server."""
    if isinstance(obj, CompactJSON):
        kwargs = {**kwargs, "separators": (",", ":"), "ensure_ascii": False}
    return _JINJA_OPEN.sub(r"\\u007b", json.dumps(obj, **kwargs))  # type: ignore[arg-type]


def _install_compact_json() -> None:
    """Let folium's template environment serialise `CompactJSON` compactly (a jinja policy;
    only objects of that type are affected)."""
    env = folium.GeoJson._template.environment
    env.policies["json.dumps_function"] = _compact_dumps


_install_compact_json()


def round_geometry(geom: object, decimals: int = DISPLAY_DECIMALS) -> object:
    """Geometry with coordinates rounded to `decimals` (None stays None)."""
    if geom is None:
        return None
    return shapely.transform(geom, lambda xy: np.round(xy, decimals))


def for_display(gdf: gpd.GeoDataFrame, basemap: Basemap) -> gpd.GeoDataFrame:
    """`gdf` (EPSG:4326) in the datum `basemap` is drawn in: unchanged for WGS84 basemaps,
    converted to GCJ-02 for AMap (for display only -- never store the result)."""
    if gdf.crs is None:
        raise ValueError("GeoDataFrame without CRS (expected EPSG:4326)")
    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    if basemap.crs_datum == "gcj02":
        from geo.crs import gdf_wgs84_to_gcj02

        return gdf_wgs84_to_gcj02(gdf)
    return gdf


class _Raw(Element):
    """Already rendered script text, added to the page as it is (never compiled as a
    template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: object) -> str:
        return self._text


class _TextGeoJson(folium.GeoJson):
    """folium.GeoJson whose rendered script goes to the page as text: branca would compile
    it as a Jinja template (about 0.1 s per MB of data in every rerun, and ``{{ ... }}`` in a
    text would be evaluated when the whole page is rendered). Only the ``script`` macro is
    used (no style function, popup or tooltip children)."""

    def render(self, **kwargs: object) -> None:
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)
        if self.show:  # as folium.map.Layer.render: "<this>.addTo(<parent>);"
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        script = self._template.module.__dict__["script"]
        self.get_root().script.add_child(_Raw(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


def _feature(geom: object, props: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(round_geometry(geom)),
        "properties": props,
    }


def _features(geom: object, props: dict) -> list[dict]:
    """One feature per part of a GeometryCollection (folium cannot bound those), else one."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "GeometryCollection":
        return [_feature(g, props) for g in geom.geoms if not g.is_empty]
    return [_feature(geom, props)]


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _layer_name(color: str, label: str) -> str:
    return f'<span style="color:{color}">&#9679;</span> {esc(label)}'


class ProjectFeatures(dict):
    """``{project id: [compact GeoJSON feature, ...]}`` plus the lookup tables they refer to:
    `strings` (escaped HTML strings shared by many features), `styles` (Leaflet path
    options) and, per id, the string indices its features use (`refs`)."""

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self.styles: list[dict] = []
        self.row_keys: list[list[int]] = []
        self.refs: dict[str, tuple[int, ...]] = {}
        self.origin: tuple[int, int] = (0, 0)


class _Interner:
    def __init__(self, items: list) -> None:
        self.items = items
        self.index: dict = {}

    def __call__(self, value: object, key: object = None) -> int:
        key = value if key is None else key
        got = self.index.get(key)
        if got is None:
            got = self.index[key] = len(self.items)
            self.items.append(value)
        return got


def project_features(
    projects: gpd.GeoDataFrame, codelists: Codelists, tr: I18n, basemap: Basemap
) -> ProjectFeatures:
    """GeoJSON features to draw for each project id (EPSG:4326 in; coordinates in the basemap's
    datum, rounded to `DISPLAY_DECIMALS`): one per part of a GeometryCollection. Projects
    without geometry get no entry. Pure data, so the app can cache it per language and basemap
    and reuse it for every filter combination.

    Properties are compact (the popup is built in the browser only when opened, from strings
    escaped here): ``pid`` (id), ``s`` (index into `ProjectFeatures.styles`), ``a`` (1 when
    the place is approximate), ``h`` (escaped title, other-language title and, when escaping
    changes it, the id), ``t`` (tooltip line), ``k`` (index into `ProjectFeatures.row_keys`: the
    popup row labels) and ``v`` (the row values); a number in ``t``/``v`` or a key list is an
    index into `ProjectFeatures.strings`, a string is inline. Coordinates are integers, steps of
    10^-`DISPLAY_DECIMALS` degree from `ProjectFeatures.origin` (whole degrees, lon/lat).
    `expand_feature` turns a feature back into lon/lat and ``style``/``tip``/``pop`` exactly as
    the browser does.

    District-level projects (precision 4) are not drawn: their point only stands for "somewhere
    in 高要区", and a marker would claim a place. They are counted beside the map and listed
    in the table."""
    drawable = projects.geometry.notna() & ~projects.geometry.is_empty
    if "precision" in projects:
        drawable &= pd.to_numeric(projects["precision"], errors="coerce") != DISTRICT_LEVEL
    shown = for_display(projects[drawable], basemap)
    out = ProjectFeatures()
    string = _Interner(out.strings)
    style_of = _Interner(out.styles)
    key_of = _Interner(out.row_keys)
    if len(shown):
        minx, miny = (math.floor(float(v)) for v in shown.total_bounds[:2])
        out.origin = (int(minx), int(miny))
    ox, oy = out.origin

    def as_ints(xy: np.ndarray) -> np.ndarray:
        return np.round((xy - (ox, oy)) * COORD_SCALE)
    other = "title_en" if tr.lang == "zh" else "title_zh"
    records = []
    counts: dict[str, int] = {}
    for row in shown.itertuples(index=False):
        props = row._asdict()
        rows = [(esc(k), esc(v)) for k, v in popup_rows(props, codelists, tr)]
        for _, v in rows:
            counts[v] = counts.get(v, 0) + 1
        records.append((props, rows))
    for props, rows in records:
        geom = props.pop("geometry")
        pid = str(props.get("id", ""))
        color = category_color(codelists, props.get("category", ""))
        stage, dash = status_stage(codelists, props.get("status", ""))
        precision = int(props.get("precision") or 9)
        head = [esc(title(props, tr.lang)), esc(props.get(other) or "")]
        if esc(pid) != pid:
            head.append(esc(pid))
        labels = [string(k) for k, _ in rows]
        values: list[int | str] = [string(v) if counts[v] > 1 else v for _, v in rows]
        base = {"pid": pid, "a": int(is_approximate(precision)), "h": head,
                "t": string(tooltip_line(props, codelists, tr.lang)),
                "k": key_of(labels, tuple(labels)), "v": values}
        refs = {base["t"], *labels, *(x for x in values if isinstance(x, int))}
        parts = geom.geoms if geom.geom_type == "GeometryCollection" else [geom]
        feats = []
        for part in parts:
            if part.is_empty:
                continue
            style = feature_style(color, stage, dash, precision, drawn_kind(part.geom_type))
            key = json.dumps(style, sort_keys=True)
            coords = shapely.geometry.mapping(shapely.transform(part, as_ints))
            feats.append({"type": "Feature", "geometry": _int_coords(coords),
                          "properties": {**base, "s": style_of(style, key)}})
        out[pid] = feats
        out.refs[pid] = tuple(sorted(refs))
    return out


def _int_coords(geometry: dict) -> dict:
    def conv(c: object) -> object:
        if isinstance(c, (list, tuple)):
            return [conv(v) for v in c]
        return int(c)  # type: ignore[call-overload]

    return {"type": geometry["type"], "coordinates": conv(geometry["coordinates"])}


def _lonlat_coords(geometry: dict, origin: Sequence[int]) -> dict:
    def conv(c: object) -> object:
        if isinstance(c[0], (list, tuple)):  # type: ignore[index]
            return [conv(v) for v in c]  # type: ignore[union-attr]
        return [round(origin[0] + c[0] / COORD_SCALE, DISPLAY_DECIMALS),  # type: ignore[index]
                round(origin[1] + c[1] / COORD_SCALE, DISPLAY_DECIMALS)]  # type: ignore[index]

    return {"type": geometry["type"], "coordinates": conv(geometry["coordinates"])}


def _pick(table: Sequence | Mapping, i: int) -> object:
    return table[i] if isinstance(table, Sequence) else table[str(i)]


def expand_feature(feature: dict, table: ProjectFeatures | Mapping) -> dict:
    """A compact project feature as the browser shows it: lon/lat coordinates (WGS84 or
    GCJ-02 as prepared) and ``style``, ``tip`` and ``pop`` built exactly as the browser's
    tooltip/popup functions build them (for tests). `table` is the `ProjectFeatures` or a
    render's lookup table (`lookup_of`)."""
    if isinstance(table, ProjectFeatures):
        strings, styles, keys, origin = (table.strings, table.styles, table.row_keys,
                                          table.origin)
    else:
        strings, styles, keys, origin = table["s"], table["y"], table["k"], table["o"]
    p = feature["properties"]

    def s(x: object) -> str:
        return str(_pick(strings, x)) if isinstance(x, int) else str(x or "")

    h = p["h"]
    labels, values = _pick(keys, p["k"]), p["v"]
    rows = "".join(f"<tr><th>{s(k)}</th><td>{s(v)}</td></tr>"
                   for k, v in zip(labels, values, strict=False))
    pop = (f'<div class="gy-pop"><b>{h[0]}</b>' + (f"<br><i>{h[1]}</i>" if h[1] else "")
           + f"<table>{rows}</table><small>{h[2] if len(h) > 2 else p['pid']}</small></div>")
    tip = f"<b>{'≈ ' if p['a'] else ''}{h[0]}</b><br>{s(p['t'])}"
    return {**feature, "geometry": _lonlat_coords(feature["geometry"], origin),
            "properties": {**p, "style": _pick(styles, p["s"]), "tip": tip, "pop": pop}}


class _Lookup(MacroElement):
    """Sets ``window.gyT`` (the strings, styles, row labels and coordinate origin the project
    features of this render refer to) before the project layers are added. The table is JSON
    with ``<``, ``>``, ``&``, ``'`` and Jinja-opening ``{`` as \\u escapes (`_compact_dumps`),
    so nothing can close the script or be evaluated as a template; the script goes to the page
    as text (`_Raw`)."""

    _template = Template("""
        {% macro script(this, kwargs) %}{{ this.script() }}{% endmacro %}
    """)

    def __init__(self, strings: dict[str, str], styles: dict[str, dict],
                 keys: dict[str, list[int]], origin: Sequence[int]) -> None:
        super().__init__()
        self._name = "Lookup"
        self.table = {"s": strings, "y": styles, "k": keys, "o": list(origin)}

    def script(self) -> str:
        data = str(htmlsafe_json_dumps(self.table, dumps=_compact_dumps, sort_keys=True))
        return f"window.gyT = {data};"

    def render(self, **kwargs: object) -> None:
        self.get_root().script.add_child(_Raw(self.script()), name=self.get_name())


def lookup_of(groups: Sequence[folium.FeatureGroup]) -> dict | None:
    """The ``{"s": strings, "y": styles, "k": row labels, "o": origin}`` table a
    `project_layers` result carries."""
    for fg in groups:
        for child in fg._children.values():
            if isinstance(child, _Lookup):
                return child.table
    return None


def drawn_features(groups: Sequence[folium.FeatureGroup]) -> list[dict]:
    """Every project feature in `groups` expanded with ``style``/``tip``/``pop``
    (`expand_feature`), as the browser shows them."""
    table = lookup_of(groups) or {"s": {}, "y": {}, "k": {}, "o": [0, 0]}
    out = []
    for fg in groups:
        for data in geojson_payload(fg):
            for f in data["features"]:
                out.append(expand_feature(f, table) if "h" in f.get("properties", {}) else f)
    return out


def project_layers(
    projects: gpd.GeoDataFrame,
    codelists: Codelists,
    tr: I18n,
    basemap: Basemap,
    cluster: bool = True,
    features: ProjectFeatures | None = None,
) -> list[folium.FeatureGroup]:
    """One FeatureGroup per category present in `projects` (EPSG:4326), in codelist order.

    Points become CircleMarkers (clustered per category when `cluster`), lines and areas
    GeoJSON paths (on one shared canvas when there are more than `CANVAS_MIN_SHAPES`); each
    carries its compact properties (`project_features`). The first group also carries the
    lookup table (only the strings and styles these features use). Features without geometry
    are skipped. `features` is an optional precomputed `project_features` result (for the same
    `tr` and `basemap`)."""
    if features is None:
        features = project_features(projects, codelists, tr, basemap)
    ids_all = projects["id"].astype(str)
    located = projects[ids_all.isin(features.keys())]
    cats = set(located["category"])
    order = [c for c in codelists.categories.index if c in cats]
    order += sorted(cats - set(order))
    by_cat = located.groupby("category", sort=False)["id"]
    plan = []
    n_shapes = 0
    used_strings: set[int] = set()
    used_styles: set[int] = set()
    used_keys: set[int] = set()
    for cat in order:
        ids = by_cat.get_group(cat).astype(str)
        points, shapes = [], []
        for pid in ids:
            used_strings.update(features.refs.get(pid, ()))
            for feat in features[pid]:
                used_styles.add(feat["properties"].get("s", -1))
                used_keys.add(feat["properties"].get("k", -1))
                is_point = "Point" in feat["geometry"]["type"]
                (points if is_point else shapes).append(feat)
        n_shapes += len(shapes)
        plan.append((cat, len(ids), points, shapes))
    canvas = n_shapes > CANVAS_MIN_SHAPES
    groups = []
    for cat, n_ids, points, shapes in plan:
        color = category_color(codelists, cat)
        label = (codelists.categories.at[cat, f"label_{tr.lang}"]
                 if cat in codelists.categories.index else cat)
        fg = folium.FeatureGroup(name=_layer_name(color, f"{label} ({n_ids})"), show=True)
        if not groups:
            _Lookup({str(i): features.strings[i] for i in sorted(used_strings)},
                    {str(i): features.styles[i] for i in sorted(used_styles)
                     if 0 <= i < len(features.styles)},
                    {str(i): features.row_keys[i] for i in sorted(used_keys)
                     if 0 <= i < len(features.row_keys)},
                    features.origin).add_to(fg)
        # areas under lines; the style comes from the lookup table (properties.s)
        shapes.sort(key=lambda f: 0 if "Polygon" in f["geometry"]["type"] else 1)
        if shapes:
            extra = {"renderer": _CANVAS} if canvas else {}
            _TextGeoJson(CompactJSON(_collection(shapes)), on_each_feature=_PROJECT_BIND,
                           name=cat, control=False, style=_PROJECT_STYLE,
                           coords_to_lat_lng=_PROJECT_COORDS, **extra).add_to(fg)
        if points:
            layer = _TextGeoJson(CompactJSON(_collection(points)),
                                   on_each_feature=_PROJECT_BIND, name=cat, control=False,
                                   point_to_layer=_PROJECT_POINT,
                                   coords_to_lat_lng=_PROJECT_COORDS)
            if cluster:
                mc = LocalMarkerCluster(
                    control=False,
                    options={"maxClusterRadius": 40, "disableClusteringAtZoom": 14,
                             "showCoverageOnHover": False},
                    icon_create_function=_cluster_icon(color),
                )
                layer.add_to(mc)
                mc.add_to(fg)
            else:
                layer.add_to(fg)
        groups.append(fg)
    return groups


def _cluster_icon(color: str) -> str:
    # color is a validated #rrggbb from categories.csv (layers.style.category_color)
    return (
        "function(c){return L.divIcon({html:'<div style=\"background:" + color + "\">'"
        "+c.getChildCount()+'</div>',className:'gy-cluster',iconSize:L.point(34,34)});}"
    )


def town_layer(
    towns: gpd.GeoDataFrame, tr: I18n, basemap: Basemap, highlight: str | None = None
) -> folium.FeatureGroup:
    """Town outlines (EPSG:4326 in) labelled with their names; modelled outlines dashed.

    Each feature carries ``town_code`` so a click on it (st_folium ``last_active_drawing``)
    names the town. `highlight` (a code) is drawn thicker in the highlight colour."""
    shown = for_display(towns, basemap)
    feats = []
    for row in shown.itertuples(index=False):
        props = row._asdict()
        modelled = str(props.get("boundary_source", "modelled")) != "official"
        code = str(props.get("code", ""))
        name = props.get("name_zh") if tr.lang == "zh" else props.get("name_en")
        style = {"color": TOWN_COLOR, "weight": 1.2, "opacity": 0.8, "fillColor": TOWN_COLOR,
                 "fillOpacity": 0.02, "dashArray": "4 4" if modelled else None,
                 "className": "gy-town"}
        if highlight and code == highlight:
            style.update(color=HIGHLIGHT_COLOR, weight=4, opacity=1.0, fillOpacity=0.08,
                         fillColor=HIGHLIGHT_COLOR)
        feats += _features(props["geometry"], {
            "town_code": code, "style": style,
            "label": esc(name or props.get("name_zh") or code),
        })
    labels = []
    for row in shown.itertuples(index=False):
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        spot = geom.representative_point()
        seat = (getattr(row, "seat_lon", None), getattr(row, "seat_lat", None))
        if basemap.crs_datum == "wgs84" and all(isinstance(v, float) and v == v for v in seat):
            seat_pt = shapely.Point(*seat)
            spot = seat_pt if geom.covers(seat_pt) else spot
        name = row.name_zh if tr.lang == "zh" else getattr(row, "name_en", row.name_zh)
        labels.append(_feature(spot, {"label": esc(name)}))
    fg = folium.FeatureGroup(name=esc(tr("layer.towns")), show=True)
    _TextGeoJson(_collection(feats), name="towns", control=False).add_to(fg)
    _TextGeoJson(_collection(labels), name="town_labels", control=False,
                   point_to_layer=_TOWN_LABEL).add_to(fg)
    return fg


def town_highlight(towns: gpd.GeoDataFrame, code: str, basemap: Basemap) -> folium.FeatureGroup:
    """A FeatureGroup with only the outline of town `code` (thick, highlight colour)."""
    shown = for_display(towns[towns["code"].astype(str) == str(code)], basemap)
    style = {"color": HIGHLIGHT_COLOR, "weight": 5, "opacity": 1.0, "fill": False}
    feats = [f for g in shown.geometry for f in _features(g, {"style": style})]
    fg = folium.FeatureGroup(name="highlight", show=True)
    _TextGeoJson(_collection(feats), name="highlight", control=False,
                   interactive=False).add_to(fg)
    return fg


def outline_layer(gdf: gpd.GeoDataFrame, basemap: Basemap, name: str, style: dict,
                  tip: str = "") -> folium.GeoJson:
    """A non-interactive outline (district, river) from `gdf` (EPSG:4326)."""
    shown = for_display(gdf, basemap)
    feats = [f for g in shown.geometry for f in _features(g, {"style": style, "tip": tip})]
    return _TextGeoJson(_collection(feats), name=name, control=False,
                          on_each_feature=_BIND if tip else None)


#: outlines (district, towns, river) are simplified by this many metres for display
DISPLAY_TOLERANCE_M = 10.0
_SIMPLIFIED: dict[tuple, gpd.GeoSeries] = {}


def simplify_for_display(gdf: gpd.GeoDataFrame,
                         tolerance_m: float = DISPLAY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """`gdf` (EPSG:4326) with its geometries simplified by `tolerance_m` metres (measured in
    EPSG:32649, topology preserved) for drawing only: a town outline loses most of its
    vertices but moves by at most `tolerance_m` (below a pixel at district and town zoom).
    Memoised by geometry content, so the base map of every rerun reuses the result. Never use
    the result for membership tests (those use the stored outlines)."""
    if gdf.crs is None:
        raise ValueError("GeoDataFrame without CRS (expected EPSG:4326)")
    if tolerance_m <= 0 or len(gdf) == 0:
        return gdf
    geoms = gdf.geometry
    wkb = shapely.to_wkb(geoms.values)
    key = (tolerance_m, str(gdf.crs), tuple(b"" if w is None else w for w in wkb))
    hit = _SIMPLIFIED.get(key)
    if hit is None:
        metric = geoms.to_crs(32649)
        hit = metric.simplify(tolerance_m, preserve_topology=True).to_crs(gdf.crs)
        if len(_SIMPLIFIED) > 32:
            _SIMPLIFIED.clear()
        _SIMPLIFIED[key] = hit
    return gdf.set_geometry(hit.values, crs=gdf.crs)


def bounds_of(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    """``[[south, west], [north, east]]`` (lat/lon, Leaflet order) of `gdf`'s geometries."""
    geoms = gdf.geometry.dropna()
    minx, miny, maxx, maxy = (float(v) for v in geoms.total_bounds)
    return [[miny, minx], [maxy, maxx]]


def zoom_for_bounds(bounds: Sequence[Sequence[float]], width_px: int = 760,
                    height_px: int = 600, padding_px: int = 20) -> float:
    """Largest Web-Mercator zoom (a multiple of `ZOOM_SNAP`, <= 16) at which `bounds`
    (lat/lon) fit a map of the given size in pixels."""
    (s, w), (n, e) = bounds

    def merc_y(lat: float) -> float:
        r = math.radians(max(min(lat, 85.0), -85.0))
        return math.log(math.tan(math.pi / 4 + r / 2)) / (2 * math.pi)

    dx = max(abs(e - w) / 360.0, 1e-9)
    dy = max(abs(merc_y(n) - merc_y(s)), 1e-9)
    zx = math.log2((width_px - 2 * padding_px) / 256.0 / dx)
    zy = math.log2((height_px - 2 * padding_px) / 256.0 / dy)
    z = math.floor(min(zx, zy) / ZOOM_SNAP) * ZOOM_SNAP
    return float(max(1.0, min(16.0, z)))


def center_of(bounds: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(lat, lon) centre of `bounds`."""
    (s, w), (n, e) = bounds
    return ((s + n) / 2.0, (w + e) / 2.0)


_CSS = f"""
<style>
.leaflet-container {{ background: {BACKGROUND}; font: 13px/1.35 "Noto Sans CJK SC",
  "Microsoft YaHei", "PingFang SC", sans-serif; }}
.gy-town-label {{ color: #333; font-weight: 600; white-space: nowrap; pointer-events: none;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }}
.gy-town-label span {{ display: inline-block; transform: translate(-50%, -50%); }}
.gy-pop table {{ border-collapse: collapse; margin-top: 4px; }}
.gy-pop th {{ text-align: left; padding: 1px 6px 1px 0; color: #555; font-weight: 600;
  vertical-align: top; white-space: nowrap; }}
.gy-pop td {{ padding: 1px 0; }}
.gy-cluster div {{ width: 34px; height: 34px; border-radius: 17px; color: #fff;
  font-weight: 700; line-height: 34px; text-align: center; border: 2px solid #fff;
  box-shadow: 0 0 3px rgba(0,0,0,.5); }}
.gy-legend {{ position: absolute; z-index: 1000; top: 10px; right: 10px; max-height: 60%;
  overflow: auto; background: rgba(255,255,255,.93); padding: 6px 9px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); font-size: 12px; line-height: 1.45; max-width: 270px; }}
.gy-legend svg {{ vertical-align: middle; margin-right: 4px; }}
.gy-legend .gy-note {{ color: #8a4b00; font-weight: 600; }}
</style>
"""


def _swatch(kind: str, style: dict) -> str:
    dash = f' stroke-dasharray="{style["dashArray"]}"' if style.get("dashArray") else ""
    if kind == "point":
        return (f'<svg width="18" height="18"><circle cx="9" cy="9" r="6" stroke="{style["color"]}"'
                f' stroke-width="{style["weight"]}" stroke-opacity="{style["opacity"]}"'
                f' fill="{style["fillColor"]}" fill-opacity="{style["fillOpacity"]}"{dash}/></svg>')
    return (f'<svg width="26" height="12"><line x1="1" y1="6" x2="25" y2="6"'
            f' stroke="{style["color"]}" stroke-width="{min(style["weight"], 8)}"'
            f' stroke-opacity="{style["opacity"]}"{dash}/></svg>')


def legend_html(codelists: Codelists, tr: I18n, categories: Sequence[str],
                modelled_towns: bool, basemap: Basemap) -> str:
    """Escaped legend: category colours, status and precision symbols, the modelled-town note
    and the basemap attribution note."""
    parts = [f'<div class="gy-legend" id="gy-legend"><details open><summary><b>'
             f'{esc(tr("legend.title"))}</b></summary>']
    for cat in categories:
        color = category_color(codelists, cat)
        label = (codelists.categories.at[cat, f"label_{tr.lang}"]
                 if cat in codelists.categories.index else cat)
        parts.append(f'<span style="color:{color}">&#9679;</span> {esc(label)}<br>')
    grey = "#444444"
    parts.append(f'<b>{esc(tr("legend.status"))}</b><br>')
    for stage in ("proposed", "active", "done", "cancelled"):
        rows = codelists.status[codelists.status["stage"] == stage]
        if rows.empty:
            continue
        dash = str(rows.iloc[0]["dash"] or "")
        parts.append(_swatch("line", feature_style(grey, stage, dash, 1, "line"))
                     + f"{esc(tr('stage.' + stage))}<br>")
    parts.append(f'<b>{esc(tr("legend.precision"))}</b><br>')
    parts.append(_swatch("point", feature_style(grey, "done", "", 1, "point"))
                 + f"{esc(tr('legend.exact'))}<br>")
    parts.append(_swatch("point", feature_style(grey, "done", "", 3, "point"))
                 + f"{esc(tr('legend.approx_point'))}<br>")
    parts.append(_swatch("line", feature_style(grey, "done", "", 5, "line"))
                 + f"{esc(tr('legend.approx_line'))}<br>")
    if modelled_towns:
        parts.append(f'<span class="gy-note">{esc(tr("legend.modelled"))}</span><br>')
    parts.append("</details></div>")
    return "".join(parts)


class _HtmlOverlay(MacroElement):
    """Adds raw (already escaped) HTML to the map's container."""

    _template = Template("""
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.html }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function(){
            var el = document.getElementById({{ this.dom_id|tojson }});
            var map = {{ this._parent.get_name() }};
            if (el && map && map.getContainer) { map.getContainer().appendChild(el);
                L.DomEvent.disableClickPropagation(el); L.DomEvent.disableScrollPropagation(el); }
        })();
        {% endmacro %}
    """)

    def __init__(self, html: str, css: str, dom_id: str) -> None:
        super().__init__()
        self._name = "HtmlOverlay"
        self.html = html
        self.css = css
        self.dom_id = dom_id


def build_map(
    district: gpd.GeoDataFrame | None,
    towns: gpd.GeoDataFrame | None,
    river: gpd.GeoDataFrame | None,
    codelists: Codelists,
    tr: I18n,
    basemap: Basemap,
    api_key: str = "",
    legend_categories: Sequence[str] = (),
    highlight: str | None = None,
) -> folium.Map:
    """The base map (EPSG:4326 inputs): background, district, river, towns, legend; fitted to
    the district (or the towns). Project layers are added separately (`project_layers`), so
    filtering never rebuilds the base map."""
    m = LocalMap(location=[23.05, 112.45], zoom_start=10, tiles=None, control_scale=True,
                 prefer_canvas=False, zoom_control=True, maxZoom=basemap.max_zoom,
                 minZoom=6, zoomSnap=ZOOM_SNAP, zoomDelta=0.5)
    for i, tiles in enumerate(basemap.tile_urls(api_key)):
        folium.TileLayer(tiles=tiles, attr=basemap.attribution, name=basemap.label(tr.lang),
                         subdomains=basemap.subdomains, max_zoom=basemap.max_zoom,
                         overlay=i > 0, control=False).add_to(m)
    frame = None
    if district is not None and len(district):
        outline_layer(simplify_for_display(district), basemap, "district",
                      {"color": DISTRICT_COLOR, "weight": 3, "fill": False, "opacity": 0.9,
                       "interactive": False}).add_to(m)
        frame = district
    if river is not None and len(river):
        outline_layer(simplify_for_display(river), basemap, "river",
                      {"color": RIVER_COLOR, "weight": 5, "opacity": 0.8},
                      tip=esc(tr("layer.river"))).add_to(m)
    modelled = False
    if towns is not None and len(towns):
        town_layer(simplify_for_display(towns), tr, basemap, highlight).add_to(m)
        modelled = bool((towns.get("boundary_source", pd.Series(["modelled"])) != "official")
                        .any())
        frame = frame if frame is not None else towns
    if frame is not None:
        m.fit_bounds(bounds_of(for_display(frame, basemap)))
    legend = legend_html(codelists, tr, legend_categories, modelled, basemap)
    _HtmlOverlay(legend, _CSS, "gy-legend").add_to(m)
    return m


def render_html(m: folium.Map, extra: Sequence[folium.FeatureGroup] = ()) -> str:
    """Standalone HTML of `m` plus `extra` layers (for tests and the static export)."""
    for fg in extra:
        fg.add_to(m)
    return m.get_root().render()


def geojson_payload(m: folium.Map) -> list[dict]:
    """The GeoJSON data embedded in `m`'s folium.GeoJson children (recursively), for tests."""
    out: list[dict] = []

    def walk(el: object) -> None:
        if isinstance(el, folium.GeoJson):
            out.append(el.data)
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return out


__all__ = [
    "ProjectFeatures",
    "bounds_of",
    "build_map",
    "center_of",
    "drawn_features",
    "expand_feature",
    "for_display",
    "geojson_payload",
    "legend_html",
    "lookup_of",
    "outline_layer",
    "project_features",
    "project_layers",
    "render_html",
    "town_highlight",
    "town_layer",
    "zoom_for_bounds",
]
