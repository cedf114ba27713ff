"""The layers package without a browser: bounds, styles, escaping,
local assets, GCJ-02 for AMap only."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import folium
import geopandas as gpd
import pytest
import shapely
from pyproj import Geod

from geo import codelists as gc
from geo import filtering, loading
from geo.i18n import translator
from layers import base as lb
from layers import basemaps as bm
from layers import legend as ll
from layers import map as lm
from layers import projects as lp
from layers import style as ls
from layers import viewport as lv
from layers.assets import external_urls
from layers.display import for_display
from layers.payload import project_features
from layers.scripts import js_source
from tests.fixtures.app_support import DISTRICT, HOSTILE_MARKERS, PROJECTS, RIVER, ROOT, TOWNS
from tests.layers_support import browser_popups, drawn_features, geojson_payload, run_js

NONE = bm.get_basemap("none")
AMAP = bm.BASEMAPS["amap"]


@pytest.fixture(scope="module")
def data():
    return {
        "projects": loading.load_projects(PROJECTS),
        "towns": loading.load_layer(TOWNS),
        "district": loading.load_layer(DISTRICT),
        "river": loading.load_layer(RIVER),
        "codelists": gc.load_codelists(),
    }


def build(data, lang="zh", basemap=NONE):
    tr = translator(lang)
    m = lm.build_map(data["district"], data["towns"], data["river"], data["codelists"], tr,
                     basemap, legend_categories=["port", "road"])
    groups = lp.project_layers(data["projects"], data["codelists"], tr, basemap)
    return m, groups


def features_of(groups):
    """All project features (dicts) inside the FeatureGroups, with ``style``/``tip``/``pop``
    expanded from the compact properties and the render's lookup table as the browser does."""
    return drawn_features(groups)


def test_bounds_are_lat_lon(data):
    m, _ = build(data)
    fit = [c for c in m._children.values() if type(c).__name__ == "FitBounds"]
    assert fit, "map is fitted to the district"
    (s, w), (n, e) = fit[0].bounds
    assert (s, w, n, e) == pytest.approx((22.90, 112.10, 23.25, 112.70))
    (s2, w2), (n2, e2) = m.get_bounds()
    assert 22.8 < s2 < n2 < 23.3 and 112.0 < w2 < e2 < 112.8


def test_zoom_and_centre_for_a_town():
    bounds = [[23.00, 112.40], [23.08, 112.50]]
    assert lv.center_of(bounds) == pytest.approx((23.04, 112.45))
    z_town = lv.zoom_for_bounds(bounds)
    z_district = lv.zoom_for_bounds([[22.9, 112.1], [23.25, 112.7]])
    assert 11 <= z_town <= 13 and z_district < z_town


def test_only_finer_than_town_drawn_in_one_cluster(data):
    """Lines/areas in one group, every point in ONE marker cluster (never one per category);
    only placements marker and shape are drawn (geo.aggregate): town-level projects are
    counted in the town summaries, district-wide and unplaced ones are listed beside the
    map."""
    m, groups = build(data)
    assert len(groups) == 2
    html = lm.render_html(m, groups)
    assert html.count("L.markerClusterGroup(") == 1
    feats = features_of(groups)
    drawn = {"port-gaoyao-berths", "port-jinli-new", "power-lubu-plant", "school-nanan",
             "tourism-nanan-pagoda", "hostile-xss", "road-nanan-jinli", "highway-lubu-nanan",
             "agri-lubu-park"}
    assert {f["properties"]["pid"] for f in feats} == drawn
    assert len(feats) == 9


def test_coordinates_are_integer_steps_of_1e5_degree(data):
    """The payload carries integer coordinates (1e-5 degree from a whole-degree origin), and
    they land within half a step of the source coordinates."""
    tr = translator("zh")
    feats = project_features(data["projects"], data["codelists"], tr, NONE)
    assert all(isinstance(v, int) for v in feats.origin)
    source = data["projects"].set_index("id").geometry
    checked = 0
    for pid, fs in feats.items():
        for f in fs:
            flat = json.dumps(f["geometry"]["coordinates"])
            assert re.fullmatch(r"[\[\], \-0-9]+", flat), flat  # integers only
        f = fs[0]
        if f["geometry"]["type"] == "Point":
            x, y = f["geometry"]["coordinates"]
            pt = source[pid]
            lon, lat = feats.origin[0] + x / 1e5, feats.origin[1] + y / 1e5
            assert abs(lon - pt.x) <= 0.5e-5 + 1e-12 and abs(lat - pt.y) <= 0.5e-5 + 1e-12
            checked += 1
    assert checked >= 5


def style_of(data, pid):
    for f in features_of(build(data)[1]):
        if f["properties"]["pid"] == pid:
            return f["properties"]["style"]
    raise KeyError(pid)


def test_styles_by_status(data):
    active = style_of(data, "port-gaoyao-berths")  # implementation, precision 2
    proposed = style_of(data, "port-jinli-new")  # identification, precision 1
    done = style_of(data, "power-lubu-plant")  # completion, precision 1
    assert active["dashArray"] is None
    assert proposed["dashArray"] == "6 6"
    assert proposed["opacity"] < active["opacity"] < done["opacity"] == 1.0
    cancelled = style_of(data, "hostile-xss")
    assert cancelled["dashArray"] == "2 6" and cancelled["color"] == ls.CANCELLED_COLOR
    # schematic routes (precision 5) are always dashed; their status shows by opacity
    road, highway = style_of(data, "road-nanan-jinli"), style_of(data, "highway-lubu-nanan")
    assert road["dashArray"] == highway["dashArray"] == "12 7"
    assert highway["opacity"] < road["opacity"]


def test_styles_by_precision(data):
    exact = style_of(data, "power-lubu-plant")
    approx = style_of(data, "school-nanan")  # precision 2
    # coloured by the category's group (energy), not by category
    assert exact["fillColor"] == "#E69F00" and exact["fillOpacity"] >= 0.5
    assert approx["fillColor"] == "#ffffff"  # hollow
    # same status stage, different precision: never drawn alike
    for kind in ("point", "line", "area"):
        for p in (2, 3, 4, 5):
            assert ls.feature_style("#123456", "done", "", 1, kind) != ls.feature_style(
                "#123456", "done", "", p, kind)
    area_exact = ls.feature_style("#123456", "active", "", 1, "area")
    area_approx = ls.feature_style("#123456", "active", "", 3, "area")
    assert area_exact["fillOpacity"] > 0 and area_approx["fillOpacity"] == 0.0
    assert area_approx["dashArray"]
    line_exact = ls.feature_style("#123456", "active", "", 1, "line")
    line_approx = ls.feature_style("#123456", "active", "", 5, "line")
    assert line_approx["weight"] > line_exact["weight"]
    assert line_approx["opacity"] < line_exact["opacity"]


def test_styles_reach_the_rendered_js(data):
    m, groups = build(data)
    html = lm.render_html(m, groups)
    assert '"dashArray": "6 6"' in html
    assert '"fillColor": "#ffffff"' in html
    assert "L.divIcon({className: 'gy-sym '" in html
    assert "L.markerClusterGroup" in html


def test_hostile_text_is_escaped(data):
    m, groups = build(data)
    html = lm.render_html(m, groups)
    for marker in HOSTILE_MARKERS:
        assert marker not in html
    assert not re.search(r"<img[^>]*onerror", html)
    # inside <script>, data are JSON with <, >, & as \u escapes: no tag can close the script
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    hostile = next(f for f in features_of(groups) if f["properties"]["pid"] == "hostile-xss")
    pop, tip = hostile["properties"]["pop"], hostile["properties"]["tip"]
    for text in (pop, tip):
        assert "<img" not in text and "<script" not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
    # the popup still shows the precision meaning, escaped
    assert "根据文字描述估计的位置" in pop


def test_popup_contents(data):
    groups = build(data, lang="en")[1]
    port = next(f for f in features_of(groups) if f["properties"]["pid"] == "port-gaoyao-berths")
    pop = port["properties"]["pop"]
    for expected in ("Gaoyao port berth expansion", "高要港码头扩建", "Ports and berths",
                     "Under way", "2021-12", "南岸街道", "4 × 3,000 DWT", "第六章第一节",
                     "高要港扩建", "Near a known site", "true site within a few km"):
        assert expected in pop, expected


def test_all_asset_urls_local(data):
    m, groups = build(data)
    html = lm.render_html(m, groups)
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', html)
    hrefs = re.findall(r'<link[^>]+href="([^"]+)"', html)
    assert srcs and hrefs
    assert all(u.startswith("/app/static/vendor/") for u in srcs + hrefs)
    assert external_urls(html) == []
    assert "bootstrap" not in html.lower() and "font-awesome" not in html.lower()


def test_osm_basemap_has_tiles_and_attribution(data):
    m, groups = build(data, basemap=bm.BASEMAPS["osm"])
    html = lm.render_html(m, groups)
    assert "tile.openstreetmap.org" in html
    assert "OpenStreetMap" in html and "contributors" in html
    assert not any("cdn" in u for u in external_urls(html))


def test_basemap_table():
    assert next(b.key for b in bm.available_basemaps({})) == "none"
    keys = [b.key for b in bm.available_basemaps({})]
    assert "tianditu" not in keys and "osm" in keys
    assert "tianditu" in [b.key for b in bm.available_basemaps({"TIANDITU_KEY": "k"})]
    tdt = bm.BASEMAPS["tianditu"]
    assert all("tk=abc" in u for u in tdt.tile_urls("abc"))
    assert bm.get_basemap("<script>") is bm.BASEMAPS["none"]
    assert bm.BASEMAPS["none"].offline and not bm.BASEMAPS["osm"].offline
    assert AMAP.crs_datum == "gcj02"
    assert {b.crs_datum for b in bm.BASEMAPS.values() if b.key != "amap"} == {"wgs84"}


def _shift_m(a: shapely.Point, b: shapely.Point) -> float:
    return Geod(ellps="WGS84").inv(a.x, a.y, b.x, b.y)[2]


def test_gcj02_only_for_amap(data):
    pts = data["projects"][data["projects"]["id"] == "power-lubu-plant"]
    same = for_display(pts, NONE).geometry.iloc[0]
    assert same.equals(pts.geometry.iloc[0])
    moved = for_display(pts, AMAP).geometry.iloc[0]
    assert 300 < _shift_m(pts.geometry.iloc[0], moved) < 900


def test_every_overlay_converted_for_amap(data):
    m_w, g_w = build(data, basemap=NONE)
    m_g, g_g = build(data, basemap=AMAP)

    def first_coord(m):
        out = {}
        for payload in geojson_payload(m):
            for f in payload["features"]:
                c = f["geometry"]["coordinates"]
                while isinstance(c[0], list | tuple):
                    c = c[0]
                out.setdefault(json.dumps(sorted(f["properties"].keys())), c)
        return out

    w, g = first_coord(m_w), first_coord(m_g)
    assert w.keys() == g.keys() and len(w) >= 3  # district, river, towns, labels
    for key in w:
        d = _shift_m(shapely.Point(w[key]), shapely.Point(g[key]))
        assert 300 < d < 900, key
    pw = {f["properties"]["pid"]: f["geometry"]["coordinates"] for f in features_of(g_w)
          if f["geometry"]["type"] == "Point"}
    pg = {f["properties"]["pid"]: f["geometry"]["coordinates"] for f in features_of(g_g)
          if f["geometry"]["type"] == "Point"}
    assert pw.keys() == pg.keys() and pw
    for pid in pw:
        assert 300 < _shift_m(shapely.Point(pw[pid]), shapely.Point(pg[pid])) < 900
    hl_w = geojson_payload(lb.town_highlight(data["towns"], "441204001", NONE))[0]
    hl_g = geojson_payload(lb.town_highlight(data["towns"], "441204001", AMAP))[0]
    a = shapely.Point(hl_w["features"][0]["geometry"]["coordinates"][0][0])
    b = shapely.Point(hl_g["features"][0]["geometry"]["coordinates"][0][0])
    assert 300 < _shift_m(a, b) < 900


def test_no_crs_is_an_error(data):
    bare = gpd.GeoDataFrame(geometry=[shapely.Point(112.4, 23.0)])
    with pytest.raises(ValueError, match="CRS"):
        for_display(bare, NONE)


def test_towns_layer_codes_labels_and_modelled_dash(data):
    fg = lb.town_layer(data["towns"], translator("en"), NONE, highlight="441204100")
    outlines, labels = geojson_payload(fg)
    codes = [f["properties"]["town_code"] for f in outlines["features"]]
    assert codes == ["441204001", "441204100", "441204101"]
    assert all(f["properties"]["style"]["dashArray"] == "4 4" for f in outlines["features"])
    hl = next(f for f in outlines["features"] if f["properties"]["town_code"] == "441204100")
    assert hl["properties"]["style"]["color"] == lb.HIGHLIGHT_COLOR
    assert [f["properties"]["label"] for f in labels["features"]] == [
        "Nan&#x27;an Subdistrict", "Jinli Town", "Lubu Town"]
    assert list(labels["features"][0]["geometry"]["coordinates"]) == [112.45, 23.04]


def test_legend_mentions_modelled_and_escapes(data):
    tr = translator("en")
    html = ll.legend_html(data["codelists"], tr, ["port", "nope<script>"], True, NONE)
    assert "MODELLED" in html and "Ports and berths" in html
    assert "nope&lt;script&gt;" in html and "<script>" not in html
    assert "Proposed (dashed, lighter)" in html
    official = ll.legend_html(data["codelists"], tr, ["port"], False, NONE)
    assert "MODELLED" not in official


def test_precomputed_features_reused_for_a_filtered_subset(data):
    tr = translator("zh")
    feats = project_features(data["projects"], data["codelists"], tr, NONE)
    assert len(feats) == 11 and "heritage-unknown" not in feats
    assert "hospital-district" not in feats  # district-level: not drawn
    ports = filtering.filter_projects(data["projects"], categories=["port", "road"])
    groups = lp.project_layers(ports, data["codelists"], tr, NONE, features=feats)
    assert len(groups) == 2
    assert sorted(f["properties"]["pid"] for f in features_of(groups)) == [
        "port-gaoyao-berths", "port-jinli-new", "road-nanan-jinli"]
    direct = lp.project_layers(ports, data["codelists"], tr, NONE)

    def shown(f):  # what the browser shows (table indices differ between the two tables)
        return {k: f["properties"][k] for k in ("pid", "style", "tip", "pop")}

    assert [shown(f) for f in features_of(direct)] == [shown(f) for f in features_of(groups)]


GOLDEN = ROOT / "tests" / "golden" / "popups.json"
REAL = ROOT / "data" / "projects.geojson"


def test_popups_and_tooltips_match_golden():
    """The one popup implementation (layers/js/project_bind.js, run by node on the compact
    payload) gives exactly the committed HTML for three real projects (a MultiPoint, a Point
    with quantities, a LineString) in both languages. Regenerate the golden file only for an
    intended change of the popup."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    projects = loading.load_projects(REAL)
    codelists = gc.load_codelists(ROOT / "data" / "codelists")
    assert {g["lang"] for g in golden} == {"zh", "en"} and len(golden) == 6
    for lang in ("zh", "en"):
        feats = project_features(projects, codelists, translator(lang), NONE)
        want = [g for g in golden if g["lang"] == lang]
        shown = browser_popups([feats[g["id"]][0] for g in want], feats)
        for g, s in zip(want, shown, strict=True):
            assert s == {"tip": g["tip"], "pop": g["pop"]}, g["id"]


def test_importing_layers_leaves_shared_template_environments_alone():
    """No layers module changes folium's, branca's or jinja2's shared template environment
    (or folium's classes) when imported or used: checked in a fresh interpreter."""
    code = """
import json, folium, branca.element, jinja2, folium.plugins
from jinja2.environment import get_spontaneous_environment
def snap():
    envs = [folium.GeoJson._template.environment, branca.element.Element()._template.environment,
            jinja2.Template("x").environment]
    out = [[repr(sorted(e.policies.items())), sorted(e.filters), sorted(e.globals)] for e in envs]
    out.append([repr(folium.GeoJson.__dict__.get(k)) for k in sorted(folium.GeoJson.__dict__)])
    out.append(folium.GeoJson({"type": "FeatureCollection", "features": [{"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"t": "é {{x}}"}}]}
        ).add_to(folium.Map()).get_root().render().count("é {{x}}"))
    return out
before = snap()
import pkgutil, importlib, layers
for m in pkgutil.iter_modules(layers.__path__):
    importlib.import_module("layers." + m.name)
from layers.elements import TextGeoJson, CompactJSON
TextGeoJson(CompactJSON({"type": "FeatureCollection", "features": []})).add_to(
    folium.Map()).get_root().render()
after = snap()
assert json.dumps(before, default=str) == json.dumps(after, default=str), (before, after)
print("ok")
"""
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


def test_compact_json_policy_is_private():
    """The compact serialisation and the Jinja-opening escape apply to `TextGeoJson` only."""
    from layers.elements import CompactJSON, TextGeoJson

    data = CompactJSON({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [112.4, 23.0]},
        "properties": {"t": "金利 {{ 7*7 }}"}}]})
    m = lm.build_map(None, None, None, gc.load_codelists(), translator("zh"), NONE)
    TextGeoJson(data, name="x").add_to(m)
    html = lm.render_html(m)
    assert '"properties":{"t":"金利 \\u007b{ 7*7 }}"}' in html
    assert folium.GeoJson._template.environment.policies.get("json.dumps_function") is None


def test_projects_table_translates_codes_and_headers(data):
    from layers.tables import count_frame, projects_table

    en = projects_table(data["projects"], data["codelists"], translator("en"))
    assert list(en.columns)[:4] == ["Project", "Towns", "Status", "Group · category"]
    assert en.columns[-1] == "ID"
    port = en[en["ID"] == "port-gaoyao-berths"].iloc[0]
    assert port["Group · category"] == "Transport · Ports and berths"
    assert port["Status"] == "Under way"
    assert port["Project"] == "Gaoyao port berth expansion"
    assert "near a known place" in port["Location"]
    assert not en.astype(str).isin(["None", "nan"]).any().any()
    zh = projects_table(data["projects"], data["codelists"], translator("zh"))
    assert len(zh) == len(data["projects"]) and zh.columns[0] == "项目"
    assert not zh["镇街"].dropna().str.contains(";").any()
    counts = count_frame({"port": 2, "bogus": 1}, {"port": "港口码头"}, translator("zh"), "类别")
    assert counts.to_dict("list") == {"类别": ["港口码头", "bogus"], "数量": [2, 1]}


def test_towns_fall_back_to_the_modelled_ones(monkeypatch, data):
    import geo.boundaries as gb
    from layers.towns import towns_stamp, towns_with_fallback

    modelled = data["towns"]
    monkeypatch.setattr(gb, "load_modelled_towns", lambda: modelled)

    def broken() -> None:
        raise gb.BoundaryError("official.gpkg: unreadable")

    monkeypatch.setattr(gb, "load_towns", broken)
    towns, notice = towns_with_fallback()
    assert towns is modelled and notice == "official.gpkg: unreadable"
    monkeypatch.setattr(gb, "load_towns", lambda: modelled)
    assert towns_with_fallback() == (modelled, "")

    def also_broken() -> None:
        raise OSError("modelled missing")

    monkeypatch.setattr(gb, "load_towns", broken)
    monkeypatch.setattr(gb, "load_modelled_towns", also_broken)
    assert towns_with_fallback() == (None, "official.gpkg: unreadable; modelled missing")
    stamp = towns_stamp()
    assert stamp and all(len(s) == 2 for s in stamp)


def test_every_drawn_part_carries_tooltip_and_popup():
    """project_bind.js binds the tooltip and popup to the drawn layer itself or, for a group
    (a MultiPoint: its markers may end up alone in a marker cluster), to every marker in it,
    which also carry the feature (a click then names the project, not a town)."""
    test = """() => {
        const bind = (BIND);
        window.gyT = {s: {"0": "cat"}, k: {"0": []}, y: {}, o: [0, 0]};
        const mk = () => ({bindTooltip(fn) { this.tip = fn(); },
                           bindPopup(fn) { this.pop = fn(); }});
        const f = {properties: {pid: "p", h: ["T"], t: 0, k: 0, v: [], a: 0}};
        const single = mk(); bind(f, single);
        const kids = [mk(), mk(), mk()];
        const group = {getLayers: () => kids, bindTooltip() { throw "group"; },
                       bindPopup() { throw "group"; }};
        bind(f, group);
        return {single: [single.tip, !!single.pop],
                kids: kids.map((k) => [k.tip, !!k.pop, k.feature === f])};
    }"""
    out = run_js(test.replace("BIND", js_source("project_bind")), None)
    assert out["single"] == ["<b>T</b><br>cat", True]
    assert out["kids"] == [["<b>T</b><br>cat", True, True]] * 3


def test_the_app_base_map_is_the_same_in_both_languages(data):
    """Issue 10 (language): a switch must not remount the map (blank for seconds). The app's
    base map (``overlays=False``) is identical in 中文 and English as streamlit-folium compares
    it; the river tooltip and the modelled-outline note follow the language in `map_overlays`,
    which is drawn with the projects."""
    from streamlit_folium import _get_map_string

    def base(lang):
        return _get_map_string(lm.build_map(data["district"], data["towns"], data["river"],
                                            data["codelists"], translator(lang), NONE,
                                            summaries=True, overlays=False))

    zh, en = base("zh"), base("en")
    assert zh == en
    assert "西江" not in zh and "Xi River" not in zh and "gy-legend" not in zh

    def overlay(lang):
        m = lm.build_map(None, None, None, data["codelists"], translator(lang), NONE,
                         summaries=True, overlays=False)
        return lm.render_html(m, [lm.map_overlays(data["river"], data["towns"],
                                                  translator(lang), NONE)])

    def has(text, page):  # as it is, or as a JSON string's \u escapes
        return text in page or json.dumps(text)[1:-1] in page

    zh_html, en_html = overlay("zh"), overlay("en")
    assert has(translator("zh")("layer.river"), zh_html)
    assert has(translator("en")("layer.river"), en_html)
    assert has(translator("en")("legend.modelled"), en_html)
    assert not has(translator("zh")("legend.modelled"), en_html)
    assert en_html.count('"id": "gy-legend"') == 1  # the note, once
