"""The app's pages, each a function for `st.navigation` (see streamlit_app.py): `map_page`,
the plan map with its filters, town view, tables and exports; the progress pages live in
`ui.auth_page`, `ui.progress_page` and `ui.review_page` and are chosen by
`navigation_pages`."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import codelists as gc
from geo import filtering, loading, viewstate
from geo.aggregate import Accounting, accounting
from geo.i18n import I18n
from geo.plain import town_names_for
from geo.stats import key_figures
from layers.basemaps import Basemap, available_basemaps, get_basemap
from ui import data
from ui.card import selected_card
from ui.config import api_keys_checked
from ui.kiosk import apply_css, kiosk_idle_timer
from ui.kiosk_page import kiosk_page
from ui.map_view import (
    accounting_line,
    by_groups,
    draw_map,
    group_counts,
    group_toggles,
    map_legend,
    off_map_lists,
    selected_groups,
)
from ui.progress_map import as_of_sidebar, as_of_value, changed_filter
from ui.sidebar import category_options, filters_sidebar
from ui.state import (
    W,
    current_state,
    early_kiosk,
    init_state,
    relabel_widgets,
    sync_query_params,
    valid_values,
)
from ui.tabs import result_tabs
from ui.text import Labels, md_text
from ui.town_view import town_chooser, town_view

TITLE = "高要区“十四五”规划项目地图"


def load_or_stop(table: dict[str, dict[str, str]]) -> data.MapData:
    """The data, or an error naming the broken file (not in a kiosk) and the end of the run.
    With a tracking database the projects carry the tracked state (now, or as of the date
    chosen in the sidebar: `ui.progress_map`)."""
    try:
        return data.load_all(as_of_value())
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


def key_metrics(acct: Accounting, shown: gpd.GeoDataFrame, codelists: gc.Codelists, tr: I18n,
                town: bool = False) -> None:
    """The number of projects shown (the district's filtered set, or in the town view the
    town's) and how each one appears on screen (the accounting line adds up to it), with the
    lists of the ones the map cannot draw."""
    c1, c2 = st.columns([1, 6.2], vertical_alignment="center")
    c1.metric(tr("town.count" if town else "metric.shown"), acct.total)
    with c2:
        accounting_line(acct, tr)
        off_map_lists(shown, codelists, tr)


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


def export_name_parts(state: viewstate.ViewState, labels: Labels,
                      town_view: bool) -> tuple[str, list[str]]:
    """The town (of the town view) and the filters, for the download file names."""
    town = str(labels.towns.get(state.town, state.town)) if town_view else ""
    parts = [*state.categories, *state.statuses,
             *(str(labels.towns.get(t, t)) for t in state.towns),
             *(f"precision{p}" for p in state.precisions)]
    if state.text:
        parts.append("search")
    return town, parts


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
    if kiosk:  # a touch page of its own (ui/kiosk_page.py)
        kiosk_page(loaded, codelists, table, state.basemap)
        return
    tr = I18n(table, state.lang)
    apply_css(kiosk)
    labels = Labels.of(towns, codelists, tr.lang)
    page_header(tr, kiosk)
    counts = filtering.counts(projects, "category")
    filters_sidebar(counts, codelists, labels, bmaps, tr, kiosk)
    as_of_sidebar(tr, kiosk)
    cat_options = category_options(counts, codelists)
    state = current_state()
    filtered = filtering.filter_projects(projects, state.categories, state.statuses, state.towns,
                                         state.precisions, state.text, town_table=towns,
                                         synonyms=data.synonyms_cached())
    filtered = changed_filter(filtered, kiosk)
    before_groups = filtered
    filtered = by_groups(filtered, codelists, selected_groups(codelists))
    figs = key_figures(filtered)
    # the town view replaces the district figures (and the tables/exports) with the town's
    in_town = (filtering.projects_in_town(filtered, state.town, towns)
               if state.town and towns is not None else None)
    shown = filtered if in_town is None else in_town
    shown_figs = figs if in_town is None else key_figures(in_town)
    key_metrics(accounting(shown), shown, codelists, tr, town=in_town is not None)
    notices(towns, loaded.towns_notice, key_notice, tr, kiosk)
    chooser_col, groups_col = st.columns([1.2, 3.4])
    with chooser_col:
        town_chooser(labels, tr)
    # in the town view the group counts (toggles, legend) are the town's, like the figures
    if in_town is not None:
        before_groups = filtering.projects_in_town(before_groups, state.town, towns)
    with groups_col:
        group_toggles(group_counts(before_groups, codelists), codelists, tr)
    state = current_state()
    map_col, legend_col = st.columns([4, 1.25])
    with legend_col:
        map_legend(filtered, towns, codelists, tr, counted=shown)
    with map_col:
        draw_map(loaded, filtered, codelists, tr, get_basemap(state.basemap), labels.towns,
                 kiosk)
    if in_town is not None and towns is not None:
        town_view(state.town, towns, projects, filtered, in_town, codelists, labels, tr, kiosk,
                  river=loaded.river)
    town_names = town_names_for(towns, tr.lang)
    selected_card(projects, codelists, tr, town_names)
    result_tabs(shown, shown_figs, codelists, labels, cat_options, tr, kiosk,
                export_names=export_name_parts(state, labels, in_town is not None),
                town_names=town_names)
    if kiosk:
        kiosk_idle_timer()
    # warm the other language's map features (shared cache) so a switch draws at once
    data.features_for(tr.other().lang, state.basemap)
    sync_query_params(current_state())  # incl. what the map and the card changed
    data.freeze_heap()  # issue 13 (perf): the warm caches out of the cyclic GC's walks


def keep_map_widgets() -> None:
    """Keep the map's filter values while another page runs (Streamlit drops the state of
    widgets that a run does not draw; re-assigning them keeps them)."""
    for key in W.values():
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def navigation_pages(map_pg: st.Page) -> tuple[list[st.Page], bool]:
    """The pages this session may open, and whether to show the navigation: a kiosk gets
    the map alone; anonymous visitors the map and 登录 (when a tracking database exists);
    a signed-in account also 我的镇街项目 and 规划实施评估."""
    from ui.account import NAV, current_account, kiosk_now

    keep_map_widgets()
    NAV["map"] = map_pg
    if kiosk_now():
        return [map_pg], False
    if not data.tracking_exists():
        return [map_pg], False
    from ui.auth_page import auth_page

    tr = I18n(data.i18n_table(), st.session_state.get(W["lang"], "zh"))
    pages = [map_pg]
    signed_in = current_account() is not None  # one look-up of the token per run
    if signed_in:
        from ui.progress_page import progress_page
        from ui.review_page import review_page

        NAV["progress"] = st.Page(progress_page, title=tr("progress.page"),
                                  url_path="progress")
        pages += [NAV["progress"], st.Page(review_page, title=tr("review.page"),
                                           url_path="review")]
    # signed in, the same page shows who is signed in and the sign-out button: 账户, not 登录
    pages.append(st.Page(auth_page, title=tr("auth.account" if signed_in else "auth.page"),
                         url_path="signin"))
    return pages, True
