"""The project layers: the lines/areas and the point markers (one marker cluster) of the
projects placed finer than their town, drawn from the compact payload (`layers.payload`) with
the browser functions in ``layers/js``."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from geo.aggregate import placements
from geo.codelists import Codelists
from geo.i18n import I18n
from layers.assets import LocalMarkerCluster
from layers.base import collection
from layers.basemaps import Basemap
from layers.elements import CompactJSON, LookupTable, TextGeoJson
from layers.payload import Feature, ProjectFeatures, project_features
from layers.scripts import js, js_source, with_config
from layers.style import esc

#: above this many lines/areas in one render they are drawn on one shared <canvas> instead of
#: one SVG element each (faster to draw; below it SVG keeps CSS classes for styling/tests)
CANVAS_MIN_SHAPES = 1500
#: placements drawn one by one (geo.aggregate); the others are summarised or listed
DRAWN = ("marker", "shape")
CLUSTER_COLOR = "#333333"
CLUSTER_OPTIONS = {"maxClusterRadius": 44, "disableClusteringAtZoom": 14,
                   "showCoverageOnHover": False}


def layer_name(color: str, label: str) -> str:
    """A layer's name: a dot in its colour and its escaped label."""
    return f'<span style="color:{color}">&#9679;</span> {esc(label)}'


def cluster_icon(color: str) -> str:
    """The iconCreateFunction of a category's cluster (`color`: a validated ``#rrggbb``)."""
    return with_config(js_source("cluster_icon"), {"color": color})


def project_layers(
    projects: gpd.GeoDataFrame,
    codelists: Codelists,
    tr: I18n,
    basemap: Basemap,
    cluster: bool = True,
    features: ProjectFeatures | None = None,
) -> list[folium.FeatureGroup]:
    """The drawn projects of `projects` (EPSG:4326): one FeatureGroup of lines and areas and
    one of point markers, coloured by category group (`layers.payload`).

    Only placements ``marker`` and ``shape`` (`geo.aggregate.placements`) are drawn: a project
    known only to its town is counted in the town summaries (`layers.town_summary`), a
    district-wide or unplaced one is listed beside the map. Points become the group's symbol,
    all in ONE marker cluster (when `cluster`; never one per category, whose clusters would
    pile on the same pixel); lines and areas are GeoJSON paths (on one shared canvas when
    there are more than `CANVAS_MIN_SHAPES`). The first group carries the lookup table (only
    the strings and styles these features use). `features` is an optional precomputed
    `project_features` result (for the same `tr` and `basemap`)."""
    if features is None:
        features = project_features(projects, codelists, tr, basemap)
    drawn = projects[placements(projects).isin(DRAWN)] if len(projects) else projects
    ids_all = drawn["id"].astype(str)
    located = drawn[ids_all.isin(features.keys())]
    group_order = {g: i for i, g in enumerate(codelists.groups.index)}
    rank = located["category"].map(
        lambda c: group_order.get(codelists.group_of.get(str(c), ""), len(group_order)))
    points: list[Feature] = []
    shapes: list[Feature] = []
    used_strings: set[int] = set()
    used_styles: set[int] = set()
    used_keys: set[int] = set()
    for pid in located.assign(_rank=rank).sort_values("_rank", kind="stable")["id"].astype(str):
        used_strings.update(features.refs.get(pid, ()))
        for feat in features[pid]:
            used_styles.add(feat["properties"].get("s", -1))
            used_keys.add(feat["properties"].get("k", -1))
            (points if "Point" in feat["geometry"]["type"] else shapes).append(feat)
    canvas = len(shapes) > CANVAS_MIN_SHAPES
    lines = folium.FeatureGroup(name=esc(tr("map.layer_shapes")), show=True)
    LookupTable({str(i): features.strings[i] for i in sorted(used_strings)},
                {str(i): features.styles[i] for i in sorted(used_styles)
                 if 0 <= i < len(features.styles)},
                {str(i): features.row_keys[i] for i in sorted(used_keys)
                 if 0 <= i < len(features.row_keys)},
                features.origin).add_to(lines)
    # areas under lines; the style comes from the lookup table (properties.s)
    shapes.sort(key=lambda f: 0 if "Polygon" in f["geometry"]["type"] else 1)
    if shapes:
        extra: dict[str, Any] = {"renderer": js("canvas")} if canvas else {}
        TextGeoJson(CompactJSON(collection(shapes)), on_each_feature=js("project_bind"),
                    name="shapes", control=False, style=js("project_style"),
                    coords_to_lat_lng=js("project_coords"), **extra).add_to(lines)
    markers = folium.FeatureGroup(name=esc(tr("map.layer_points")), show=True)
    if points:
        layer = TextGeoJson(CompactJSON(collection(points)),
                            on_each_feature=js("project_bind"), name="points", control=False,
                            point_to_layer=js("project_point"),
                            coords_to_lat_lng=js("project_coords"))
        if cluster:
            mc = LocalMarkerCluster(control=False, options=dict(CLUSTER_OPTIONS),
                                    icon_create_function=cluster_icon(CLUSTER_COLOR))
            layer.add_to(mc)
            mc.add_to(markers)
        else:
            layer.add_to(markers)
    return [lines, markers]
