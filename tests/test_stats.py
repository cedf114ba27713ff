"""geo.stats: counts, lengths, berths and capacities on the fixture projects."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo import filtering, loading, stats
from tests.fixtures.app_support import PROJECTS


@pytest.fixture(scope="module")
def projects() -> gpd.GeoDataFrame:
    return loading.load_projects(PROJECTS)


def test_counts_by(projects):
    by_cat = stats.counts_by(projects, "category", ["road", "port"])
    assert list(by_cat)[:2] == ["road", "port"]
    assert by_cat["port"] == 2 and sum(by_cat.values()) == 14
    by_status = stats.counts_by(projects, "status")
    assert by_status == {"implementation": 4, "identification": 4, "preparation": 2,
                         "maintenance": 2, "completion": 1, "cancelled": 1}
    assert stats.counts_by(projects.iloc[0:0], "status") == {}


def test_key_figures(projects):
    k = stats.key_figures(projects)
    assert k["projects"] == 14 and k["located"] == 13 and k["not_located"] == 1
    assert k["km_road"] == pytest.approx(22.4)
    assert k["km_highway"] == pytest.approx(30.5)
    assert k["km_roads"] == pytest.approx(52.9)
    assert k["km_railway"] == pytest.approx(40.0)
    assert k["berths"] == 6
    assert k["berth_dwt_total"] == pytest.approx(4 * 3000 + 2 * 5000)


def test_key_figures_of_filtered_and_empty(projects):
    ports = filtering.filter_projects(projects, categories=["port"], statuses=["identification"])
    k = stats.key_figures(ports)
    assert (k["projects"], k["berths"], k["berth_dwt_total"]) == (1, 2, 10000.0)
    assert k["km_roads"] == 0.0
    empty = stats.key_figures(projects.iloc[0:0])
    assert empty["projects"] == 0 and empty["berth_dwt_total"] == 0.0


def test_capacities_per_unit(projects):
    cap = stats.capacities(projects)
    rows = {(r.category, r.capacity_unit): (r.capacity, r.projects) for r in cap.itertuples()}
    assert rows[("power", "MW")] == (100.0, 1)
    assert rows[("water_supply", "万吨/日")] == (5.0, 1)
    assert len(rows) == 3  # power, water, and the hostile record's odd unit


def test_capacities_never_mix_units():
    df = gpd.GeoDataFrame({
        "category": ["power", "power", "power"], "capacity_unit": ["MW", "MW", "kV"],
        "capacity": [10.0, 5.0, 220.0]}, geometry=[shapely.Point(0, 0)] * 3, crs=4326)
    cap = stats.capacities(df)
    assert cap.to_dict("records") == [
        {"category": "power", "capacity_unit": "MW", "capacity": 15.0, "projects": 2},
        {"category": "power", "capacity_unit": "kV", "capacity": 220.0, "projects": 1},
    ] or cap.to_dict("records") == [
        {"category": "power", "capacity_unit": "kV", "capacity": 220.0, "projects": 1},
        {"category": "power", "capacity_unit": "MW", "capacity": 15.0, "projects": 2},
    ]


def test_route_length_says_how_much_is_unknown():
    df = gpd.GeoDataFrame({
        "category": ["road", "road", "highway", "railway", "port"],
        "length_km_stated": [None, 12.0, None, None, None],
        "length_km": [3.5, 9.9, None, None, None],  # the stated length wins over the drawn
    }, geometry=[shapely.Point(0, 0)] * 5, crs=4326)
    roads = stats.route_length(df, stats.ROAD_CATEGORIES)
    assert (roads.value, roads.known, roads.concerned, roads.unknown) == (15.5, 2, 3, 1)
    rail = stats.route_length(df, stats.RAIL_CATEGORIES)
    assert (rail.is_known, rail.unknown, rail.concerned) == (False, 1, 1)
    assert stats.route_length(df.iloc[0:0], stats.ROAD_CATEGORIES).concerned == 0


def test_berths_known_only_where_stated():
    df = gpd.GeoDataFrame({"category": ["port", "port", "road"], "berths": [4, None, 2]},
                          geometry=[shapely.Point(0, 0)] * 3, crs=4326)
    q = stats.berth_quantity(df)
    assert (q.value, q.known, q.concerned) == (4.0, 1, 2)
    none = stats.berth_quantity(df[df["category"] == "road"])
    assert (none.concerned, none.is_known) == (0, False)
