"""Geocoder: real phrases from the plan, not-geocoded cases, river/town fixtures."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, box

from geo.gazetteer import DISTRICT_BBOX, load_gazetteer
from geo.geocoder import METHODS, GeocodeResult, geocode
from geo.paths import BOUNDARY_DIR

BOUNDARIES = BOUNDARY_DIR
TO_M = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def seat(gaz, name):
    p = gaz.lookup(name)
    return p.lon, p.lat


def dist_km(a, b) -> float:
    ax, ay = TO_M.transform(*a)
    bx, by = TO_M.transform(*b)
    return math.hypot(ax - bx, ay - by) / 1000


def in_bbox(geom) -> bool:
    x0, y0, x1, y1 = geom.bounds
    b = DISTRICT_BBOX
    return b[0] <= x0 and x1 <= b[2] and b[1] <= y0 and y1 <= b[3]


# (text, precision, method, matched, geometry type)
PHRASES = [
    ("金利镇西侧", 5, "relative_offset", ("金利镇",), "Point"),
    ("高要港上游", 5, "river_upstream", ("高要港",), "Point"),
    ("大湾镇", 3, "town_seat", ("大湾镇",), "Point"),
    ("大湾", 3, "town_seat", ("大湾镇",), "Point"),
    ("水南至禄步", 5, "schematic_line", ("水南镇", "禄步镇"), "LineString"),
    ("水南至禄步(萨米特陶瓷)", 5, "schematic_line", ("水南镇", "禄步镇", "萨米特陶瓷"),
     "LineString"),
    ("明珠广场、沿江路", 3, "gazetteer", ("明珠广场", "沿江路"), "Point"),
    ("新兴江两岸", 5, "gazetteer", ("新兴江",), "Point"),
    ("马安至禄步", 5, "schematic_line", ("马安", "禄步镇"), "LineString"),
    ("白诸镇;新桥镇;大湾镇;活道镇", 3, "town_seat", ("白诸镇", "新桥镇", "大湾镇", "活道镇"),
     "MultiPoint"),
    ("白诸镇、新桥镇、大湾镇、活道镇", 3, "town_seat", ("白诸镇", "新桥镇", "大湾镇", "活道镇"),
     "MultiPoint"),
    ("金利镇、白土镇", 3, "town_seat", ("金利镇", "白土镇"), "MultiPoint"),
    ("蚬岗镇;莲塘镇", 3, "town_seat", ("蚬岗镇", "莲塘镇"), "MultiPoint"),
    ("高要区", 4, "district", ("高要区",), "Point"),
    ("全区", 4, "district", ("高要区",), "Point"),
    ("全区各镇", 4, "district", ("高要区",), "Point"),
    ("回龙黎槎村", 2, "gazetteer", ("黎槎村",), "Point"),
    ("黎槎村", 2, "gazetteer", ("黎槎村",), "Point"),
    ("金利新盛电镀产业园", 3, "gazetteer", ("新盛电镀产业园",), "Point"),
    ("金利镇新盛电镀产业园", 3, "gazetteer", ("金利镇", "新盛电镀产业园"), "Point"),
    ("高要港", 5, "gazetteer", ("高要港",), "Point"),
    ("金利港", 5, "gazetteer", ("金利港",), "Point"),
    ("天资工业园", 5, "gazetteer", ("天资工业园",), "Point"),
    ("猫爪谷景区", 3, "gazetteer", ("猫爪谷",), "Point"),
    ("西江国际未来科技城金渡白土片区", 5, "gazetteer", ("西江国际未来科技城",), "Point"),
    ("金渡工业集聚基地二期", 3, "gazetteer", ("金渡工业集聚基地",), "Point"),
    ("文明塔;巽峰塔", 3, "gazetteer", ("文明塔", "巽峰塔"), "Point"),
    ("G324线高明富湾至高要马安段", 5, "range_endpoint", ("马安",), "Point"),
    ("广东理工学院(高要校区)", 4, "district", ("高要区",), "Point"),
    ("白土镇;高要区", 3, "town_seat", ("白土镇",), "Point"),
    ("金利镇西侧;高要港上游", 5, "multiple", ("金利镇", "高要港"), "MultiPoint"),
]


@pytest.mark.parametrize(("text", "prec", "method", "matched", "gtype"), PHRASES)
def test_plan_phrases(gaz, text, prec, method, matched, gtype):
    r = geocode(text, gaz)
    assert isinstance(r, GeocodeResult)
    assert (r.precision, r.method, r.matched) == (prec, method, matched)
    assert r.geometry.geom_type == gtype
    assert in_bbox(r.geometry)
    assert r.method in METHODS
    assert r.note


def test_jinli_west_side_is_west_of_the_seat_within_10_km(gaz):
    r = geocode("金利镇西侧", gaz)
    s = seat(gaz, "金利镇")
    assert r.geometry.x < s[0]
    assert r.geometry.y == pytest.approx(s[1], abs=0.005)
    assert 1 <= dist_km((r.geometry.x, r.geometry.y), s) <= 10


def test_town_level_is_the_seat(gaz):
    r = geocode("大湾镇", gaz)
    assert (r.geometry.x, r.geometry.y) == pytest.approx(seat(gaz, "大湾镇"), abs=1e-6)
    multi = geocode("白诸镇、新桥镇、大湾镇、活道镇", gaz)
    got = sorted((p.x, p.y) for p in multi.geometry.geoms)
    want = sorted(seat(gaz, n) for n in ("白诸镇", "新桥镇", "大湾镇", "活道镇"))
    assert len(got) == 4
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, abs=1e-6)


def test_range_passes_through_the_seats(gaz):
    r = geocode("水南至禄步", gaz)
    coords = list(r.geometry.coords)
    assert coords[0] == pytest.approx(seat(gaz, "水南镇"), abs=1e-6)
    assert coords[-1] == pytest.approx(seat(gaz, "禄步镇"), abs=1e-6)


def test_district_level_point(gaz):
    r = geocode("全区", gaz)
    assert (r.geometry.x, r.geometry.y) == pytest.approx(seat(gaz, "南岸街道"), abs=1e-6)


def test_upstream_without_river_goes_west(gaz):
    port = seat(gaz, "高要港")
    r = geocode("高要港上游", gaz)
    assert r.geometry.x < port[0]
    assert dist_km((r.geometry.x, r.geometry.y), port) == pytest.approx(2.0, abs=0.05)
    assert "not available" in r.note


@pytest.mark.parametrize(
    "text",
    ["", "   ", "asdf", "粤港澳大湾区", "澄湖村", "珠三角枢纽(广州新)机场", "第六章第一节", "至"],
)
def test_not_geocoded(gaz, text):
    r = geocode(text, gaz)
    assert r.geometry is None
    assert (r.precision, r.method, r.matched) == (9, "not_geocoded", ())
    assert r.note
    assert not r.ok


def test_partly_known_list_reports_the_rest(gaz):
    r = geocode("回龙黎槎村、澄湖村", gaz)
    assert r.matched == ("黎槎村",)
    assert "澄湖村" in r.note


def test_area_kind_still_returns_the_seat_point(gaz):
    r = geocode("大湾镇", gaz, kind="area")
    assert r.geometry.geom_type == "Point"
    assert r.precision == 3
    assert "not the town outline" in r.note


# --- with tiny fixtures -----------------------------------------------------------------------
@pytest.fixture()
def river_fixture():
    # a W->E line at the latitude of the 高要港 point, stored east-to-west on purpose
    return gpd.GeoDataFrame(
        geometry=[LineString([(112.60, 23.0414), (112.30, 23.0414)])], crs="EPSG:4326"
    )


def test_upstream_follows_the_river_line(gaz, river_fixture):
    port = seat(gaz, "高要港")
    up = geocode("高要港上游", gaz, river=river_fixture)
    down = geocode("高要港下游", gaz, river=river_fixture)
    # the WGS84 line is densified nowhere: in UTM it is a chord, so allow ~20 m
    assert up.geometry.y == pytest.approx(23.0414, abs=2e-4)
    assert up.geometry.x < port[0] < down.geometry.x
    step = dist_km((up.geometry.x, up.geometry.y), (port[0], 23.0414))
    assert step == pytest.approx(2.0, abs=0.05)
    assert (up.method, down.method) == ("river_upstream", "river_downstream")


def test_river_needs_crs(gaz):
    bad = gpd.GeoDataFrame(geometry=[LineString([(112.3, 23.04), (112.6, 23.04)])])
    with pytest.raises(ValueError, match="CRS"):
        geocode("高要港上游", gaz, river=bad)


def test_offset_is_kept_inside_the_town(gaz):
    lon, lat = seat(gaz, "金利镇")
    # a tiny 金利镇 (about 2 km wide) so a 3 km offset would leave it
    towns = gpd.GeoDataFrame(
        {"code": ["441204115"], "name_zh": ["金利镇"]},
        geometry=[box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)], crs="EPSG:4326",
    )
    r = geocode("金利镇西侧", gaz, towns=towns)
    assert towns.geometry.iloc[0].covers(r.geometry)
    assert r.geometry.x < lon
    assert "shortened" in r.note


def test_real_results_inside_the_district_outline(gaz):
    path = BOUNDARIES / "towns.geojson"
    if not path.is_file():
        pytest.skip("data/boundaries/towns.geojson not built")
    towns = gpd.read_file(path)
    river_path = BOUNDARIES / "xijiang.geojson"
    river = gpd.read_file(river_path) if river_path.is_file() else None
    district = towns.geometry.union_all().buffer(1e-6)
    for text, *_ in PHRASES:
        r = geocode(text, gaz, towns=towns, river=river)
        assert r.geometry is not None
        assert district.covers(r.geometry), text
        assert "WARNING" not in r.note, text
    r = geocode("金利镇西侧", gaz, towns=towns, river=river)
    jinli = towns[towns["name_zh"] == "金利镇"].geometry.iloc[0]
    assert jinli.buffer(1e-6).covers(r.geometry)


def test_gazetteer_points_geocode_inside_bbox(gaz):
    for p in gaz:
        r = geocode(p.name_zh, gaz)
        assert r.precision < 9, p.id
        assert in_bbox(r.geometry), p.id
        assert r.geometry.geom_type == "Point" or p.kind == "river"


def test_point_result_uses_the_river_line_when_given(gaz, river_fixture):
    r = geocode("西江", gaz, river=river_fixture)
    assert r.geometry.geom_type == "LineString"
    assert r.method == "river_line" and r.precision == 5
    assert Point(112.45, 23.0414).distance(r.geometry) < 1e-9


def test_river_with_a_town_is_that_towns_riverside_edge(gaz):
    """西江边;金利镇 -> the part of 金利镇's outline along the river, not the whole river."""
    towns = gpd.read_file(BOUNDARIES / "towns.geojson")
    river = gpd.read_file(BOUNDARIES / "xijiang.geojson")
    r = geocode("西江边;金利镇", gaz, towns=towns, river=river)
    assert (r.precision, r.method) == (5, "river_in_town")
    assert set(r.matched) == {"西江", "金利镇"}
    metric = gpd.GeoSeries([r.geometry], crs="EPSG:4326").to_crs("EPSG:32649").iloc[0]
    jinli = towns[towns["name_zh"] == "金利镇"].to_crs("EPSG:32649").geometry.iloc[0]
    river_m = river.to_crs("EPSG:32649").geometry.union_all()
    assert jinli.boundary.buffer(1).covers(metric)  # on the town's own outline
    assert river_m.buffer(1_600).covers(metric)  # and within reach of the river line
    assert 5_000 < metric.length < river_m.length  # a reach, not the whole river
    whole = geocode("西江", gaz, towns=towns, river=river)
    assert whole.method == "river_line"  # the river alone: the district's whole frontage
    from geo.spatial import towns_for_geometry

    riverside = {t["name_zh"] for t in towns_for_geometry(whole.geometry, towns)}
    # towns the reference pages put on the Xi (南岸 faces 端州, 金利 has 18 km of frontage)
    assert {"南岸街道", "金利镇", "禄步镇", "大湾镇"} <= riverside
    assert not {"活道镇", "蛟塘镇", "回龙镇"} & riverside  # inland towns in the south
