"""geo.loading, geo.filtering, geo.viewstate, geo.export: loading, filtering, town membership,
clicks, query-string state, downloads."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from geo import codelists as gc
from geo import export, filtering, loading, viewstate
from tests.fixtures.app_support import PROJECTS, TOWNS

T1, T2, T3 = "441204001", "441204100", "441204101"


@pytest.fixture(scope="module")
def projects() -> gpd.GeoDataFrame:
    return loading.load_projects(PROJECTS)


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return loading.load_layer(TOWNS)


@pytest.fixture(scope="module")
def codelists() -> gc.Codelists:
    return gc.load_codelists()


def test_load_projects_types_and_crs(projects):
    assert projects.crs.to_epsg() == 4326
    assert len(projects) == 14
    assert projects["precision"].dtype.kind == "i"
    assert sorted(projects["precision"].unique()) == [1, 2, 3, 4, 5, 9]
    assert projects.loc[projects["id"] == "heritage-unknown"].geometry.isna().all()
    assert projects.loc[projects["id"] == "port-gaoyao-berths", "berths"].item() == 4.0
    assert projects.loc[projects["id"] == "school-nanan", "berths"].isna().all()
    assert projects["notes"].map(type).eq(str).all()


def test_load_projects_errors_name_the_file(tmp_path):
    with pytest.raises(loading.DataFileError, match=r"nope\.geojson"):
        loading.load_projects(tmp_path / "nope.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(loading.DataFileError, match=r"bad\.geojson"):
        loading.load_projects(bad)
    metric = tmp_path / "metric.geojson"
    gpd.GeoDataFrame({"id": ["a"], "category": ["port"], "status": ["completion"]},
                     geometry=[shapely.Point(700000, 2550000)], crs=32649).to_file(metric)
    with pytest.raises(loading.DataFileError, match=r"metric\.geojson.*EPSG:4326"):
        loading.load_projects(metric)


def test_codelists_survive_unquoted_commas(codelists):
    meaning = codelists.precision.at[2, "meaning_zh"]
    assert "实际位置可能相差数公里" in meaning
    assert codelists.precision.at[2, "approximate"] == "true"
    assert codelists.categories.at["port", "color"] == "#1f4e99"
    assert codelists.status.at["identification", "dash"] == "6 6"


def test_filter_by_category_status_precision(projects):
    assert len(filtering.filter_projects(projects)) == 14
    ports = filtering.filter_projects(projects, categories=["port"])
    assert set(ports["id"]) == {"port-gaoyao-berths", "port-jinli-new"}
    both = filtering.filter_projects(projects, categories=["port", "road"],
                                     statuses=["implementation"])
    assert set(both["id"]) == {"port-gaoyao-berths", "road-nanan-jinli"}
    exact = filtering.filter_projects(projects, precisions=[1])
    assert set(exact["id"]) == {"port-jinli-new", "power-lubu-plant", "tourism-nanan-pagoda"}
    assert exact.crs.to_epsg() == 4326


def test_town_filter_counts_crossing_lines(projects):
    jinli = filtering.filter_projects(projects, towns=[T2])
    assert set(jinli["id"]) == {"port-jinli-new", "road-nanan-jinli", "park-jinli-hitech",
                                "hostile-xss"}
    nanan = filtering.projects_in_town(projects, T1)
    assert {"road-nanan-jinli", "highway-lubu-nanan"} <= set(nanan["id"])
    assert len(nanan) == 6
    # district-wide projects are in no town
    in_towns = filtering.filter_projects(projects, towns=[T1, T2, T3])
    assert "railway-district" not in set(in_towns["id"])


def test_town_filter_falls_back_to_names(projects, towns):
    no_codes = projects.assign(town_codes="")
    got = filtering.filter_projects(no_codes, towns=[T3], town_table=towns)
    assert set(got["id"]) == {"highway-lubu-nanan", "power-lubu-plant", "agri-lubu-park"}


@pytest.mark.parametrize(("text", "expected"), [
    ("港", {"port-gaoyao-berths", "port-jinli-new"}),
    ("PORT", {"port-gaoyao-berths", "port-jinli-new"}),
    ("文明塔", {"tourism-nanan-pagoda"}),
    ("jinli expressway", {"road-nanan-jinli"}),
    ("nothing-like-this", set()),
    ("   ", None),
])
def test_text_search(projects, text, expected):
    got = set(filtering.filter_projects(projects, text=text)["id"])
    assert got == (set(projects["id"]) if expected is None else expected)


def test_counts(projects):
    c = filtering.counts(projects, "category")
    assert c["port"] == 2 and c["road"] == 1 and sum(c.values()) == 14


def test_town_from_click(towns):
    drawing = {"last_active_drawing": {"type": "Feature", "properties": {"town_code": T2}}}
    assert viewstate.town_from_click(drawing, towns) == T2
    project_click = {"last_active_drawing": {"properties": {"pid": "x"}},
                     "last_object_clicked": {"lat": 23.04, "lng": 112.45}}
    assert viewstate.town_from_click(project_click, towns) is None
    # a bare click (a cluster, the empty map) chooses no town: no point-in-polygon fallback
    bare = {"last_active_drawing": None, "last_object_clicked": {"lat": 23.15, "lng": 112.3}}
    assert viewstate.town_from_click(bare, towns) is None
    # st_folium keeps the last drawing after a later cluster click: it is not chosen again
    handled = drawing["last_active_drawing"]
    assert viewstate.town_from_click(drawing, towns, previous=handled) is None
    outside = {"last_object_clicked": {"lat": 10.0, "lng": 100.0}}
    assert viewstate.town_from_click(outside, towns) is None
    assert viewstate.town_from_click({"last_active_drawing": {"properties": {"town_code": "evil"}}},
                              towns) is None
    assert viewstate.town_from_click(None, towns) is None


VALID = viewstate.Valid(categories=["port", "road"], statuses=["implementation", "identification"],
                 towns=[T1, T2], precisions=[1, 2, 3, 4, 5, 9], basemaps=["none", "osm"])


def test_query_params_round_trip():
    state = viewstate.ViewState(lang="en", mode="kiosk", categories=("port", "road"),
                         statuses=("implementation",), towns=(T2,), precisions=(1, 5),
                         text="金利 port", town=T1, basemap="osm")
    params = viewstate.to_query_params(state)
    assert params == {"lang": "en", "mode": "kiosk", "cat": "port,road",
                      "status": "implementation", "town": T2, "prec": "1,5", "q": "金利 port",
                      "view": T1, "base": "osm"}
    assert viewstate.parse_query_params(params, VALID) == state
    assert viewstate.to_query_params(viewstate.ViewState()) == {}


def test_query_params_reject_unknown_and_malicious():
    evil = {"lang": "<script>", "mode": "admin", "cat": "port,<img src=x>,road,port",
            "status": "javascript:alert(1)", "town": "1;DROP", "prec": "1,x,7,3",
            "q": "a\x00b" + "x" * 500, "view": "../../etc", "base": "tianditu", "other": "1"}
    state = viewstate.parse_query_params(evil, VALID)
    assert state.lang == "zh" and state.mode == "normal"
    assert state.categories == ("port", "road")
    assert state.statuses == () and state.towns == ()
    assert state.precisions == (1, 3)
    assert state.text.startswith("a b") and len(state.text) == viewstate.MAX_TEXT
    assert state.town == "" and state.basemap == "none"


def test_query_params_accept_lists():
    state = viewstate.parse_query_params({"cat": ["road", "port"], "lang": ["zh", "en"]}, VALID)
    assert state.categories == ("road", "port") and state.lang == "en"


def test_exports(projects):
    ports = filtering.filter_projects(projects, categories=["port"])
    data = json.loads(export.to_geojson(ports))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    assert data["features"][0]["geometry"]["type"] == "Point"
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 112 < lon < 113 and 22.8 < lat < 23.5
    csv_text = export.to_csv(ports)
    assert csv_text.splitlines()[0].count("wkt_wgs84") == 1
    assert len(csv_text.strip().splitlines()) == 3
    assert "POINT (112.452 23.052)" in csv_text
