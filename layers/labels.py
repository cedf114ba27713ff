"""Town label placement without collisions.

Each town's name (and, optionally, a count badge under it) is a box of fixed size in screen
pixels. Boxes are placed in Web-Mercator pixel space (EPSG:3857 scaled to a zoom level) at the
town's pole of inaccessibility, or at a nearby candidate inside the town, greedily from the
largest town down; a label that cannot be placed without overlapping an earlier one at the
map's zoom is tried again at finer zooms, and gets that zoom as its ``min_zoom`` (the map shows
it from there on). A box that does not overlap at zoom z does not overlap at any finer zoom
(distances double per zoom level while boxes keep their pixel size), so one position serves
all zooms from ``min_zoom`` up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import geopandas as gpd
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from geo.crs import require_crs

WEB_MERCATOR = "EPSG:3857"
EARTH_CIRCUMFERENCE_M = 2 * math.pi * 6378137.0
#: candidate offsets around the pole, in box widths/heights (order = preference)
OFFSETS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1),
           (0, 2), (0, -2), (2, 0), (-2, 0))


@dataclass(frozen=True)
class LabelSpot:
    """Where a town's label goes (EPSG:4326 lon/lat of the box centre) and from which zoom it
    is shown."""

    code: str
    lon: float
    lat: float
    min_zoom: float


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


def detail_zooms(spots: Sequence[LabelSpot], sizes: Mapping[str, tuple[float, float]],
                 zoom_steps: Sequence[float]) -> dict[str, float]:
    """For labels already placed (`spots`), the first zoom of `zoom_steps` (absolute) from
    which each one's larger box ``sizes[code]`` (e.g. with its chips row), at the same centre,
    overlaps no other label's larger box; the last step where none is free."""
    merc = gpd.GeoSeries([Point(s.lon, s.lat) for s in spots], crs="EPSG:4326").to_crs(
        WEB_MERCATOR)
    centres = {s.code: Point(x, y) for s, x, y in zip(spots, merc.x, merc.y, strict=True)}
    out = {}
    for s in spots:
        out[s.code] = zoom_steps[-1]
        for z in sorted(z for z in zoom_steps if z >= s.min_zoom):
            mpp = metres_per_pixel(z)
            mine = _box(centres[s.code], sizes[s.code], mpp)
            if not any(mine.intersects(_box(centres[c], sizes[c], mpp))
                       for c in centres if c != s.code):
                out[s.code] = z
                break
    return out


def place_labels(towns: gpd.GeoDataFrame, sizes: Mapping[str, tuple[float, float]],
                 zoom: float, zoom_steps: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0),
                 priority: Mapping[str, float] | None = None,
                 obstacles: Sequence[tuple[float, float, float, float]] = ()
                 ) -> list[LabelSpot]:
    """A spot for every town of `towns` (``code`` column, any declared CRS) whose label box
    (``sizes[code]``: width, height in screen pixels, see `label_size_px`) overlaps no other
    label, shown from the first zoom ``zoom + step`` at which it fits. A town that fits at no
    step gets the last one (labels never overlap at or above their ``min_zoom``). Towns are
    placed in order of `priority` (e.g. their project counts; higher first), then area.
    `obstacles` are things a label must not cover either (e.g. project markers and their
    clusters): ``(lon, lat, width_px, height_px)`` in the towns' CRS."""
    require_crs(towns, "towns")
    merc = towns.to_crs(WEB_MERCATOR)
    rank = [float((priority or {}).get(str(c), 0.0)) for c in merc["code"]]
    merc = merc.assign(_rank=rank, _area=merc.geometry.area).sort_values(
        ["_rank", "_area"], ascending=False)
    codes = [str(c) for c in merc["code"]]
    shapes = dict(zip(codes, merc.geometry, strict=True))
    poles = {c: polylabel(_main_part(g), tolerance=10.0) for c, g in shapes.items()}
    sizes = {c: sizes.get(c, (40.0, 20.0)) for c in codes}
    blocked: list[tuple[Point, tuple[float, float]]] = []
    if len(obstacles):
        pts = gpd.GeoSeries([Point(o[0], o[1]) for o in obstacles], crs=towns.crs).to_crs(
            WEB_MERCATOR)
        blocked = [(Point(x, y), (float(o[2]), float(o[3])))
                   for x, y, o in zip(pts.x, pts.y, obstacles, strict=True)]
    spots: dict[str, tuple[Point, float]] = {}
    for step in zoom_steps:
        z = zoom + step
        mpp = metres_per_pixel(z)
        for code in codes:
            if code not in spots:
                spot = _first_free(code, poles[code], shapes[code], sizes, spots, mpp,
                                   blocked)
                if spot is not None:
                    spots[code] = (spot, z)
    last = zoom + zoom_steps[-1]
    chosen = [spots.get(c, (poles[c], last)) for c in codes]
    lonlat = gpd.GeoSeries([pt for pt, _z in chosen], crs=WEB_MERCATOR).to_crs(
        require_crs(towns, "towns"))
    return [LabelSpot(code=c, lon=float(x), lat=float(y), min_zoom=z)
            for c, x, y, (_p, z) in zip(codes, lonlat.x, lonlat.y, chosen, strict=True)]


def _box(centre: Point, size_px: tuple[float, float], mpp: float) -> BaseGeometry:
    """The label box in EPSG:3857 metres at a scale of `mpp` metres per pixel."""
    w, h = size_px[0] * mpp, size_px[1] * mpp
    return box(centre.x - w / 2, centre.y - h / 2, centre.x + w / 2, centre.y + h / 2)


def _first_free(code: str, pole: Point, shape: BaseGeometry,
                sizes: Mapping[str, tuple[float, float]],
                spots: Mapping[str, tuple[Point, float]], mpp: float,
                blocked: Sequence[tuple[Point, tuple[float, float]]] = ()) -> Point | None:
    """The first candidate around `pole` whose centre lies in `shape` and whose box, at this
    scale, overlaps none of the boxes already placed (nor a `blocked` box)."""
    w_px, h_px = sizes[code]
    others = [_box(pt, sizes[c], mpp) for c, (pt, _z) in spots.items()]
    others += [_box(pt, size, mpp) for pt, size in blocked]
    for dx, dy in OFFSETS:
        centre = Point(pole.x + dx * w_px * mpp * 0.6, pole.y + dy * h_px * mpp * 1.1)
        if shape.contains(centre) and not any(
                o.intersects(_box(centre, sizes[code], mpp)) for o in others):
            return centre
    return None
