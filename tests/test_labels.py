"""layers.labels: town labels placed without collisions (pixel boxes in EPSG:3857)."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from layers.labels import (
    LabelSpot,
    detail_zooms,
    label_size_px,
    metres_per_pixel,
    place_labels,
    text_width_px,
)

TOWNS_GEOJSON = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "towns.geojson"


def _boxes_overlap(a, b, sizes, zoom) -> bool:
    """Do the label boxes of spots a and b overlap at `zoom` (in EPSG:3857 metres)?"""
    pts = gpd.GeoSeries([Point(a.lon, a.lat), Point(b.lon, b.lat)], crs=4326).to_crs(3857)
    mpp = metres_per_pixel(zoom)
    boxes = []
    for spot, pt in zip((a, b), pts, strict=True):
        w, h = (v * mpp for v in sizes[spot.code])
        boxes.append(box(pt.x - w / 2, pt.y - h / 2, pt.x + w / 2, pt.y + h / 2))
    return boxes[0].intersects(boxes[1])


def test_text_width_and_label_size() -> None:
    assert text_width_px("金利镇", 10) == 30
    assert text_width_px("Jinli", 10) == pytest.approx(30)
    assert label_size_px("金利镇", font_px=10, pad_px=0) == (30, 10)
    assert label_size_px("金利镇", font_px=10, pad_px=6) == (42, 22)
    assert label_size_px("金利镇", chips=4, font_px=10, chip_px=20, badge_px=16,
                         pad_px=0) == (80, 26)


def test_two_small_neighbours_one_label_waits_for_a_finer_zoom() -> None:
    # two 2 km x 2 km towns side by side: at zoom 9 (~300 m/px) both labels cannot fit
    towns = gpd.GeoDataFrame({"code": ["a", "b"]},
                             geometry=[box(700_000, 2_540_000, 702_000, 2_542_000),
                                       box(702_000, 2_540_000, 704_000, 2_542_000)],
                             crs="EPSG:32649").to_crs(4326)
    sizes = {"a": label_size_px("甲镇"), "b": label_size_px("乙镇")}
    spots = {s.code: s for s in place_labels(towns, sizes, zoom=9.0)}
    assert sorted(s.min_zoom for s in spots.values())[0] == 9.0
    assert max(s.min_zoom for s in spots.values()) > 9.0
    later = max(spots.values(), key=lambda s: s.min_zoom)
    assert not _boxes_overlap(spots["a"], spots["b"], sizes, later.min_zoom)


def test_real_towns_no_overlap_at_their_zoom_and_inside_their_town() -> None:
    towns = gpd.read_file(TOWNS_GEOJSON)
    names = dict(zip(towns["code"].astype(str), towns["name_zh"], strict=True))
    sizes = {c: label_size_px(n, chips=4) for c, n in names.items()}
    spots = place_labels(towns, sizes, zoom=9.75)
    assert {s.code for s in spots} == set(names)
    shapes = dict(zip(towns["code"].astype(str), towns.geometry, strict=True))
    for s in spots:
        assert shapes[s.code].contains(Point(s.lon, s.lat)), s.code
    for a, b in itertools.combinations(spots, 2):
        zoom = max(a.min_zoom, b.min_zoom)
        assert not _boxes_overlap(a, b, sizes, zoom), (a.code, b.code)
    # most towns are labelled at the district view's zoom
    assert sum(s.min_zoom == 9.75 for s in spots) >= 10  # 11 measured with 4 chips each


def test_priority_decides_who_is_labelled_first() -> None:
    towns = gpd.GeoDataFrame({"code": ["big", "busy"]},
                             geometry=[box(700_000, 2_540_000, 703_000, 2_542_000),
                                       box(703_000, 2_540_000, 704_000, 2_542_000)],
                             crs="EPSG:32649").to_crs(4326)
    sizes = {"big": label_size_px("大镇"), "busy": label_size_px("忙镇")}
    by_area = {s.code: s.min_zoom for s in place_labels(towns, sizes, zoom=9.0)}
    assert by_area["big"] < by_area["busy"]
    by_count = {s.code: s.min_zoom
                for s in place_labels(towns, sizes, zoom=9.0, priority={"busy": 30})}
    assert by_count["busy"] < by_count["big"]


def test_detail_zooms_wait_until_the_bigger_boxes_are_free() -> None:
    # two label centres 4 km apart (east-west); at zoom 9 (~306 m/px) that is ~13 px
    spots = [LabelSpot("a", 112.00, 23.0, 9.0), LabelSpot("b", 112.04, 23.0, 9.0)]
    small = {"a": (10.0, 10.0), "b": (10.0, 10.0)}
    big = {"a": (60.0, 30.0), "b": (60.0, 30.0)}
    steps = [9.0, 10.0, 11.0, 12.0, 13.0]
    assert detail_zooms(spots, small, steps) == {"a": 9.0, "b": 9.0}
    # 60 px boxes need the centres >= 60 px apart: 4.1 km / 60 px -> <= 68 m/px -> zoom 12
    assert detail_zooms(spots, big, steps) == {"a": 12.0, "b": 12.0}
