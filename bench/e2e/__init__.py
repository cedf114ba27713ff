"""End-to-end benchmark: everything the browser receives, against fair baselines.

``python -m bench.e2e --sizes real,2000,20000 --pairs 3 --write`` (``make bench-e2e``) starts a
real ``streamlit run`` server per variant and drives Debian's Chromium through Playwright:

* **app** -- ``streamlit_app.py`` with ``GAOYAO_DATA_DIR`` pointing at the data of one size;
* **explore** -- `bench/e2e/baseline_explore.py`: ``st_folium(gdf.explore(...))``;
* **geojson** -- `bench/e2e/baseline_geojson.py`: ``folium.GeoJson`` + ``GeoJsonPopup``;

both baselines load the same ``projects.geojson``, show the same popup fields as the app's
popup (`bench.e2e.baseline.POPUP_FIELDS`), offer the same category filter in the sidebar and use
the same local Leaflet (``layers.assets.LocalMap``, served from ``static/vendor``).

What is measured (`bench.e2e.harness`): bytes received over HTTP and over the websocket (CDP),
the time from navigation to the project features being drawn (counted in the map's iframe by
a probe, `bench/e2e/probe.js`), the time from picking one category to the map's redraw, on a
cold visit (new browser context) and a warm one (second visit), in interleaved rounds.
"""
