"""The base map (`build_map`) and a standalone page of it (`render_html`); no Streamlit here.

The layers come from one module per job: `layers.base` (district, river, towns, the town
highlight), `layers.projects` (project layers from the compact payload of `layers.payload`),
`layers.legend` (legend HTML and the map's CSS), `layers.viewport` (bounds and zoom),
`layers.display` (the basemap's datum), `layers.elements` (folium element overrides) and
`layers.scripts` (the JavaScript in ``layers/js``).

Every builder takes the `Basemap` and passes its data through `for_display`, which converts it
to GCJ-02 when (and only when) the basemap is drawn in GCJ-02 (AMap). Text is escaped in
`layers.style`; data reach the page as JSON, tooltips/popups are bound from those JSON strings,
so nothing from the data is ever pasted into JavaScript source.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd

from geo.codelists import Codelists
from geo.i18n import I18n
from layers.assets import LocalMap
from layers.base import (
    DISTRICT_COLOR,
    RIVER_COLOR,
    modelled_towns,
    outline_layer,
    simplify_for_display,
    town_layer,
)
from layers.basemaps import Basemap
from layers.display import for_display
from layers.elements import FocusWithoutScroll, HtmlOverlay, MapNote, RawScript, figure_of
from layers.legend import legend_html, map_css
from layers.style import esc
from layers.town_map import TOWN_PANE, TOWN_PANE_Z
from layers.town_summary import CSS as TOWN_CSS
from layers.town_summary import zoom_labels
from layers.viewport import ZOOM_SNAP, bounds_of


def build_map(
    district: gpd.GeoDataFrame | None,
    towns: gpd.GeoDataFrame | None,
    river: gpd.GeoDataFrame | None,
    codelists: Codelists,
    tr: I18n,
    basemap: Basemap,
    api_key: str = "",
    legend_categories: Sequence[str] = (),
    highlight: str | None = None,
    summaries: bool = False,
    overlays: bool = True,
) -> folium.Map:
    """The base map (EPSG:4326 inputs): background, district, river, towns, legend; fitted to
    the district (or the towns). Project layers are added separately
    (`layers.projects.project_layers`), so filtering never rebuilds the base map.

    With `summaries` (the app), the towns are not drawn here: the per-town summary layer
    (`layers.town_map`) draws them shaded with their labels, added with the projects; the map
    only gets the label zoom script (`zoom_labels`) and no legend inside (the app shows it
    beside the map, where it never covers a popup).

    Without `overlays` (the app's and the kiosk's maps), what on the map speaks a language or
    follows the filters -- the river's tooltip, the modelled-outline note or the kiosk's
    legend -- is left to `map_overlays`, drawn with the projects: the base map is then the
    same in every language and a language switch never remounts (blanks) the map."""
    m = LocalMap(location=[23.05, 112.45], zoom_start=10, tiles=None, control_scale=True,
                 prefer_canvas=False, zoom_control=True, maxZoom=basemap.max_zoom,
                 minZoom=6, zoomSnap=ZOOM_SNAP, zoomDelta=0.5)
    FocusWithoutScroll().add_to(m)
    for i, tiles in enumerate(basemap.tile_urls(api_key)):
        folium.TileLayer(tiles=tiles, attr=basemap.attribution, name=basemap.key,
                         subdomains=basemap.subdomains, max_zoom=basemap.max_zoom,
                         overlay=i > 0, control=False).add_to(m)
    frame = None
    if district is not None and len(district):
        outline_layer(simplify_for_display(district), basemap, "district",
                      {"color": DISTRICT_COLOR, "weight": 3, "fill": False, "opacity": 0.9,
                       "interactive": False}).add_to(m)
        frame = district
    if river is not None and len(river) and overlays:
        river_layer(river, tr, basemap).add_to(m)
    modelled = modelled_towns(towns)
    if towns is not None and len(towns) and not summaries:
        town_layer(simplify_for_display(towns), tr, basemap, highlight).add_to(m)
    if towns is not None and len(towns):
        frame = frame if frame is not None else towns
    if frame is not None:
        m.fit_bounds(bounds_of(for_display(frame, basemap)))
    if summaries:
        folium.map.CustomPane(TOWN_PANE, z_index=TOWN_PANE_Z, pointer_events=True).add_to(m)
        if overlays:  # only the modelled-outline note stays on the map (small, click-through)
            HtmlOverlay(note_html(tr, modelled), map_css() + TOWN_CSS, "gy-legend").add_to(m)
        else:  # the note comes with `map_overlays`; the CSS stays here
            figure_of(m).header.add_child(
                RawScript(f"<style>\n{map_css() + TOWN_CSS}\n</style>"), name="gy-css")
        zoom_labels(m)
    else:
        legend = legend_html(codelists, tr, legend_categories, modelled, basemap)
        HtmlOverlay(legend, map_css() + TOWN_CSS, "gy-legend").add_to(m)
    return m


def note_html(tr: I18n, modelled: bool) -> str:
    """The map's corner note (id ``gy-legend``): "town outlines are modelled", or empty."""
    note = esc(tr("legend.modelled")) if modelled else ""
    return f'<div class="gy-legend gy-mapnote" id="gy-legend">{note}</div>'


def river_layer(river: gpd.GeoDataFrame, tr: I18n, basemap: Basemap) -> folium.GeoJson:
    """The river line (EPSG:4326 input) with its tooltip in `tr`'s language."""
    return outline_layer(simplify_for_display(river), basemap, "river",
                         {"color": RIVER_COLOR, "weight": 5, "opacity": 0.8},
                         tip=esc(tr("layer.river")))


def map_overlays(river: gpd.GeoDataFrame | None, towns: gpd.GeoDataFrame | None, tr: I18n,
                 basemap: Basemap, legend: str = "") -> folium.FeatureGroup:
    """What a map built with ``overlays=False`` leaves to be drawn with the projects: the
    river with its tooltip, and in the map's corner (id ``gy-legend``) the modelled-outline
    note or, when given, `legend` (one element of escaped HTML: the kiosk's legend), in `tr`'s
    language."""
    group = folium.FeatureGroup(name="overlays", control=False)
    if river is not None and len(river):
        river_layer(river, tr, basemap).add_to(group)
    MapNote(legend or note_html(tr, modelled_towns(towns)), "gy-legend").add_to(group)
    return group


def render_html(m: folium.Map, extra: Sequence[folium.FeatureGroup] = ()) -> str:
    """Standalone HTML of `m` plus `extra` layers (for tests and the static export)."""
    for fg in extra:
        fg.add_to(m)
    return str(m.get_root().render())
