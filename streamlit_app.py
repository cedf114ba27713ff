"""高要区“十四五”规划项目地图 -- the Streamlit app (offline-first).

Run with ``make run`` (copies Leaflet into static/vendor, then ``streamlit run``).

Environment:
  GAOYAO_DATA_DIR       directory holding projects.geojson and boundaries/ (default: data)
  GAOYAO_KIOSK=1        force kiosk mode (full-screen map, no export, idle reset)
  GAOYAO_KIOSK_IDLE_S   idle seconds before a kiosk returns home (default 180)
  TIANDITU_KEY          enables the Tianditu basemap (or st.secrets["TIANDITU_KEY"])

The URL query string carries the view (see docs/app.md); unknown values fall back to defaults.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
import streamlit.components.v1 as components
from streamlit_folium import st_folium

from geo import codelists as gc
from geo import export, filtering, loading, viewstate
from geo.brief import town_brief_html
from geo.i18n import I18n, load_table
from geo.paths import REPO_ROOT
from geo.stats import capacities, counts_by, key_figures
from layers.assets import copy_assets, missing_assets
from layers.basemaps import available_basemaps, get_basemap
from layers.map import (
    bounds_of,
    build_map,
    center_of,
    for_display,
    project_features,
    project_layers,
    town_highlight,
    zoom_for_bounds,
)

ROOT = REPO_ROOT
MAP_KEY = "gy_map"
W = {  # widget keys
    "lang": "w_lang", "categories": "w_cat", "statuses": "w_status", "towns": "w_town",
    "precisions": "w_prec", "text": "w_q", "town": "w_view", "basemap": "w_base",
}


# --------------------------------------------------------------------------- configuration
def data_dir() -> Path:
    d = Path(os.environ.get("GAOYAO_DATA_DIR", "data"))
    return d if d.is_absolute() else ROOT / d


def kiosk_forced() -> bool:
    return os.environ.get("GAOYAO_KIOSK", "") == "1"


def idle_seconds() -> int:
    try:
        return max(2, int(os.environ.get("GAOYAO_KIOSK_IDLE_S", "180")))
    except ValueError:
        return 180


#: what a tile-provider key may look like (Tianditu keys are 32 hex digits); anything else
#: (quotes, spaces, markup, a pasted URL) is ignored with a notice instead of reaching a URL
KEY_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,128}")


def api_keys_checked() -> tuple[dict[str, str], str]:
    """Tile-provider keys from the environment or st.secrets, and a notice ('' when fine).
    A broken secrets.toml or a malformed key disables that basemap; it never stops the app."""
    keys, notice = {}, ""
    value = os.environ.get("TIANDITU_KEY", "")
    if not value:
        try:
            value = str(st.secrets.get("TIANDITU_KEY", ""))
        except Exception as exc:  # no secrets.toml (fine), or one that does not parse
            # Streamlit raises StreamlitSecretNotFoundError for both; only a parse failure
            # carries an "error" (streamlit 1.67: exec_kwargs {"path", "error"}).
            kwargs = getattr(exc, "exec_kwargs", None)
            value = ""
            if not (isinstance(exc, FileNotFoundError) and not
                    (isinstance(kwargs, dict) and "error" in kwargs)):
                notice = "secrets.toml unreadable, ignored"
    value = value.strip()
    if value and not KEY_FORMAT.fullmatch(value):
        value, notice = "", "TIANDITU_KEY: malformed, ignored"
    if value:
        keys["TIANDITU_KEY"] = value
    return keys, notice


def api_keys() -> dict[str, str]:
    return api_keys_checked()[0]


#: ASCII punctuation except ``, . /`` (kept so that file names stay readable in notices)
_MD_SPECIAL = re.compile(r"[!-+\-:-@\[-`{-~]")


def md_text(value: object) -> str:
    """`value` as literal text inside Streamlit markdown (st.subheader/st.info/st.error).

    ASCII punctuation other than ``, . /`` becomes a numeric character reference (``&#58;``),
    which markdown shows as that character but never parses as markup, HTML, a link, LaTeX
    (``$``) or a directive (``:red[...]``); line breaks are flattened. Streamlit also turns
    bare URLs and e-mail addresses in the *decoded* text into links (GFM autolink literals),
    so an invisible word joiner (U+2060) goes after ``:`` and before ``@`` and the ``.`` of
    ``www.``. A town name like ``![x](http://...)`` would otherwise load an external image on
    the kiosk, and a bare URL would be a link leading the kiosk away."""
    text = " ".join(str(value).split())
    text = text.replace(":", ":\u2060").replace("@", "\u2060@")
    text = re.sub(r"(?i)\b(www)\.", "\\1\u2060.", text)
    return _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", text)


# --------------------------------------------------------------------------- cached data
def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else -1.0


@st.cache_resource(show_spinner=False, max_entries=4)
def load_projects_cached(path: str, mtime: float) -> gpd.GeoDataFrame:
    """One shared, read-only copy per process (cache_resource: no unpickled copy per rerun
    and per session, see docs/performance.md); never modify the returned frame."""
    return loading.load_projects(path)


@st.cache_data(show_spinner=False)
def load_layer_cached(path: str, mtime: float) -> gpd.GeoDataFrame | None:
    if mtime < 0:
        return None
    return loading.load_layer(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def features_cached(path: str, mtime: float, lang: str, basemap_key: str) -> dict:
    """Drawable features of every project for one language and basemap (see
    layers.map.project_features); filtering then only picks ids."""
    projects = load_projects_cached(path, mtime)
    return project_features(projects, codelists_cached(), I18n(i18n_table(), lang),
                            get_basemap(basemap_key))


@st.cache_data(show_spinner=False)
def load_repo_towns(stamp: tuple) -> tuple[gpd.GeoDataFrame | None, str]:
    """Towns for the repository's data dir through geo.boundaries (official file preferred
    when configured). A broken official file falls back to the modelled towns with a notice.
    `stamp` (paths and mtimes) only keys the cache."""
    import geo.boundaries as gb

    try:
        return gb.load_towns(), ""
    except gb.BoundaryError as exc:
        notice = str(exc)
    try:
        return gb.load_modelled_towns(), notice
    except (gb.BoundaryError, OSError) as exc:
        return None, f"{notice}; {exc}"


def towns_stamp() -> tuple:
    import geo.boundaries as gb

    try:
        official = gb.official_towns_path()
    except gb.BoundaryError as exc:
        return ("error", str(exc))
    paths = [gb.TOWNS_PATH] + ([official] if official else [])
    return tuple((str(p), _mtime(Path(p))) for p in paths)


@st.cache_resource(show_spinner=False)
def codelists_cached() -> gc.Codelists:
    return gc.load_codelists(ROOT / "data" / "codelists")


@st.cache_resource(show_spinner=False)
def i18n_table() -> dict[str, dict[str, str]]:
    return load_table(ROOT / "data" / "i18n.csv")


@st.cache_resource(show_spinner=False)
def ensure_assets() -> list[str]:
    if missing_assets():
        copy_assets()
    return missing_assets()


def load_all() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None, gpd.GeoDataFrame | None,
                        gpd.GeoDataFrame | None, str]:
    """projects, towns, district, river (EPSG:4326) and a notice about the town boundaries."""
    d = data_dir()
    proj = d / "projects.geojson"
    layers = [d / "boundaries" / n for n in ("towns.geojson", "district.geojson",
                                             "xijiang.geojson")]
    projects = load_projects_cached(str(proj), _mtime(proj))
    towns, district, river = (load_layer_cached(str(p), _mtime(p)) for p in layers)
    notice = ""
    if d.resolve() == (ROOT / "data").resolve():
        with contextlib.suppress(ImportError):  # without geo.boundaries: the plain file
            towns, notice = load_repo_towns(towns_stamp())
    if towns is not None and "code" in towns.columns:
        towns = towns.assign(code=towns["code"].astype(str))
    return projects, towns, district, river, notice


# --------------------------------------------------------------------------- state
def valid_values(projects: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None,
                 codelists: gc.Codelists, basemaps: list[str]) -> viewstate.Valid:
    return viewstate.Valid(
        categories=list(codelists.categories.index),
        statuses=list(codelists.status.index),
        towns=list(towns["code"]) if towns is not None else [],
        precisions=[int(c) for c in codelists.precision.index],
        basemaps=basemaps,
    )


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
    """st_folium on_change: a click on a town outline opens that town's view."""
    towns = st.session_state.get("gy_towns")
    clicked = st.session_state.get(MAP_KEY)
    if towns is None or not clicked:
        return
    code = viewstate.town_from_click(clicked, towns)
    if code:
        st.session_state[W["town"]] = code


def sync_query_params(state: viewstate.ViewState) -> None:
    wanted = viewstate.to_query_params(state)
    if kiosk_forced():
        wanted.pop("mode", None)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# --------------------------------------------------------------------------- pieces
KIOSK_CSS = """
<style>
#MainMenu, header[data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stMainMenu"], [data-testid="stDecoration"], footer { display: none !important; }
.block-container { padding: 0.6rem 1rem 0 1rem !important; max-width: 100% !important; }
button, [role="radio"], [role="option"], [data-baseweb="select"] > div, input {
  min-height: 52px !important; font-size: 1.15rem !important; }
[data-testid="stRadio"] label { padding: 8px 14px; font-size: 1.15rem; }
</style>
"""
BASE_CSS = """
<style>
[data-testid="stMetricValue"] { font-size: 1.6rem; }
</style>
"""


def kiosk_idle_timer(home_query: str, seconds: int) -> None:
    """After `seconds` without any touch/mouse/key input (in the page or the map), go back to
    the kiosk home URL. The script is injected into the parent page once (same origin)."""
    cfg = json.dumps({"home": home_query, "ms": seconds * 1000})
    components.html(
        f"""<script>
(function() {{
  var cfg = {cfg};
  var P = window.parent;
  P.__gyIdleCfg = cfg;
  if (P.__gyIdle) return;
  P.__gyIdle = true;
  var s = P.document.createElement('script');
  s.textContent = "(" + function() {{
    var last = Date.now(), dirty = false;
    function poke() {{ last = Date.now(); dirty = true; }}
    var evs = ['pointerdown', 'touchstart', 'keydown', 'wheel', 'mousemove'];
    function hook(doc) {{
      if (!doc || doc.__gyHooked) return; doc.__gyHooked = true;
      evs.forEach(function(e) {{
        doc.addEventListener(e, poke, {{passive: true, capture: true}});
      }});
    }}
    hook(document);
    setInterval(function() {{
      document.querySelectorAll('iframe').forEach(function(f) {{
        try {{ hook(f.contentWindow.document); }} catch (e) {{}}
      }});
      var c = window.__gyIdleCfg;
      var home = window.location.pathname + c.home;
      var here = window.location.pathname + window.location.search;
      if ((dirty || here !== home) && Date.now() - last > c.ms) {{
        window.location.replace(home);
      }}
    }}, 500);
  }} + ")();";
  P.document.head.appendChild(s);
}})();
</script>""",
        height=0,
    )


def download(label: str, data: str | bytes | Callable[[], str | bytes], file_name: str,
             mime: str, key: str) -> None:
    # on_click="ignore": a download does not rerun the script (nothing on the page changes)
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key,
                       on_click="ignore")


def projects_table(df: pd.DataFrame, codelists: gc.Codelists, tr: I18n) -> pd.DataFrame:
    lang = tr.lang
    cat = codelists.categories[f"label_{lang}"]
    sta = codelists.status[f"label_{lang}"]
    prec = codelists.precision[f"label_{lang}"]
    return pd.DataFrame({
        tr("col.id"): df["id"],
        tr("col.title"): df["title_zh" if lang == "zh" else "title_en"],
        tr("col.category"): df["category"].map(cat).fillna(df["category"]),
        tr("col.status"): df["status"].map(sta).fillna(df["status"]),
        tr("col.as_of"): df["status_as_of"],
        tr("col.towns"): df["towns_all"].str.replace(";", "、"),
        tr("col.precision"): df["precision"].astype(str) + " " + df["precision"].map(prec)
        .fillna(""),
        tr("col.length_km"): df["length_km"].round(1),
        tr("col.plan_ref"): df["plan_ref"],
    }).reset_index(drop=True)


def count_frame(counts: dict, labels: pd.Series, tr: I18n, head: str) -> pd.DataFrame:
    return pd.DataFrame({
        head: [labels.get(k, k) for k in counts],
        tr("col.count"): list(counts.values()),
    })


# --------------------------------------------------------------------------- main
def main() -> None:
    early_mode = "kiosk" if kiosk_forced() or st.query_params.get("mode") == "kiosk" else ""
    st.set_page_config(
        page_title="高要区“十四五”规划项目地图",
        layout="wide",
        initial_sidebar_state="collapsed" if early_mode else "expanded",
    )
    table = i18n_table()
    codelists = codelists_cached()
    ensure_assets()
    try:
        projects, towns, district, river, towns_notice = load_all()
    except loading.DataFileError as exc:
        detail = "" if early_mode else f": {md_text(exc)}"  # a kiosk shows no file paths
        st.error(f"{I18n(table, 'zh')('err.data')} / {I18n(table, 'en')('err.data')}{detail}")
        st.stop()
    st.session_state["gy_towns"] = towns

    keys, key_notice = api_keys_checked()
    bmaps = available_basemaps(keys)
    if early_mode or st.session_state.get("gy_mode") == "kiosk":
        # kiosk: only the offline basemap; no request may leave the machine (docs/app.md)
        bmaps = [b for b in bmaps if b.offline]
    valid = valid_values(projects, towns, codelists, [b.key for b in bmaps])
    state = init_state(valid)
    kiosk = state.mode == "kiosk"
    tr = I18n(table, state.lang)
    st.markdown(KIOSK_CSS if kiosk else BASE_CSS, unsafe_allow_html=True)

    town_names = {} if towns is None else dict(zip(
        towns["code"], towns["name_zh" if tr.lang == "zh" else "name_en"], strict=False))
    cat_labels = codelists.categories[f"label_{tr.lang}"]
    status_labels = codelists.status[f"label_{tr.lang}"]
    prec_labels = codelists.precision[f"label_{tr.lang}"]

    # ---- header: title + language
    head, lang_col = st.columns([5, 1])
    with head:
        st.title(tr("app.title"))
        if not kiosk:
            st.caption(tr("app.subtitle"))
    with lang_col:
        st.radio(tr("lang.label"), options=["zh", "en"], key=W["lang"], horizontal=True,
                 format_func=lambda v: "中文" if v == "zh" else "English",
                 label_visibility="collapsed")

    # ---- filters (sidebar)
    cat_counts = filtering.counts(projects, "category")
    cat_options = [c for c in codelists.categories.index if c in cat_counts]
    st.session_state[W["categories"]] = [c for c in st.session_state[W["categories"]]
                                         if c in cat_options]
    with st.sidebar:
        st.header(tr("filters.title"))
        st.button(tr("filters.reset"), on_click=reset_filters, key="w_reset", width="stretch")
        st.multiselect(tr("filters.category"), cat_options, key=W["categories"],
                       format_func=lambda c: f"{cat_labels.get(c, c)} ({cat_counts.get(c, 0)})",
                       placeholder=tr("filters.all"))
        st.multiselect(tr("filters.status"), list(codelists.status.index), key=W["statuses"],
                       format_func=lambda c: str(status_labels.get(c, c)),
                       placeholder=tr("filters.all"))
        st.multiselect(tr("filters.town"), list(town_names), key=W["towns"],
                       format_func=lambda c: str(town_names.get(c, c)),
                       placeholder=tr("filters.all"))
        st.multiselect(tr("filters.precision"), [int(c) for c in codelists.precision.index],
                       key=W["precisions"],
                       format_func=lambda c: f"{c} {prec_labels.get(c, '')}",
                       placeholder=tr("filters.all"))
        st.text_input(tr("filters.search"), key=W["text"], max_chars=viewstate.MAX_TEXT,
                      placeholder=tr("filters.search_hint"))
        st.selectbox(tr("basemap.label"), [b.key for b in bmaps], key=W["basemap"],
                     format_func=lambda k: get_basemap(k).label(tr.lang))
        if not kiosk:
            st.caption(tr("basemap.note"))

    state = current_state()
    basemap = get_basemap(state.basemap)
    filtered = filtering.filter_projects(projects, state.categories, state.statuses, state.towns,
                                 state.precisions, state.text, town_table=towns)
    figs = key_figures(filtered)

    # ---- key numbers
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("metric.shown"), figs["projects"])
    c2.metric(tr("metric.mapped"), figs["mapped"])
    c3.metric(tr("metric.district_wide"), figs["district_wide"])
    c4.metric(tr("metric.not_located"), figs["not_located"])

    modelled = towns is not None and bool(
        (towns.get("boundary_source", pd.Series(dtype=str)) != "official").any())
    if modelled:
        st.warning(tr("note.modelled"), icon="⚠️")
    if towns_notice and not kiosk:
        st.info(f"{tr('note.official_failed')}: {md_text(towns_notice)}")
    if key_notice and not kiosk:
        st.info(f"{tr('note.key_unusable')}: {md_text(key_notice)}")

    # ---- town view selector
    st.selectbox(tr("town.choose"), ["", *town_names], key=W["town"],
                 format_func=lambda c: tr("town.none") if not c else str(town_names.get(c, c)))
    state = current_state()

    # ---- the map
    legend_cats = [c for c in codelists.categories.index if c in cat_counts]
    base = build_map(district, towns, river, codelists, tr, basemap,
                     api_key=api_keys().get(basemap.needs_key, ""),
                     legend_categories=legend_cats)
    proj_path = data_dir() / "projects.geojson"
    features = features_cached(str(proj_path), _mtime(proj_path), tr.lang, basemap.key)
    groups = project_layers(filtered, codelists, tr, basemap, features=features)
    frame = district if district is not None else towns
    if state.town and towns is not None:
        groups.append(town_highlight(towns, state.town, basemap))
        frame = towns[towns["code"] == state.town]
    center = zoom = None
    if frame is not None and len(frame):
        bounds = bounds_of(for_display(frame, basemap))
        center, zoom = list(center_of(bounds)), zoom_for_bounds(bounds)
    st_folium(
        base,
        key=MAP_KEY,
        height=720 if kiosk else 600,
        use_container_width=True,
        returned_objects=["last_active_drawing", "last_object_clicked"],
        feature_group_to_add=groups,
        center=center,
        zoom=zoom,
        on_change=on_map_click,
    )
    st.caption(tr("map.caption", n=figs["mapped"], total=figs["projects"],
                  d=figs["district_wide"], u=figs["not_located"]))

    def count_tables(df: pd.DataFrame, key: str) -> None:
        """Counts by category and by status of ``df``, side by side."""
        left, right = st.columns(2)
        left.dataframe(count_frame(counts_by(df, "category", cat_options), cat_labels, tr,
                                   tr("col.category")), hide_index=True, key=f"{key}_cat")
        right.dataframe(count_frame(counts_by(df, "status", list(codelists.status.index)),
                                    status_labels, tr, tr("col.status")), hide_index=True,
                        key=f"{key}_status")

    # ---- town view
    if state.town and towns is not None:
        town_row = towns[towns["code"] == state.town].iloc[0]
        in_town = filtering.projects_in_town(filtered, state.town, towns)
        st.subheader(tr("town.heading", name=md_text(town_names.get(state.town, state.town))))
        st.metric(tr("town.count"), len(in_town))
        count_tables(in_town, "w_town")
        st.dataframe(projects_table(in_town, codelists, tr), hide_index=True,
                     width="stretch", key="w_town_list")
        if not kiosk:
            def brief() -> bytes:  # built only when the button is clicked
                return town_brief_html(town_row.to_dict(), in_town, codelists,
                                       generated_on=dt.date.today().isoformat(),
                                       source_note=tr("brief.source")).encode("utf-8")

            download(tr("town.brief"), brief,
                     f"gaoyao-town-brief-{state.town}.html", "text/html", "w_dl_brief")

    # ---- table, statistics, export
    names = [tr("tab.table"), tr("tab.stats")] + ([] if kiosk else [tr("tab.export")])
    tabs = st.tabs(names)
    with tabs[0]:
        st.dataframe(projects_table(filtered, codelists, tr), hide_index=True,
                     width="stretch", key="w_table")
    with tabs[1]:
        s1, s2, s3, s4 = st.columns(4)
        s1.metric(tr("stats.km_roads"), f"{figs['km_roads']:,.1f}")
        s2.metric(tr("stats.km_railway"), f"{figs['km_railway']:,.1f}")
        s3.metric(tr("stats.berths"), figs["berths"])
        s4.metric(tr("stats.dwt"), f"{figs['berth_dwt_total']:,.0f}")
        st.caption(tr("stats.note"))
        count_tables(filtered, "w_stats")
        cap = capacities(filtered)
        if len(cap):
            cap["category"] = cap["category"].map(cat_labels).fillna(cap["category"])
            st.dataframe(cap.rename(columns={
                "category": tr("col.category"), "capacity_unit": tr("col.unit"),
                "capacity": tr("col.capacity"), "projects": tr("col.count")}),
                hide_index=True, key="w_stats_cap")
    if not kiosk:
        with tabs[2]:
            st.caption(tr("export.note", n=len(filtered)))
            # exports are generated only when a button is clicked (callables)
            subset = filtered.copy()
            download(tr("export.geojson"), lambda: export.to_geojson(subset),
                     "gaoyao-projects.geojson", "application/geo+json", "w_dl_geojson")
            download(tr("export.csv"), lambda: export.to_csv(subset), "gaoyao-projects.csv",
                     "text/csv", "w_dl_csv")
            try:
                from geo.oc4ids import export_records
            except ImportError:
                export_records = None
            if export_records is not None:

                def oc4ids() -> str:
                    try:
                        package = export_records(subset)
                    except Exception as exc:  # the exporter must not take the app down
                        package = {"error": f"OC4IDS export failed: {type(exc).__name__}"}
                    return json.dumps(package, ensure_ascii=False, indent=1)

                download(tr("export.oc4ids"), oc4ids, "gaoyao-projects-oc4ids.json",
                         "application/json", "w_dl_oc4ids")

    if kiosk:
        home = "" if kiosk_forced() else "?mode=kiosk"
        kiosk_idle_timer(home, idle_seconds())
    sync_query_params(state)


main()
