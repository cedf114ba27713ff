"""Send only what is seen: the drawn projects of one map view at one zoom (large mode).

Below `LARGE_MIN` drawn features the app sends every drawn feature as before. Above it the
server sends, for the current view (its bounds widened by `MARGIN` on each side) at the
current zoom:

* points as they are when alone in a grid cell of `CELL_PX` screen pixels, otherwise one
  *cluster* per cell (its count and the extent of its members, a click zooms there);
* lines and areas that touch the view, clipped to the widened view when they reach beyond it
  and simplified in metres (EPSG:32649) with a tolerance of one screen pixel at that zoom
  (`pixel_metres`), served in the basemap's datum (EPSG:4326, or GCJ-02 for AMap) as the
  compact integer coordinates of `layers.payload`;
* at most `MAX_SHAPES` lines/areas and `MAX_VERTICES` vertices per view: the largest on
  screen are drawn, the others are counted in the clusters of their cells (nothing in view is
  dropped: drawn parts + cluster counts == parts in view, `InView.in_view`).

Pure: no Streamlit, no cache (the app caches `build_index` per payload, `ui/inview_hook.py`).
Simplification keeps a subset of each part's vertices (Douglas-Peucker), so a
drawn vertex is always one of the input's, except where clipping cuts a shape at the widened
view's edge (outside what is seen). Properties (style, approximate flag, tooltip with the
schematic note, popup rows) are the payload's, unchanged: precision and provenance stay
visible. The datum shift of GCJ-02 (< 1 km) is far inside the margin, and metres in EPSG:32649
of GCJ-02 degrees differ from WGS84 metres by a near-translation, negligible for a tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from layers.display import DISPLAY_DECIMALS
from layers.payload import Feature, ProjectFeatures

#: above this many drawn projects (placements marker + shape) the map is in large mode.
#: Why 500 (a module constant like the other thresholds: the repository keeps no settings
#: file): small mode sends every drawn feature whole, ~2.8 kB each over the websocket at the
#: synthetic 20 000 (1 924 road projects = 5.47 MB, redrawn 3.9 s after the click), whereas a
#: large-mode view costs 1-2 MB whatever the size (1.89 MB for 19 295 parts at 20 000); the
#: two meet near 500-700 features. Below 500 the whole set is at most ~1.4 MB, the browser
#: clusters, and a pan or zoom needs no rerun. The real registry draws 29 of 185 projects
#: (all categories, all towns): far below, always small mode (tests/test_inview.py).
LARGE_MIN = 500
#: the view is widened by this fraction of its width/height on each side (panning a little
#: shows what was already sent)
MARGIN = 0.25
#: grid cell of the point clusters, in screen pixels
CELL_PX = 64
#: at this zoom and above, points are never clustered
NO_CLUSTER_ZOOM = 17
#: hard caps per view: lines/areas drawn, and their vertices
MAX_SHAPES = 1500
MAX_VERTICES = 60_000
METRIC = "EPSG:32649"
SCALE = 10 ** DISPLAY_DECIMALS
_EARTH_M_PER_PX_Z0 = 156543.03392804097  # Web Mercator metres per pixel at zoom 0, equator

_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)
_TO_DEGREES = Transformer.from_crs(METRIC, "EPSG:4326", always_xy=True)


@dataclass(frozen=True)
class View:
    """A map view in degrees of the basemap's datum (Leaflet bounds) and its zoom."""

    south: float
    west: float
    north: float
    east: float
    zoom: float

    def widened(self, margin: float = MARGIN) -> tuple[float, float, float, float]:
        """(west, south, east, north) widened by `margin` of the width/height on each side."""
        dx, dy = (self.east - self.west) * margin, (self.north - self.south) * margin
        return self.west - dx, self.south - dy, self.east + dx, self.north + dy


def view_from_bounds(bounds: Any, zoom: Any) -> View | None:
    """A `View` from st_folium's returned ``bounds`` (``{"_southWest": {"lat", "lng"},
    "_northEast": {...}}``) and ``zoom``; None when they are missing or not numbers."""
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]
        v = View(float(sw["lat"]), float(sw["lng"]), float(ne["lat"]), float(ne["lng"]),
                 float(zoom))
    except (KeyError, TypeError, ValueError):
        return None
    ok = all(math.isfinite(x) for x in (v.south, v.west, v.north, v.east, v.zoom))
    return v if ok and v.south < v.north and v.west < v.east and 0 <= v.zoom <= 22 else None


def pixel_metres(zoom: float, lat: float) -> float:
    """Ground metres of one Web Mercator screen pixel at `zoom` and latitude `lat`."""
    return _EARTH_M_PER_PX_Z0 * math.cos(math.radians(lat)) / 2.0 ** zoom


def mercator_px(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator global pixel coordinates of lon/lat degrees at `zoom`."""
    size = 256.0 * 2.0 ** zoom
    phi = np.radians(np.clip(lat, -85.0, 85.0))
    x = (np.asarray(lon) + 180.0) / 360.0 * size
    y = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / math.pi) / 2.0 * size
    return x, y


def _to_metric(xy: np.ndarray) -> np.ndarray:
    x, y = _TO_METRIC.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _to_degrees(xy: np.ndarray) -> np.ndarray:
    x, y = _TO_DEGREES.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


@dataclass
class FeatureIndex:
    """The drawable parts of a `ProjectFeatures` payload, as arrays: points (lon/lat) and
    lines/areas (shapely geometries in degrees and in EPSG:32649 metres, bounds in degrees),
    each with its project id and payload feature."""

    origin: tuple[int, int]
    pt_pid: np.ndarray
    pt_xy: np.ndarray
    pt_feat: list[Feature]
    sh_pid: np.ndarray
    sh_geom: np.ndarray
    sh_metric: np.ndarray
    sh_bounds: np.ndarray
    sh_feat: list[Feature]


def build_index(features: ProjectFeatures) -> FeatureIndex:
    """Index every part of `features` (done once per payload: cache it)."""
    ox, oy = features.origin
    pt_pid: list[str] = []
    pt_xy: list[tuple[float, float]] = []
    pt_feat: list[Feature] = []
    sh_pid: list[str] = []
    sh_json: list[dict[str, Any]] = []
    sh_feat: list[Feature] = []
    for pid, feats in features.items():
        for f in feats:
            g = f["geometry"]
            if g["type"] == "Point":
                x, y = g["coordinates"]
                pt_pid.append(pid)
                pt_xy.append((ox + x / SCALE, oy + y / SCALE))
                pt_feat.append(f)
            elif g["type"] == "MultiPoint":  # not split by the payload: keep it whole
                for x, y in g["coordinates"]:
                    pt_pid.append(pid)
                    pt_xy.append((ox + x / SCALE, oy + y / SCALE))
                    pt_feat.append({**f, "geometry": {"type": "Point", "coordinates": [x, y]}})
            else:
                sh_pid.append(pid)
                sh_json.append(g)
                sh_feat.append(f)
    geoms = np.array([shapely.geometry.shape(g) for g in sh_json], dtype=object)
    if len(geoms):
        geoms = shapely.transform(geoms, lambda xy: xy / SCALE + (ox, oy))
        metric = shapely.transform(geoms, _to_metric)
        bounds = shapely.bounds(geoms)
    else:
        metric, bounds = geoms, np.zeros((0, 4))
    return FeatureIndex(
        origin=(ox, oy), pt_pid=np.array(pt_pid, dtype=object),
        pt_xy=np.array(pt_xy, dtype=float).reshape(-1, 2), pt_feat=pt_feat,
        sh_pid=np.array(sh_pid, dtype=object), sh_geom=geoms, sh_metric=metric,
        sh_bounds=bounds, sh_feat=sh_feat)


@dataclass(frozen=True)
class Cluster:
    """Parts of one grid cell sent as a count: position (mean lon/lat), count, and the
    extent of its members (west, south, east, north) for the zoom on click."""

    lon: float
    lat: float
    count: int
    extent: tuple[float, float, float, float]


@dataclass
class InView:
    """What to send for one view: `features` (project id -> payload features, lines and
    areas with their simplified geometry), `clusters`, and the accounting: `in_view` parts
    in the widened view == drawn parts + sum of cluster counts; `vertices` sent."""

    features: dict[str, list[Feature]] = field(default_factory=dict)
    clusters: list[Cluster] = field(default_factory=list)
    in_view: int = 0
    vertices: int = 0
    tolerance_m: float = 0.0
    #: (west, south, east, north) of every part of the projects asked for, in view or not
    #: (None when they have no part): beyond it a view has nothing to show (`serves`)
    extent: tuple[float, float, float, float] | None = None

    @property
    def drawn(self) -> int:
        return sum(len(v) for v in self.features.values())

    def cluster_features(self, origin: tuple[int, int]) -> list[Feature]:
        """The clusters as compact GeoJSON points (integer coordinates from `origin`, as the
        payload): ``n`` the count, ``b`` the members' extent [w, s, e, n]; no project id."""
        ox, oy = origin

        def i(v: float, o: int) -> int:
            return round((v - o) * SCALE)

        return [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [i(c.lon, ox), i(c.lat, oy)]},
                 "properties": {"n": c.count,
                                "b": [i(c.extent[0], ox), i(c.extent[1], oy),
                                      i(c.extent[2], ox), i(c.extent[3], oy)]}}
                for c in self.clusters]


def _cells(xy: np.ndarray, zoom: float) -> np.ndarray:
    px, py = mercator_px(xy[:, 0], xy[:, 1], zoom)
    return np.column_stack([np.floor(px / CELL_PX), np.floor(py / CELL_PX)]).astype(np.int64)


def _nested_ints(geom: Any) -> Any:
    """GeoJSON ``coordinates`` of `geom` (already integers, as floats) as nested int lists."""
    kind = geom.geom_type
    if kind == "Point":
        return [int(v) for v in shapely.get_coordinates(geom)[0]]
    if kind in ("LineString", "LinearRing"):
        return shapely.get_coordinates(geom).astype(np.int64).tolist()
    if kind == "Polygon":
        return [_nested_ints(r) for r in (geom.exterior, *geom.interiors)]
    return [_nested_ints(g) for g in geom.geoms]  # Multi*


def _geometries_ints(geoms: np.ndarray, origin: tuple[int, int]) -> list[dict[str, Any]]:
    """GeoJSON geometries of `geoms` (degrees) in the payload's integer steps from `origin`
    (one vectorised transform; the nesting read with numpy, not per coordinate in Python)."""
    ox, oy = origin
    ints = shapely.transform(geoms, lambda xy: np.round((xy - (ox, oy)) * SCALE))
    return [{"type": g.geom_type, "coordinates": _nested_ints(g)} for g in ints]


def _member(pids: np.ndarray, wanted: set[str]) -> np.ndarray:
    """Boolean mask of `pids` in `wanted` (hashed: np.isin sorts object arrays)."""
    return pd.Series(pids, dtype=object).isin(wanted).to_numpy(dtype=bool, copy=True)


def _extent(xy: np.ndarray, bounds: np.ndarray) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of points `xy` and boxes `bounds`; None for none."""
    boxes = np.concatenate([np.concatenate([xy, xy], axis=1).reshape(-1, 4),
                            bounds.reshape(-1, 4)])
    if not len(boxes):
        return None
    return (float(boxes[:, 0].min()), float(boxes[:, 1].min()),
            float(boxes[:, 2].max()), float(boxes[:, 3].max()))


def serves(sent_for: View, extent: tuple[float, float, float, float] | None,
           view: View) -> bool:
    """Whether what `select` sent for `sent_for` also serves `view`: the same zoom (the same
    clusters and simplification), and the part of `view` where the projects have parts
    (`extent`, `InView.extent`) lies inside the widened `sent_for`, so that every part in
    `view` was sent, drawn or in a cluster. Then a pan or the map's first report of its view
    needs nothing new. Degrees of the basemap's datum."""
    if view.zoom != sent_for.zoom:
        return False
    if extent is None:
        return True  # no part anywhere: nothing to send
    w, s = max(view.west, extent[0]), max(view.south, extent[1])
    e, n = min(view.east, extent[2]), min(view.north, extent[3])
    if w > e or s > n:
        return True  # no part in the view
    rw, rs, re, rn = sent_for.widened()
    return rw <= w and rs <= s and e <= re and n <= rn


def select(index: FeatureIndex, ids: Iterable[str], view: View,
           max_shapes: int = MAX_SHAPES, max_vertices: int = MAX_VERTICES) -> InView:
    """What to send of the projects `ids` (the drawn ones of the filtered set) for `view`."""
    wanted = set(map(str, ids))
    w, s, e, n = view.widened()
    out = InView()
    pin = _member(index.pt_pid, wanted)
    sin = _member(index.sh_pid, wanted)
    out.extent = _extent(index.pt_xy[pin], index.sh_bounds[sin])
    # points in the widened view
    if len(pin):
        x, y = index.pt_xy[:, 0], index.pt_xy[:, 1]
        pin &= (x >= w) & (x <= e) & (y >= s) & (y <= n)
    pts = np.flatnonzero(pin)
    # lines and areas touching it
    if len(sin):
        b = index.sh_bounds
        sin &= (b[:, 0] <= e) & (b[:, 2] >= w) & (b[:, 1] <= n) & (b[:, 3] >= s)
    shp = np.flatnonzero(sin)
    out.in_view = len(pts) + len(shp)
    lat0 = (view.south + view.north) / 2.0
    tol = out.tolerance_m = pixel_metres(view.zoom, lat0)
    # the largest on screen first; within the caps they are drawn, the rest clustered
    folded = np.zeros(0, dtype=np.int64)
    if len(shp):
        b = index.sh_bounds[shp]
        extent = np.maximum(b[:, 2] - b[:, 0],
                            (b[:, 3] - b[:, 1]) / math.cos(math.radians(lat0)))
        order = shp[np.argsort(-extent, kind="stable")]
        ob = index.sh_bounds[order]
        inside = (ob[:, 0] >= w) & (ob[:, 2] <= e) & (ob[:, 1] >= s) & (ob[:, 3] <= n)
        metric = index.sh_metric[order].copy()
        cut = np.flatnonzero(~inside)
        if len(cut):
            clipped = shapely.clip_by_rect(index.sh_geom[order[cut]], w, s, e, n)
            gone = shapely.is_empty(clipped) | (shapely.get_type_id(clipped) == 7)
            metric[cut[~gone]] = shapely.transform(clipped[~gone], _to_metric)
            keep = np.ones(len(order), dtype=bool)
            keep[cut[gone]] = False  # touches the widened view's edge only: nothing is seen
            out.in_view -= int(gone.sum())
            order, metric = order[keep], metric[keep]
        # Douglas-Peucker (no topology to keep for drawing: fast); a shape that collapses
        # below a pixel, or beyond the vertex budget, is counted in a cluster instead
        simple = shapely.simplify(metric[:max_shapes], tol, preserve_topology=False)
        counts = shapely.get_num_coordinates(simple)
        ok = ~shapely.is_empty(simple) & (shapely.get_type_id(simple) != 7)
        ok &= np.cumsum(np.where(ok, counts, 0)) <= max_vertices
        folded = np.concatenate([order[:max_shapes][~ok], order[max_shapes:]])
        kept = order[:max_shapes][ok]
        degrees = shapely.transform(simple[ok], _to_degrees)
        for j, geom in zip(kept, _geometries_ints(degrees, index.origin), strict=True):
            feat = {**index.sh_feat[j], "geometry": geom}
            out.features.setdefault(str(index.sh_pid[j]), []).append(feat)
        out.vertices = int(counts[ok].sum())
    # points (and the folded shapes, at a point on them) in grid cells
    xy = index.pt_xy[pts]
    ext = np.concatenate([xy, xy], axis=1)  # members' extents (w, s, e, n)
    if len(folded):
        reps = shapely.point_on_surface(index.sh_geom[folded])
        xy = np.concatenate([xy, shapely.get_coordinates(reps)])
        ext = np.concatenate([ext, index.sh_bounds[folded]])
    n_pts = len(pts)
    if not len(xy):
        return out
    if view.zoom >= NO_CLUSTER_ZOOM:
        cells = np.arange(len(xy), dtype=np.int64).reshape(-1, 1)
    else:
        cells = _cells(xy, view.zoom)
    _u, inverse, sizes = np.unique(cells, axis=0, return_inverse=True, return_counts=True)
    by_cell = np.argsort(inverse.reshape(-1), kind="stable")
    for members in np.split(by_cell, np.cumsum(sizes)[:-1]):
        if len(members) == 1 and members[0] < n_pts:
            j = int(pts[members[0]])
            out.features.setdefault(str(index.pt_pid[j]), []).append(index.pt_feat[j])
            continue
        mx, my, box = xy[members, 0], xy[members, 1], ext[members]
        out.clusters.append(Cluster(float(mx.mean()), float(my.mean()), len(members),
                                    (float(box[:, 0].min()), float(box[:, 1].min()),
                                     float(box[:, 2].max()), float(box[:, 3].max()))))
    return out



def thin_markers(projects: pd.DataFrame, is_marker: np.ndarray, zoom: float) -> pd.DataFrame:
    """`projects` (a GeoDataFrame, EPSG:4326) with its marker rows (`is_marker`) thinned to
    the first of each `CELL_PX` grid cell at `zoom`: where large mode draws a marker or a
    cluster. The other rows are kept as they are (for what is placed around the markers,
    e.g. the town labels, without one obstacle per project)."""
    markers = projects[is_marker]
    if not len(markers):
        return projects
    first = shapely.get_coordinates(
        shapely.get_geometry(np.asarray(markers.geometry.values), 0))
    cells = _cells(first, zoom)
    _u, keep = np.unique(cells, axis=0, return_index=True)
    mask = ~is_marker.copy()
    mask[np.flatnonzero(is_marker)[np.sort(keep)]] = True
    return projects[mask]
