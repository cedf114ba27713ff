"""Leaflet.draw for the progress form, served locally: ``make assets`` fetches the npm package
``leaflet-draw`` into ``static/vendor/leaflet-draw/`` (never committed, never a CDN).
`LocalDraw` is folium's Draw plugin pointed at those files; without them (no network at
set-up) the form places points by clicking only."""

from __future__ import annotations

from folium.plugins import Draw

from geo.paths import STATIC_DIR

DRAW_DIR = STATIC_DIR / "vendor" / "leaflet-draw"
URL = "/app/static/vendor/leaflet-draw"


#: shown under the progress map when the files are missing, so an official (and whoever set
#: the app up) sees why there is no line/polygon tool instead of a map silently without it
MISSING_NOTE = ("画线/画面工具（Leaflet.draw）未安装，目前只能点击地图放置点位；管理员请运行 "
                "`make assets`（从 npm 获取 leaflet-draw 到 static/vendor/leaflet-draw/）。"
                " · Line/polygon drawing is not installed (run `make assets`): points only.")


def draw_available() -> bool:
    """Whether ``static/vendor/leaflet-draw/`` holds leaflet.draw.js and leaflet.draw.css."""
    return (DRAW_DIR / "leaflet.draw.js").is_file() and (DRAW_DIR / "leaflet.draw.css").is_file()


DRAW_JS: list[tuple[str, str]] = [("leaflet_draw_js", f"{URL}/leaflet.draw.js")]
DRAW_CSS: list[tuple[str, str]] = [("leaflet_draw_css", f"{URL}/leaflet.draw.css")]


class LocalDraw(Draw):
    """folium.plugins.Draw loading Leaflet.draw from ``/app/static/vendor/leaflet-draw``."""

    default_js = DRAW_JS
    default_css = DRAW_CSS


def line_and_polygon_tool() -> LocalDraw:
    """Draw a line or a polygon (points are placed by a plain click)."""
    return LocalDraw(export=False, position="topleft",
                     draw_options={"polyline": True, "polygon": True, "rectangle": False,
                                   "circle": False, "marker": False, "circlemarker": False},
                     edit_options={"edit": False, "remove": False})
