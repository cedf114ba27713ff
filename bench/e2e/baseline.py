"""What the two baselines share: load the same GeoJSON, filter by category, show the map.

A baseline is what an analyst would write with geopandas, folium and streamlit-folium and no
product: ``gpd.read_file`` in ``st.cache_data``, a category multiselect in the sidebar, the
filtered rows on a folium map through ``st_folium``. To be fair to it:

* it keeps only the columns the app's popup shows (`POPUP_FIELDS`; the app's popup also shows
  quantities when a project has them, which the baselines leave out) -- not the ~40 columns of
  the file, so nothing is sent that no one sees;
* it draws the same projects as the app, one by one: only the placements the app draws
  (`geo.aggregate.placements` ``marker`` and ``shape``); not the district-level ones (precision
  4, placed at the district's centre), which the app counts beside the map, nor the ones known
  only to their town (precision 3), which the app counts in its town summaries (the baseline
  has no such summaries: it receives less than the app for them, which favours the baseline);
* multi-part geometries (MultiPoint, GeometryCollection, ...) are split into their parts, which
  is what one does after folium fails on them (GeometryCollections cannot be bounded, and a
  tooltip on a MultiPoint throws ``t.getElement is not a function`` in Leaflet);
* the map is a `layers.assets.LocalMap` (the same local Leaflet as the app, no tiles, no CDN),
  fitted to the shown rows, with the same height and the same ``returned_objects`` as the app.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import folium
import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo.aggregate import placements
from layers.assets import LocalMap

#: the fields of the app's popup (layers.style.popup_html): titles, category, status and its
#: date, towns, plan reference, evidence, precision, id
POPUP_FIELDS = ["title_zh", "title_en", "category", "status", "status_as_of", "towns_all",
                "plan_ref", "evidence", "precision", "id"]
#: the app's tooltip: title, category, status
TOOLTIP_FIELDS = ["title_zh", "category", "status"]


def data_path() -> Path:
    return Path(os.environ.get("GAOYAO_DATA_DIR", "data")) / "projects.geojson"


@st.cache_data(show_spinner=False)
def load(path: str) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    gdf = gdf[placements(gdf).isin(["marker", "shape"])]  # as the app draws one by one
    gdf = gdf[[*POPUP_FIELDS, gdf.geometry.name]].explode(index_parts=False)
    return gdf.reset_index(drop=True)


def empty_map(shown: gpd.GeoDataFrame) -> folium.Map:
    m = LocalMap(tiles=None, control_scale=True)
    if len(shown):
        minx, miny, maxx, maxy = (float(v) for v in shown.total_bounds)
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def page(make_map: Callable[[gpd.GeoDataFrame], folium.Map]) -> None:
    """The whole baseline page: title, category filter, count, map."""
    st.set_page_config(page_title="baseline", layout="wide")
    st.title("高要区 projects (baseline)")
    gdf = load(str(data_path()))
    categories = sorted(gdf["category"].dropna().unique())
    chosen = st.sidebar.multiselect("category", categories, placeholder="all")
    shown = gdf[gdf["category"].isin(chosen)] if chosen else gdf
    st.caption(f"{len(shown)} features")
    st_folium(make_map(shown), height=600, use_container_width=True,
              returned_objects=["last_active_drawing", "last_object_clicked"])
