"""The town view: the chosen town's projects (in it or crossing it), their counts and table,
and (outside the kiosk) the town brief download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import streamlit as st

from geo import codelists as gc
from geo import filtering
from geo.brief import town_brief_html
from geo.i18n import I18n
from layers.tables import projects_table
from ui.state import W
from ui.tabs import count_tables, download
from ui.text import Labels, md_text


def town_chooser(labels: Labels, tr: I18n) -> None:
    """The town view selector ('' = the whole district)."""
    st.selectbox(tr("town.choose"), ["", *labels.towns], key=W["town"],
                 format_func=lambda c: tr("town.none") if not c
                 else str(labels.towns.get(c, c)))


def town_view(town: str, towns: gpd.GeoDataFrame, filtered: gpd.GeoDataFrame,
              codelists: gc.Codelists, labels: Labels, cat_options: Sequence[str], tr: I18n,
              kiosk: bool) -> None:
    town_row = towns[towns["code"] == town].iloc[0]
    in_town = filtering.projects_in_town(filtered, town, towns)
    st.subheader(tr("town.heading", name=md_text(labels.towns.get(town, town))))
    st.metric(tr("town.count"), len(in_town))
    count_tables(in_town, codelists, labels, cat_options, tr, "w_town")
    st.dataframe(projects_table(in_town, codelists, tr), hide_index=True,
                 width="stretch", key="w_town_list")
    if not kiosk:
        def brief() -> bytes:  # built only when the button is clicked
            return town_brief_html({str(k): v for k, v in town_row.items()}, in_town, codelists,
                                   generated_on=dt.date.today().isoformat(),
                                   source_note=tr("brief.source")).encode("utf-8")

        download(tr("town.brief"), brief, f"gaoyao-town-brief-{town}.html", "text/html",
                 "w_dl_brief")
