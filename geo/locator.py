"""A small locator map: one town highlighted among the district's towns, as inline SVG.

Rendered in Python from the same geometries as the map (no browser, no tiles), for the printed
town brief. Geometries are projected to UTM 49N (EPSG:32649) so that the shape is true to scale;
the SVG's user units are pixels (north up, y flipped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geo.crs import METRIC, require_crs
from geo.escape import esc

HIGHLIGHT_FILL = "#E69F00"
TOWN_FILL = "#f2f2ee"
TOWN_STROKE = "#8a8a8a"
RIVER_STROKE = "#4a90c2"


def _rings(geom: BaseGeometry) -> Iterable:
    """Exterior and interior rings of a (multi)polygon."""
    for poly in getattr(geom, "geoms", [geom]):
        if poly.geom_type != "Polygon":
            continue
        yield poly.exterior
        yield from poly.interiors


def _lines(geom: BaseGeometry) -> Iterable:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "LineString":
            yield part


def _path(coords: Iterable[tuple[float, float]],
          to_px: Callable[[float, float], tuple[float, float]], close: bool) -> str:
    points = [to_px(x, y) for x, y in coords]
    d = "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return d + ("Z" if close else "")


def locator_svg(towns: gpd.GeoDataFrame, code: str, width_px: int = 240,
                river: gpd.GeoDataFrame | None = None, title: str = "") -> str:
    """An ``<svg>`` element `width_px` wide showing every town of `towns` (``code`` column,
    any declared CRS) with town `code` filled, and the river (optional) on top.

    Raises ValueError for a frame without CRS or an unknown `code`."""
    require_crs(towns, "towns")
    metric = towns.to_crs(METRIC)
    if code not in set(metric["code"].astype(str)):
        raise ValueError(f"locator: no town with code {code!r}")
    minx, miny, maxx, maxy = metric.total_bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = width_px / (maxx - minx)
    height_px = round((maxy - miny) * scale)

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - minx) * scale, (maxy - y) * scale

    parts = []
    for town_code, geom in zip(metric["code"].astype(str), metric.geometry, strict=True):
        d = " ".join(_path(ring.coords, to_px, close=True) for ring in _rings(geom))
        fill = HIGHLIGHT_FILL if town_code == code else TOWN_FILL
        parts.append(f'<path d="{d}" fill="{fill}" stroke="{TOWN_STROKE}" '
                     f'stroke-width="0.6" data-code="{esc(town_code)}"/>')
    if river is not None and len(river):
        require_crs(river, "river")
        clip = metric.geometry.union_all().buffer(pad)
        for geom in river.to_crs(METRIC).geometry.intersection(clip):
            for line in _lines(geom):
                parts.append(f'<path d="{_path(line.coords, to_px, close=False)}" fill="none" '
                             f'stroke="{RIVER_STROKE}" stroke-width="1.6"/>')
    label = f"<title>{esc(title)}</title>" if title else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="locator" width="{width_px}" '
            f'height="{height_px}" viewBox="0 0 {width_px} {height_px}" role="img">'
            f'{label}{"".join(parts)}</svg>')
