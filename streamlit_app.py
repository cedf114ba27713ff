"""高要区“十四五”规划项目地图 -- the Streamlit app (offline-first).

Run with ``make run`` (copies Leaflet into static/vendor, then ``streamlit run``).

This script only sets up the page and the navigation; each page is a function in `ui.pages`
and the user interface is the `ui` package, one module per job (docs/app.md). Settings come
from the environment (`ui.config`):

  GAOYAO_DATA_DIR       directory holding projects.geojson and boundaries/ (default: data)
  GAOYAO_KIOSK=1        force kiosk mode (full-screen map, no export, idle reset)
  GAOYAO_KIOSK_IDLE_S   idle seconds before a kiosk returns home (default 180)
  TIANDITU_KEY          enables the Tianditu basemap (or st.secrets["TIANDITU_KEY"])
  GAOYAO_DATABASE_URL   progress-tracking database (default instance/tracking.sqlite if it
                        exists; docs/tracking.md)

The URL query string carries the view (see docs/app.md); unknown values fall back to defaults.
Pages: the map for everyone; 登录 (sign in) outside a kiosk when a tracking database exists;
我的镇街项目 and 规划实施评估 for a signed-in account only. A kiosk gets the map alone, whatever
the URL says (a page that is not registered is not reachable).
"""

from __future__ import annotations

import streamlit as st

from ui.pages import TITLE, map_page, navigation_pages
from ui.state import early_kiosk


def main() -> None:
    st.set_page_config(
        page_title=TITLE,
        layout="wide",
        initial_sidebar_state="collapsed" if early_kiosk() else "expanded",
    )
    pages, visible = navigation_pages(st.Page(map_page, title=TITLE, url_path="map",
                                              default=True))
    st.navigation(pages, position="sidebar" if visible else "hidden").run()


main()
