"""Large mode on the map page (issue 13, "send only what is seen"): above
`layers.inview.LARGE_MIN` drawn projects the map gets only the parts in its current view at
its current zoom (`layers.inview.select`), and reports its bounds and zoom so that a pan or
zoom reruns the map for the new view. Below it nothing changes: every drawn project is sent
once (`layers.projects.project_layers`) and the map does not rerun on pan/zoom.

What was sent is kept for the session (`Served`): a view that it still serves (the same
filtered set and zoom, the view inside the widened view sent, `layers.inview.serves`) gets
the same layers again, so st_folium hands the browser an unchanged map and nothing is
redrawn -- the map's first report of its view, and small pans, cost no selection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, cast

import folium
import geopandas as gpd
import streamlit as st

from geo.aggregate import placements
from geo.codelists import Codelists
from geo.i18n import I18n
from layers.basemaps import Basemap
from layers.display import for_display
from layers.inview import LARGE_MIN, View, select, serves, thin_markers, view_from_bounds
from layers.inview_map import inview_layers
from layers.projects import DRAWN, project_layers
from layers.viewport import bounds_of, zoom_for_bounds
from ui.data import features_for, inview_index_for
from ui.frozen import Frozen
from ui.state import MAP_KEY

#: the st_folium returned objects large mode needs (a pan/zoom reruns with the new view)
VIEW_OBJECTS = ["bounds", "zoom"]
#: above this many markers the town labels are placed around one obstacle per cluster cell
LABEL_THIN_MIN = 200
#: session-state key: what the last large-mode render sent (for tests and the benchmark)
SENT_KEY = "gy_inview_sent"
#: session-state key: the last large-mode layers and what they serve (`Served`)
SERVED_KEY = "gy_inview_served"


class ProjectGroups(NamedTuple):
    """The project layers of this run and the st_folium returned objects they need."""

    groups: list[folium.FeatureGroup]
    returned: list[str]


@dataclass(frozen=True, eq=False)
class Served:
    """Large-mode layers sent for `view` of the frame `filtered` (held, so that identity
    tells the same frame: a run of the map fragment alone gets the very frame of the page's
    last run), in `lang` on `basemap`; `extent`: where its parts lie (`InView.extent`)."""

    filtered: gpd.GeoDataFrame
    lang: str
    basemap: str
    view: View
    extent: tuple[float, float, float, float] | None
    groups: Frozen  # the ProjectGroups, frozen before st_folium renders them (`ui.frozen`)

    def still_serves(self, filtered: gpd.GeoDataFrame, lang: str, basemap: str,
                     view: View | None) -> bool:
        return (view is not None and filtered is self.filtered and lang == self.lang
                and basemap == self.basemap and serves(self.view, self.extent, view))


def is_large(drawn: int) -> bool:
    return drawn > LARGE_MIN


def reported_view() -> View | None:
    """The map's last reported bounds and zoom (st_folium), None before its first report."""
    got = st.session_state.get(MAP_KEY)
    return view_from_bounds(got.get("bounds"), got.get("zoom")) if isinstance(got, dict) \
        else None


def current_view(drawn: gpd.GeoDataFrame, basemap: Basemap,
                 zoom: float | None = None) -> View:
    """The map's last reported bounds and zoom, or (before it reported any) the bounds of
    the drawn set at `zoom` (the zoom the map opens at), else at the zoom that fits them."""
    view = reported_view()
    if view is not None:
        return view
    (s, w), (n, e) = bounds_of(for_display(drawn, basemap))
    return View(s, w, n, e, zoom if zoom is not None else zoom_for_bounds([[s, w], [n, e]]))


def project_groups(filtered: gpd.GeoDataFrame, codelists: Codelists, tr: I18n,
                   basemap: Basemap, zoom: float | None = None) -> ProjectGroups:
    """Small mode: `project_layers` as before, nothing more returned. Large mode: the view's
    parts and clusters, and ``bounds``/``zoom`` returned by the map; the layers sent last
    when they still serve the map's view (`Served`). `zoom`: the zoom the map opens at."""
    served = st.session_state.get(SERVED_KEY)
    if isinstance(served, Served) and served.still_serves(filtered, tr.lang, basemap.key,
                                                          reported_view()):
        return cast(ProjectGroups, served.groups.thawed())
    st.session_state.pop(SERVED_KEY, None)
    features = features_for(tr.lang, basemap.key)
    drawn = filtered[placements(filtered).isin(DRAWN)] if len(filtered) else filtered
    if not is_large(len(drawn)):
        st.session_state.pop(SENT_KEY, None)
        return ProjectGroups(project_layers(filtered, codelists, tr, basemap,
                                            features=features), [])
    view = current_view(drawn, basemap, zoom)
    inview = select(inview_index_for(tr.lang, basemap.key), drawn["id"].astype(str), view)
    st.session_state[SENT_KEY] = {"view": view, "drawn": inview.drawn,
                                  "clusters": len(inview.clusters),
                                  "clustered": sum(c.count for c in inview.clusters),
                                  "in_view": inview.in_view, "vertices": inview.vertices}
    groups = ProjectGroups(inview_layers(filtered, codelists, tr, basemap, features, inview),
                           VIEW_OBJECTS)
    st.session_state[SERVED_KEY] = Served(filtered, tr.lang, basemap.key, view,
                                          inview.extent, Frozen(groups))
    return groups


def label_frame(filtered: gpd.GeoDataFrame, zoom: float) -> gpd.GeoDataFrame:
    """What the town labels are placed around: `filtered`; with more than `LABEL_THIN_MIN`
    markers, its markers thinned to one per cluster cell at `zoom`
    (`layers.inview.thin_markers`: one label obstacle per drawn marker or cluster, not one per
    project; with 1 838 obstacles the label placement took 45 s, with 162 of them 0.25 s)."""
    if not len(filtered):
        return filtered
    is_marker = (placements(filtered) == "marker").to_numpy()
    if int(is_marker.sum()) <= LABEL_THIN_MIN:
        return filtered
    return cast(gpd.GeoDataFrame, thin_markers(filtered, is_marker, zoom))
