"""Large mode, "send only what is seen" (layers/inview.py, ui/inview_hook.py): the parts of one
view at one zoom, on tiny in-code fixtures whose CRS is stated (EPSG:4326 degrees, built from
EPSG:32649 metres where a length matters)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from layers import inview as iv
from layers.payload import COORD_SCALE, ProjectFeatures

ORIGIN = (112, 23)


def payload(geoms: gpd.GeoSeries) -> ProjectFeatures:
    """A compact payload (as `layers.payload.project_features` makes) of `geoms` (EPSG:4326):
    one feature per geometry, id ``p<i>``, properties carrying precision/provenance flags."""
    assert geoms.crs is not None and geoms.crs.to_epsg() == 4326
    out = ProjectFeatures()
    out.origin = ORIGIN
    for i, g in enumerate(geoms):
        ints = shapely.transform(g, lambda xy: np.round((xy - ORIGIN) * COORD_SCALE))
        m = shapely.geometry.mapping(ints)

        def conv(c):
            return [conv(v) for v in c] if isinstance(c, (list, tuple)) else int(c)

        out[f"p{i}"] = [{"type": "Feature",
                         "geometry": {"type": m["type"], "coordinates": conv(m["coordinates"])},
                         "properties": {"pid": f"p{i}", "s": i % 3, "a": i % 2,
                                        "t": f"tip {i} · 示意线路", "k": 0, "v": [str(i)]}}]
    return out


def metric_to_4326(geoms: list) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs="EPSG:32649").to_crs(4326)


def grid_points(n: int = 30) -> gpd.GeoSeries:
    """n x n points 200 m apart in EPSG:32649, near 高要 (x 650 km, y 2 550 km)."""
    pts = [Point(650_000 + 200 * i, 2_550_000 + 200 * j) for i in range(n) for j in range(n)]
    return metric_to_4326(pts)


def wiggly_line() -> gpd.GeoSeries:
    """A 20 km line with a 3 m zigzag every 10 m (EPSG:32649 -> EPSG:4326)."""
    xs = np.arange(0, 20_000, 10.0)
    ys = np.where(np.arange(len(xs)) % 2 == 0, 0.0, 3.0) + 2_000 * np.sin(xs / 4_000)
    return metric_to_4326([LineString(np.column_stack([640_000 + xs, 2_540_000 + ys]))])


def view_around(geoms: gpd.GeoSeries, zoom: float, pad: float = 0.0) -> iv.View:
    w, s, e, n = geoms.total_bounds
    return iv.View(s - pad, w - pad, n + pad, e + pad, zoom)


def ints_of(feature: dict) -> set[tuple[int, int]]:
    return {tuple(map(int, c)) for c in shapely.get_coordinates(
        shapely.geometry.shape(feature["geometry"]))}


def test_view_from_bounds_reads_st_folium_and_rejects_nonsense():
    b = {"_southWest": {"lat": 23.0, "lng": 112.3}, "_northEast": {"lat": 23.2, "lng": 112.6}}
    assert iv.view_from_bounds(b, 12) == iv.View(23.0, 112.3, 23.2, 112.6, 12.0)
    assert iv.view_from_bounds(None, 12) is None
    assert iv.view_from_bounds({"_southWest": {"lat": "x"}}, 12) is None
    assert iv.view_from_bounds(b, float("nan")) is None
    flipped = {"_southWest": b["_northEast"], "_northEast": b["_southWest"]}
    assert iv.view_from_bounds(flipped, 12) is None


def test_only_parts_in_the_widened_view_are_sent_and_clusters_account_for_the_rest():
    pts = grid_points()
    index = iv.build_index(payload(pts))
    w, s, e, n = pts.total_bounds
    view = iv.View(s, w, s + (n - s) / 3, w + (e - w) / 3, 13.0)  # the south-west ninth
    got = iv.select(index, [f"p{i}" for i in range(len(pts))], view)
    ww, ss, ee, nn = view.widened()
    inside = [i for i, p in enumerate(pts) if ww <= p.x <= ee and ss <= p.y <= nn]
    assert 0 < got.in_view == len(inside) < len(pts)
    # every part in view is drawn or counted in exactly one cluster
    assert got.drawn + sum(c.count for c in got.clusters) == got.in_view
    assert got.clusters, "200 m apart at zoom 13 (~17 m/px, 64 px cells) must cluster"
    for pid in got.features:  # nothing outside the widened view is drawn
        assert int(pid[1:]) in inside
    for c in got.clusters:
        assert ww <= c.lon <= ee and ss <= c.lat <= nn
        assert c.extent[0] <= c.lon <= c.extent[2] and c.extent[1] <= c.lat <= c.extent[3]


def test_only_the_filtered_ids_are_considered():
    pts = grid_points(5)
    index = iv.build_index(payload(pts))
    got = iv.select(index, ["p0", "p7"], view_around(pts, 18.0, pad=0.01))
    assert got.in_view == 2 and set(got.features) == {"p0", "p7"} and not got.clusters


def test_no_clustering_from_the_highest_zooms_and_more_clusters_when_zoomed_out():
    pts = grid_points(12)
    index = iv.build_index(payload(pts))
    ids = [f"p{i}" for i in range(len(pts))]
    near = iv.select(index, ids, view_around(pts, iv.NO_CLUSTER_ZOOM))
    assert near.drawn == len(pts) and not near.clusters
    far = iv.select(index, ids, view_around(pts, 11.0))
    assert far.drawn + sum(c.count for c in far.clusters) == len(pts)
    assert len(far.clusters) + far.drawn < len(pts) / 4


def test_cluster_features_carry_count_and_extent_and_no_project_id():
    pts = grid_points(6)
    index = iv.build_index(payload(pts))
    got = iv.select(index, [f"p{i}" for i in range(len(pts))], view_around(pts, 10.0))
    feats = got.cluster_features(index.origin)
    assert feats and sum(f["properties"]["n"] for f in feats) == got.in_view - got.drawn
    for f in feats:
        assert "pid" not in f["properties"]
        x, y = f["geometry"]["coordinates"]
        bw, bs, be, bn = f["properties"]["b"]
        assert bw <= x <= be and bs <= y <= bn


@pytest.mark.parametrize("zoom", [10.0, 12.0, 14.0])
def test_simplification_stays_within_one_pixel_in_metres_and_invents_no_vertex(zoom):
    line = wiggly_line()
    feats = payload(line)
    index = iv.build_index(feats)
    got = iv.select(index, ["p0"], view_around(line, zoom, pad=0.05))
    (out,) = got.features["p0"]
    tol = iv.pixel_metres(zoom, float(line.iloc[0].centroid.y))
    assert got.tolerance_m == pytest.approx(tol, rel=0.01)
    # fewer vertices, every one of them an input vertex (same integer steps of 1e-5 degree)
    assert ints_of(out) <= ints_of(feats["p0"][0])
    assert len(ints_of(out)) < len(ints_of(feats["p0"][0])) / 5
    # within the tolerance in metres (EPSG:32649), plus the display rounding (1e-5 deg ~ 1 m)
    drawn = gpd.GeoSeries([shapely.transform(shapely.geometry.shape(out["geometry"]),
                                             lambda xy: xy / COORD_SCALE + ORIGIN)],
                          crs="EPSG:4326").to_crs(iv.METRIC)
    original = line.to_crs(iv.METRIC)
    assert drawn.iloc[0].hausdorff_distance(original.iloc[0]) <= tol + 1.5


def test_precision_and_provenance_properties_are_kept():
    shapes = metric_to_4326([
        LineString([(650_000, 2_550_000), (652_000, 2_551_000), (654_000, 2_550_500)]),
        Polygon([(651_000, 2_549_000), (653_000, 2_549_000), (652_000, 2_548_000)]),
    ])
    feats = payload(shapes)
    got = iv.select(iv.build_index(feats), ["p0", "p1"], view_around(shapes, 13.0, 0.01))
    for pid, out in got.features.items():
        assert out[0]["properties"] == feats[pid][0]["properties"]
        assert out[0]["geometry"]["type"] == feats[pid][0]["geometry"]["type"]


def test_caps_fold_the_smallest_shapes_into_clusters_and_account_for_them():
    squares = metric_to_4326([
        Polygon([(650_000 + 3_000 * i, 2_550_000), (650_000 + 3_000 * i + 100 * (i + 1),
                 2_550_000), (650_000 + 3_000 * i, 2_550_000 + 100 * (i + 1))])
        for i in range(8)])
    index = iv.build_index(payload(squares))
    ids = [f"p{i}" for i in range(8)]
    got = iv.select(index, ids, view_around(squares, 12.0, 0.01), max_shapes=3)
    assert set(got.features) == {"p7", "p6", "p5"}  # the three largest
    assert got.drawn + sum(c.count for c in got.clusters) == got.in_view == 8
    few = iv.select(index, ids, view_around(squares, 12.0, 0.01), max_vertices=8)
    assert few.vertices <= 8
    assert few.drawn + sum(c.count for c in few.clusters) == 8


def test_a_shape_reaching_beyond_the_view_is_clipped_at_the_widened_edge():
    line = wiggly_line()
    feats = payload(line)
    w, s, e, n = line.total_bounds
    view = iv.View(s, w, n, w + (e - w) / 10, 15.0)  # the western tenth
    got = iv.select(iv.build_index(feats), ["p0"], view)
    (out,) = got.features["p0"]
    ww, _ss, ee, _nn = view.widened()
    original = ints_of(feats["p0"][0])
    for x, y in ints_of(out):
        lon = ORIGIN[0] + x / COORD_SCALE
        assert ww - 1e-5 <= lon <= ee + 1e-5
        on_edge = math.isclose(lon, ww, abs_tol=2e-5) or math.isclose(lon, ee, abs_tol=2e-5)
        assert (x, y) in original or on_edge


def test_multipoints_are_split_into_their_points():
    mp = gpd.GeoSeries([shapely.MultiPoint([(112.40, 23.05), (112.50, 23.10)])],
                       crs="EPSG:4326")
    got = iv.select(iv.build_index(payload(mp)), ["p0"], view_around(mp, 16.0, 0.01))
    assert got.in_view == 2 and [f["geometry"]["type"] for f in got.features["p0"]] == [
        "Point", "Point"]


def test_large_mode_sends_at_most_what_is_in_view(app, monkeypatch):
    """AppTest: with the large-mode threshold lowered below the fixture's size, the map gets
    only the view's parts at its zoom (here some clustered), reports its bounds, and every
    part in view is drawn or counted in a cluster."""
    import json

    import ui.inview_hook as hook

    monkeypatch.setattr(hook, "LARGE_MIN", 3)
    at = app()
    assert not at.exception
    sent = at.session_state[hook.SENT_KEY]
    (comp,) = at.get("component_instance")
    args = json.loads(comp.proto.json_args)
    assert "bounds" in args["returned_objects"]
    # the header loads Leaflet.markercluster in large mode too (a later small-mode render
    # clusters in the browser, and st_folium loads the header only when the map is mounted)
    assert "markercluster" in args["header"].lower() or any(
        "markercluster" in link.lower() for link in args["js_links"])
    data = args["feature_group"]
    assert data.count('"pid":') == sent["drawn"] and data.count('"n":') == sent["clusters"]
    assert sent["drawn"] + sent["clustered"] == sent["in_view"]
    assert sent["clusters"] >= 1 and sent["drawn"] < sent["in_view"]
    assert sent["drawn"] <= iv.MAX_SHAPES + sent["in_view"] - sent["clustered"]


def test_small_mode_unchanged(app):
    import json

    import ui.inview_hook as hook

    at = app()
    assert hook.SENT_KEY not in at.session_state
    (comp,) = at.get("component_instance")
    args = json.loads(comp.proto.json_args)
    assert "bounds" not in args["returned_objects"]


def test_thin_markers_keeps_one_marker_per_cell_and_every_other_row():
    pts = grid_points(10)
    frame = gpd.GeoDataFrame({"kind": ["m"] * len(pts) + ["t"]},
                             geometry=[*pts, Point(112.4, 23.0)], crs="EPSG:4326")
    is_marker = (frame["kind"] == "m").to_numpy()
    thin = iv.thin_markers(frame, is_marker, 11.0)
    assert (thin["kind"] == "t").sum() == 1
    assert 1 <= (thin["kind"] == "m").sum() < 10
    assert len(iv.thin_markers(frame, is_marker, iv.NO_CLUSTER_ZOOM + 3)) == len(frame)


def test_threshold_keeps_the_real_data_small_and_a_20000_category_large():
    """The real registry (data/, all categories, every town) draws far fewer projects than
    `LARGE_MIN` (small mode, sent whole); one category of the synthetic 20 000 (road: 1 924
    drawn in bench/RESULTS-e2e.md) is large mode."""
    from pathlib import Path

    import ui.inview_hook as hook
    from geo.aggregate import placements
    from layers.projects import DRAWN

    real = gpd.read_file(Path(__file__).resolve().parent.parent / "data" / "projects.geojson")
    drawn = int(placements(real).isin(DRAWN).sum())
    assert 0 < drawn <= iv.LARGE_MIN // 10
    assert not hook.is_large(drawn)
    assert not hook.is_large(iv.LARGE_MIN) and hook.is_large(iv.LARGE_MIN + 1)
    assert hook.is_large(1924)


def test_geometries_ints_match_the_geojson_mapping_of_every_kind():
    """`_geometries_ints` (numpy nesting) == GeoJSON mapping rounded coordinate by coordinate,
    for points, lines, polygons with a hole and multi-parts (degrees, EPSG:4326)."""
    o = ORIGIN
    geoms = np.array([
        Point(112.123456, 23.654321),
        LineString([(112.1, 23.1), (112.200004, 23.15), (112.3, 23.123456)]),
        Polygon([(112.1, 23.1), (112.3, 23.1), (112.3, 23.3), (112.1, 23.1)],
                [[(112.2, 23.15), (112.25, 23.15), (112.25, 23.2), (112.2, 23.15)]]),
        shapely.MultiLineString([[(112.1, 23.1), (112.2, 23.2)], [(112.4, 23.4), (112.5, 23.5)]]),
        shapely.MultiPolygon([Polygon([(112.1, 23.1), (112.2, 23.1), (112.2, 23.2)]),
                              Polygon([(112.5, 23.5), (112.6, 23.5), (112.6, 23.6)])]),
    ], dtype=object)
    got = iv._geometries_ints(geoms, o)

    def conv(c):
        return [conv(v) for v in c] if isinstance(c, (list, tuple)) else int(c)

    for g, out in zip(geoms, got, strict=True):
        ints = shapely.transform(g, lambda xy: np.round((xy - o) * COORD_SCALE))
        m = shapely.geometry.mapping(ints)
        assert out == {"type": m["type"], "coordinates": conv(m["coordinates"])}
    assert got[0]["coordinates"] == [12346, 65432]
    assert all(isinstance(v, int) for v in got[1]["coordinates"][1])


def test_extent_covers_every_part_asked_for_in_view_or_not():
    pts = grid_points(5)
    index = iv.build_index(payload(pts))
    w, s, e, n = pts.total_bounds
    far = iv.View(s - 1.0, w - 1.0, s - 0.9, w - 0.9, 12.0)  # none of them in view
    got = iv.select(index, [f"p{i}" for i in range(len(pts))], far)
    assert got.in_view == 0
    tol = 1 / COORD_SCALE  # the payload's integer coordinates: degrees to 1e-5
    assert got.extent == pytest.approx((w, s, e, n), abs=tol)
    one = iv.select(index, ["p7"], far)
    assert one.extent == pytest.approx((pts[7].x, pts[7].y, pts[7].x, pts[7].y), abs=tol)
    assert iv.select(index, [], far).extent is None


def test_serves_a_view_inside_what_was_sent_at_the_same_zoom_only():
    sent = iv.View(23.0, 112.0, 23.2, 112.4, 11.0)  # widened: 112.0 +- 0.1, 23.0 +- 0.05
    extent = (111.9, 22.9, 112.6, 23.3)  # the parts reach beyond the widened view
    inside = iv.View(23.02, 112.05, 23.22, 112.45, 11.0)  # a small pan
    assert iv.serves(sent, extent, inside)
    assert not iv.serves(sent, extent, iv.View(23.02, 112.05, 23.22, 112.45, 11.5))  # zoom
    assert not iv.serves(sent, extent, iv.View(23.1, 112.3, 23.3, 112.7, 11.0))  # too far
    # a view reaching beyond the parts' extent is served if where the parts are was sent:
    # the map's first report of a whole-district view, wider than the fitted bounds
    tight = (112.05, 23.02, 112.35, 23.18)
    assert iv.serves(sent, tight, iv.View(22.8, 111.7, 23.4, 112.7, 11.0))
    assert iv.serves(sent, None, iv.View(22.8, 111.7, 23.4, 112.7, 11.0))  # no parts
    assert iv.serves(sent, tight, iv.View(24.0, 113.0, 24.2, 113.4, 11.0))  # none in view
