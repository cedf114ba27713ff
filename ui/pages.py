"""The app's pages, each a function for `st.navigation` (see streamlit_app.py). Today there is
one: `map_page`, the plan map with its filters, town view, tables and exports."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import filtering, loading
from geo.i18n import I18n
from geo.plain import town_names_for
from geo.stats import key_figures
from layers.basemaps import Basemap, available_basemaps, get_basemap
from ui import data
from ui.card import selected_card
from ui.config import api_keys_checked
from ui.kiosk import apply_css, kiosk_idle_timer
from ui.map_view import map_view
from ui.sidebar import category_options, filters_sidebar
from ui.state import (
    W,
    current_state,
    early_kiosk,
    init_state,
    map_view_state,
    relabel_widgets,
    sync_query_params,
    valid_values,
)
from ui.tabs import result_tabs
from ui.text import Labels, md_text
from ui.town_view import town_chooser, town_view

TITLE = "高要区“十四五”规划项目地图"


def load_or_stop(table: dict[str, dict[str, str]]) -> data.MapData:
    """The data, or an error naming the broken file (not in a kiosk) and the end of the run."""
    try:
        return data.load_all()
    except loading.DataFileError as exc:
        detail = "" if early_kiosk() else f": {md_text(exc)}"  # a kiosk shows no file paths
        st.error(f"{I18n(table, 'zh')('err.data')} / {I18n(table, 'en')('err.data')}{detail}")
        st.stop()
        raise  # st.stop() does not return


def offered_basemaps(keys: dict[str, str]) -> list[Basemap]:
    """The basemaps to offer; a kiosk gets only the offline one (no request may leave the
    machine, docs/app.md)."""
    bmaps = available_basemaps(keys)
    if early_kiosk() or st.session_state.get("gy_mode") == "kiosk":
        bmaps = [b for b in bmaps if b.offline]
    return bmaps


def page_header(tr: I18n, kiosk: bool) -> None:
    """Title and the language switch."""
    head, lang_col = st.columns([5, 1])
    with head:
        st.title(tr("app.title"))
        if not kiosk:
            st.caption(tr("app.subtitle"))
    with lang_col:
        st.radio(tr("lang.label"), options=["zh", "en"], key=W["lang"], horizontal=True,
                 on_change=relabel_widgets,
                 format_func=lambda v: "中文" if v == "zh" else "English",
                 label_visibility="collapsed")


def key_metrics(figs: dict, tr: I18n) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("metric.shown"), figs["projects"])
    c2.metric(tr("metric.mapped"), figs["mapped"])
    c3.metric(tr("metric.district_wide"), figs["district_wide"])
    c4.metric(tr("metric.not_located"), figs["not_located"])


def notices(towns: pd.DataFrame | None, towns_notice: str, key_notice: str, tr: I18n,
            kiosk: bool) -> None:
    """Modelled town outlines; (not in a kiosk) a failed official file or an unusable key."""
    modelled = towns is not None and bool(
        (towns.get("boundary_source", pd.Series(dtype=str)) != "official").any())
    if modelled:
        st.warning(tr("note.modelled"), icon="⚠️")
    if towns_notice and not kiosk:
        st.info(f"{tr('note.official_failed')}: {md_text(towns_notice)}")
    if key_notice and not kiosk:
        st.info(f"{tr('note.key_unusable')}: {md_text(key_notice)}")


def map_page() -> None:
    """The plan map page."""
    table = data.i18n_table()
    codelists = data.codelists_cached()
    data.ensure_assets()
    loaded = load_or_stop(table)
    projects, towns = loaded.projects, loaded.towns
    st.session_state["gy_towns"] = towns
    keys, key_notice = api_keys_checked()
    bmaps = offered_basemaps(keys)
    state = init_state(valid_values(projects, towns, codelists, [b.key for b in bmaps]))
    kiosk = state.mode == "kiosk"
    tr = I18n(table, state.lang)
    apply_css(kiosk)
    labels = Labels.of(towns, codelists, tr.lang)
    page_header(tr, kiosk)
    counts = filtering.counts(projects, "category")
    filters_sidebar(counts, codelists, labels, bmaps, tr, kiosk)
    cat_options = category_options(counts, codelists)
    state = current_state()
    filtered = filtering.filter_projects(projects, state.categories, state.statuses, state.towns,
                                         state.precisions, state.text, town_table=towns,
                                         synonyms=data.synonyms_cached())
    figs = key_figures(filtered)
    key_metrics(figs, tr)
    notices(towns, loaded.towns_notice, key_notice, tr, kiosk)
    town_chooser(labels, tr)
    state = current_state()
    map_view(loaded, filtered, codelists, tr, get_basemap(state.basemap), state.town,
             cat_options, kiosk, project=state.project, view=map_view_state(state))
    st.caption(tr("map.caption", n=figs["mapped"], total=figs["projects"],
                  d=figs["district_wide"], u=figs["not_located"]))
    if state.town and towns is not None:
        town_view(state.town, towns, filtered, codelists, labels, cat_options, tr, kiosk)
    town_names = town_names_for(towns, tr.lang)
    selected_card(projects, codelists, tr, town_names)
    result_tabs(filtered, figs, codelists, labels, cat_options, tr, kiosk, town_names)
    if kiosk:
        kiosk_idle_timer()
    # warm the other language's map features (shared cache) so a switch draws at once
    data.features_for(tr.other().lang, state.basemap)
    sync_query_params(current_state())  # incl. what the map and the card changed
