"""The town view: the chosen town's projects (in it or crossing it). It replaces the district
figures with the town's (`ui.pages`), says which filters narrow it (chips, each cleared with
one tap), and (outside the kiosk) offers the one-page town brief; the table, statistics and
exports below then show the town's set, not the district's (no second district table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import codelists as gc
from geo import export, filtering
from geo.brief import town_brief_html
from geo.i18n import I18n
from ui.state import W, current_state
from ui.tabs import download
from ui.text import Labels, md_text

#: precision code of the district-wide projects (named on the brief's district-wide line)
DISTRICT_LEVEL = 4


def town_chooser(labels: Labels, tr: I18n) -> None:
    """The town view selector ('' = the whole district)."""
    st.selectbox(tr("town.choose"), ["", *labels.towns], key=W["town"],
                 format_func=lambda c: tr("town.none") if not c
                 else str(labels.towns.get(c, c)))


def _clear(field: str) -> Callable[[], None]:
    def clear() -> None:
        st.session_state[W[field]] = "" if field == "text" else []
    return clear


def _clear_all() -> None:
    for field in ("categories", "statuses", "towns", "precisions", "text"):
        _clear(field)()


def active_filters(labels: Labels, tr: I18n) -> list[tuple[str, str]]:
    """``(field, "label: values")`` of every sidebar filter that is set."""
    state = current_state()

    def names(values: Sequence[object], table: object) -> str:
        get = getattr(table, "get", None)
        return "、".join(str(get(v, v)) if get else str(v) for v in values)

    out = []
    if state.categories:
        out.append(("categories",
                    f"{tr('filters.category')}: {names(state.categories, labels.categories)}"))
    if state.statuses:
        out.append(("statuses",
                    f"{tr('filters.status')}: {names(state.statuses, labels.statuses)}"))
    if state.towns:
        out.append(("towns", f"{tr('filters.town')}: {names(state.towns, labels.towns)}"))
    if state.precisions:
        out.append(("precisions",
                    f"{tr('filters.precision')}: {names(state.precisions, labels.precisions)}"))
    if state.text:
        out.append(("text", f"{tr('filters.search')}: {state.text}"))
    return out


def filter_chips(labels: Labels, codelists: gc.Codelists, tr: I18n, shown: int,
                 total: int) -> None:
    """Which filters narrow the town view: one chip per filter (a tap clears it) and the
    count shown of the town's total; or that none applies."""
    chips = active_filters(labels, tr)
    if not chips:
        st.caption(tr("town.filters_none", n=total))
        return
    st.info(tr("town.filtered", n=shown, total=total), icon="🔎")
    cols = st.columns(len(chips) + 1)
    for col, (field, text) in zip(cols, chips, strict=False):
        col.button(f"✕ {md_text(text)}", key=f"w_chip_{field}", on_click=_clear(field),
                   help=tr("town.clear_one"), width="stretch")
    cols[-1].button(tr("town.clear_all"), key="w_chip_all", on_click=_clear_all,
                    width="stretch")


def town_view(town: str, towns: gpd.GeoDataFrame, projects: gpd.GeoDataFrame,
              filtered: gpd.GeoDataFrame, in_town: gpd.GeoDataFrame,
              codelists: gc.Codelists, labels: Labels, tr: I18n, kiosk: bool,
              river: gpd.GeoDataFrame | None = None) -> None:
    """Heading, filter chips and the brief of town `town`; `in_town` is the filtered set of
    projects in or crossing it, `projects` all projects (for the unfiltered count)."""
    town_row = towns[towns["code"] == town].iloc[0]
    total = len(filtering.projects_in_town(projects, town, towns))
    st.subheader(tr("town.heading", name=md_text(labels.towns.get(town, town))))
    filter_chips(labels, codelists, tr, len(in_town), total)
    if not kiosk:
        prec = pd.to_numeric(filtered["precision"], errors="coerce")
        district_wide = filtered[prec == DISTRICT_LEVEL]

        def brief() -> bytes:  # built only when the button is clicked
            return town_brief_html({str(k): v for k, v in town_row.items()}, in_town, codelists,
                                   generated_on=dt.date.today().isoformat(),
                                   source_note=tr("brief.source"), towns=towns, river=river,
                                   district_wide=district_wide).encode("utf-8")

        download(tr("town.brief"), brief,
                 export.file_name("town-brief", "html", str(town_row["name_zh"])),
                 "text/html", "w_dl_brief")
