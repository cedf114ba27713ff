"""Data as drawn: coordinates in the basemap's datum, rounded for display."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geo.coords import round_geometry
from layers.basemaps import Basemap

DISPLAY_DECIMALS = 5  # ~1 m: enough for a plan map, 1 byte less per number than 6


def display_geometry(geom: BaseGeometry | None) -> BaseGeometry | None:
    """`geom` rounded to `DISPLAY_DECIMALS` for drawing (`geo.coords.round_geometry`)."""
    return round_geometry(geom, DISPLAY_DECIMALS)


def for_display(gdf: gpd.GeoDataFrame, basemap: Basemap) -> gpd.GeoDataFrame:
    """`gdf` (EPSG:4326) in the datum `basemap` is drawn in: unchanged for WGS84 basemaps,
    converted to GCJ-02 for AMap (for display only -- never store the result)."""
    if gdf.crs is None:
        raise ValueError("GeoDataFrame without CRS (expected EPSG:4326)")
    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    if basemap.crs_datum == "gcj02":
        from geo.crs import gdf_wgs84_to_gcj02

        return gdf_wgs84_to_gcj02(gdf)
    return gdf


def records(gdf: gpd.GeoDataFrame) -> Iterator[dict[str, Any]]:
    """Each row of `gdf` as ``{column: value}`` (the geometry under its column name)."""
    row: Any
    for row in gdf.itertuples(index=False):
        yield row._asdict()


def parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """The parts of a GeometryCollection, or [`geom`]."""
    if geom.geom_type == "GeometryCollection":
        return list(cast(Any, geom).geoms)
    return [geom]
