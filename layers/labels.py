"""Town label placement without collisions.

Each town's name (and, optionally, a count badge under it) is a box of fixed size in screen
pixels. Boxes are placed in Web-Mercator pixel space (EPSG:3857 scaled to a zoom level) at the
town's pole of inaccessibility, or at a nearby candidate inside the town, greedily from the
largest town down; a label that cannot be placed without overlapping an earlier one at the
map's zoom is tried again at finer zooms, and gets that zoom as its ``min_zoom`` (the map shows
it from there on). A box that does not overlap at zoom z does not overlap at any finer zoom
(distances double per zoom level while boxes keep their pixel size), so one position serves
all zooms from ``min_zoom`` up.

A town too small for its label (or whose only free spot holds a marker cluster) can instead get
a spot just outside it, at most ``leader_px`` screen pixels from its pole, with a leader line
to a free point inside the town (``LabelSpot.anchor``): that is tried at the map's own zoom
before waiting for a finer one, so every town is named at the default zoom when there is room
anywhere near it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, polylabel

from geo.crs import require_crs

WEB_MERCATOR = "EPSG:3857"
EARTH_CIRCUMFERENCE_M = 2 * math.pi * 6378137.0
#: candidate offsets around the pole, in box widths/heights (order = preference)
OFFSETS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1),
           (0, 2), (0, -2), (2, 0), (-2, 0))
#: directions (degrees, 0 = east, counter-clockwise) tried for a label with a leader line
LEADER_ANGLES = tuple(range(0, 360, 30))
#: gap in screen pixels between a leader label's box and the town point it names
LEADER_GAP_PX = 6.0


@dataclass(frozen=True)
class LabelSpot:
    """Where a town's label goes (EPSG:4326 lon/lat of the box centre) and from which zoom it
    is shown."""

    code: str
    lon: float
    lat: float
    min_zoom: float
    #: (lon, lat) inside the town that a leader line joins to the label; None: no leader
    anchor: tuple[float, float] | None = None


def metres_per_pixel(zoom: float) -> float:
    """Web-Mercator metres per screen pixel at `zoom` (at the equator; EPSG:3857 units)."""
    return EARTH_CIRCUMFERENCE_M / (256.0 * 2.0 ** zoom)


def text_width_px(text: str, font_px: float) -> float:
    """Approximate rendered width: CJK characters are square, others about 0.6 em."""
    return sum(font_px if ord(ch) > 0x2E7F else 0.6 * font_px for ch in text)


def _main_part(geom: BaseGeometry) -> Polygon:
    """The largest polygon of a (multi)polygon."""
    parts = getattr(geom, "geoms", [geom])
    return cast(Polygon, max(parts, key=lambda g: g.area))


def label_size_px(name: str, chips: int = 0, font_px: float = 13.0, chip_px: float = 20.0,
                  badge_px: float = 16.0, pad_px: float = 6.0,
                  total_px: float = 0.0) -> tuple[float, float]:
    """(width, height) in screen pixels of a town label: its name (followed by a total badge
    `total_px` wide, if any) and under it a row of `chips` count chips (none: no row)."""
    width = max(text_width_px(name, font_px) + total_px, chips * chip_px)
    height = font_px + (badge_px if chips else 0.0)
    return width + 2 * pad_px, height + 2 * pad_px


def _to_merc(points: Sequence[tuple[float, float]], crs: Any = "EPSG:4326") -> list[Point]:
    """(lon, lat) pairs in `crs` as EPSG:3857 points."""
    if not len(points):
        return []
    merc = gpd.GeoSeries([Point(x, y) for x, y in points], crs=crs).to_crs(WEB_MERCATOR)
    return [Point(x, y) for x, y in zip(merc.x, merc.y, strict=True)]


def _obstacle_boxes(obstacles: Sequence[tuple[float, float, float, float]],
                    crs: Any = "EPSG:4326") -> list[tuple[Point, tuple[float, float]]]:
    """``(lon, lat, w_px, h_px)`` obstacles as (EPSG:3857 centre, pixel size)."""
    pts = _to_merc([(o[0], o[1]) for o in obstacles], crs)
    return [(pt, (float(o[2]), float(o[3]))) for pt, o in zip(pts, obstacles, strict=True)]


def _leader(anchor: Point, label: BaseGeometry) -> LineString:
    """The leader line from `anchor` to the nearest point of the `label` box (EPSG:3857)."""
    return LineString([anchor, nearest_points(label, anchor)[0]])


def leader_lines(spots: Sequence[LabelSpot], sizes: Mapping[str, tuple[float, float]],
                 zoom: float) -> dict[str, list[tuple[float, float]]]:
    """The leader lines of the spots that have one, as EPSG:4326 ``[(lon, lat), (lon, lat)]``
    from the town's anchor to the label box (of ``sizes[code]`` pixels) at `zoom`."""
    led = [s for s in spots if s.anchor is not None]
    if not led:
        return {}
    centres = _to_merc([(s.lon, s.lat) for s in led])
    anchors = _to_merc([s.anchor for s in led if s.anchor is not None])
    mpp = metres_per_pixel(zoom)
    lines = [_leader(a, _box(c, sizes.get(s.code, (40.0, 20.0)), mpp))
             for s, c, a in zip(led, centres, anchors, strict=True)]
    ends = gpd.GeoSeries([Point(c) for ln in lines for c in ln.coords],
                         crs=WEB_MERCATOR).to_crs("EPSG:4326")
    xy = list(zip(ends.x, ends.y, strict=True))
    return {s.code: [(float(xy[2 * i][0]), float(xy[2 * i][1])),
                     (float(xy[2 * i + 1][0]), float(xy[2 * i + 1][1]))]
            for i, s in enumerate(led)}


def detail_zooms(spots: Sequence[LabelSpot], sizes: Mapping[str, tuple[float, float]],
                 zoom_steps: Sequence[float],
                 obstacles: Sequence[tuple[float, float, float, float]] = ()
                 ) -> dict[str, float]:
    """For labels already placed (`spots`, EPSG:4326), the first zoom of `zoom_steps`
    (absolute) from which each one's larger box ``sizes[code]`` (e.g. with its chips row), at
    the same centre, overlaps no other label's larger box, no leader line and no `obstacle`
    (``(lon, lat, w_px, h_px)``, as for `place_labels`); the last step where none is free."""
    centres = dict(zip([s.code for s in spots], _to_merc([(s.lon, s.lat) for s in spots]),
                       strict=True))
    anchors = {s.code: a for s, a in zip(
        [s for s in spots if s.anchor is not None],
        _to_merc([s.anchor for s in spots if s.anchor is not None]),
        strict=True)}
    blocked = _obstacle_boxes(obstacles)
    out = {}
    for s in spots:
        out[s.code] = zoom_steps[-1]
        for z in sorted(z for z in zoom_steps if z >= s.min_zoom):
            mpp = metres_per_pixel(z)
            mine = _rect(centres[s.code], sizes[s.code], mpp)
            rects = [_rect(centres[c], sizes[c], mpp) for c in centres if c != s.code]
            rects += [_rect(pt, size, mpp) for pt, size in blocked]
            if any(_hit(mine, r) for r in rects):
                continue
            lines = [_leader(a, _box(centres[c], sizes[c], mpp))
                     for c, a in anchors.items() if c != s.code]
            if not lines or not any(box(*mine).intersects(ln) for ln in lines):
                out[s.code] = z
                break
    return out


def conflicts(spots: Sequence[LabelSpot], sizes: Mapping[str, tuple[float, float]],
              zoom: float, obstacles: Sequence[tuple[float, float, float, float]] = ()
              ) -> list[tuple[str, str]]:
    """What overlaps at `zoom` among the labels shown there (``min_zoom <= zoom``), each a
    box of ``sizes[code]`` pixels: pairs of label codes, ``(code, "marker")`` for a label on
    an `obstacle` and ``(code, "leader:" + other)`` for a label crossed by another's leader
    line. Empty when the map reads cleanly (the tests' check)."""
    shown = [s for s in spots if s.min_zoom <= zoom + 1e-9]
    mpp = metres_per_pixel(zoom)
    centres = _to_merc([(s.lon, s.lat) for s in shown])
    boxes = {s.code: _box(c, sizes[s.code], mpp) for s, c in zip(shown, centres, strict=True)}
    codes = list(boxes)
    out = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1:]
           if boxes[a].intersects(boxes[b])]
    for pt, size in _obstacle_boxes(obstacles):
        ob = _box(pt, size, mpp)
        out += [(c, "marker") for c in codes if boxes[c].intersects(ob)]
    led = [s for s in shown if s.anchor is not None]
    for s, a in zip(led, _to_merc([s.anchor for s in led if s.anchor is not None]),
                    strict=True):
        line = _leader(a, boxes[s.code])
        out += [(c, "leader:" + s.code) for c in codes
                if c != s.code and boxes[c].intersects(line)]
    return sorted(set(out))


def place_labels(towns: gpd.GeoDataFrame, sizes: Mapping[str, tuple[float, float]],
                 zoom: float, zoom_steps: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0),
                 priority: Mapping[str, float] | None = None,
                 obstacles: Sequence[tuple[float, float, float, float]] = (),
                 leader_px: float = 0.0) -> list[LabelSpot]:
    """A spot for every town of `towns` (``code`` column, any declared CRS) whose label box
    (``sizes[code]``: width, height in screen pixels, see `label_size_px`) overlaps no other
    label, shown from the first zoom ``zoom + step`` at which it fits. A town that fits at no
    step gets the last one (labels never overlap at or above their ``min_zoom``). Towns are
    placed in order of `priority` (e.g. their project counts; higher first), then area.
    `obstacles` are things a label must not cover either (e.g. project markers and their
    clusters): ``(lon, lat, width_px, height_px)`` in the towns' CRS. With `leader_px` > 0, a
    town that has no free spot inside it at `zoom` gets one outside, its box at most
    `leader_px` pixels from a free point inside the town, joined to it by a leader line
    (``anchor``) that crosses no other label or obstacle."""
    require_crs(towns, "towns")
    merc = towns.to_crs(WEB_MERCATOR)
    rank = [float((priority or {}).get(str(c), 0.0)) for c in merc["code"]]
    merc = merc.assign(_rank=rank, _area=merc.geometry.area).sort_values(
        ["_rank", "_area"], ascending=False)
    codes = [str(c) for c in merc["code"]]
    shapes = dict(zip(codes, merc.geometry, strict=True))
    poles = {c: polylabel(_main_part(g), tolerance=10.0) for c, g in shapes.items()}
    sizes = {c: sizes.get(c, (40.0, 20.0)) for c in codes}
    blocked = _obstacle_boxes(obstacles, towns.crs) if len(obstacles) else []
    frame = box(*merc.total_bounds)
    spots: dict[str, tuple[Point, float]] = {}
    anchors: dict[str, Point] = {}
    for i, step in enumerate(zoom_steps):
        z = zoom + step
        mpp = metres_per_pixel(z)
        for code in codes:
            if code not in spots:
                spot = _first_free(code, poles[code], shapes[code], sizes, spots, mpp,
                                   blocked, anchors)
                if spot is not None:
                    spots[code] = (spot, z)
        if i == 0 and leader_px > 0:
            for code in codes:
                if code not in spots:
                    found = _leader_spot(code, poles[code], shapes[code], sizes, spots, mpp,
                                         blocked, anchors, leader_px, frame)
                    if found is not None:
                        spots[code] = (found[0], z)
                        anchors[code] = found[1]
    last = zoom + zoom_steps[-1]
    chosen = [spots.get(c, (poles[c], last)) for c in codes]
    crs = require_crs(towns, "towns")
    lonlat = gpd.GeoSeries([pt for pt, _z in chosen], crs=WEB_MERCATOR).to_crs(crs)
    anchor_ll: dict[str, tuple[float, float]] = {}
    if anchors:
        moved = gpd.GeoSeries(list(anchors.values()), crs=WEB_MERCATOR).to_crs(crs)
        anchor_ll = {c: (float(x), float(y))
                     for c, x, y in zip(anchors, moved.x, moved.y, strict=True)}
    return [LabelSpot(code=c, lon=float(x), lat=float(y), min_zoom=z,
                      anchor=anchor_ll.get(c))
            for c, x, y, (_p, z) in zip(codes, lonlat.x, lonlat.y, chosen, strict=True)]


def _box(centre: Point, size_px: tuple[float, float], mpp: float) -> BaseGeometry:
    """The label box in EPSG:3857 metres at a scale of `mpp` metres per pixel."""
    return box(*_rect(centre, size_px, mpp))


Rect = tuple[float, float, float, float]


def _rect(centre: Point, size_px: tuple[float, float], mpp: float) -> Rect:
    """The label box's (minx, miny, maxx, maxy) in EPSG:3857 metres at `mpp` metres per pixel
    (plain numbers: thousands of these are compared per plan)."""
    w, h = size_px[0] * mpp / 2, size_px[1] * mpp / 2
    return (centre.x - w, centre.y - h, centre.x + w, centre.y + h)


def _hit(a: Rect, b: Rect) -> bool:
    """Do two boxes intersect (touching counts, as for shapely's ``intersects``)?"""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _taken(sizes: Mapping[str, tuple[float, float]],
           spots: Mapping[str, tuple[Point, float]], mpp: float,
           blocked: Sequence[tuple[Point, tuple[float, float]]],
           anchors: Mapping[str, Point]) -> tuple[list[Rect], list[LineString]]:
    """What a new label may not cover at this scale (EPSG:3857): the boxes placed and the
    obstacles, and the leader lines."""
    rects = [_rect(pt, sizes[c], mpp) for c, (pt, _z) in spots.items()]
    rects += [_rect(pt, size, mpp) for pt, size in blocked]
    lines = [_leader(a, _box(spots[c][0], sizes[c], mpp)) for c, a in anchors.items()
             if c in spots]
    return rects, lines


def _free(candidate: Rect, rects: Sequence[Rect], lines: Sequence[LineString]) -> bool:
    if any(_hit(candidate, r) for r in rects):
        return False
    return not lines or not any(box(*candidate).intersects(ln) for ln in lines)


def _first_free(code: str, pole: Point, shape: BaseGeometry,
                sizes: Mapping[str, tuple[float, float]],
                spots: Mapping[str, tuple[Point, float]], mpp: float,
                blocked: Sequence[tuple[Point, tuple[float, float]]] = (),
                anchors: Mapping[str, Point] | None = None) -> Point | None:
    """The first candidate around `pole` whose centre lies in `shape` and whose box, at this
    scale, overlaps none of the boxes already placed (nor a `blocked` box, nor a leader
    line)."""
    w_px, h_px = sizes[code]
    rects, lines = _taken(sizes, spots, mpp, blocked, anchors or {})
    for dx, dy in OFFSETS:
        centre = Point(pole.x + dx * w_px * mpp * 0.6, pole.y + dy * h_px * mpp * 1.1)
        if shape.contains(centre) and _free(_rect(centre, sizes[code], mpp), rects, lines):
            return centre
    return None


def _leader_spot(code: str, pole: Point, shape: BaseGeometry,
                 sizes: Mapping[str, tuple[float, float]],
                 spots: Mapping[str, tuple[Point, float]], mpp: float,
                 blocked: Sequence[tuple[Point, tuple[float, float]]],
                 anchors: Mapping[str, Point], leader_px: float,
                 frame: BaseGeometry) -> tuple[Point, Point] | None:
    """(label centre, anchor) for a label outside its town: the nearest free box (within
    `frame`, the towns' extent) whose leader line from a free point well inside `shape`
    (``LEADER_GAP_PX`` in from the edge, not under anything) is at most `leader_px` long and
    crosses nothing."""
    w_px, h_px = sizes[code]
    rects, lines = _taken(sizes, spots, mpp, blocked, anchors)
    others: list[BaseGeometry] = [box(*r) for r in rects] + list(lines)
    inner: BaseGeometry = shape.buffer(-LEADER_GAP_PX * mpp)
    if inner.is_empty:
        inner = shape
    step = 4.0 * mpp
    minx, miny, maxx, maxy = inner.bounds
    xs = np.arange(minx, maxx + step, step)
    ys = np.arange(miny, maxy + step, step)
    grid = shapely.points(*(a.ravel() for a in np.meshgrid(xs, ys)))
    grid = grid[shapely.contains(inner, grid)]
    if others:
        taken = shapely.union_all([o.buffer(2.0 * mpp) for o in others])
        grid = grid[~shapely.intersects(taken, grid)]
    if not len(grid):
        return None
    reach = leader_px * mpp
    half = min(w_px, h_px) / 2
    for r_px in np.arange(half, leader_px + max(w_px, h_px), 4.0):
        for angle in LEADER_ANGLES:
            rad = math.radians(angle)
            centre = Point(pole.x + r_px * mpp * math.cos(rad),
                           pole.y + r_px * mpp * math.sin(rad))
            rect = _rect(centre, sizes[code], mpp)
            if not frame.contains(box(*rect)) or not _free(rect, rects, lines):
                continue
            label = box(*rect)
            dist = shapely.distance(label, grid)
            ok = (dist >= LEADER_GAP_PX * mpp) & (dist <= reach)
            for i in np.argsort(np.where(ok, dist, np.inf))[:8]:
                if not ok[i]:
                    break
                anchor = cast(Point, grid[i])
                line = _leader(anchor, label)
                if not any(o.intersects(line) for o in others):
                    return centre, anchor
    return None
