"""The base layers: town outlines and labels, the selected town's highlight, the district and
river outlines, and their simplification for display (EPSG:4326 in)."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.i18n import I18n
from layers.basemaps import Basemap
from layers.display import display_geometry, for_display, parts, records
from layers.elements import TextGeoJson
from layers.scripts import js
from layers.style import esc

TOWN_COLOR = "#555555"
HIGHLIGHT_COLOR = "#ffb300"
RIVER_COLOR = "#4a90c2"
DISTRICT_COLOR = "#222222"
#: outlines (district, towns, river) are simplified by this many metres for display
DISPLAY_TOLERANCE_M = 10.0

Feature = dict[str, Any]


def feature(geom: BaseGeometry, props: dict[str, Any]) -> Feature:
    """A GeoJSON feature of `geom` (coordinates rounded for display) with `props`."""
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(display_geometry(geom)),  # type: ignore[arg-type]
        "properties": props,
    }


def features(geom: BaseGeometry | None, props: dict[str, Any]) -> list[Feature]:
    """One feature per part of a GeometryCollection (folium cannot bound those), else one."""
    if geom is None or geom.is_empty:
        return []
    return [feature(g, props) for g in parts(geom) if not g.is_empty]


def collection(feats: list[Feature]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": feats}


def town_layer(
    towns: gpd.GeoDataFrame, tr: I18n, basemap: Basemap, highlight: str | None = None
) -> folium.FeatureGroup:
    """Town outlines (EPSG:4326 in) labelled with their names; modelled outlines dashed.

    Each feature carries ``town_code`` so a click on it (st_folium ``last_active_drawing``)
    names the town. `highlight` (a code) is drawn thicker in the highlight colour."""
    shown = for_display(towns, basemap)
    feats = []
    for props in records(shown):
        modelled = str(props.get("boundary_source", "modelled")) != "official"
        code = str(props.get("code", ""))
        name = props.get("name_zh") if tr.lang == "zh" else props.get("name_en")
        style: dict[str, Any] = {
            "color": TOWN_COLOR, "weight": 1.2, "opacity": 0.8, "fillColor": TOWN_COLOR,
            "fillOpacity": 0.02, "dashArray": "4 4" if modelled else None,
            "className": "gy-town"}
        if highlight and code == highlight:
            style.update(color=HIGHLIGHT_COLOR, weight=4, opacity=1.0, fillOpacity=0.08,
                         fillColor=HIGHLIGHT_COLOR)
        feats += features(props["geometry"], {
            "town_code": code, "style": style,
            "label": esc(name or props.get("name_zh") or code),
        })
    labels = []
    for row in records(shown):
        geom: BaseGeometry | None = row["geometry"]
        if geom is None or geom.is_empty:
            continue
        spot = geom.representative_point()
        lon, lat = row.get("seat_lon"), row.get("seat_lat")
        if (basemap.crs_datum == "wgs84" and isinstance(lon, float) and isinstance(lat, float)
                and lon == lon and lat == lat):
            seat_pt = shapely.Point(lon, lat)
            spot = seat_pt if geom.covers(seat_pt) else spot
        name = row["name_zh"] if tr.lang == "zh" else row.get("name_en", row["name_zh"])
        labels.append(feature(spot, {"label": esc(name)}))
    fg = folium.FeatureGroup(name=esc(tr("layer.towns")), show=True)
    TextGeoJson(collection(feats), name="towns", control=False).add_to(fg)
    TextGeoJson(collection(labels), name="town_labels", control=False,
                point_to_layer=js("town_label")).add_to(fg)
    return fg


def town_highlight(towns: gpd.GeoDataFrame, code: str, basemap: Basemap) -> folium.FeatureGroup:
    """A FeatureGroup with only the outline of town `code` (thick, highlight colour)."""
    shown = for_display(towns[towns["code"].astype(str) == str(code)], basemap)
    style = {"color": HIGHLIGHT_COLOR, "weight": 5, "opacity": 1.0, "fill": False}
    feats = [f for g in shown.geometry for f in features(g, {"style": style})]
    fg = folium.FeatureGroup(name="highlight", show=True)
    TextGeoJson(collection(feats), name="highlight", control=False,
                interactive=False).add_to(fg)
    return fg


def outline_layer(gdf: gpd.GeoDataFrame, basemap: Basemap, name: str, style: dict[str, Any],
                  tip: str = "") -> folium.GeoJson:
    """A non-interactive outline (district, river) from `gdf` (EPSG:4326); `tip` is escaped
    HTML shown on hover."""
    shown = for_display(gdf, basemap)
    feats = [f for g in shown.geometry for f in features(g, {"style": style, "tip": tip})]
    return TextGeoJson(collection(feats), name=name, control=False,
                       on_each_feature=js("outline_tip") if tip else None)


class _SimplifiedCache:
    """Simplified geometries by (tolerance, CRS, WKB of every geometry); at most 32 kept."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.items: dict[tuple[Any, ...], gpd.GeoSeries] = {}

    def get(self, key: tuple[Any, ...]) -> gpd.GeoSeries | None:
        return self.items.get(key)

    def put(self, key: tuple[Any, ...], value: gpd.GeoSeries) -> None:
        if len(self.items) > self.size:
            self.items.clear()
        self.items[key] = value


_SIMPLIFIED = _SimplifiedCache()


def simplify_for_display(gdf: gpd.GeoDataFrame,
                         tolerance_m: float = DISPLAY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """`gdf` (EPSG:4326) with its geometries simplified by `tolerance_m` metres (measured in
    EPSG:32649, topology preserved) for drawing only: a town outline loses most of its
    vertices but moves by at most `tolerance_m` (below a pixel at district and town zoom).
    Memoised by geometry content, so the base map of every rerun reuses the result. Never use
    the result for membership tests (those use the stored outlines)."""
    if gdf.crs is None:
        raise ValueError("GeoDataFrame without CRS (expected EPSG:4326)")
    if tolerance_m <= 0 or len(gdf) == 0:
        return gdf
    geoms = gdf.geometry
    wkb = shapely.to_wkb(geoms.values)
    key = (tolerance_m, str(gdf.crs), tuple(b"" if w is None else w for w in wkb))
    hit = _SIMPLIFIED.get(key)
    if hit is None:
        metric = geoms.to_crs(32649)
        hit = metric.simplify(tolerance_m, preserve_topology=True).to_crs(gdf.crs)
        _SIMPLIFIED.put(key, hit)
    return gdf.set_geometry(hit.values, crs=gdf.crs)


def modelled_towns(towns: gpd.GeoDataFrame | None) -> bool:
    """True when any town outline is modelled (not an official boundary)."""
    if towns is None or not len(towns):
        return False
    return bool((towns.get("boundary_source", pd.Series(["modelled"])) != "official").any())
