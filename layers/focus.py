"""The selected project on the map (no Streamlit): what to fit -- the project itself, its
town(s) for a town-level record, the district for a district-wide or unlocated one -- and a
highlight drawn over it."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import shapely

from geo.plain import is_missing
from layers.base import HIGHLIGHT_COLOR, collection, features
from layers.basemaps import Basemap
from layers.display import for_display
from layers.elements import TextGeoJson

#: half-size (degrees) of the box fitted around a point project (about 1.5 km)
POINT_PAD = 0.012


def _project_row(projects: gpd.GeoDataFrame, project_id: str) -> gpd.GeoDataFrame:
    return projects[projects["id"].astype(str) == str(project_id)]


def _towns_of(row: pd.Series, towns: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if towns is None or is_missing(row.get("town_codes")):
        return None
    codes = [c.strip() for c in str(row["town_codes"]).split(";") if c.strip()]
    hit = towns[towns["code"].astype(str).isin(codes)]
    return None if hit.empty else hit


def focus_frame(projects: gpd.GeoDataFrame, project_id: str, towns: gpd.GeoDataFrame | None,
                district: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The frame (EPSG:4326) the map should fit for the selected project, or None (unknown
    id). Precision 3 (town level) fits its town(s); 4 and 9 (district-wide, not located) the
    district; any other the project's own geometry (a point with a small margin)."""
    hit = _project_row(projects, project_id)
    if hit.empty:
        return None
    row = hit.iloc[0]
    precision = int(row["precision"]) if not is_missing(row.get("precision")) else 9
    geom = row.geometry
    if precision == 3:
        return _towns_of(row, towns) if _towns_of(row, towns) is not None else hit
    if precision in (4, 9) or geom is None or geom.is_empty:
        return district
    if geom.geom_type == "Point":
        box = shapely.box(geom.x - POINT_PAD, geom.y - POINT_PAD, geom.x + POINT_PAD,
                          geom.y + POINT_PAD)
        return gpd.GeoDataFrame(geometry=[box], crs=hit.crs)
    return hit


def project_highlight(projects: gpd.GeoDataFrame, project_id: str,
                      basemap: Basemap) -> folium.FeatureGroup | None:
    """A FeatureGroup marking the selected project (a halo ring on points, a wide highlight
    band on lines and outlines), or None when it has no drawn geometry."""
    hit = _project_row(projects, project_id)
    if hit.empty or hit.geometry.iloc[0] is None or hit.geometry.iloc[0].is_empty:
        return None
    if str(hit.iloc[0].get("precision")) == "4":  # district-wide records are never drawn
        return None
    shown = for_display(hit, basemap)
    fg = folium.FeatureGroup(name="selected", show=True)
    geom = shown.geometry.iloc[0]
    points = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Point"]
    for p in points:
        folium.CircleMarker([p.y, p.x], radius=16, color=HIGHLIGHT_COLOR, weight=5,
                            fill=False, interactive=False).add_to(fg)
    if len(points) != len(getattr(geom, "geoms", [geom])) or not points:
        style = {"color": HIGHLIGHT_COLOR, "weight": 10, "opacity": 0.8, "fill": False}
        feats = [f for f in features(geom, {"style": style})
                 if f["geometry"]["type"] != "Point"]
        if feats:
            TextGeoJson(collection(feats), name="selected", control=False,
                        interactive=False).add_to(fg)
    return fg
