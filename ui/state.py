"""The view state: widget keys, session state <-> URL query string."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from geo import codelists as gc
from geo import viewstate
from ui.config import kiosk_forced

MAP_KEY = "gy_map"
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
    )


def reset_filters() -> None:
    for field in ("categories", "statuses", "towns", "precisions"):
        st.session_state[W[field]] = []
    st.session_state[W["text"]] = ""
    st.session_state[W["town"]] = ""


def on_map_click() -> None:
    """st_folium on_change: a click on a town polygon or badge opens that town's view (a
    cluster or the bare map does not)."""
    towns = st.session_state.get("gy_towns")
    clicked = st.session_state.get(MAP_KEY)
    if towns is None or not clicked:
        return
    code = viewstate.town_from_click(clicked, towns, st.session_state.get("gy_last_drawing"))
    st.session_state["gy_last_drawing"] = clicked.get("last_active_drawing")
    if code:
        st.session_state[W["town"]] = code


def sync_query_params(state: viewstate.ViewState) -> None:
    wanted = viewstate.to_query_params(state)
    if kiosk_forced():
        wanted.pop("mode", None)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
