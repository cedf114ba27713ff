"""geo.aggregate: placements, the accounting sum and per-town summaries (tiny in-code fixtures,
EPSG:4326)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiPoint, Point

from geo.aggregate import accounting, placement_of, placements, shade_classes, town_summaries

GROUP_OF = {"port": "transport", "road": "transport", "health": "public_services"}


@pytest.fixture
def projects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "id": ["berth", "road", "clinic", "two-towns", "somewhere", "nowhere", "estimate"],
        "category": ["port", "road", "health", "health", "port", "road", "port"],
        "precision": [2, 5, 3, 3, 4, 9, 5],
        "town_codes": ["A", "A;B", "A", "A;B", "", "", "B"],
    }, geometry=[Point(112.5, 23.0), LineString([(112.4, 23.0), (112.6, 23.1)]),
                 Point(112.45, 23.03), MultiPoint([(112.45, 23.03), (112.6, 23.1)]),
                 Point(112.45, 23.03), None, Point(112.62, 23.12)], crs="EPSG:4326")


def test_placement_rules() -> None:
    assert placement_of(2, "Point") == "marker"
    assert placement_of(5, "MultiPoint") == "marker"
    assert placement_of(5, "LineString") == "shape"
    assert placement_of(1, "MultiPolygon") == "shape"
    assert placement_of(3, "Point") == "town"
    assert placement_of(3, "MultiPoint") == "town"
    assert placement_of(4, "Point") == "district"  # never drawn at a reference point
    assert placement_of(9, None) == "unplaced"
    assert placement_of(5, None) == "unplaced"


def test_every_project_is_accounted_for_once(projects) -> None:
    acc = accounting(projects)
    assert acc.parts() == {"marker": 2, "shape": 1, "town": 2, "district": 1, "unplaced": 1}
    assert acc.total == 7 and acc.balanced
    assert list(placements(projects)) == ["marker", "shape", "town", "town", "district",
                                          "unplaced", "marker"]


def test_accounting_of_nothing() -> None:
    empty = gpd.GeoDataFrame({"precision": []}, geometry=[], crs="EPSG:4326")
    assert accounting(empty).total == 0 and accounting(empty).balanced


def test_town_summaries_count_town_level_projects_per_town_and_group(projects) -> None:
    table = town_summaries(projects, GROUP_OF, ["A", "B", "C"], ["transport", "public_services"])
    assert table.loc["A"].to_dict() == {"total": 2, "transport": 0, "public_services": 2}
    assert table.loc["B"].to_dict() == {"total": 1, "transport": 0, "public_services": 1}
    assert table.loc["C", "total"] == 0
    # markers, lines, district-wide and unplaced projects are not in any town badge
    assert table["total"].sum() == 3


def test_shade_classes() -> None:
    totals = pd.Series({"a": 0, "b": 1, "c": 2, "d": 5, "e": 30})
    classes = shade_classes(totals, n_classes=4)
    assert classes["a"] == 0
    assert list(classes[["b", "c", "d", "e"]]) == sorted(classes[["b", "c", "d", "e"]])
    assert classes["e"] == 3 and classes["b"] >= 1
    assert (shade_classes(pd.Series({"x": 0})) == 0).all()


def test_placements_equal_placement_of_for_every_combination() -> None:
    """The vectorised placements == the one-project rule, row by row: every precision code
    (incl. missing and text) x every geometry kind (incl. None and empty), for a GeoDataFrame
    and for ``geometry_type`` strings."""
    import itertools

    from shapely.geometry import (
        LineString,
        MultiLineString,
        MultiPoint,
        MultiPolygon,
        Point,
        Polygon,
    )

    geoms = [Point(112.4, 23.0), MultiPoint([(112.4, 23.0), (112.5, 23.1)]),
             LineString([(112.4, 23.0), (112.5, 23.1)]),
             MultiLineString([[(112.4, 23.0), (112.5, 23.1)]]),
             Polygon([(112.4, 23.0), (112.5, 23.0), (112.5, 23.1)]),
             MultiPolygon([Polygon([(112.4, 23.0), (112.5, 23.0), (112.5, 23.1)])]),
             Point(), None]
    precisions = [1, 2, 3, 4, 5, 9, None, "3", "x"]
    rows = list(itertools.product(precisions, geoms))
    gdf = gpd.GeoDataFrame({"precision": [p for p, _ in rows]},
                           geometry=[g for _, g in rows], crs="EPSG:4326")
    want = [placement_of(int(p) if str(p).isdigit() else 9,
                         None if g is None or g.is_empty else g.geom_type) for p, g in rows]
    assert list(placements(gdf)) == want
    as_text = pd.DataFrame({"precision": gdf["precision"],
                            "geometry_type": [None if g is None or g.is_empty else g.geom_type
                                              for _, g in rows]})
    assert list(placements(as_text)) == want
    assert placements(gdf).index.equals(gdf.index)
