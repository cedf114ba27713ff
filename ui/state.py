"""The view state: widget keys, session state <-> URL query string."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from geo import codelists as gc
from geo import viewstate
from ui.config import kiosk_forced

MAP_KEY = "gy_map"
PROJECT = "gy_project"  # the selected project id ('' = none); in the URL as ?project=
VIEW = "gy_view"  # the map's last centre and zoom ((lat, lon), zoom) or None; ?c=&z=
#: the centre and zoom the map was opened at from a link (?c=&z=), or None. Only this one is
#: handed back to the map: the map's own reports (VIEW) go to the URL and never move the map,
#: so the rerun at the end of a pan or zoom changes nothing on screen.
VIEW_ARG = "gy_view_arg"
GROUPS = "w_groups"  # the group toggles (st.pills): the groups shown; the URL has those off
GROUPS_ALL = "gy_groups_all"  # every group, in codelist order
W = {  # widget keys
    "lang": "w_lang", "categories": "w_cat", "statuses": "w_status", "towns": "w_town",
    "precisions": "w_prec", "text": "w_q", "town": "w_view", "basemap": "w_base",
}


def valid_values(projects: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None,
                 codelists: gc.Codelists, basemaps: list[str]) -> viewstate.Valid:
    return viewstate.Valid(
        categories=list(codelists.categories.index),
        statuses=list(codelists.status.index),
        towns=list(towns["code"]) if towns is not None else [],
        precisions=[int(c) for c in codelists.precision.index],
        basemaps=basemaps,
        projects=projects["id"].astype(str).tolist() if "id" in projects.columns else [],
        groups=list(codelists.groups.index),
    )


def early_kiosk() -> bool:
    """Kiosk mode as known before the widgets exist (environment or URL)."""
    return kiosk_forced() or st.query_params.get("mode") == "kiosk"


def init_state(valid: viewstate.Valid) -> viewstate.ViewState:
    """On a session's first run, restore the view from the URL into the widgets."""
    if "gy_init" not in st.session_state:
        state = viewstate.parse_query_params(st.query_params.to_dict(), valid)
        for field, key in W.items():
            value = getattr(state, field)
            st.session_state[key] = list(value) if isinstance(value, tuple) else value
        st.session_state["gy_mode"] = state.mode
        st.session_state[PROJECT] = state.project
        st.session_state[VIEW] = (state.center, state.zoom) if state.center and state.zoom \
            else None
        st.session_state[VIEW_ARG] = st.session_state[VIEW]
        st.session_state[GROUPS_ALL] = list(valid.groups)
        st.session_state[GROUPS] = [g for g in valid.groups if g not in state.hidden_groups]
        # a project id in the link that does not exist: ignored, with a notice (ui.card)
        st.session_state["gy_project_bad"] = bool(st.query_params.get("project")) and \
            not state.project
        st.session_state["gy_init"] = True
    return current_state()


def current_state() -> viewstate.ViewState:
    ss = st.session_state
    return viewstate.ViewState(
        lang=ss.get(W["lang"], "zh"),
        mode="kiosk" if kiosk_forced() else ss.get("gy_mode", "normal"),
        categories=tuple(ss.get(W["categories"], ())),
        statuses=tuple(ss.get(W["statuses"], ())),
        towns=tuple(ss.get(W["towns"], ())),
        precisions=tuple(int(p) for p in ss.get(W["precisions"], ())),
        text=str(ss.get(W["text"], "") or "")[: viewstate.MAX_TEXT],
        town=ss.get(W["town"], "") or "",
        basemap=ss.get(W["basemap"], "none"),
        project=ss.get(PROJECT, "") or "",
        center=tuple((ss.get(VIEW) or ((), 0))[0]),
        zoom=int((ss.get(VIEW) or ((), 0))[1]),
        hidden_groups=hidden_groups(),
    )


def hidden_groups() -> tuple[str, ...]:
    """The category groups switched off by the toggles (codelist order)."""
    every = st.session_state.get(GROUPS_ALL, [])
    shown = st.session_state.get(GROUPS, every)
    return tuple(g for g in every if g not in shown)


def reset_filters() -> None:
    for field in ("categories", "statuses", "towns", "precisions"):
        st.session_state[W[field]] = []
    st.session_state[W["text"]] = ""
    st.session_state[W["town"]] = ""
    if GROUPS_ALL in st.session_state:
        st.session_state[GROUPS] = list(st.session_state[GROUPS_ALL])


def relabel_widgets() -> None:
    """On a language switch: set every option widget's value again, so that Streamlit sends
    it to the browser with the labels of the new language. (Streamlit keeps a keyed widget's
    value in the browser as its *formatted* label; without this, a chip chosen in English
    stays "In preparation" after switching to 中文 and no longer maps to its code.)"""
    ss = st.session_state
    for field in ("categories", "statuses", "towns", "precisions", "town", "basemap"):
        if W[field] in ss:
            value = ss[W[field]]
            ss[W[field]] = list(value) if isinstance(value, list | tuple) else value
    if GROUPS in ss:
        ss[GROUPS] = list(ss[GROUPS])


def select_project(project_id: str) -> None:
    """Select a project (its card opens, the map shows it); '' closes the card."""
    st.session_state[PROJECT] = project_id


def remember_view(returned: object) -> None:
    """Keep the map's centre and zoom (st_folium's returned ``center``/``zoom``) for the URL;
    values outside the allowed box or zoom range are dropped."""
    if not isinstance(returned, dict):
        return
    center, zoom = returned.get("center"), returned.get("zoom")
    if not isinstance(center, dict) or zoom is None:
        return
    c = viewstate.parse_center(f"{center.get('lat')},{center.get('lng')}")
    z = viewstate.parse_zoom(zoom)
    if c and z:
        st.session_state[VIEW] = (c, z)


def on_map_click() -> None:
    """st_folium on_change: a click on a town polygon or badge opens that town's view (a
    cluster or the bare map does not). The map is a fragment (`ui.map_view.map_fragment`):
    what it reports reruns the map alone, except a town view, which reruns the whole page."""
    towns = st.session_state.get("gy_towns")
    clicked = st.session_state.get(MAP_KEY)
    remember_view(clicked)
    if towns is None or not clicked:
        return
    code = viewstate.town_from_click(clicked, towns, st.session_state.get("gy_last_drawing"))
    st.session_state["gy_last_drawing"] = clicked.get("last_active_drawing")
    if code:
        st.session_state[W["town"]] = code
        st.rerun(scope="app")


def map_view_state(state: viewstate.ViewState) -> tuple[tuple[float, ...], int] | None:
    """The centre and zoom to open the map at: the link's (?c=&z=) until the town view or
    the selected project changes (the map then fits the new town or project). The map's own
    later reports are not returned: handing them back would move the map to a rounded copy of
    where it already is, mid-gesture, on every rerun."""
    focus = (state.town, state.project)
    last = st.session_state.get("gy_focus")
    st.session_state["gy_focus"] = focus
    if last is not None and last != focus:
        st.session_state[VIEW] = None
        st.session_state[VIEW_ARG] = None
    return st.session_state.get(VIEW_ARG)


def sync_query_params(state: viewstate.ViewState) -> None:
    wanted = viewstate.to_query_params(state)
    if kiosk_forced():
        wanted.pop("mode", None)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
