"""Basemap providers (a small table) and their datum.

The default is ``none``: no tiles, a plain background, nothing fetched from the network.
AMap (高德) tiles are drawn in GCJ-02; choosing it makes `layers.map.build_map` convert every
overlay to GCJ-02 for display. The datum travels with the `Basemap` object, so the layer
builders cannot pair an AMap background with unconverted WGS84 overlays.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Literal

Datum = Literal["wgs84", "gcj02"]


@dataclass(frozen=True)
class Basemap:
    """A background: tile URL templates (``{key}`` is filled with the API key), attribution
    (HTML, shown on the map), the datum the tiles are drawn in, and the key it needs."""

    key: str
    label_zh: str
    label_en: str
    tiles: tuple[str, ...] = ()
    attribution: str = ""
    crs_datum: Datum = "wgs84"
    needs_key: str = ""  # name of the secret/env var holding the API key, '' if none
    subdomains: str = "abc"
    max_zoom: int = 18

    @property
    def offline(self) -> bool:
        """True when the basemap fetches nothing (no tiles)."""
        return not self.tiles

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def tile_urls(self, api_key: str = "") -> list[str]:
        """The tile URL templates with the API key filled in."""
        return [t.replace("{key}", api_key) for t in self.tiles]


_TDT = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)

BASEMAPS: dict[str, Basemap] = {
    b.key: b
    for b in (
        Basemap("none", "无底图(离线)", "No basemap (offline)"),
        Basemap(
            "osm", "OpenStreetMap", "OpenStreetMap",
            tiles=("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
            attribution='&copy; <a href="https://www.openstreetmap.org/copyright">'
            "OpenStreetMap</a> contributors",
            max_zoom=19,
        ),
        Basemap(
            "tianditu", "天地图", "Tianditu",
            tiles=(_TDT.replace("{layer}", "vec"), _TDT.replace("{layer}", "cva")),
            attribution='&copy; <a href="https://www.tianditu.gov.cn/">天地图</a> '
            "国家地理信息公共服务平台 (CGCS2000 ≈ WGS84)",
            needs_key="TIANDITU_KEY", subdomains="01234567",
        ),
        Basemap(
            "amap", "高德地图", "AMap (Gaode)",
            tiles=(
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                "&style=8&x={x}&y={y}&z={z}",
            ),
            attribution="&copy; 高德地图 AutoNavi (GCJ-02; overlays shifted to match)",
            crs_datum="gcj02", subdomains="1234",
        ),
    )
}


def gcj02_available() -> bool:
    """True when the WGS84 -> GCJ-02 converter (``geo.crs``) can be imported."""
    try:
        return importlib.util.find_spec("geo.crs") is not None
    except (ImportError, ValueError):
        return False


def available_basemaps(keys: dict[str, str] | None = None) -> list[Basemap]:
    """Basemaps usable now: those needing a key only when `keys` has it, AMap only when the
    GCJ-02 converter exists. ``none`` is always first."""
    keys = keys or {}
    out = []
    for b in BASEMAPS.values():
        if b.needs_key and not keys.get(b.needs_key):
            continue
        if b.crs_datum == "gcj02" and not gcj02_available():
            continue
        out.append(b)
    return out


def get_basemap(key: str) -> Basemap:
    """The basemap called `key`, or ``none`` for anything unknown."""
    return BASEMAPS.get(key, BASEMAPS["none"])
