"""Downloads of a (filtered) set of projects: GeoJSON, spreadsheet-safe CSV and GeoPackage (the
app's downloads and ``python -m geo export --projects``).

Geometry is written as stored (WGS84, EPSG:4326, lon/lat) except for projects with no position
finer than the district (precision 4 "somewhere in 高要区" and 9 "not geocoded"): those get a
null geometry (RFC 7946 allows it), an empty WKT and no lon/lat, never the district's reference
point. ``inside_district`` is a boolean (empty where there is no geometry).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import cast

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.atomic import write_atomically
from geo.filtering import filter_projects
from geo.loading import DataFileError, load_projects
from geo.paths import PROJECTS_GEOJSON, SCHEMA_DIR

EXPORT_DROP = ("style",)
#: precision codes of projects exported WITHOUT geometry: 4 = only "somewhere in the district"
#: (the map's district reference point is not their position), 9 = not geocoded
NO_GEOMETRY_PRECISIONS = frozenset({4, 9})
EXPORT_HEADERS_CSV = SCHEMA_DIR / "export_headers.csv"
#: UTF-8 byte order mark: Excel on zh-CN Windows reads a CSV without it as GBK (mojibake)
BOM = "\ufeff"


def export_frame(projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`projects` as exported: display-only columns dropped, the registry's columns first in
    their schema order, null geometry for precision 4/9, ``inside_district`` a nullable boolean
    (EPSG:4326 kept)."""
    gdf = projects.drop(columns=[c for c in EXPORT_DROP if c in projects.columns]).copy()
    prec = pd.to_numeric(gdf.get("precision", pd.Series(9, index=gdf.index)),
                         errors="coerce").fillna(9).astype(int)
    hide = prec.isin(NO_GEOMETRY_PRECISIONS).to_numpy()
    geoms = [None if h or g is None or g.is_empty else g
             for h, g in zip(hide, gdf.geometry, strict=True)]
    gdf = gdf.set_geometry(gpd.GeoSeries(cast("list[BaseGeometry]", geoms), index=gdf.index,
                                         crs=projects.crs))
    if "inside_district" in gdf.columns:
        flags = [None if g is None else _flag(v)
                 for g, v in zip(geoms, gdf["inside_district"], strict=True)]
        gdf["inside_district"] = pd.array(flags, dtype="boolean")
    known = [c for c in export_headers()["en"] if c in gdf.columns]
    rest = [c for c in gdf.columns if c not in known and c != gdf.geometry.name]
    return gdf[[*known, *rest, gdf.geometry.name]]


def _flag(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def to_geojson(projects: gpd.GeoDataFrame) -> str:
    """FeatureCollection (RFC 7946, EPSG:4326) of `projects`: coordinates as stored, null
    geometry for the projects not placed finer than the district (`export_frame`)."""
    gdf = export_frame(projects)
    data = json.loads(gdf.to_json(na="null", drop_id=True))
    return json.dumps(data, ensure_ascii=False)


@cache
def export_headers() -> dict[str, dict[str, str]]:
    """``{lang: {column: header}}`` from ``data/schema/export_headers.csv`` (zh, en)."""
    with EXPORT_HEADERS_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {lang: {r["name"]: r[lang] for r in rows} for lang in ("zh", "en")}


def to_csv(projects: gpd.GeoDataFrame, lang: str | None = None) -> str:
    """CSV of `projects`' properties plus ``wkt_wgs84``: the geometry as WKT (EPSG:4326,
    lon/lat; empty for precision 4/9), with ``lon``/``lat`` filled from a Point geometry.
    Headers are the column codes (`lang` None) or Chinese/English headers (`lang` zh/en).
    (The registry's own ``geometry_wkt`` column, if present, is kept as it is.)"""
    gdf = export_frame(projects)
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    points = gdf.geometry.map(lambda g: g if g is not None and g.geom_type == "Point" else None)
    for col, attr in (("lon", "x"), ("lat", "y")):
        own = pd.to_numeric(df[col], errors="coerce") if col in df.columns else None
        drawn = points.map(lambda g, a=attr: None if g is None else getattr(g, a))
        df[col] = drawn if own is None else own.where(own.notna(), drawn)
    df["wkt_wgs84"] = gdf.geometry.map(lambda g: "" if g is None else g.wkt)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].map(csv_safe)
    if lang in ("zh", "en"):
        names = export_headers()[lang]
        df = df.rename(columns={c: names.get(c, c) for c in df.columns})
    return df.to_csv(index=False)


def csv_download(projects: gpd.GeoDataFrame, lang: str) -> bytes:
    """The app's CSV download: UTF-8 with a byte order mark (Excel on zh-CN Windows), headers
    in the UI language."""
    return (BOM + to_csv(projects, lang)).encode("utf-8")


#: GeoPackage layers: one per geometry type (Shapefile and many GIS tools allow one per file)
GPKG_LAYERS: Mapping[str, tuple[str, ...]] = {
    "projects_points": ("Point", "MultiPoint"),
    "projects_lines": ("LineString", "MultiLineString"),
    "projects_areas": ("Polygon", "MultiPolygon"),
}
GPKG_NO_GEOMETRY = "projects_no_geometry"


def geopackage_layers(projects: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The non-empty layers of the GeoPackage export: one per geometry type, each promoted to
    its Multi* type (one type per layer), plus the projects without geometry (precision 4/9)
    as a table with no geometry."""
    gdf = export_frame(projects)
    types = gdf.geometry.map(lambda g: None if g is None else g.geom_type)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name, kinds in GPKG_LAYERS.items():
        part = gdf[types.isin(kinds).to_numpy()]
        if len(part):
            layers[name] = part
    rest = gdf[types.isna().to_numpy()]
    if len(rest):
        layers[GPKG_NO_GEOMETRY] = rest
    return layers


def to_geopackage(projects: gpd.GeoDataFrame) -> bytes:
    """A GeoPackage (EPSG:4326) of `projects`, one layer per geometry type (`GPKG_LAYERS`)
    and a table without geometry for the district-level / not geocoded projects."""
    import pyogrio  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "projects.gpkg"
        for name, layer in geopackage_layers(projects).items():
            frame = _gpkg_frame(layer)
            if name == GPKG_NO_GEOMETRY:
                pyogrio.write_dataframe(pd.DataFrame(frame.drop(columns="geometry")), path,
                                        layer=name, driver="GPKG", append=path.exists(),
                                        **_gpkg_version(path))
            else:
                pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG",
                                        promote_to_multi=True, append=path.exists(),
                                        **_gpkg_version(path))
        return path.read_bytes()


def _gpkg_version(path: Path) -> dict[str, dict[str, str]]:
    """GeoPackage 1.2 (read by every QGIS/GDAL of the last years), set when the file is made."""
    return {} if path.exists() else {"dataset_options": {"VERSION": "1.2"}}


def _gpkg_frame(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Column types a GeoPackage (and a Shapefile made from it) can hold: text as str,
    the nullable boolean as 0/1/empty."""
    out = layer.copy()
    if "inside_district" in out.columns:
        out["inside_district"] = out["inside_district"].astype("Int8")
    for col in out.columns:
        if col != "geometry" and out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out


def file_name(stem: str, ext: str, town: str = "", parts: Iterable[str] = ()) -> str:
    """Download file name ``gaoyao-<stem>[-<town>][-<part>...].<ext>``, e.g.
    ``gaoyao-projects-金利镇-port.csv``: characters unsafe in file names removed (Chinese kept),
    at most 3 filter parts named (``-and-N-more`` after), 120 characters at most."""
    pieces = [p for p in (_safe(x) for x in (town, *parts)) if p]
    head, tail = pieces[:1] if town else [], pieces[1:] if town else pieces
    if len(tail) > 3:
        tail = [*tail[:3], f"and-{len(tail) - 3}-more"]
    name = "-".join(["gaoyao", stem, *head, *tail])[:120].rstrip("-")
    return f"{name}.{ext}"


def ascii_file_name(name: str) -> str:
    """ASCII-only fallback of `name` (for a ``filename=`` header or an old file system)."""
    stem, _, ext = name.rpartition(".")
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"-{2,}", "-", ascii_stem).strip("-") or "gaoyao-projects"
    return f"{ascii_stem}.{ext}"


def _safe(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text)).strip()
    text = re.sub(r'[\\/:*?"<>|\s\x00-\x1f]+', "_", text)
    return text.strip("._-")[:40]


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
    the app's download chosen by the extension (``.gpkg`` GeoPackage, ``.csv`` CSV with BOM and
    column-code headers, else GeoJSON; EPSG:4326), written atomically; 0 ok, 1 unreadable/
    unwritable."""
    source = Path(getattr(args, "built", None) or PROJECTS_GEOJSON)
    try:
        projects = load_projects(source)
    except DataFileError as exc:
        print(f"error: {exc}; run `python -m geo build` first", file=sys.stderr)
        return 1
    chosen = filter_projects(projects, categories=getattr(args, "category", None),
                             towns=getattr(args, "town", None))
    out = Path(args.projects)
    suffix = out.suffix.lower()
    try:
        if suffix == ".gpkg":
            tmp = out.with_name(f".{out.name}.tmp")
            tmp.write_bytes(to_geopackage(chosen))
            tmp.replace(out)
        elif suffix == ".csv":
            write_atomically({out: BOM + to_csv(chosen, getattr(args, "lang", None))})
        else:
            write_atomically({out: to_geojson(chosen) + "\n"})
    except OSError as exc:
        print(f"error: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 1
    print(f"wrote {len(chosen)} of {len(projects)} projects to {out}")
    return 0
