"""The per-town summary layer of the app's map, assembled from the library pieces: the counts
(`geo.aggregate.town_summaries`), collision-free label spots (`layers.labels`) and the shaded
towns with their badges (`layers.town_summary`). Pure (no Streamlit); the app caches it.

A project known only to its town(s) (placement ``town``) is counted here, in every town it
names, never drawn as a dot at the town seat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from geo.aggregate import shade_classes, town_summaries
from geo.codelists import Codelists
from layers.base import simplify_for_display
from layers.basemaps import Basemap
from layers.display import for_display
from layers.labels import detail_zooms, label_size_px, place_labels
from layers.town_summary import SHADES, chip_count, town_summary_layer

#: label zoom steps above the map's default zoom (layers.labels)
ZOOM_STEPS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)


def group_table(codelists: Codelists, lang: str) -> pd.DataFrame:
    """The groups as `layers.town_summary` wants them: index code, ``label``, ``color``."""
    g = codelists.groups
    return pd.DataFrame({"label": g[f"label_{lang}"], "color": g["color"]}, index=g.index)


def summary_table(projects: pd.DataFrame, towns: gpd.GeoDataFrame,
                  codelists: Codelists) -> pd.DataFrame:
    """Town-level project counts per town (``total`` and one column per group)."""
    return town_summaries(projects, codelists.group_of, towns["code"].astype(str),
                          codelists.groups.index)


def total_px(n: int) -> float:
    """Width in pixels of a count badge showing `n` (0: no badge)."""
    return 0.0 if n <= 0 else 13.0 + 7.0 * len(str(n))


def town_layer(projects: pd.DataFrame, towns: gpd.GeoDataFrame, codelists: Codelists,
               names: Mapping[str, str], lang: str, tip: str, name: str, basemap: Basemap,
               zoom: float, highlight: str | None = None) -> folium.FeatureGroup:
    """The shaded towns with name, total and chips by group for the filtered `projects`
    (EPSG:4326), labels placed without collisions from the map's default `zoom`."""
    groups = group_table(codelists, lang)
    summary = summary_table(projects, towns, codelists)
    shown = simplify_for_display(for_display(towns, basemap))
    codes = shown["code"].astype(str)
    totals = summary["total"]
    sizes = {c: label_size_px(names.get(c, c), total_px=total_px(int(totals.get(c, 0))))
             for c in codes}
    spots = place_labels(shown, sizes, zoom, ZOOM_STEPS,
                         priority={c: float(totals.get(c, 0)) for c in codes})
    full = {c: label_size_px(names.get(c, c), chip_count(summary, c, groups),
                             total_px=total_px(int(totals.get(c, 0)))) for c in codes}
    detail = detail_zooms(spots, full, [zoom + s for s in ZOOM_STEPS])
    return town_summary_layer(shown, summary, spots, names, groups, tip, name,
                              highlight=highlight, detail=detail)


@dataclass(frozen=True)
class ShadeClass:
    """One class of the town shading for the legend: colour and the count range."""

    color: str
    low: int
    high: int


def shade_legend(summary: pd.DataFrame) -> list[ShadeClass]:
    """The shading classes in use (class 0 = no town-level project first), with the range of
    counts each one covers."""
    totals = summary["total"] if len(summary) else pd.Series(dtype=int)
    classes = shade_classes(totals)
    out = []
    for k, color in enumerate(SHADES):
        members = totals[classes == k]
        if k == 0:
            out.append(ShadeClass(color, 0, 0))
        elif len(members):
            out.append(ShadeClass(color, int(members.min()), int(members.max())))
    return out
