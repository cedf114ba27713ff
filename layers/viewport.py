"""Viewport maths: bounds (Leaflet's lat/lon order), a zoom that fits them, their centre."""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd

ZOOM_SNAP = 0.25


def bounds_of(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    """``[[south, west], [north, east]]`` (lat/lon, Leaflet order) of `gdf`'s geometries."""
    geoms = gpd.GeoSeries(gdf.geometry.dropna())
    minx, miny, maxx, maxy = (float(v) for v in geoms.total_bounds)
    return [[miny, minx], [maxy, maxx]]


def zoom_for_bounds(bounds: Sequence[Sequence[float]], width_px: int = 760,
                    height_px: int = 600, padding_px: int = 20) -> float:
    """Largest Web-Mercator zoom (a multiple of `ZOOM_SNAP`, <= 16) at which `bounds`
    (lat/lon) fit a map of the given size in pixels."""
    (s, w), (n, e) = bounds

    def merc_y(lat: float) -> float:
        r = math.radians(max(min(lat, 85.0), -85.0))
        return math.log(math.tan(math.pi / 4 + r / 2)) / (2 * math.pi)

    dx = max(abs(e - w) / 360.0, 1e-9)
    dy = max(abs(merc_y(n) - merc_y(s)), 1e-9)
    zx = math.log2((width_px - 2 * padding_px) / 256.0 / dx)
    zy = math.log2((height_px - 2 * padding_px) / 256.0 / dy)
    z = math.floor(min(zx, zy) / ZOOM_SNAP) * ZOOM_SNAP
    return float(max(1.0, min(16.0, z)))


def center_of(bounds: Sequence[Sequence[float]]) -> tuple[float, float]:
    """(lat, lon) centre of `bounds`."""
    (s, w), (n, e) = bounds
    return ((s + n) / 2.0, (w + e) / 2.0)


def _merc_y(lat: float) -> float:
    """Web-Mercator y of `lat` (degrees), in world widths (0 at the equator, north up)."""
    r = math.radians(max(min(lat, 85.0), -85.0))
    return math.log(math.tan(math.pi / 4 + r / 2)) / (2 * math.pi)


def _lat_of(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y * 2 * math.pi)) - math.pi / 2)


def fit_beside_corner(bounds: Sequence[Sequence[float]], map_px: tuple[int, int],
                      corner_px: tuple[int, int],
                      padding_px: int = 30) -> tuple[tuple[float, float], float]:
    """((lat, lon) map centre, zoom) that fit `bounds` (lat/lon, Leaflet order) into a map of
    `map_px` (width, height) pixels without the box of `corner_px` (width, height) in its
    top-right corner (e.g. a legend): left of it or under it, whichever allows the larger
    Web-Mercator zoom (a multiple of `ZOOM_SNAP`)."""
    (s, w), (n, e) = bounds
    width, height = map_px
    cw, ch = corner_px
    left = zoom_for_bounds(bounds, width - cw, height, padding_px)
    below = zoom_for_bounds(bounds, width, height - ch, padding_px)
    zoom = max(left, below)
    dx, dy = (cw / 2.0, 0.0) if left >= below else (0.0, ch / 2.0)  # px, map centre - frame's
    world = 256.0 * 2.0 ** zoom
    x = ((w + e) / 2.0 + 180.0) / 360.0 + dx / world
    y = (_merc_y(s) + _merc_y(n)) / 2.0 + dy / world
    return (_lat_of(y), x * 360.0 - 180.0), zoom
