"""Which towns a geometry lies in or crosses (spatial join against the town polygons).

The predicate is ``intersects`` (shared boundary points count): a line crossing several towns
lists all of them, and a point exactly on a border between two towns lists both. Results are
in town-code order, each ``{"code": ..., "name_zh": ...}``.

CRS: ``towns_gdf`` and ``gdf`` must carry a CRS (``ValueError`` otherwise, see
``geo.crs.require_crs``); the towns are reprojected to the CRS of the geometries. A bare
shapely geometry passed to :func:`towns_for_geometry` is taken as WGS84 (EPSG:4326).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.crs import WGS84, require_crs


def _town_records(towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    for col in ("code", "name_zh"):
        if col not in towns.columns:
            raise ValueError(f"towns GeoDataFrame needs a {col!r} column")
    t = towns[["code", "name_zh", towns.geometry.name]].copy()
    t["code"] = t["code"].astype(str)
    return t


def towns_for_geometry(geom: BaseGeometry | None, towns_gdf: gpd.GeoDataFrame) -> list[dict]:
    """Towns ``geom`` (EPSG:4326) lies in or crosses, as ``[{"code", "name_zh"}]`` in code order.

    ``None`` or an empty geometry gives ``[]``.
    """
    require_crs(towns_gdf, "towns")
    if geom is None or geom.is_empty:
        return []
    t = _town_records(towns_gdf).to_crs(WGS84)
    hits = t[t.intersects(geom)].sort_values("code")
    return [{"code": c, "name_zh": n} for c, n in zip(hits["code"], hits["name_zh"], strict=True)]


def join_towns(gdf: gpd.GeoDataFrame, towns_gdf: gpd.GeoDataFrame) -> pd.Series:
    """For each row of ``gdf``, the list of towns (dicts, code order) its geometry intersects.

    Vectorised with ``geopandas.sjoin`` (spatial index). Both inputs need a CRS; the towns are
    reprojected to ``gdf``'s CRS. Rows with no or empty geometry get ``[]``. The result is
    indexed like ``gdf``.
    """
    crs = require_crs(gdf, "geometries")
    require_crs(towns_gdf, "towns")
    t = _town_records(towns_gdf).to_crs(crs)
    out: pd.Series = pd.Series([[] for _ in range(len(gdf))], index=gdf.index, dtype=object)
    if len(gdf) == 0:
        return out
    left = gpd.GeoDataFrame({"_row": range(len(gdf))}, geometry=list(gdf.geometry.values),
                            crs=crs)
    left = left[left.geometry.notna() & ~left.geometry.is_empty]
    if len(left) == 0:
        return out
    joined = gpd.sjoin(left, t, how="inner", predicate="intersects")
    joined = joined.sort_values(["_row", "code"])
    lists: dict[int, list[dict]] = {}
    for row, code, name in zip(joined["_row"], joined["code"], joined["name_zh"], strict=True):
        lst = lists.setdefault(int(row), [])
        if not any(d["code"] == code for d in lst):
            lst.append({"code": code, "name_zh": name})
    values = [lists.get(i, []) for i in range(len(gdf))]
    return pd.Series(values, index=gdf.index, dtype=object)
