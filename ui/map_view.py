"""The map: the base map, the per-town summaries, the drawn projects of the filtered set, the
town highlight, and the view (centre and zoom) on the district or the chosen town; beside it
the legend, the group toggles and the lists of what the map cannot draw (全区 / 未定位)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import codelists as gc
from geo.aggregate import Accounting, placements
from geo.i18n import I18n
from layers.base import town_highlight
from layers.basemaps import Basemap
from layers.display import for_display
from layers.focus import focus_frame, project_highlight
from layers.legend import legend_facts, side_legend_html, side_legend_rows
from layers.map import build_map, map_overlays
from layers.tables import projects_table
from layers.town_map import label_key, town_layer
from layers.viewport import bounds_of, center_of, zoom_for_bounds
from ui.config import api_keys
from ui.data import MapData, label_plan_cached
from ui.frozen import Frozen
from ui.inview_hook import label_frame, project_groups  # issue 13 (perf)
from ui.state import GROUPS as GROUPS_KEY
from ui.state import MAP_KEY, current_state, map_view_state, on_map_click, sync_query_params

#: session-state key the page sets right before it draws the map fragment: present in a run
#: of the whole page, absent in a run of the map fragment alone (`map_fragment`)
PAGE_RUN = "gy_page_run"


def view_of(frame: gpd.GeoDataFrame | None,
            basemap: Basemap) -> tuple[list[float] | None, float | None]:
    """(centre, zoom) that fit `frame`, or (None, None) without one."""
    if frame is None or not len(frame):
        return None, None
    bounds = bounds_of(for_display(frame, basemap))
    return list(center_of(bounds)), zoom_for_bounds(bounds)


def group_counts(projects: pd.DataFrame, codelists: gc.Codelists) -> dict[str, int]:
    """Filtered projects per category group."""
    groups = projects["category"].astype(str).map(codelists.group_of)
    return {str(k): int(v) for k, v in groups.value_counts().items()}


def selected_groups(codelists: gc.Codelists) -> list[str]:
    """The groups switched on by the toggles (all of them until the reader changes it)."""
    if GROUPS_KEY not in st.session_state:
        st.session_state[GROUPS_KEY] = list(codelists.groups.index)
    return [g for g in st.session_state[GROUPS_KEY] if g in codelists.groups.index]


def by_groups(projects: gpd.GeoDataFrame, codelists: gc.Codelists,
              groups: list[str]) -> gpd.GeoDataFrame:
    """`projects` whose category belongs to one of `groups`."""
    keep = projects["category"].astype(str).map(codelists.group_of).isin(groups)
    return projects[keep]


def group_toggles(counts: Mapping[str, int], codelists: gc.Codelists, tr: I18n) -> None:
    """The group toggles (st.pills, multi): they filter the map and every count."""
    st.pills(tr("map.groups"), list(codelists.groups.index), selection_mode="multi",
             key=GROUPS_KEY, wrap=True,
             format_func=lambda g: f"{codelists.group_label(g, tr.lang)} {counts.get(g, 0)}")


def accounting_line(acct: Accounting, tr: I18n) -> None:
    """Every filtered project accounted for on screen (`geo.aggregate.accounting`)."""
    st.markdown("**" + tr("acct.line", total=acct.total, **acct.parts()) + "**")


@st.fragment
def off_map_lists(filtered: gpd.GeoDataFrame, codelists: gc.Codelists, tr: I18n) -> None:
    """The two `off_map_list` buttons side by side, in a fragment: opening or closing one
    reruns them alone."""
    with st.container(horizontal=True):  # buttons as wide as their label, never cut
        off_map_list(filtered, codelists, tr, "district")
        off_map_list(filtered, codelists, tr, "unplaced")


def off_map_list(filtered: gpd.GeoDataFrame, codelists: gc.Codelists, tr: I18n,
                 placement: str) -> None:
    """A popover button "全区 N 项" / "未定位 N 项" listing the projects of `placement`
    (``district`` or ``unplaced``) that the map cannot draw, with title, status and
    category. The list is built and sent only while the popover is open (issue 13: at
    100 000 projects building them took 0.84 s of every unfiltered run of the page, under
    cProfile); opening or closing it reruns the `off_map_lists` fragment alone."""
    where = placements(filtered) if len(filtered) else pd.Series(dtype=object)
    rows = filtered[where == placement] if len(filtered) else filtered
    pop = st.popover(tr(f"acct.{placement}", n=len(rows)), width="content",
                     key=f"w_pop_{placement}", on_change="rerun")
    with pop:
        st.caption(tr(f"acct.{placement}_note"))
        if pop.open and len(rows):
            table = projects_table(rows, codelists, tr)
            keep = [tr("col.title"), tr("col.status"), tr("table.kind")]
            st.dataframe(table[keep], hide_index=True, width="stretch",
                         key=f"w_list_{placement}")


def map_legend(filtered: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None,
               codelists: gc.Codelists, tr: I18n,
               counted: gpd.GeoDataFrame | None = None) -> None:
    """The legend beside the map (groups of the filtered set, town shading, status,
    precision), from the Jinja2 template; in its own frame, never over a popup. The group
    counts are those of `counted` (the town view: the town's projects), else of `filtered`."""
    counts, shades, modelled, schematic = legend_facts(filtered, towns, codelists)
    if counted is not None:
        counts = group_counts(counted, codelists)
    html = side_legend_html(codelists, tr, counts, shades, modelled, schematic)
    st.iframe(html, height=22 * side_legend_rows(html) + 30)


class MapLayers(NamedTuple):
    """The map's layers other than the projects, for the frame `filtered` (held: identity
    tells the same frame) and `key` (town, project, language, basemap): `below` the
    projects (river, towns and their summaries and labels), `above` them (the highlights),
    and the fitted view (`center`, `zoom`). The layers are kept frozen (`ui.frozen`:
    st_folium renames what it renders, so a rendered layer is never rendered again)."""

    filtered: gpd.GeoDataFrame
    key: tuple[str, ...]
    layers: Frozen
    center: list[float] | None
    zoom: float | None


#: session-state key: the last `MapLayers`, reused by a run of the map fragment alone
LAYERS_KEY = "gy_map_layers"


def map_layers(data: MapData, filtered: gpd.GeoDataFrame, codelists: gc.Codelists,
               tr: I18n, basemap: Basemap, town: str, names: Mapping[str, str],
               project: str) -> MapLayers:
    """The layers other than the projects and the fitted view; the session's last ones when
    they are for the same frame and key (a run of the map fragment alone: the map reported
    its view, nothing else changed)."""
    key = (town, project, tr.lang, basemap.key)
    last = st.session_state.get(LAYERS_KEY)
    if isinstance(last, MapLayers) and last.filtered is filtered and last.key == key:
        return last
    st.session_state.pop(LAYERS_KEY, None)
    frame = data.district if data.district is not None else data.towns
    _c, district_zoom = view_of(frame, basemap)
    below: list[folium.FeatureGroup] = [map_overlays(data.river, data.towns, tr, basemap)]
    above: list[folium.FeatureGroup] = []
    if data.towns is not None and len(data.towns):
        zoom0 = district_zoom or 10.0
        marks = label_frame(filtered, zoom0)  # issue 13 (perf): markers thinned when many
        key_l = label_key(marks, data.towns, codelists, tr.lang, basemap, zoom0)
        plan = label_plan_cached(key_l, marks, data.towns, dict(names), tr.lang,
                                 basemap.key, zoom0)
        below.append(town_layer(filtered, data.towns, codelists, names, tr.lang,
                                tr("map.town_tip"), tr("map.layer_towns"), basemap,
                                zoom0, highlight=town or None, plan=plan))
    if town and data.towns is not None:
        above.append(town_highlight(data.towns, town, basemap))
        frame = data.towns[data.towns["code"] == town]
    if project:
        highlight = project_highlight(data.projects, project, basemap)
        if highlight is not None:
            above.append(highlight)
        focus = focus_frame(data.projects, project, data.towns, data.district)
        frame = focus if focus is not None else frame
    center, zoom = view_of(frame, basemap)
    layers = MapLayers(filtered, key, Frozen([below, above]), center, zoom)
    st.session_state[LAYERS_KEY] = layers
    return layers


def map_view(data: MapData, filtered: gpd.GeoDataFrame, codelists: gc.Codelists, tr: I18n,
             basemap: Basemap, town: str, names: Mapping[str, str], kiosk: bool,
             project: str = "", view: tuple[tuple[float, ...], int] | None = None) -> None:
    """Draw the map of `filtered`: shaded towns with their summaries, the projects placed
    finer than their town (a click on a town polygon or badge opens that town's view). The
    selected `project` is highlighted and fitted (its town, or the district, when it has no
    site); `view` ((lat, lon), zoom), the map's last centre and zoom, wins over both fits."""
    base = build_map(data.district, data.towns, data.river, codelists, tr, basemap,
                     api_key=api_keys().get(basemap.needs_key, ""), summaries=True,
                     overlays=False)
    layers = map_layers(data, filtered, codelists, tr, basemap, town, names, project)
    center, zoom = layers.center, layers.zoom
    if view:
        center, zoom = list(view[0]), float(view[1])
    # issue 13 (perf): above a size, only the parts in the map's view (ui/inview_hook.py)
    shown = project_groups(filtered, codelists, tr, basemap, zoom=None if view else zoom)
    below, above = layers.layers.thawed()
    st_folium(
        base,
        key=MAP_KEY,
        height=720 if kiosk else 600,
        use_container_width=True,
        returned_objects=["last_active_drawing", "last_object_clicked", "center", "zoom",
                          *shown.returned],  # issue 13 (perf): + bounds in large mode
        feature_group_to_add=[*below, *shown.groups, *above],
        center=center,
        zoom=zoom,
        on_change=on_map_click,
    )


def draw_map(data: MapData, filtered: gpd.GeoDataFrame, codelists: gc.Codelists, tr: I18n,
             basemap: Basemap, names: Mapping[str, str], kiosk: bool) -> None:
    """The map in a Streamlit fragment (`map_fragment`), drawn as part of the whole page."""
    st.session_state[PAGE_RUN] = True
    map_fragment(data, filtered, codelists, tr, basemap, names, kiosk)


@st.fragment
def map_fragment(data: MapData, filtered: gpd.GeoDataFrame, codelists: gc.Codelists,
                 tr: I18n, basemap: Basemap, names: Mapping[str, str], kiosk: bool) -> None:
    """`map_view` as a fragment: what the map reports by itself (its centre, zoom and, in
    large mode, bounds after a pan or zoom, or its first report after drawing) reruns this
    function alone, with the page's last filtered set, instead of the whole page (issue 13:
    at 100 000 projects the whole page took 2.8 s, and a filter change made meanwhile waited
    for it). A click that opens a town view asks for a run of the whole page
    (`ui.state.on_map_click`). A run of the fragment alone brings the URL up to date with the
    map's view itself, since the page's own `sync_query_params` does not run."""
    whole_page = bool(st.session_state.pop(PAGE_RUN, False))
    state = current_state()
    map_view(data, filtered, codelists, tr, basemap, state.town, names, kiosk,
             project=state.project, view=map_view_state(state))
    if not whole_page:
        sync_query_params(current_state())
