"""The map page's progress controls (sidebar): "截至日期 / as of" (the tracked state at the
end of that day; today = the current state) and "changed since" (only projects with an
update recorded after a date). Shown only when a tracking database exists, never in a kiosk
(which shows the current state)."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import streamlit as st

from geo.i18n import I18n
from ui import data

AS_OF = "w_asof"
SINCE_ON = "w_since_on"
SINCE = "w_since"


def as_of_value() -> date | None:
    """The as-of date chosen (None = now). A kiosk always shows the current state."""
    from ui.account import kiosk_now

    value = st.session_state.get(AS_OF)
    if kiosk_now() or not isinstance(value, date) or value >= date.today():
        return None
    return value


def as_of_sidebar(tr: I18n, kiosk: bool) -> None:
    if kiosk or not data.tracking_exists():
        return
    with st.sidebar:
        st.divider()
        label = tr("progress.as_of") + ("" if tr.lang == "en" else " / as of")
        st.date_input(label, value=date.today(),
                      max_value=date.today(), min_value=date(2020, 1, 1), key=AS_OF)
        on = st.checkbox(tr("progress.changed_since"), key=SINCE_ON)
        if on:
            st.date_input(tr("progress.changed_since"), value=date.today() - timedelta(30),
                          max_value=date.today(), key=SINCE, label_visibility="collapsed")


def changed_filter(projects: gpd.GeoDataFrame, kiosk: bool) -> gpd.GeoDataFrame:
    """Only the projects changed since the chosen date (up to the as-of date), if asked."""
    if kiosk or not st.session_state.get(SINCE_ON):
        return projects
    engine = data.tracking_engine()
    since = st.session_state.get(SINCE)
    if engine is None or not isinstance(since, date):
        return projects
    from tracking.state import changed_since

    changed = changed_since(engine, since - timedelta(days=1), as_of_value())
    return projects[projects["id"].astype(str).isin(changed.index)]
