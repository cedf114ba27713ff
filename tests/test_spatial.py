"""Spatial join of geometries to towns on tiny in-code fixtures (three unit squares)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from geo.spatial import join_towns, towns_for_geometry


@pytest.fixture()
def squares():
    # codes deliberately out of order; squares side by side along x in EPSG:32649 metres
    return gpd.GeoDataFrame(
        {"code": ["441204003", "441204001", "441204002"], "name_zh": ["丙镇", "甲镇", "乙镇"]},
        geometry=[box(2000, 0, 3000, 1000), box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs="EPSG:32649",
    ).to_crs("EPSG:4326")


def _wgs(x, y):
    g = gpd.GeoSeries([Point(x, y)], crs="EPSG:32649").to_crs("EPSG:4326")
    return g.iloc[0]


def test_line_crossing_three_squares_lists_three_in_code_order(squares):
    line = gpd.GeoSeries([LineString([(500, 500), (2500, 500)])], crs="EPSG:32649")
    got = towns_for_geometry(line.to_crs("EPSG:4326").iloc[0], squares)
    assert [t["code"] for t in got] == ["441204001", "441204002", "441204003"]
    assert [t["name_zh"] for t in got] == ["甲镇", "乙镇", "丙镇"]


def test_point_inside_one_square(squares):
    assert towns_for_geometry(_wgs(2500, 500), squares) == [
        {"code": "441204003", "name_zh": "丙镇"}
    ]


def test_point_on_shared_border_lists_both():
    towns = gpd.GeoDataFrame(
        {"code": ["2", "1"], "name_zh": ["B", "A"]},
        geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs="EPSG:4326",
    )
    got = towns_for_geometry(Point(1, 0.5), towns)
    assert [t["code"] for t in got] == ["1", "2"]


def test_outside_and_empty(squares):
    assert towns_for_geometry(_wgs(9000, 9000), squares) == []
    assert towns_for_geometry(None, squares) == []


def test_missing_crs_is_an_error():
    towns = gpd.GeoDataFrame({"code": ["1"], "name_zh": ["A"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="CRS"):
        towns_for_geometry(Point(0.5, 0.5), towns)
    pts = gpd.GeoDataFrame(geometry=[Point(0.5, 0.5)])
    with pytest.raises(ValueError, match="CRS"):
        join_towns(pts, towns.set_crs("EPSG:4326"))
    with pytest.raises(ValueError, match="CRS"):
        join_towns(pts.set_crs("EPSG:4326"), towns)


def test_join_towns_vectorised_and_reprojected(squares):
    geoms = gpd.GeoDataFrame(
        geometry=[
            Point(500, 500), None, LineString([(500, 500), (2500, 500)]), Point(9000, 9000),
            Point(1000, 500),
        ],
        crs="EPSG:32649", index=[10, 11, 12, 13, 14],
    )
    out = join_towns(geoms, squares)  # towns in 4326, geometries in 32649
    assert list(out.index) == [10, 11, 12, 13, 14]
    assert [t["code"] for t in out[10]] == ["441204001"]
    assert out[11] == []
    assert [t["code"] for t in out[12]] == ["441204001", "441204002", "441204003"]
    assert out[13] == []
    assert len(out[14]) >= 1  # on the 甲/乙 border after reprojection: at least one side


def test_join_towns_border_point_same_crs():
    towns = gpd.GeoDataFrame(
        {"code": ["2", "1"], "name_zh": ["B", "A"]},
        geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs="EPSG:4326",
    )
    pts = gpd.GeoDataFrame(geometry=[Point(1, 0.5), Point(0.5, 0.5)], crs="EPSG:4326")
    out = join_towns(pts, towns)
    assert [t["code"] for t in out.iloc[0]] == ["1", "2"]
    assert [t["name_zh"] for t in out.iloc[1]] == ["A"]


def test_join_towns_empty_input(squares):
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    assert len(join_towns(empty, squares)) == 0
