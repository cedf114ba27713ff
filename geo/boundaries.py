"""Loaders for the 高要区 boundary layers (district, towns, Xi River), all returned in EPSG:4326.

Default files live in ``data/boundaries/`` (found relative to this module, not the working
directory) and are produced by ``python -m prep.boundaries``:

* ``district.geojson`` - 1 feature, the district outline (AMap, GCJ-02 converted to WGS84);
* ``towns.geojson`` - 17 town polygons, **modelled** (power diagram of the town seats fitted to
  published areas), ``boundary_source == "modelled"``;
* ``xijiang.geojson`` - the Xi River centre line.

Official town boundaries (drop-in)
----------------------------------
:func:`load_towns` prefers an official town file when one is configured:

1. the environment variable ``GAOYAO_OFFICIAL_TOWNS`` (path to any GeoPackage / GeoJSON /
   Shapefile / FlatGeobuf readable by pyogrio), else
2. the first existing file among ``data/boundaries/official/towns.gpkg``, ``towns.geojson``,
   ``towns.json``, ``towns.shp``, ``towns.fgb`` (in that order),
3. else the modelled ``data/boundaries/towns.geojson``.

An official file must declare its CRS (a Shapefile without ``.prj`` is rejected; GeoJSON is
WGS84 by definition, RFC 7946). CGCS2000 (EPSG:4490) is treated as WGS84 (< 1 m here, see
:mod:`geo.crs`); projected CRSs are reprojected. Each feature is matched to one of the 17 units
by statistical code (9-digit ``441204xxx`` or 12-digit ``441204xxx000``, also with the
Tianditu ``156`` prefix) or by name (``金利镇`` or ``金利``; ``南岸街道``/``南岸``). Features of
the same unit are dissolved. Any unmatched feature, missing unit, unreadable file or missing CRS
raises :class:`BoundaryError` (a ``ValueError``) naming the file and the feature; the app is
expected to catch it, show a notice and fall back to :func:`load_modelled_towns`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import METRIC, WGS84, require_crs, to_wgs84
from geo.paths import BOUNDARY_DIR

DISTRICT_PATH = BOUNDARY_DIR / "district.geojson"
TOWNS_PATH = BOUNDARY_DIR / "towns.geojson"
RIVER_PATH = BOUNDARY_DIR / "xijiang.geojson"
OFFICIAL_DIR = BOUNDARY_DIR / "official"
OFFICIAL_ENV = "GAOYAO_OFFICIAL_TOWNS"
OFFICIAL_EXTENSIONS = (".gpkg", ".geojson", ".json", ".shp", ".fgb")

#: The 17 township-level units of 高要区 (2021 statistical division codes), in code order.
TOWN_UNITS: dict[str, str] = {
    "441204001": "南岸街道",
    "441204100": "河台镇",
    "441204101": "乐城镇",
    "441204102": "水南镇",
    "441204103": "禄步镇",
    "441204105": "小湘镇",
    "441204106": "大湾镇",
    "441204107": "新桥镇",
    "441204108": "白诸镇",
    "441204109": "莲塘镇",
    "441204110": "活道镇",
    "441204111": "蛟塘镇",
    "441204112": "回龙镇",
    "441204113": "白土镇",
    "441204114": "金渡镇",
    "441204115": "金利镇",
    "441204116": "蚬岗镇",
}

#: Columns of towns.geojson (and of every town GeoDataFrame returned here), before geometry.
TOWN_COLUMNS: tuple[str, ...] = (
    "code", "name_zh", "name_en", "seat_lon", "seat_lat", "seat_source", "xijiang_side",
    "boundary_source", "boundary_method", "area_km2", "area_target_km2", "area_published_km2",
    "area_source_url",
)

_SUFFIXES = ("街道办事处", "街道办", "街道", "镇")
_CODE_RE = re.compile(r"^(?:156)?(441204\d{3})(?:000)?$")


class BoundaryError(ValueError):
    """A boundary file is missing, unreadable, has no CRS or does not match the 17 units.

    The app catches this, shows a notice and falls back to the modelled towns.
    """


# ----------------------------------------------------------------------------------------------
def _read(path: Path) -> gpd.GeoDataFrame:
    """Read a vector file with pyogrio; CRS must be declared; returned in EPSG:4326."""
    path = Path(path)
    if not path.exists():
        raise BoundaryError(f"boundary file not found: {path}")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types
        raise BoundaryError(f"cannot read boundary file {path}: {exc}") from exc
    if gdf.crs is None:
        raise BoundaryError(
            f"boundary file {path} has no CRS (e.g. a Shapefile without .prj); declare it - "
            "coordinates are never assumed to be WGS84"
        )
    require_crs(gdf, str(path))
    return to_wgs84(gdf)


def _require_geoms(gdf: gpd.GeoDataFrame, path: Path, types: tuple[str, ...]) -> None:
    """At least one feature, and every geometry present, non-empty and of one of ``types``."""
    if len(gdf) == 0:
        raise BoundaryError(f"{path}: no features")
    for idx, geom in zip(gdf.index, gdf.geometry, strict=True):
        if geom is None or geom.is_empty or geom.geom_type not in types:
            kind = "empty" if geom is None or geom.is_empty else geom.geom_type
            raise BoundaryError(f"{path}: feature {idx} is {kind}, expected {'/'.join(types)}")


def load_district(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """District outline (1 feature), EPSG:4326. Default: data/boundaries/district.geojson."""
    p = Path(path) if path else DISTRICT_PATH
    gdf = _read(p)
    _require_geoms(gdf, p, ("Polygon", "MultiPolygon"))
    return gdf


def load_river(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Xi River (西江) centre line, EPSG:4326. Default: data/boundaries/xijiang.geojson."""
    p = Path(path) if path else RIVER_PATH
    gdf = _read(p)
    _require_geoms(gdf, p, ("LineString", "MultiLineString"))
    return gdf


def load_modelled_towns(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """The 17 towns from a towns.geojson-schema file (default: the modelled one), EPSG:4326.

    Codes are strings; rows are sorted by code; columns are :data:`TOWN_COLUMNS` + geometry.
    """
    p = Path(path) if path else TOWNS_PATH
    gdf = _read(p)
    missing = [c for c in TOWN_COLUMNS if c not in gdf.columns]
    if missing:
        raise BoundaryError(f"{p}: missing columns {missing}")
    gdf["code"] = gdf["code"].astype(str)
    if sorted(gdf["code"]) != sorted(TOWN_UNITS):
        raise BoundaryError(f"{p}: codes {sorted(gdf['code'])} are not the 17 units")
    _require_geoms(gdf, p, ("Polygon", "MultiPolygon"))
    gdf = gdf.sort_values("code").reset_index(drop=True)
    return gdf[[*TOWN_COLUMNS, "geometry"]]


def official_towns_path() -> Path | None:
    """The configured official towns file (env var, then data/boundaries/official/), or None.

    Raises :class:`BoundaryError` when ``GAOYAO_OFFICIAL_TOWNS`` names a missing file.
    """
    env = os.environ.get(OFFICIAL_ENV, "").strip()
    if env:
        p = Path(env).expanduser()
        if not p.exists():
            raise BoundaryError(f"{OFFICIAL_ENV}={env} does not exist")
        return p
    for ext in OFFICIAL_EXTENSIONS:
        p = OFFICIAL_DIR / f"towns{ext}"
        if p.exists():
            return p
    return None


def load_towns(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """The 17 town polygons, EPSG:4326, columns :data:`TOWN_COLUMNS` + geometry.

    With ``path``: that file, in the towns.geojson schema. Without: the official file when one
    is configured (see :func:`official_towns_path`, loaded with :func:`load_official_towns`),
    else the modelled towns. A broken official file raises :class:`BoundaryError` - it is
    never silently replaced; the caller decides to fall back (``load_modelled_towns()``).
    """
    if path is not None:
        return load_modelled_towns(path)
    official = official_towns_path()
    if official is not None:
        return load_official_towns(official)
    return load_modelled_towns()


# ----------------------------------------------------------------------------------------------
def _norm_code(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = str(value).strip()
    if s.endswith(".0"):
        s = s[:-2]
    m = _CODE_RE.match(s)
    return m.group(1) if m and m.group(1) in TOWN_UNITS else None


def _strip_suffix(name: str) -> str:
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            return name[: -len(suf)]
    return name


_NAME_INDEX = {_strip_suffix(n): c for c, n in TOWN_UNITS.items()}


def _norm_name(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = re.sub(r"\s+", "", str(value))
    return _NAME_INDEX.get(_strip_suffix(s)) if s else None


def _guess_field(gdf: gpd.GeoDataFrame, fn: Callable[[object], str | None]) -> str | None:
    """Column where most non-empty values normalise with ``fn`` (code or name)."""
    best, best_n = None, 0
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        n = sum(1 for v in gdf[col] if fn(v) is not None)
        if n > best_n:
            best, best_n = col, n
    return best


def load_official_towns(
    path: Path | str, name_field: str | None = None, code_field: str | None = None
) -> gpd.GeoDataFrame:
    """Official town boundaries from any GeoPackage/GeoJSON/Shapefile, in the towns schema.

    ``code_field`` / ``name_field`` name the attribute columns; when omitted they are guessed
    (the column whose values best match the 17 codes / names). A feature is matched by code
    first, then by name (with or without 镇/街道). Returns EPSG:4326 rows sorted by code with
    ``boundary_source = "official"``, ``area_km2`` computed in EPSG:32649, and seat and
    published-area attributes taken from the modelled towns.geojson when available.

    Raises :class:`BoundaryError` for a missing/unreadable file, a missing CRS, an unknown field,
    a feature matching none of the 17 units (named in the message), a missing unit or a
    non-polygonal geometry.
    """
    path = Path(path)
    gdf = _read(path)
    for fld in (name_field, code_field):
        if fld is not None and fld not in gdf.columns:
            raise BoundaryError(f"{path}: no field {fld!r} (fields: {list(gdf.columns)})")
    code_col = code_field or _guess_field(gdf, _norm_code)
    name_col = name_field or _guess_field(gdf, _norm_name)
    if code_col is None and name_col is None:
        raise BoundaryError(f"{path}: no field holds 高要区 town codes or names")

    codes: list[str] = []
    for idx, row in gdf.iterrows():
        code = _norm_code(row[code_col]) if code_col else None
        if code is None and name_col:
            code = _norm_name(row[name_col])
        if code is None:
            label = {c: row[c] for c in (code_col, name_col) if c}
            raise BoundaryError(
                f"{path}: feature {idx} {label} matches none of the 17 units of 高要区"
            )
        geom = row.geometry
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise BoundaryError(f"{path}: feature {idx} ({TOWN_UNITS[code]}) is not a polygon")
        codes.append(code)
    missing = sorted(set(TOWN_UNITS) - set(codes))
    if missing:
        raise BoundaryError(
            f"{path}: no feature for {', '.join(TOWN_UNITS[c] + ' ' + c for c in missing)}"
        )

    geoms = gpd.GeoSeries(shapely.make_valid(gdf.geometry.values), crs=WGS84)
    dissolved = (
        gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=WGS84)
        .dissolve(by="code", as_index=False)
        .sort_values("code")
        .reset_index(drop=True)
    )
    meta = None
    if TOWNS_PATH.exists():
        try:
            meta = load_modelled_towns().drop(columns="geometry").set_index("code")
        except BoundaryError:
            meta = None
    rows = []
    for code in dissolved["code"]:
        m = meta.loc[code] if meta is not None else None
        rows.append({
            "code": code,
            "name_zh": TOWN_UNITS[code],
            "name_en": m["name_en"] if m is not None else None,
            "seat_lon": m["seat_lon"] if m is not None else None,
            "seat_lat": m["seat_lat"] if m is not None else None,
            "seat_source": m["seat_source"] if m is not None else None,
            "xijiang_side": m["xijiang_side"] if m is not None else None,
            "boundary_source": "official",
            "boundary_method": f"official file {path.name}",
            "area_km2": None,
            "area_target_km2": None,
            "area_published_km2": m["area_published_km2"] if m is not None else None,
            "area_source_url": m["area_source_url"] if m is not None else None,
        })
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=dissolved.geometry.values, crs=WGS84)
    out["area_km2"] = (out.to_crs(METRIC).area / 1e6).round(2)
    return out[[*TOWN_COLUMNS, "geometry"]]
