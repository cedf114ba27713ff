"""Loading the data, and every Streamlit cache of the app (st.cache_resource/st.cache_data):
caching lives here, never in geo/ or layers/."""

from __future__ import annotations

import contextlib
import gc as pygc
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import geopandas as gpd
import streamlit as st

from geo import codelists as gc
from geo import loading
from geo.i18n import I18n, load_table
from geo.paths import SYNONYMS_CSV
from geo.search import load_synonyms
from layers.assets import copy_assets, missing_assets
from layers.basemaps import get_basemap
from layers.inview import FeatureIndex, build_index
from layers.payload import ProjectFeatures, project_features
from layers.town_map import DESKTOP_LABELS, LabelMetrics, LabelPlan, label_plan
from layers.towns import towns_stamp, towns_with_fallback
from ui.config import ROOT, data_dir

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tracking.baseline import Baseline

#: session-state key of the state stamp the map's data was built with (see `load_all`)
STAMP_KEY = "gy_state_stamp"


class MapData(NamedTuple):
    """projects, towns, district, river (EPSG:4326) and a notice about the town boundaries."""

    projects: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame | None
    district: gpd.GeoDataFrame | None
    river: gpd.GeoDataFrame | None
    towns_notice: str


def mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else -1.0


def projects_path() -> Path:
    return data_dir() / "projects.geojson"


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
def features_cached(path: str, mtime: float, lang: str, basemap_key: str,
                    stamp: tuple | None = None) -> ProjectFeatures:
    """Drawable features of every project for one language and basemap (see
    layers.payload.project_features); filtering then only picks ids. `stamp` (see
    `state_stamp`): the projects with the tracked state applied."""
    projects = (load_projects_cached(path, mtime) if stamp is None
                else projects_with_state_cached(path, mtime, stamp))
    return project_features(projects, codelists_cached(), I18n(i18n_table(), lang),
                            get_basemap(basemap_key))


def features_for(lang: str, basemap_key: str) -> ProjectFeatures:
    """The features of the projects as `load_all` last returned them in this session
    (baseline, or baseline + tracked events now / as of a date)."""
    path = projects_path()
    return features_cached(str(path), mtime(path), lang, basemap_key,
                           st.session_state.get(STAMP_KEY))


@st.cache_resource(show_spinner=False, max_entries=8)
def inview_index_cached(path: str, mtime: float, lang: str, basemap_key: str,
                        stamp: tuple | None = None) -> FeatureIndex:
    """`layers.inview.build_index` of `features_cached` with the same arguments (large
    mode: the parts as arrays, once per process and payload)."""
    return build_index(features_cached(path, mtime, lang, basemap_key, stamp))


@st.cache_resource(show_spinner=False, max_entries=4)
def heap_frozen(path: str, mtime: float) -> bool:
    """Once per data file version: collect, then move every object alive now (the loaded
    data and the caches the first run built) out of the cyclic garbage collector's sight
    (`gc.freeze`). At 100 000 projects each full collection walked
    the objects of those caches: ~3 s, 35 times in a few minutes of visits, stalling
    whichever run was going on (bench/RESULTS-e2e.md). Frozen objects are still freed by
    reference counting when a cache drops them; only cyclic garbage alive at this moment
    (the current run's) is kept, once per data version."""
    pygc.collect()
    pygc.freeze()
    return True


def freeze_heap() -> None:
    """`heap_frozen` for the current data file (call after the caches are warm)."""
    path = projects_path()
    heap_frozen(str(path), mtime(path))


def inview_index_for(lang: str, basemap_key: str) -> FeatureIndex:
    """The index of `features_for(lang, basemap_key)`."""
    path = projects_path()
    return inview_index_cached(str(path), mtime(path), lang, basemap_key,
                               st.session_state.get(STAMP_KEY))


# ---------------------------------------------------------------- progress tracking

def tracking_url() -> str:
    from tracking.db import database_url

    return database_url()


def tracking_exists() -> bool:
    """Is there a tracking database? ``GAOYAO_DATABASE_URL`` set, or the default SQLite file
    (``instance/tracking.sqlite``) present. Without one the app shows the plan baseline and
    creates nothing (a kiosk writes no file)."""
    from tracking.db import DEFAULT_PATH, ENV_VAR

    return bool(os.environ.get(ENV_VAR)) or DEFAULT_PATH.is_file()


@st.cache_resource(show_spinner=False, max_entries=4)
def engine_cached(url: str) -> Engine:
    """One SQLAlchemy engine per database URL and process, migrated to the newest schema."""
    from tracking.db import make_engine
    from tracking.migrate import ensure_schema

    engine = make_engine(url)
    ensure_schema(engine)
    return engine


def tracking_engine() -> Engine | None:
    """The tracking database's engine, or None when there is none (see `tracking_exists`)."""
    return engine_cached(tracking_url()) if tracking_exists() else None


@st.cache_resource(show_spinner=False, max_entries=4)
def baseline_cached(path: str, mtime: float) -> Baseline:
    """The tracking baseline of the app's projects file (one object: the library's state
    cache is keyed on it)."""
    from tracking.baseline import load_baseline

    return load_baseline(path)


def baseline() -> Baseline:
    path = projects_path()
    return baseline_cached(str(path), mtime(path))


def state_stamp(as_of: date | None = None) -> tuple | None:
    """What identifies the tracked state to show: (database URL, newest event id and time,
    as-of date or ''), or None without a database. One indexed query per run."""
    engine = tracking_engine()
    if engine is None:
        return None
    from tracking.state import events_marker

    day = "" if as_of is None or as_of >= date.today() else as_of.isoformat()
    return (tracking_url(), *events_marker(engine), day)


@st.cache_resource(show_spinner=False, max_entries=8)
def projects_with_state_cached(path: str, mtime: float, stamp: tuple) -> gpd.GeoDataFrame:
    """The projects with the tracked state applied (`tracking.state.apply_state`): current,
    or as of the stamp's date; cached until a new event is recorded (the stamp changes)."""
    from tracking import state

    engine, base = tracking_engine(), baseline_cached(path, mtime)
    assert engine is not None
    day = stamp[-1]
    frame = state.state_as_of(engine, base, day) if day else state.current_state(engine, base)
    out = state.apply_state(load_projects_cached(path, mtime), frame)
    if "status_zh" in out.columns:
        labels = codelists_cached().status["label_zh"]
        out["status_zh"] = out["status"].map(labels).fillna(out["status_zh"])
    return out


def current_projects(as_of: date | None = None) -> gpd.GeoDataFrame:
    """The projects as the app shows them: the plan baseline, with the tracked progress
    (now, or as of `as_of`) when a tracking database exists."""
    path = projects_path()
    stamp = state_stamp(as_of)
    st.session_state[STAMP_KEY] = stamp
    if stamp is None:
        return load_projects_cached(str(path), mtime(path))
    return projects_with_state_cached(str(path), mtime(path), stamp)


@st.cache_data(show_spinner=False)
def load_repo_towns(stamp: tuple) -> tuple[gpd.GeoDataFrame | None, str]:
    """`layers.towns.towns_with_fallback`, cached; `stamp` (paths and mtimes) only keys the
    cache."""
    return towns_with_fallback()


@st.cache_resource(show_spinner=False)
def codelists_cached() -> gc.Codelists:
    return gc.load_codelists(ROOT / "data" / "codelists")


@st.cache_resource(show_spinner=False)
def synonyms_cached() -> dict[str, tuple[str, ...]]:
    """The search synonym table (``data/search_synonyms.csv``, see `geo.search`)."""
    return load_synonyms(SYNONYMS_CSV)


@st.cache_resource(show_spinner=False)
def i18n_table() -> dict[str, dict[str, str]]:
    return load_table(ROOT / "data" / "i18n.csv")


@st.cache_resource(show_spinner=False)
def ensure_assets() -> list[str]:
    if missing_assets():
        copy_assets()
    return missing_assets()


def load_all(as_of: date | None = None) -> MapData:
    """Projects (with the tracked state, now or as of `as_of`, when a tracking database
    exists: `current_projects`), towns, district and river of the data dir, and a notice
    about the towns."""
    d = data_dir()
    layers = [d / "boundaries" / n for n in ("towns.geojson", "district.geojson",
                                             "xijiang.geojson")]
    projects = current_projects(as_of)
    towns, district, river = (load_layer_cached(str(p), mtime(p)) for p in layers)
    notice = ""
    if d.resolve() == (ROOT / "data").resolve():
        with contextlib.suppress(ImportError):  # without geo.boundaries: the plain file
            towns, notice = load_repo_towns(towns_stamp())
    if towns is not None and "code" in towns.columns:
        towns = towns.assign(code=towns["code"].astype(str))
    return MapData(projects, towns, district, river, notice)


@st.cache_resource(show_spinner=False, max_entries=64)
def label_plan_cached(key: tuple, _projects: gpd.GeoDataFrame, _towns: gpd.GeoDataFrame,
                      _names: dict[str, str], lang: str, basemap_key: str,
                      zoom: float, _metrics: LabelMetrics = DESKTOP_LABELS) -> LabelPlan:
    """`layers.town_map.label_plan`, cached by `key` (`layers.town_map.label_key`: the town
    counts, chips, label metrics and marker obstacles it depends on), so a filter change that
    leaves the town counts alone does not place the labels again. The desktop map and the
    kiosk map (`_metrics` = `layers.town_map.KIOSK_LABELS`) both plan their labels here."""
    return label_plan(_projects, _towns, codelists_cached(), _names, lang,
                      get_basemap(basemap_key), zoom, _metrics)
