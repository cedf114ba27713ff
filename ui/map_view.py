"""The map: the base map, the project layers of the filtered projects, the town highlight, and
the view (centre and zoom) on the district or the chosen town."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
from streamlit_folium import st_folium

from geo import codelists as gc
from geo.i18n import I18n
from layers.base import town_highlight
from layers.basemaps import Basemap
from layers.display import for_display
from layers.focus import focus_frame, project_highlight
from layers.map import build_map
from layers.projects import project_layers
from layers.viewport import bounds_of, center_of, zoom_for_bounds
from ui.config import api_keys
from ui.data import MapData, features_for
from ui.state import MAP_KEY, on_map_click


def view_of(frame: gpd.GeoDataFrame | None,
            basemap: Basemap) -> tuple[list[float] | None, float | None]:
    """(centre, zoom) that fit `frame`, or (None, None) without one."""
    if frame is None or not len(frame):
        return None, None
    bounds = bounds_of(for_display(frame, basemap))
    return list(center_of(bounds)), zoom_for_bounds(bounds)


def map_view(data: MapData, filtered: gpd.GeoDataFrame, codelists: gc.Codelists, tr: I18n,
             basemap: Basemap, town: str, legend_categories: Sequence[str],
             kiosk: bool, project: str = "",
             view: tuple[tuple[float, ...], int] | None = None) -> None:
    """Draw the map of `filtered` (a click on a town outline opens that town's view). The
    selected `project` is highlighted and fitted (its town, or the district, when it has no
    site); `view` ((lat, lon), zoom), the map's last centre and zoom, wins over both fits."""
    base = build_map(data.district, data.towns, data.river, codelists, tr, basemap,
                     api_key=api_keys().get(basemap.needs_key, ""),
                     legend_categories=legend_categories)
    groups = project_layers(filtered, codelists, tr, basemap,
                            features=features_for(tr.lang, basemap.key))
    frame = data.district if data.district is not None else data.towns
    if town and data.towns is not None:
        groups.append(town_highlight(data.towns, town, basemap))
        frame = data.towns[data.towns["code"] == town]
    if project:
        highlight = project_highlight(data.projects, project, basemap)
        if highlight is not None:
            groups.append(highlight)
        focus = focus_frame(data.projects, project, data.towns, data.district)
        frame = focus if focus is not None else frame
    center, zoom = view_of(frame, basemap)
    if view:
        center, zoom = list(view[0]), float(view[1])
    st_folium(
        base,
        key=MAP_KEY,
        height=720 if kiosk else 600,
        use_container_width=True,
        returned_objects=["last_active_drawing", "last_object_clicked", "center", "zoom"],
        feature_group_to_add=groups,
        center=center,
        zoom=zoom,
        on_change=on_map_click,
    )
