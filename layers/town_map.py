"""The per-town summary layer of the app's map, assembled from the library pieces: the counts
(`geo.aggregate.town_summaries`), collision-free label spots (`layers.labels`) and the shaded
towns with their badges (`layers.town_summary`). Pure (no Streamlit); the app caches it.

A project known only to its town(s) (placement ``town``) is counted here, in every town it
names, never drawn as a dot at the town seat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass

import folium
import geopandas as gpd
import pandas as pd

from geo.aggregate import placements, shade_classes, town_summaries
from geo.codelists import Codelists
from layers.base import simplify_for_display
from layers.basemaps import Basemap
from layers.display import for_display
from layers.labels import (
    WEB_MERCATOR,
    LabelSpot,
    detail_zooms,
    label_size_px,
    leader_lines,
    metres_per_pixel,
    place_labels,
)
from layers.town_summary import SHADES, town_summary_layer

#: the Leaflet pane of the shaded town polygons (`layers.map.build_map` creates it): below the
#: overlay pane (400), so project lines and areas are always drawn and clicked over them
TOWN_PANE = "gyTowns"
TOWN_PANE_Z = 350
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


@dataclass(frozen=True)
class LabelMetrics:
    """Screen sizes (CSS pixels) of a town label as the map's stylesheet draws it: the name's
    font, a chip's width and the chips row's height, and the total badge (base width plus one
    digit's width). Must follow the CSS: `layers.town_summary.CSS` (desktop) and
    ``ui/css/kiosk_map.css`` (kiosk)."""

    font_px: float = 13.0
    chip_px: float = 20.0
    badge_px: float = 16.0
    total_base_px: float = 13.0
    total_digit_px: float = 7.0
    #: how far (px) a label may sit from its town, with a leader line (0: never)
    leader_px: float = 60.0


#: the desktop map's town labels (13 px names, 11 px badges)
DESKTOP_LABELS = LabelMetrics()
#: the kiosk map's town labels (18 px names, 15 px badges and chips: ui/css/kiosk_map.css)
KIOSK_LABELS = LabelMetrics(font_px=18.0, chip_px=25.0, badge_px=22.0, total_base_px=16.0,
                            total_digit_px=9.0, leader_px=80.0)


def total_px(n: int, metrics: LabelMetrics = DESKTOP_LABELS) -> float:
    """Width in pixels of a count badge showing `n` (0: no badge)."""
    return 0.0 if n <= 0 else metrics.total_base_px + metrics.total_digit_px * len(str(n))


def label_sizes(projects: pd.DataFrame, towns: gpd.GeoDataFrame, codelists: Codelists,
                names: Mapping[str, str], lang: str,
                metrics: LabelMetrics = DESKTOP_LABELS, summary: pd.DataFrame | None = None
                ) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """(name-and-total boxes, boxes with the chips row) of every town's label, in screen
    pixels (`layers.labels.label_size_px`); `summary`: `summary_table` of the same
    arguments, when already computed."""
    if summary is None:
        summary = summary_table(projects, towns, codelists)
    totals = summary["total"]
    n_chips = (summary[list(codelists.groups.index)] > 0).sum(axis=1)
    small: dict[str, tuple[float, float]] = {}
    full: dict[str, tuple[float, float]] = {}
    for c in towns["code"].astype(str):
        n = int(totals.get(c, 0))
        for out, chips in ((small, 0), (full, int(n_chips.get(c, 0)))):
            out[c] = label_size_px(names.get(c, c), chips, font_px=metrics.font_px,
                                   chip_px=metrics.chip_px, badge_px=metrics.badge_px,
                                   total_px=total_px(n, metrics))
    return small, full


#: screen size (px) of a project symbol and of a cluster icon, with a small margin
MARKER_PX = 26.0
CLUSTER_PX = 32.0
CLUSTER_RADIUS_PX = 44.0


def marker_obstacles(projects: pd.DataFrame, basemap: Basemap,
                     zoom: float) -> list[tuple[float, float, float, float]]:
    """Where the drawn project markers will sit at `zoom`, as label obstacles
    ``(lon, lat, w_px, h_px)`` in the basemap's datum: markers closer than the cluster radius
    are grouped greedily like the marker cluster does, a group at its mean position."""
    if not len(projects) or "geometry" not in projects:
        return []
    pts = projects[placements(projects) == "marker"]
    if not len(pts):
        return []
    shown = for_display(gpd.GeoDataFrame(pts, geometry="geometry", crs=projects.crs), basemap)
    points = [p for g in shown.geometry for p in getattr(g, "geoms", [g])]
    merc = gpd.GeoSeries(points, crs=shown.crs).to_crs(WEB_MERCATOR)
    radius = CLUSTER_RADIUS_PX * metres_per_pixel(zoom)
    groups: list[list[int]] = []
    for i, pt in enumerate(merc):
        for g in groups:
            if merc.iloc[g[0]].distance(pt) < radius:
                g.append(i)
                break
        else:
            groups.append([i])
    out = []
    for g in groups:
        size = CLUSTER_PX if len(g) > 1 else MARKER_PX
        for i in ([*g] if len(g) > 1 else g):  # the cluster may sit near any of its members
            out.append((points[i].x, points[i].y, size, size))
        if len(g) > 1:
            x = sum(points[i].x for i in g) / len(g)
            y = sum(points[i].y for i in g) / len(g)
            out.append((x, y, size, size))
    return out


LabelPlan = tuple[list[LabelSpot], dict[str, float]]


def label_key(projects: pd.DataFrame, towns: gpd.GeoDataFrame, codelists: Codelists,
              lang: str, basemap: Basemap, zoom: float,
              metrics: LabelMetrics = DESKTOP_LABELS) -> tuple:
    """Everything the label plan depends on, hashable (for the app's cache): the language,
    basemap, zoom, label metrics, every town's total and chip count, and the marker
    obstacles."""
    summary = summary_table(projects, towns, codelists)
    n_chips = (summary[list(codelists.groups.index)] > 0).sum(axis=1)
    chips = tuple(zip(summary.index, summary["total"].astype(int).tolist(),
                      n_chips.astype(int).tolist(), strict=True))
    obstacles = tuple(tuple(round(v, 6) for v in o)
                      for o in marker_obstacles(projects, basemap, zoom))
    return (lang, basemap.key, float(zoom), astuple(metrics), chips, obstacles)


def label_plan(projects: pd.DataFrame, towns: gpd.GeoDataFrame, codelists: Codelists,
               names: Mapping[str, str], lang: str, basemap: Basemap,
               zoom: float, metrics: LabelMetrics = DESKTOP_LABELS) -> LabelPlan:
    """Label spots at the map's default `zoom` (no overlap with each other nor with the
    markers and clusters of `marker_obstacles`; a town without room inside gets a leader
    line, `layers.labels.place_labels`) and the zoom from which each label shows its chips
    (when its chips row, too, is free). One definition for the desktop and the kiosk map,
    which differ only in their `metrics`."""
    summary = summary_table(projects, towns, codelists)
    shown = simplify_for_display(for_display(towns, basemap))
    codes = shown["code"].astype(str)
    totals = summary["total"]
    sizes, full = label_sizes(projects, shown, codelists, names, lang, metrics, summary)
    obstacles = marker_obstacles(projects, basemap, zoom)
    spots = place_labels(shown, sizes, zoom, ZOOM_STEPS,
                         priority={c: float(totals.get(c, 0)) for c in codes},
                         obstacles=obstacles, leader_px=metrics.leader_px)
    return spots, detail_zooms(spots, full, [zoom + s for s in ZOOM_STEPS], obstacles)


def town_layer(projects: pd.DataFrame, towns: gpd.GeoDataFrame, codelists: Codelists,
               names: Mapping[str, str], lang: str, tip: str, name: str, basemap: Basemap,
               zoom: float, highlight: str | None = None,
               plan: LabelPlan | None = None,
               metrics: LabelMetrics = DESKTOP_LABELS) -> folium.FeatureGroup:
    """The shaded towns with name, total and chips by group for the filtered `projects`
    (EPSG:4326), labels placed without collisions from the map's default `zoom` (`plan`: a
    precomputed `label_plan` for the same arguments)."""
    groups = group_table(codelists, lang)
    summary = summary_table(projects, towns, codelists)
    shown = simplify_for_display(for_display(towns, basemap))
    spots, detail = plan if plan is not None else label_plan(
        projects, towns, codelists, names, lang, basemap, zoom, metrics)
    sizes, _full = label_sizes(projects, shown, codelists, names, lang, metrics, summary)
    fg = town_summary_layer(shown, summary, spots, names, groups, tip, name,
                            highlight=highlight, detail=detail,
                            leaders=leader_lines(spots, sizes, zoom))
    for child in fg._children.values():  # the shaded polygons go under every project
        if isinstance(child, folium.GeoJson) and child.layer_name == "town_summary":
            child.options["pane"] = TOWN_PANE
    return fg


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
