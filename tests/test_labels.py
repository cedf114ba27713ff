"""layers.labels: town labels placed without collisions (pixel boxes in EPSG:3857)."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from layers.labels import metres_per_pixel, place_labels, text_width_px

TOWNS_GEOJSON = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "towns.geojson"


def _boxes_overlap(a, b, names, zoom, font_px=13.0, badge_px=0.0, pad=4.0) -> bool:
    """Do the label boxes of spots a and b overlap at `zoom` (in EPSG:3857 metres)?"""
    pts = gpd.GeoSeries([Point(a.lon, a.lat), Point(b.lon, b.lat)], crs=4326).to_crs(3857)
    mpp = metres_per_pixel(zoom)
    boxes = []
    for spot, pt in zip((a, b), pts, strict=True):
        w = (text_width_px(names[spot.code], font_px) + 2 * pad) * mpp
        h = (font_px + badge_px + 2 * pad) * mpp
        boxes.append(box(pt.x - w / 2, pt.y - h / 2, pt.x + w / 2, pt.y + h / 2))
    return boxes[0].intersects(boxes[1])


def test_text_width() -> None:
    assert text_width_px("金利镇", 10) == 30
    assert text_width_px("Jinli", 10) == pytest.approx(30)


def test_two_small_neighbours_one_label_waits_for_a_finer_zoom() -> None:
    # two 2 km x 2 km towns side by side: at zoom 9 (~300 m/px) both labels cannot fit
    towns = gpd.GeoDataFrame({"code": ["a", "b"]},
                             geometry=[box(700_000, 2_540_000, 702_000, 2_542_000),
                                       box(702_000, 2_540_000, 704_000, 2_542_000)],
                             crs="EPSG:32649").to_crs(4326)
    names = {"a": "甲镇", "b": "乙镇"}
    spots = {s.code: s for s in place_labels(towns, names, zoom=9.0)}
    assert sorted(s.min_zoom for s in spots.values())[0] == 9.0
    assert max(s.min_zoom for s in spots.values()) > 9.0
    later = max(spots.values(), key=lambda s: s.min_zoom)
    assert not _boxes_overlap(spots["a"], spots["b"], names, later.min_zoom)


def test_real_towns_no_overlap_at_their_zoom_and_inside_their_town() -> None:
    towns = gpd.read_file(TOWNS_GEOJSON)
    names = dict(zip(towns["code"].astype(str), towns["name_zh"], strict=True))
    spots = place_labels(towns, names, zoom=9.75, badge_px=16)
    assert {s.code for s in spots} == set(names)
    shapes = dict(zip(towns["code"].astype(str), towns.geometry, strict=True))
    for s in spots:
        assert shapes[s.code].contains(Point(s.lon, s.lat)), s.code
    for a, b in itertools.combinations(spots, 2):
        zoom = max(a.min_zoom, b.min_zoom)
        assert not _boxes_overlap(a, b, names, zoom, badge_px=16), (a.code, b.code)
    # most towns are labelled at the district view's zoom
    assert sum(s.min_zoom == 9.75 for s in spots) >= 12
