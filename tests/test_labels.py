"""layers.labels: town labels placed without collisions (pixel boxes in EPSG:3857)."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from layers.labels import (
    LabelSpot,
    conflicts,
    detail_zooms,
    label_size_px,
    leader_lines,
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


# ------------------------------------------------------------ the district view at default zoom
def real_map():
    """(projects, towns, codelists, district, names) of the committed data (EPSG:4326)."""
    from geo.boundaries import load_towns
    from geo.codelists import load_codelists
    from geo.loading import load_layer, load_projects

    root = TOWNS_GEOJSON.parents[2]
    towns = load_towns()
    towns = towns.assign(code=towns["code"].astype(str))
    names = dict(zip(towns["code"], towns["name_zh"], strict=True))
    return (load_projects(root / "data" / "projects.geojson"), towns,
            load_codelists(root / "data" / "codelists"),
            load_layer(root / "data" / "boundaries" / "district.geojson"), names)


def shown_sizes(projects, towns, codelists, names, plan, zoom, metrics):
    """Each label's box as drawn at `zoom`: with its chips row from its detail zoom on."""
    from layers.town_map import label_sizes

    small, full = label_sizes(projects, towns, codelists, names, "zh", metrics)
    _spots, detail = plan
    return {c: full[c] if detail[c] <= zoom + 1e-9 else small[c] for c in small}


def assert_reads_cleanly(projects, towns, codelists, names, zoom, metrics):
    """Every town's label shown at `zoom`, none on another label, a chips row, a leader line,
    a project marker or a cluster (the obstacles the map's clusters can take)."""
    from layers.basemaps import get_basemap
    from layers.labels import conflicts
    from layers.town_map import label_plan, marker_obstacles

    basemap = get_basemap("none")
    plan = label_plan(projects, towns, codelists, names, "zh", basemap, zoom, metrics)
    spots, _detail = plan
    assert len(spots) == 17
    hidden = [(names[s.code], s.min_zoom) for s in spots if s.min_zoom > zoom]
    assert hidden == []
    sizes = shown_sizes(projects, towns, codelists, names, plan, zoom, metrics)
    obstacles = marker_obstacles(projects, basemap, zoom)
    assert conflicts(spots, sizes, zoom, obstacles) == []
    shapes = dict(zip(towns["code"], towns.geometry, strict=True))
    for s in spots:  # a label outside its town points into it
        if s.anchor is not None:
            assert shapes[s.code].contains(Point(*s.anchor)), names[s.code]
    return spots


def test_desktop_default_zoom_every_town_labelled_and_nothing_overlaps() -> None:
    """Issue #10 done-when: at the district view's default zoom no town label is hidden and
    no label overlaps another label, a chips badge row or a project marker/cluster; 南岸街道
    and 新桥镇 (no free room inside) are named with a leader line."""
    from layers.basemaps import get_basemap
    from layers.display import for_display
    from layers.town_map import DESKTOP_LABELS, marker_obstacles
    from layers.viewport import bounds_of, zoom_for_bounds

    projects, towns, codelists, district, names = real_map()
    zoom = zoom_for_bounds(bounds_of(for_display(district, get_basemap("none"))))
    assert len(marker_obstacles(projects, get_basemap("none"), zoom)) >= 10  # 南岸, 金利 …
    spots = assert_reads_cleanly(projects, towns, codelists, names, zoom, DESKTOP_LABELS)
    led = {names[s.code] for s in spots if s.anchor is not None}
    assert led <= {"南岸街道", "新桥镇"} and len(led) <= 3


@pytest.mark.parametrize("group", ["transport", "industry", "public_services"])
def test_desktop_default_zoom_one_group_on(group) -> None:
    """The same with only one group switched on (other marker clusters, other totals)."""
    from layers.basemaps import get_basemap
    from layers.display import for_display
    from layers.town_map import DESKTOP_LABELS
    from layers.viewport import bounds_of, zoom_for_bounds

    projects, towns, codelists, district, names = real_map()
    mine = projects[projects["category"].astype(str).map(codelists.group_of) == group]
    zoom = zoom_for_bounds(bounds_of(for_display(district, get_basemap("none"))))
    assert_reads_cleanly(mine, towns, codelists, names, zoom, DESKTOP_LABELS)


def test_leader_label_for_a_town_too_small_or_taken() -> None:
    """A 4 km town whose inside is covered by a cluster gets its label beside it, with a
    leader line from a free point inside; without leaders it waits for a finer zoom."""
    towns = gpd.GeoDataFrame({"code": ["big", "tiny"]},
                             geometry=[box(690_000, 2_530_000, 702_000, 2_550_000),
                                       box(702_000, 2_540_000, 706_000, 2_544_000)],
                             crs="EPSG:32649").to_crs(4326)
    sizes = {"big": label_size_px("大镇"), "tiny": label_size_px("小小镇")}
    west = gpd.GeoSeries([Point(702_700, 2_542_000)], crs="EPSG:32649").to_crs(4326).iloc[0]
    cluster = [(west.x, west.y, 16.0, 16.0)]  # a 4 km town is ~26 px wide at zoom 10
    waits = {s.code: s for s in place_labels(towns, sizes, zoom=10.0, obstacles=cluster)}
    assert waits["tiny"].min_zoom > 10.0 and waits["tiny"].anchor is None
    led = {s.code: s for s in place_labels(towns, sizes, zoom=10.0, obstacles=cluster,
                                           leader_px=60.0)}
    assert led["tiny"].min_zoom == 10.0 and led["big"].min_zoom == 10.0
    assert led["tiny"].anchor is not None
    assert towns.geometry.iloc[1].contains(Point(*led["tiny"].anchor))
    assert not towns.geometry.iloc[1].contains(Point(led["tiny"].lon, led["tiny"].lat))
    assert conflicts(list(led.values()), sizes, 10.0, cluster) == []
    line = leader_lines(list(led.values()), sizes, 10.0)["tiny"]
    assert line[0] == pytest.approx(led["tiny"].anchor)
