"""Loading the data, and every Streamlit cache of the app (st.cache_resource/st.cache_data):
caching lives here, never in geo/ or layers/."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import streamlit as st

from geo import codelists as gc
from geo import loading
from geo.i18n import I18n, load_table
from geo.paths import SYNONYMS_CSV
from geo.search import load_synonyms
from layers.assets import copy_assets, missing_assets
from layers.basemaps import get_basemap
from layers.payload import ProjectFeatures, project_features
from layers.town_map import LabelPlan, label_plan
from layers.towns import towns_stamp, towns_with_fallback
from ui.config import ROOT, data_dir


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
def features_cached(path: str, mtime: float, lang: str, basemap_key: str) -> ProjectFeatures:
    """Drawable features of every project for one language and basemap (see
    layers.payload.project_features); filtering then only picks ids."""
    projects = load_projects_cached(path, mtime)
    return project_features(projects, codelists_cached(), I18n(i18n_table(), lang),
                            get_basemap(basemap_key))


def features_for(lang: str, basemap_key: str) -> ProjectFeatures:
    path = projects_path()
    return features_cached(str(path), mtime(path), lang, basemap_key)


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


def load_all() -> MapData:
    """Projects, towns, district and river of the data dir, and a notice about the towns."""
    d = data_dir()
    proj = projects_path()
    layers = [d / "boundaries" / n for n in ("towns.geojson", "district.geojson",
                                             "xijiang.geojson")]
    projects = load_projects_cached(str(proj), mtime(proj))
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
                      zoom: float) -> LabelPlan:
    """`layers.town_map.label_plan`, cached by `key` (`layers.town_map.label_key`: the town
    counts, chips and marker obstacles it depends on), so a filter change that leaves the
    town counts alone does not place the labels again."""
    return label_plan(_projects, _towns, codelists_cached(), _names, lang,
                      get_basemap(basemap_key), zoom)
