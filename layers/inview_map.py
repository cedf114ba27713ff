"""The project layers of large mode: the lines, areas and single points `layers.inview.select`
chose for the view, drawn exactly as `layers.projects.project_layers` draws them (same
payload, styles, popups; no client-side clustering), plus the server-side clusters."""

from __future__ import annotations

import folium
import geopandas as gpd

from geo.codelists import Codelists
from geo.i18n import I18n
from layers.assets import LocalMarkerCluster
from layers.base import collection
from layers.basemaps import Basemap
from layers.elements import CompactJSON, TextGeoJson
from layers.inview import InView
from layers.payload import ProjectFeatures
from layers.projects import project_layers
from layers.scripts import js


def view_payload(features: ProjectFeatures, inview: InView) -> ProjectFeatures:
    """A `ProjectFeatures` holding only the parts of `inview`, sharing `features`' lookup
    tables (strings, styles, row labels, origin)."""
    out = ProjectFeatures()
    out.strings, out.styles, out.row_keys = features.strings, features.styles, features.row_keys
    out.origin = features.origin
    for pid, feats in inview.features.items():
        out[pid] = feats
        out.refs[pid] = features.refs.get(pid, ())
    return out


def inview_layers(projects: gpd.GeoDataFrame, codelists: Codelists, tr: I18n,
                  basemap: Basemap, features: ProjectFeatures,
                  inview: InView) -> list[folium.FeatureGroup]:
    """[lines and areas, points and clusters] of `inview` (`projects`: the filtered set)."""
    payload = view_payload(features, inview)
    shown = projects[projects["id"].astype(str).isin(payload.keys())]
    groups = project_layers(shown, codelists, tr, basemap, cluster=False, features=payload)
    # an empty marker cluster, so that the page header loads Leaflet.markercluster in large
    # mode too: st_folium loads the header's scripts only when the map is first mounted, and
    # a later small-mode render (a filter change) clusters its points in the browser
    LocalMarkerCluster(control=False).add_to(groups[-1])
    if inview.clusters:
        TextGeoJson(CompactJSON(collection(inview.cluster_features(features.origin))),
                    name="clusters", control=False, point_to_layer=js("server_cluster"),
                    coords_to_lat_lng=js("project_coords")).add_to(groups[-1])
    return groups
