"""Time until a map render is drawn in a real headless Chromium (offline).

`draw_time(args, ...)` takes the component arguments st_folium would send (see
`bench.measure.st_folium_args`), writes them as ``<name>.json`` beside a small page that does
what the streamlit-folium frontend does -- load the Leaflet assets, ``eval`` the map
``script``, then the ``feature_group`` script, then attach a click handler to every layer --
serves both from ``http.server`` on 127.0.0.1 (with ``/app/static/vendor`` mapped to the
repository's ``static/vendor``, ``python -m layers.assets``), and opens the page in Debian's
``/usr/bin/chromium`` (never downloaded). Every request that is not to 127.0.0.1 is aborted;
CDN links of the baseline (folium's defaults) are replaced by the same local Leaflet files,
and its jQuery/Bootstrap/Font Awesome links are dropped (not needed to draw GeoJSON).

The draw time is ``performance.now()`` (ms since navigation start) two animation frames after
the scripts ran, i.e. after Leaflet added and laid out every feature and the browser painted;
the numbers of SVG paths, marker icons (incl. cluster icons) and canvases are reported too,
and ``project_marks`` (the app's project paths ``.gy-p`` and cluster icons ``.gy-cluster``).
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path
from typing import Any

from geo.paths import REPO_ROOT

ROOT = REPO_ROOT
VENDOR = ROOT / "static" / "vendor"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_JS = {"leaflet": "/app/static/vendor/leaflet/leaflet.js",
            "markercluster": "/app/static/vendor/markercluster/leaflet.markercluster.js"}
LOCAL_CSS = {"leaflet": ["/app/static/vendor/leaflet/leaflet.css"],
             "markercluster": ["/app/static/vendor/markercluster/MarkerCluster.css",
                               "/app/static/vendor/markercluster/MarkerCluster.Default.css"]}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bench</title>
{links}
{header}
<style>html,body{{margin:0}} #map_div{{width:1000px !important;height:600px !important;}}</style>
</head><body><div id="map_div"></div>
{html}
<script>
function onLayerClick(e) {{ window.__clicked = e; }}
fetch({name}).then(function(r) {{ return r.json(); }}).then(function(a) {{
  (0, eval)(a.script);
  window.map = map_div;
  if (a.feature_group) {{ (0, eval)(a.feature_group); }}
  for (var k in window.map._layers) {{
    var l = window.map._layers[k];
    if (l && typeof l.on === "function") {{ l.off("click", onLayerClick);
                                           l.on("click", onLayerClick); }}
  }}
  requestAnimationFrame(function() {{ requestAnimationFrame(function() {{
    window.__drawn = performance.now(); }}); }});
}}).catch(function(e) {{ window.__error = String(e); }});
</script></body></html>
"""


def _local(links: list[str], table: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for link in links:
        if link.startswith("/app/static/vendor/"):
            out.append(link)
            continue
        low = link.lower()
        key = "markercluster" if "markercluster" in low else (
            "leaflet" if "leaflet" in low and "awesome" not in low else "")
        if key:
            got = table[key]
            out.extend(got if isinstance(got, list) else [got])
    return list(dict.fromkeys(out))


def write_page(args: dict[str, Any], directory: Path, name: str) -> Path:
    """Write ``<name>.json`` and ``<name>.html`` into `directory`; return the page path."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    (directory / f"{stem}.json").write_text(json.dumps(args, ensure_ascii=False),
                                            encoding="utf-8")
    css = _local(list(args.get("css_links") or []), LOCAL_CSS)
    js = _local(list(args.get("js_links") or []), LOCAL_JS)
    if LOCAL_JS["leaflet"] not in js:
        js.insert(0, LOCAL_JS["leaflet"])
        css.insert(0, LOCAL_CSS["leaflet"][0])
    links = "\n".join([f'<link rel="stylesheet" href="{u}">' for u in css]
                      + [f'<script src="{u}"></script>' for u in js])
    page = PAGE.format(links=links, header=args.get("header") or "", html=args.get("html") or "",
                       name=json.dumps(f"{stem}.json"))
    path = directory / f"{stem}.html"
    path.write_text(page, encoding="utf-8")
    return path


class _Handler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0]
        if clean.startswith("/app/static/vendor/"):
            return str(VENDOR / clean[len("/app/static/vendor/"):])
        return super().translate_path(path)

    def log_message(self, *args: Any) -> None:
        pass


def draw_time(args: dict[str, Any], directory: Path, name: str,
              timeout_s: float = 120.0) -> dict[str, Any]:
    """Open the render described by `args` in headless Chromium; return ``draw_s`` (seconds
    from navigation start until the features are drawn) and element counts."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not installed (make browser)")
    if not (VENDOR / "leaflet" / "leaflet.js").is_file():
        from layers.assets import copy_assets

        copy_assets()
    page_path = write_page(args, directory, name)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    blocked: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 700})

                def route(r: Any) -> None:
                    if r.request.url.startswith(("http://127.0.0.1", "data:", "about:")):
                        r.continue_()
                    else:
                        blocked.append(r.request.url)
                        r.abort()

                page.route("**/*", route)
                url = f"http://127.0.0.1:{server.server_address[1]}/{page_path.name}"
                page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
                page.wait_for_function("() => window.__drawn || window.__error",
                                       timeout=timeout_s * 1000, polling=100)
                result = page.evaluate("""() => ({
                    drawn: window.__drawn, error: window.__error || null,
                    paths: document.querySelectorAll('.leaflet-overlay-pane path').length,
                    markers: document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon')
                        .length,
                    canvases: document.querySelectorAll('.leaflet-overlay-pane canvas').length,
                    projects: document.querySelectorAll('.gy-p, .gy-cluster').length})""")
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if result.get("error"):
        raise RuntimeError(result["error"])
    return {"draw_s": result["drawn"] / 1000.0, "paths": result["paths"],
            "markers": result["markers"], "canvases": result["canvases"],
            "project_marks": result["projects"],
            "blocked_requests": len(blocked)}
