"""The filters in the sidebar: category, status, town, precision, search text, basemap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from geo import codelists as gc
from geo import viewstate
from geo.i18n import I18n
from layers.basemaps import Basemap, get_basemap
from ui.state import W, reset_filters
from ui.text import Labels

#: the filter boxes: no "Select N matches" entry (Enter would pick it: "Ports" + Enter chose
#: ports, airports and culture-and-sports) and plain substring matching, best match first
PICK: dict[str, Any] = {"select_all": False, "filter_mode": "contains"}


def category_options(counts: dict[str, int], codelists: gc.Codelists) -> list[str]:
    """The categories that have projects, in codelist order."""
    return [c for c in codelists.categories.index if c in counts]


def filters_sidebar(counts: dict[str, int], codelists: gc.Codelists, labels: Labels,
                    basemaps: Sequence[Basemap], tr: I18n, kiosk: bool) -> None:
    """The filter widgets (their values live in session state under `ui.state.W`)."""
    cat_options = category_options(counts, codelists)
    st.session_state[W["categories"]] = [c for c in st.session_state[W["categories"]]
                                         if c in cat_options]
    with st.sidebar:
        st.header(tr("filters.title"))
        st.button(tr("filters.reset"), on_click=reset_filters, key="w_reset", width="stretch")
        st.multiselect(tr("filters.category"), cat_options, key=W["categories"],
                       format_func=lambda c: f"{labels.categories.get(c, c)} "
                                             f"({counts.get(c, 0)})",
                       placeholder=tr("filters.all"), **PICK)
        st.multiselect(tr("filters.status"), list(codelists.status.index), key=W["statuses"],
                       format_func=lambda c: str(labels.statuses.get(c, c)),
                       placeholder=tr("filters.all"), **PICK)
        st.multiselect(tr("filters.town"), list(labels.towns), key=W["towns"],
                       format_func=lambda c: str(labels.towns.get(c, c)),
                       placeholder=tr("filters.all"), **PICK)
        st.multiselect(tr("filters.precision"), [int(c) for c in codelists.precision.index],
                       key=W["precisions"],
                       format_func=lambda c: f"{c} {labels.precisions.get(c, '')}",
                       placeholder=tr("filters.all"), **PICK)
        st.text_input(tr("filters.search"), key=W["text"], max_chars=viewstate.MAX_TEXT,
                      placeholder=tr("filters.search_hint"))
        st.selectbox(tr("basemap.label"), [b.key for b in basemaps], key=W["basemap"],
                     format_func=lambda k: get_basemap(k).label(tr.lang))
        if not kiosk:
            st.caption(tr("basemap.note"))
