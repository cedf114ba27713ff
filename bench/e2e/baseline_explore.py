"""Baseline 1: ``st_folium(gdf.explore(...))`` -- the real geopandas ``explore()`` (circle
markers for points), popup and tooltip of the app's fields. See `bench.e2e.baseline`."""

from bench.e2e.baseline import POPUP_FIELDS, TOOLTIP_FIELDS, empty_map, page


def explore_map(shown):
    m = empty_map(shown)
    if len(shown):
        shown.explore(m=m, popup=POPUP_FIELDS, tooltip=TOOLTIP_FIELDS)
    return m


page(explore_map)
