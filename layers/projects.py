"""The project layers: one FeatureGroup per category, drawn from the compact payload
(`layers.payload`) with the browser functions in ``layers/js``."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from geo.codelists import Codelists
from geo.i18n import I18n
from layers.assets import LocalMarkerCluster
from layers.base import collection
from layers.basemaps import Basemap
from layers.elements import CompactJSON, LookupTable, TextGeoJson
from layers.payload import Feature, ProjectFeatures, project_features
from layers.scripts import js, js_source, with_config
from layers.style import category_color, esc

#: above this many lines/areas in one render they are drawn on one shared <canvas> instead of
#: one SVG element each (faster to draw; below it SVG keeps CSS classes for styling/tests)
CANVAS_MIN_SHAPES = 1500
CLUSTER_OPTIONS = {"maxClusterRadius": 40, "disableClusteringAtZoom": 14,
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
    """One FeatureGroup per category present in `projects` (EPSG:4326), in codelist order.

    Points become CircleMarkers (clustered per category when `cluster`), lines and areas
    GeoJSON paths (on one shared canvas when there are more than `CANVAS_MIN_SHAPES`); each
    carries its compact properties (`project_features`). The first group also carries the
    lookup table (only the strings and styles these features use). Features without geometry
    are skipped. `features` is an optional precomputed `project_features` result (for the same
    `tr` and `basemap`)."""
    if features is None:
        features = project_features(projects, codelists, tr, basemap)
    ids_all = projects["id"].astype(str)
    located = projects[ids_all.isin(features.keys())]
    cats = set(located["category"])
    order = [c for c in codelists.categories.index if c in cats]
    order += sorted(cats - set(order))
    by_cat = located.groupby("category", sort=False)["id"]
    plan: list[tuple[str, int, list[Feature], list[Feature]]] = []
    n_shapes = 0
    used_strings: set[int] = set()
    used_styles: set[int] = set()
    used_keys: set[int] = set()
    for cat in order:
        ids = by_cat.get_group(cat).astype(str)
        points: list[Feature] = []
        shapes: list[Feature] = []
        for pid in ids:
            used_strings.update(features.refs.get(pid, ()))
            for feat in features[pid]:
                used_styles.add(feat["properties"].get("s", -1))
                used_keys.add(feat["properties"].get("k", -1))
                is_point = "Point" in feat["geometry"]["type"]
                (points if is_point else shapes).append(feat)
        n_shapes += len(shapes)
        plan.append((cat, len(ids), points, shapes))
    canvas = n_shapes > CANVAS_MIN_SHAPES
    groups: list[folium.FeatureGroup] = []
    for cat, n_ids, points, shapes in plan:
        color = category_color(codelists, cat)
        label = str(codelists.categories.at[cat, f"label_{tr.lang}"]
                    if cat in codelists.categories.index else cat)
        fg = folium.FeatureGroup(name=layer_name(color, f"{label} ({n_ids})"), show=True)
        if not groups:
            LookupTable({str(i): features.strings[i] for i in sorted(used_strings)},
                        {str(i): features.styles[i] for i in sorted(used_styles)
                         if 0 <= i < len(features.styles)},
                        {str(i): features.row_keys[i] for i in sorted(used_keys)
                         if 0 <= i < len(features.row_keys)},
                        features.origin).add_to(fg)
        # areas under lines; the style comes from the lookup table (properties.s)
        shapes.sort(key=lambda f: 0 if "Polygon" in f["geometry"]["type"] else 1)
        if shapes:
            extra: dict[str, Any] = {"renderer": js("canvas")} if canvas else {}
            TextGeoJson(CompactJSON(collection(shapes)), on_each_feature=js("project_bind"),
                        name=cat, control=False, style=js("project_style"),
                        coords_to_lat_lng=js("project_coords"), **extra).add_to(fg)
        if points:
            layer = TextGeoJson(CompactJSON(collection(points)),
                                on_each_feature=js("project_bind"), name=cat, control=False,
                                point_to_layer=js("project_point"),
                                coords_to_lat_lng=js("project_coords"))
            if cluster:
                mc = LocalMarkerCluster(control=False, options=dict(CLUSTER_OPTIONS),
                                        icon_create_function=cluster_icon(color))
                layer.add_to(mc)
                mc.add_to(fg)
            else:
                layer.add_to(fg)
        groups.append(fg)
    return groups
