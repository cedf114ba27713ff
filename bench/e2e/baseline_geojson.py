"""Baseline 2: one plain ``folium.GeoJson`` with a ``GeoJsonPopup`` of the app's popup fields
(points as Leaflet's default markers). See `bench.e2e.baseline`."""

import folium

from bench.e2e.baseline import POPUP_FIELDS, TOOLTIP_FIELDS, empty_map, page


def geojson_map(shown):
    m = empty_map(shown)
    if len(shown):
        folium.GeoJson(shown, name="projects",
                       popup=folium.GeoJsonPopup(fields=POPUP_FIELDS),
                       tooltip=folium.GeoJsonTooltip(fields=TOOLTIP_FIELDS)).add_to(m)
    return m


page(geojson_map)
