"""Below the map: the count tables, the project table, statistics and the exports."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import codelists as gc
from geo import export
from geo.i18n import I18n
from geo.stats import (
    RAIL_CATEGORIES,
    ROAD_CATEGORIES,
    Quantity,
    berth_quantity,
    capacities,
    counts_by,
    route_length,
)
from layers.table_page import PAGE_SIZE, SORT_KEYS, clamp_page, n_pages, page_rows, sort_rows
from layers.tables import count_frame, projects_table
from ui.state import select_project
from ui.text import Labels, md_text


def download(label: str, data: str | bytes | Callable[[], str | bytes], file_name: str,
             mime: str, key: str) -> None:
    # on_click="ignore": a download does not rerun the script (nothing on the page changes)
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key,
                       on_click="ignore")


def count_tables(df: pd.DataFrame, codelists: gc.Codelists, labels: Labels,
                 cat_options: Sequence[str], tr: I18n, key: str) -> None:
    """Counts by category and by status of ``df``, side by side."""
    left, right = st.columns(2)
    left.dataframe(count_frame(counts_by(df, "category", list(cat_options)), labels.categories,
                               tr, tr("col.category")), hide_index=True, key=f"{key}_cat")
    right.dataframe(count_frame(counts_by(df, "status", list(codelists.status.index)),
                                labels.statuses, tr, tr("col.status")), hide_index=True,
                    key=f"{key}_status")


def on_table_select() -> None:
    """A click on a table row selects that project (card, map); a cleared selection keeps it."""
    rows = st.session_state.get("w_table", {}).get("selection", {}).get("rows", [])
    ids = st.session_state.get("gy_table_ids", [])
    if rows and 0 <= rows[0] < len(ids):
        select_project(ids[rows[0]])


TABLE_KEYS = {"sort": "w_table_sort", "desc": "w_table_desc", "page": "w_table_page"}


def table_page(filtered: pd.DataFrame, tr: I18n) -> pd.DataFrame:
    """The page of `filtered` the reader asked for: sort, order and page controls above the
    table (sorted and paged on the server, `layers.table_page`; only this page is sent)."""
    ss = st.session_state
    pages = n_pages(len(filtered))
    ss[TABLE_KEYS["page"]] = clamp_page(ss.get(TABLE_KEYS["page"], 1), len(filtered))
    left, mid, right = st.columns([3, 2, 2], vertical_alignment="bottom")
    key = left.selectbox(tr("table.sort"), list(SORT_KEYS), format_func=tr,
                         key=TABLE_KEYS["sort"])
    desc = mid.toggle(tr("table.desc"), key=TABLE_KEYS["desc"])
    page = right.number_input(tr("table.page"), min_value=1, max_value=pages, step=1,
                              key=TABLE_KEYS["page"])
    rows = page_rows(sort_rows(filtered, key, tr.lang, desc), int(page))
    first = (int(page) - 1) * PAGE_SIZE
    st.caption(tr("table.rows", a=min(first + 1, len(filtered)), b=first + len(rows),
                  n=len(filtered), pages=pages) + " · " + tr("table.select_hint"))
    return rows


def table_tab(filtered: pd.DataFrame, codelists: gc.Codelists, tr: I18n,
              town_names: Mapping[str, str] | None = None) -> None:
    rows = table_page(filtered, tr)
    st.session_state["gy_table_ids"] = list(rows["id"].astype(str))
    st.dataframe(projects_table(rows, codelists, tr, town_names), hide_index=True,
                 width="stretch", key="w_table", on_select=on_table_select,
                 selection_mode="single-row")


def quantity_line(q: Quantity, label: str, tr: I18n) -> str:
    """"道路与高速:已知 12.3 km(…),21 项中 16 项长度未知" -- never 0.0 for an unknown."""
    if q.concerned == 0:
        return tr("stats.roads_none", label=label)
    if not q.is_known:
        return tr("stats.roads_unknown", label=label, n=q.concerned)
    km = f"{q.value:,.1f}"
    if q.unknown == 0:
        return tr("stats.roads_all_known", label=label, km=km, how=tr("stats.how"),
                  n=q.concerned)
    return tr("stats.roads_line", label=label, km=km, how=tr("stats.how"), n=q.concerned,
              u=q.unknown)


def berth_line(q: Quantity, tr: I18n) -> str:
    if q.concerned == 0:
        return tr("stats.berths_none")
    if not q.is_known:
        return tr("stats.berths_unknown")
    b = f"{q.value:,.0f}"
    if q.unknown == 0:
        return tr("stats.berths_all_known", b=b, n=q.concerned)
    return tr("stats.berths_line", b=b, n=q.concerned, u=q.unknown)


def stats_tab(filtered: pd.DataFrame, figs: dict, codelists: gc.Codelists, labels: Labels,
              cat_options: Sequence[str], tr: I18n) -> None:
    roads = route_length(filtered, ROAD_CATEGORIES)
    rail = route_length(filtered, RAIL_CATEGORIES)
    berths = berth_quantity(filtered)
    lines = [quantity_line(roads, tr("stats.roads_label"), tr),
             quantity_line(rail, tr("stats.rail_label"), tr), berth_line(berths, tr)]
    if berths.is_known and figs.get("berth_dwt_total"):
        lines.append(tr("stats.dwt_line", dwt=f"{figs['berth_dwt_total']:,.0f}"))
    st.markdown("\n".join(f"- {md_text(line)}" for line in lines))
    st.caption(tr("stats.note"))
    count_tables(filtered, codelists, labels, cat_options, tr, "w_stats")
    cap = capacities(filtered)
    if len(cap):
        cap["category"] = cap["category"].map(labels.categories).fillna(cap["category"])
        st.dataframe(cap.rename(columns={
            "category": tr("col.category"), "capacity_unit": tr("col.unit"),
            "capacity": tr("col.capacity"), "projects": tr("col.count")}),
            hide_index=True, key="w_stats_cap")


def export_tab(filtered: gpd.GeoDataFrame, tr: I18n,
               names: tuple[str, Sequence[str]] = ("", ())) -> None:
    """Downloads of `filtered` (the town's set in the town view). `names`: the town and the
    filter values that name the files (``gaoyao-projects-金利镇-port.csv``)."""
    town, parts = names
    st.caption(tr("export.note_town", n=len(filtered), town=md_text(town)) if town
               else tr("export.note", n=len(filtered)))
    st.caption(tr("export.geometry_note"))

    def name(ext: str, stem: str = "projects") -> str:
        return export.file_name(stem, ext, town, parts)

    # exports are generated only when a button is clicked (callables)
    subset = filtered.copy()
    download(tr("export.geojson"), lambda: export.to_geojson(subset),
             name("geojson"), "application/geo+json", "w_dl_geojson")
    download(tr("export.csv"), lambda: export.csv_download(subset, tr.lang), name("csv"),
             "text/csv", "w_dl_csv")
    download(tr("export.gpkg"), lambda: export.to_geopackage(subset), name("gpkg"),
             "application/geopackage+sqlite3", "w_dl_gpkg")
    try:
        from geo.oc4ids import export_records
    except ImportError:
        return

    def oc4ids() -> str:
        try:
            package = export_records(subset)
        except Exception as exc:  # the exporter must not take the app down
            package = {"error": f"OC4IDS export failed: {type(exc).__name__}"}
        return json.dumps(package, ensure_ascii=False, indent=1)

    download(tr("export.oc4ids"), oc4ids, name("json", "projects-oc4ids"),
             "application/json", "w_dl_oc4ids")


def result_tabs(filtered: gpd.GeoDataFrame, figs: dict, codelists: gc.Codelists, labels: Labels,
                cat_options: Sequence[str], tr: I18n, kiosk: bool,
                export_names: tuple[str, Sequence[str]] = ("", ()),
                town_names: Mapping[str, str] | None = None) -> None:
    """Table, statistics and (outside the kiosk) export tabs of `filtered` (the town's set in
    the town view); `export_names` name the download files; `town_names` (code -> name in the
    UI language) label the table's towns."""
    names = [tr("tab.table"), tr("tab.stats")] + ([] if kiosk else [tr("tab.export")])
    tabs = st.tabs(names)
    with tabs[0]:
        table_tab(filtered, codelists, tr, town_names)
    with tabs[1]:
        stats_tab(filtered, figs, codelists, labels, cat_options, tr)
    if not kiosk:
        with tabs[2]:
            export_tab(filtered, tr, export_names)
