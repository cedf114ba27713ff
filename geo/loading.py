"""Reading the built data for the app: ``projects.geojson`` and the boundary/river layers.

GeoDataFrames in EPSG:4326 (lon/lat); any other CRS, a missing CRS or an unreadable file is a
`DataFileError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.schema import COMPUTED, NUMBER_TYPES, TEXT_TYPES, load_schema


def text_columns() -> tuple[str, ...]:
    """Columns read as text ('' when blank): the registry's text columns and the build's."""
    return (*load_schema().names(*TEXT_TYPES),
            *(name for name, kind in COMPUTED.items() if kind in ("text", "list")))


def number_columns() -> tuple[str, ...]:
    """Columns read as float (NaN when blank): the registry's numbers and the build's measures
    (km, km²)."""
    return (*load_schema().names(*NUMBER_TYPES),
            *(name for name, kind in COMPUTED.items() if kind == "float"))


class DataFileError(ValueError):
    """A data file the app needs is missing, unreadable, or has no/the wrong CRS."""


def _read(path: Path | str) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types
        raise DataFileError(f"{path}: not readable as GeoJSON ({exc})") from exc
    if gdf.crs is None:
        raise DataFileError(f"{path}: has no CRS (expected EPSG:4326)")
    if gdf.crs.to_epsg() != 4326:
        raise DataFileError(f"{path}: CRS is {gdf.crs.to_string()}, expected EPSG:4326")
    return gdf


def load_layer(path: Path | str) -> gpd.GeoDataFrame:
    """Read a boundary/river GeoJSON (EPSG:4326). Raises DataFileError naming the file."""
    gdf = _read(path)
    if gdf.geometry.isna().all() or not gdf.geometry.is_valid.all():
        gdf = gdf.copy()
        gdf["geometry"] = gdf.geometry.make_valid()
    return gdf


def load_projects(path: Path | str) -> gpd.GeoDataFrame:
    """Read the built ``projects.geojson`` (EPSG:4326) and normalise its columns.

    Text columns become ``str`` ('' when blank), quantities ``float`` (NaN when blank),
    ``precision`` ``int`` (9 when missing). Features without geometry (precision 9) are kept.
    Raises DataFileError naming the file when it is missing, unreadable, or not EPSG:4326,
    or when it lacks ``id``/``category``/``status``."""
    gdf = _read(path)
    missing = [c for c in ("id", "category", "status") if c not in gdf.columns]
    if missing:
        raise DataFileError(f"{path}: missing properties {missing}")
    gdf = gdf.copy()
    for col in text_columns():
        if col not in gdf.columns:
            gdf[col] = ""
        gdf[col] = gdf[col].map(lambda v: "" if v is None or v != v else str(v)).astype(object)
    for col in number_columns():
        if col not in gdf.columns:
            gdf[col] = float("nan")
        gdf[col] = pd.to_numeric(gdf[col], errors="coerce").astype(float)
    precision = gdf["precision"] if "precision" in gdf.columns else pd.Series(9, index=gdf.index)
    gdf["precision"] = pd.to_numeric(precision, errors="coerce").fillna(9).astype(int)
    if "inside_district" not in gdf.columns:
        gdf["inside_district"] = True
    return gdf.reset_index(drop=True)
