"""The kiosk page (``?mode=kiosk`` or ``GAOYAO_KIOSK=1``): a touch product built from the
library, not the desktop page with parts hidden.

Landscape: the map fills the left ~65 % of the screen at full height, the panel is on the right;
portrait: the map fills the top ~55 %, the panel is below (``ui/css/kiosk.css``, media queries
on the orientation). The panel has a home button, the 8 groups as large coloured buttons,
progress chips, the town grid (17 towns + 全区) and, once a town (or 全区) is chosen, its
project list; a tap on a project (in the list or on the map) opens its card in plain language
(`geo.plain.location_phrase`: no ids, no codes, no "None"). No sidebar, no table, no
download; read-only; only the offline basemap; the idle timer (``ui/js/kiosk_idle.js``)
returns home. The map's town labels come from the desktop's label plan (`layers.town_map`)
and its legend lists the ~8 groups (`layers.legend.kiosk_legend_html`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import filtering
from geo.aggregate import placements
from geo.codelists import Codelists, read_codelist
from geo.i18n import I18n
from geo.plain import is_missing, location_phrase, town_names_for
from layers.base import town_highlight
from layers.basemaps import Basemap, get_basemap
from layers.display import for_display
from layers.elements import HtmlOverlay
from layers.legend import kiosk_legend_html, legend_facts
from layers.map import build_map, map_overlays
from layers.projects import project_layers
from layers.town_map import KIOSK_LABELS, label_key, town_layer
from layers.viewport import bounds_of, center_of, fit_beside_corner, zoom_for_bounds
from ui import data
from ui.config import ROOT
from ui.kiosk import apply_css, kiosk_idle_timer
from ui.state import W, current_state, sync_query_params
from ui.text import Labels, md_text

HERE = Path(__file__).resolve().parent
MAP_KEY = "k_map"
#: session keys of the kiosk's own choices (the town is the shared ``W["town"]``)
K = {"group": "k_group", "status": "k_status", "all": "k_all", "pid": "k_pid"}
#: the marker the map's kiosk CSS travels with (moved into the map container, hidden)
MAP_CSS_ID = "gy-kiosk-map"


@cache
def groups_table() -> pd.DataFrame:
    """``data/codelists/groups.csv`` indexed by code, in display order."""
    g = read_codelist(ROOT / "data" / "codelists" / "groups.csv").set_index("code")
    return g.sort_values("order", key=lambda s: s.astype(int))


@cache
def map_css() -> str:
    """CSS inside the map's iframe: map height from the viewport, 64 px zoom buttons, 18 px
    legend (``ui/css/kiosk_map.css``)."""
    return (HERE / "css" / "kiosk_map.css").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- plain language
def card_lines(row: pd.Series, codelists: Codelists, labels: Labels, tr: I18n,
               town_names: Mapping[str, str] | None = None) -> list[str]:
    """The card's lines under its title (plain text, nothing blank, no code); the location
    phrase is `geo.plain.location_phrase` (the table's and the project card's), with the
    towns named by `town_names` (Chinese name -> shown name, `geo.plain.town_names_for`)."""
    lang = tr.lang
    cat = str(row.get("category", ""))
    cat_label = str(labels.categories.get(cat, "")) if cat else ""
    group = (str(codelists.categories.at[cat, "group"])
             if cat in codelists.categories.index else "")
    groups = groups_table()
    group_label = str(groups.at[group, f"label_{lang}"]) if group in groups.index else ""
    lines = []
    if cat_label or group_label:
        lines.append(tr("kiosk.theme", group=group_label or cat_label,
                        category=cat_label or group_label))
    status = str(row.get("status", ""))
    if status in labels.statuses.index:
        text = tr("kiosk.progress", status=labels.statuses[status])
        if not is_missing(row.get("status_as_of")):
            text += tr("kiosk.as_of", date=plain_date(str(row["status_as_of"]), lang))
        lines.append(text)
    lines.append(location_phrase(row, lang, town_names))
    desc = row.get("description_zh" if lang == "zh" else "description")
    if not is_missing(desc):
        lines.append(str(desc))
    if not is_missing(row.get("plan_ref")):
        lines.append(tr("kiosk.source", ref=str(row["plan_ref"])))
    return lines


def plain_date(value: str, lang: str) -> str:
    """``2021-12`` -> ``2021年12月`` in Chinese (other forms as they are)."""
    parts = value.strip().split("-")
    if lang == "zh" and len(parts) >= 2 and all(p.isdigit() for p in parts[:2]):
        return f"{int(parts[0])}年{int(parts[1])}月"
    return value.strip()


def title_of(row: pd.Series, lang: str) -> str:
    for col in (f"title_{lang}", "title_zh", "title_en"):
        if not is_missing(row.get(col)):
            return str(row[col])
    return "—"


# --------------------------------------------------------------------------- state
def go_home() -> None:
    """The home button (and the idle reset's target): Chinese, whole district, nothing
    chosen."""
    ss = st.session_state
    for field in ("categories", "statuses", "towns", "precisions"):
        ss[W[field]] = []
    ss[W["text"]] = ""
    ss[W["town"]] = ""
    ss[W["lang"]] = "zh"
    ss[K["group"]] = ""
    ss[K["status"]] = None
    ss[K["all"]] = False
    ss[K["pid"]] = ""


def _toggle_group(code: str) -> None:
    ss = st.session_state
    ss[K["group"]] = "" if ss.get(K["group"]) == code else code
    ss[K["pid"]] = ""


def _open_town(code: str) -> None:
    ss = st.session_state
    ss[W["town"]] = code
    ss[K["all"]] = code == ""
    ss[K["pid"]] = ""


def _back() -> None:
    ss = st.session_state
    ss[W["town"]] = ""
    ss[K["all"]] = False
    ss[K["pid"]] = ""


def _open_project(pid: str) -> None:
    st.session_state[K["pid"]] = pid


def _close_project() -> None:
    st.session_state[K["pid"]] = ""


def _toggle_lang() -> None:
    ss = st.session_state
    ss[W["lang"]] = "en" if ss.get(W["lang"], "zh") == "zh" else "zh"


def on_kiosk_map_click() -> None:
    """A tap on a project opens its card; a tap on a town outline opens the town."""
    from geo import viewstate

    ss = st.session_state
    clicked = ss.get(MAP_KEY) or {}
    drawing = clicked.get("last_active_drawing") or {}
    props = (drawing.get("properties") or {}) if isinstance(drawing, dict) else {}
    pid = str(props.get("pid", "") or "")
    if pid:
        ss[K["pid"]] = pid
        return
    towns = ss.get("gy_towns")
    if towns is not None:
        code = viewstate.town_from_click(clicked, towns)
        if code:
            _open_town(code)


# --------------------------------------------------------------------------- panel parts
def header(tr: I18n) -> None:
    title, lang, home = st.columns([6, 2, 3], vertical_alignment="center")
    title.markdown(f"### {tr('kiosk.title')}")
    lang.button("English" if tr.lang == "zh" else "中文", key="k_lang", on_click=_toggle_lang,
                width="stretch")
    home.button(f"⌂ {tr('kiosk.home')}", key="k_home", on_click=go_home, type="primary",
                width="stretch")


def group_buttons(codelists: Codelists, tr: I18n) -> None:
    st.markdown(f"**{tr('kiosk.groups')}**")
    chosen = st.session_state.get(K["group"], "")
    groups = groups_table()
    per_row = 4
    codes = list(groups.index)
    for start in range(0, len(codes), per_row):
        cols = st.columns(per_row)
        for col, code in zip(cols, codes[start:start + per_row], strict=False):
            col.button(str(groups.at[code, f"label_{tr.lang}"]), key=f"k_grp_{code}",
                       on_click=_toggle_group, args=(code,), width="stretch",
                       type="primary" if chosen == code else "secondary")


def status_chips(codelists: Codelists, labels: Labels, tr: I18n) -> None:
    st.pills(tr("kiosk.status"), list(codelists.status.index), key=K["status"],
             format_func=lambda c: str(labels.statuses.get(c, c)))


def town_grid(labels: Labels, tr: I18n) -> None:
    st.markdown(f"**{tr('kiosk.towns')}**")
    entries = [("", tr("kiosk.whole"))] + [(c, md_text(n)) for c, n in labels.towns.items()]
    per_row = 4
    for start in range(0, len(entries), per_row):
        cols = st.columns(per_row)
        for col, (code, name) in zip(cols, entries[start:start + per_row], strict=False):
            col.button(name, key=f"k_town_{code or 'all'}", on_click=_open_town, args=(code,),
                       width="stretch")


def project_card(row: pd.Series, codelists: Codelists, labels: Labels, tr: I18n,
                 town_names: Mapping[str, str] | None = None) -> None:
    """The project's card, as a dialog over the page: wherever the visitor has scrolled the
    list to, the card is in front of them; closing it (✕ or a tap outside) forgets it."""

    @st.dialog(tr("kiosk.card"), width="large", on_dismiss=_close_project)
    def card() -> None:
        with st.container(key="k_card", border=True):
            st.markdown(f"#### {md_text(title_of(row, tr.lang))}")
            for line in card_lines(row, codelists, labels, tr, town_names):
                st.markdown(md_text(line))
        # a button in a dialog reruns only the dialog (a fragment): the whole page must rerun
        # for the dialog to close
        if st.button(f"✕ {tr('kiosk.close')}", key="k_close", on_click=_close_project,
                     width="stretch"):
            st.rerun()

    card()


def project_list(shown: gpd.GeoDataFrame, heading: str, codelists: Codelists, labels: Labels,
                 tr: I18n) -> None:
    st.button(tr("kiosk.back"), key="k_back", on_click=_back, width="stretch")
    st.markdown(f"#### {md_text(heading)} · {tr('kiosk.count', n=len(shown))}")
    pid = st.session_state.get(K["pid"], "")
    if not len(shown):
        st.markdown(tr("kiosk.none"))
        return
    st.caption(tr("kiosk.tap_hint"))
    for i, (_, row) in enumerate(shown.iterrows()):
        st.button(md_text(title_of(row, tr.lang)), key=f"k_p_{i}", on_click=_open_project,
                  args=(str(row["id"]),), width="stretch",
                  type="primary" if str(row["id"]) == pid else "secondary")


# --------------------------------------------------------------------------- the page
#: the smallest map the kiosk shows (portrait: 1080 px wide, 55vh of 1920 high), for the fit
KIOSK_MAP_PX = (1000, 1000)
#: the smallest kiosk map (portrait, px) and the legend in its top-right corner (px, Chinese;
#: ui/css/kiosk_map.css), for the town view's fit beside the legend
KIOSK_TOWN_MAP_PX = (1080, 1040)
KIOSK_LEGEND_PX = (500, 440)


def kiosk_view(frame: gpd.GeoDataFrame | None, basemap: Basemap,
               beside_legend: bool = False) -> tuple[list[float] | None, float | None]:
    """(centre as [lat, lon], zoom) that fit `frame` in the kiosk's map in both orientations.
    The district fits the whole map (the legend sits in its empty north-east corner); with
    `beside_legend` (a town) the frame fits left of or under the legend, so the legend
    never covers the town."""
    if frame is None or not len(frame):
        return None, None
    bounds = bounds_of(for_display(frame, basemap))
    if beside_legend:
        centre, zoom = fit_beside_corner(bounds, KIOSK_TOWN_MAP_PX, KIOSK_LEGEND_PX)
        return list(centre), zoom
    return list(center_of(bounds)), zoom_for_bounds(bounds, *KIOSK_MAP_PX, padding_px=30)


def kiosk_map(loaded: data.MapData, filtered: gpd.GeoDataFrame, codelists: Codelists,
              labels: Labels, tr: I18n, basemap_key: str, town: str) -> None:
    """The kiosk's map: the towns shaded by their town-level projects with name and count
    chips by group, placed by the desktop's label plan (`ui.data.label_plan_cached`, the same
    marker and cluster obstacles and leader lines) with the kiosk's larger label metrics at
    the zoom shown; the projects placed finer than their town; the legend of the ~8 groups
    (`layers.legend.kiosk_legend_html`) on the map."""
    basemap = get_basemap(basemap_key)
    if not basemap.offline:  # never a tile request from a kiosk
        basemap = get_basemap("none")
    # open at the start in Chinese, where it fits the map's empty north-east corner (the
    # longer English rows would cover towns there: folded, one tap away)
    legend = kiosk_legend_html(codelists, tr, *legend_facts(filtered, loaded.towns, codelists),
                               open_at_start=tr.lang == "zh")
    base = build_map(loaded.district, loaded.towns, loaded.river, codelists, tr, basemap,
                     summaries=True, overlays=False)
    HtmlOverlay(f'<div id="{MAP_CSS_ID}" hidden></div>', map_css(), MAP_CSS_ID).add_to(base)
    frame = loaded.district if loaded.district is not None else loaded.towns
    if town and loaded.towns is not None:
        frame = loaded.towns[loaded.towns["code"] == town]
    center, zoom = kiosk_view(frame, basemap, beside_legend=bool(town))
    # the legend and the river's tooltip follow the language and the filters: drawn with the
    # projects, so the base map stays the same and a change never remounts (blanks) the map
    layers = [map_overlays(loaded.river, loaded.towns, tr, basemap, legend=legend)]
    if loaded.towns is not None and len(loaded.towns):
        zoom0 = zoom if zoom is not None else 10.0
        names = dict(labels.towns)
        key = label_key(filtered, loaded.towns, codelists, tr.lang, basemap, zoom0,
                        KIOSK_LABELS)
        plan = data.label_plan_cached(key, filtered, loaded.towns, names, tr.lang,
                                      basemap.key, zoom0, KIOSK_LABELS)
        layers.append(town_layer(filtered, loaded.towns, codelists, names, tr.lang,
                                 tr("kiosk.town_tip"), tr("kiosk.towns"), basemap, zoom0,
                                 highlight=town or None, plan=plan, metrics=KIOSK_LABELS))
        filtered = filtered[placements(filtered) != "town"]  # counted in their towns
    layers += project_layers(filtered, codelists, tr, basemap,
                             features=data.features_for(tr.lang, basemap.key))
    if town and loaded.towns is not None:
        layers.append(town_highlight(loaded.towns, town, basemap))
    st_folium(base, key=MAP_KEY, height=760, use_container_width=True,
              returned_objects=["last_active_drawing", "last_object_clicked"],
              feature_group_to_add=layers, center=center, zoom=zoom,
              on_change=on_kiosk_map_click)


def kiosk_filtered(projects: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None,
                   codelists: Codelists) -> gpd.GeoDataFrame:
    """The projects of the chosen group and progress (the whole district)."""
    ss = st.session_state
    group = ss.get(K["group"], "")
    cats: tuple[str, ...] = ()
    if group:
        cats = tuple(str(c) for c in codelists.categories.index
                     if codelists.categories.at[c, "group"] == group)
    status = ss.get(K["status"])
    return filtering.filter_projects(projects, cats, (status,) if status else (), (), (), "",
                                     town_table=towns)


def kiosk_page(loaded: data.MapData, codelists: Codelists, table: dict, basemap_key: str) -> None:
    """The kiosk page; `ui.pages.map_page` hands over here in kiosk mode after loading."""
    state = current_state()
    tr = I18n(table, state.lang)
    apply_css(True)
    projects, towns = loaded.projects, loaded.towns
    labels = Labels.of(towns, codelists, tr.lang)
    filtered = kiosk_filtered(projects, towns, codelists)
    town = state.town
    left, right = st.columns([65, 35], gap="small")
    with left, st.container(key="k_mapbox"):
        kiosk_map(loaded, filtered, codelists, labels, tr, basemap_key, town)
    with right, st.container(key="k_panel"):
        header(tr)
        group_buttons(codelists, tr)
        status_chips(codelists, labels, tr)
        pid = st.session_state.get(K["pid"], "")
        if pid and pid in set(projects["id"].astype(str)):
            row = projects[projects["id"].astype(str) == pid].iloc[0]
            project_card(row, codelists, labels, tr, town_names_for(towns, tr.lang))
        if town and towns is not None:
            shown = filtering.projects_in_town(filtered, town, towns)
            project_list(shown, labels.towns.get(town, town), codelists, labels, tr)
        elif st.session_state.get(K["all"]):
            project_list(filtered, tr("kiosk.all"), codelists, labels, tr)
        else:
            town_grid(labels, tr)
    kiosk_idle_timer()
    sync_query_params(current_state())
    data.freeze_heap()  # issue 13 (perf): the warm caches out of the cyclic GC's walks
