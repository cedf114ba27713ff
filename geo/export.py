"""Downloads of a (filtered) set of projects: GeoJSON and spreadsheet-safe CSV (the app's
downloads and ``python -m geo export --projects``).

Geometry is written as stored: WGS84 (EPSG:4326, lon/lat).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.atomic import write_atomically
from geo.filtering import filter_projects
from geo.loading import DataFileError, load_projects
from geo.paths import PROJECTS_GEOJSON

EXPORT_DROP = ("style",)


def to_geojson(projects: gpd.GeoDataFrame) -> str:
    """FeatureCollection (RFC 7946, EPSG:4326) of `projects`, coordinates as stored."""
    gdf = projects.drop(columns=[c for c in EXPORT_DROP if c in projects.columns])
    data = json.loads(gdf.to_json(na="null", drop_id=True))
    return json.dumps(data, ensure_ascii=False)


def to_csv(projects: gpd.GeoDataFrame) -> str:
    """CSV of `projects`' properties plus ``wkt_wgs84``: the drawn geometry as WKT (EPSG:4326,
    lon/lat). (The registry's own ``geometry_wkt`` column, if present, is kept as it is.)"""
    df = pd.DataFrame(projects.drop(columns="geometry"))
    df["wkt_wgs84"] = projects.geometry.map(lambda g: "" if g is None else g.wkt)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].map(csv_safe)
    return df.to_csv(index=False)


#: a spreadsheet treats a cell starting with one of these as a formula (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """`value` with a leading ``'`` when it is text a spreadsheet would run as a formula
    (starts with ``= + - @``, TAB or CR, also after leading spaces); other values unchanged.
    Numbers stay numbers, so a negative quantity is not touched."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def export_main(args: argparse.Namespace) -> int:
    """CLI: ``python -m geo export --projects out.geojson [--category C ...] [--town CODE ...]``:
    the built projects (``--built``, default data/projects.geojson), filtered as in the app, as
    the app's GeoJSON download (EPSG:4326), written atomically; 0 ok, 1 unreadable/unwritable."""
    source = Path(getattr(args, "built", None) or PROJECTS_GEOJSON)
    try:
        projects = load_projects(source)
    except DataFileError as exc:
        print(f"error: {exc}; run `python -m geo build` first", file=sys.stderr)
        return 1
    chosen = filter_projects(projects, categories=getattr(args, "category", None),
                             towns=getattr(args, "town", None))
    out = Path(args.projects)
    try:
        write_atomically({out: to_geojson(chosen) + "\n"})
    except OSError as exc:
        print(f"error: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 1
    print(f"wrote {len(chosen)} of {len(projects)} projects to {out}")
    return 0
