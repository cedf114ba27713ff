"""Per-town summaries on the map: towns shaded by their number of town-level projects, each
with its name and a count badge (by group) placed where no other label is.

A project known only to its town (precision 3) is never drawn as a dot at the town seat; it is
counted here (see `geo.aggregate`). Inputs are already in the basemap's datum (`for_display`).
Every text is escaped in Python; the browser receives it as JSON data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from geo.aggregate import shade_classes
from geo.escape import esc
from layers.labels import LabelSpot

#: sequential fill per shade class (0 = no town-level project); ColorBrewer "Blues", 4 classes
SHADES = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5")
SHADE_OPACITY = 0.55
OUTLINE = "#555555"
HIGHLIGHT = "#E69F00"
#: a leader line from a town to its label placed outside it (`layers.labels`)
LEADER_STYLE = {"color": "#222222", "weight": 1.6, "opacity": 0.9, "lineCap": "round",
                "className": "gy-leader", "fill": False}

_STYLE = JsCode("function(feature) { return (feature.properties || {}).style || {}; }")
_BIND = JsCode(
    """function(feature, layer) {
        var p = feature.properties || {};
        if (p.tip) { layer.bindTooltip(p.tip, {sticky: !p.badge, direction: 'top'}); }
        if (typeof p.minzoom === 'number') {  // a leader line: shown with its label
            layer.on('add', function() {
                var el = layer.getElement && layer.getElement();
                if (el) { el.setAttribute('data-minzoom', String(p.minzoom));
                          el.classList.add('gy-zl'); }
            });
        }
    }"""
)
_BADGE = JsCode(
    """function(feature, latlng) {
        var p = feature.properties || {};
        return L.marker(latlng, {keyboard: false, riseOnHover: true,
            icon: L.divIcon({className: 'gy-town-badge', html: p.html, iconSize: null})});
    }"""
)


def _ink(background: str) -> str:
    """Black or white text, whichever reads better on `background` (#rrggbb; WCAG relative
    luminance, threshold 0.4)."""
    rgb = [int(background[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return "#000" if 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] > 0.4 else "#fff"


def _row_counts(summary: pd.DataFrame, code: str) -> dict[str, int]:
    """``{column: count}`` of one town's row of `summary`."""
    return {str(k): int(v) for k, v in summary.loc[[code]].iloc[0].items()}


def chip_count(summary: pd.DataFrame, code: str, groups: pd.DataFrame) -> int:
    """How many chips town `code` shows (groups with at least one town-level project)."""
    if code not in summary.index:
        return 0
    return int((summary.loc[[code], list(groups.index)].to_numpy() > 0).sum())


def _chips(counts: Mapping[str, int], groups: pd.DataFrame) -> str:
    """Small coloured count chips, one per group with projects (escaped HTML)."""
    chips = []
    for code, group in groups.iterrows():
        n = int(counts.get(str(code), 0))
        if n:
            chips.append(f'<i style="background:{esc(group["color"])};'
                         f'color:{esc(_ink(str(group["color"])))}" '
                         f'title="{esc(group["label"])}">{n}</i>')
    return "".join(chips)


def town_summary_features(towns: gpd.GeoDataFrame, summary: pd.DataFrame,
                          spots: Sequence[LabelSpot], names: Mapping[str, str],
                          groups: pd.DataFrame, tip: str, highlight: str | None = None,
                          detail: Mapping[str, float] | None = None,
                          leaders: Mapping[str, Sequence[tuple[float, float]]] | None = None
                          ) -> tuple[list[dict], list[dict]]:
    """(town polygons, town badges) as GeoJSON features with escaped properties.

    `summary`: index town code, ``total`` and one column per group (`geo.aggregate`);
    `groups`: index group code, ``label`` and ``color``; `tip` a format string with ``{name}``
    and ``{n}`` for the tooltip. A label shows the town's name and total from its spot's
    ``min_zoom``, and its chips by group from ``detail[code]`` (`layers.labels.detail_zooms`;
    default: with the name). Polygons and labels carry ``town_code`` (a click opens the town
    view). `leaders`: for a label placed outside its town, the leader line (lon/lat pairs, in
    the towns' datum) from a point inside the town to the label, drawn over the polygons."""
    classes = shade_classes(summary["total"]) if len(summary) else pd.Series(dtype=int)
    polygons, badges = [], []
    for code, geom in zip(towns["code"].astype(str), towns.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        n = int(summary["total"].get(code, 0)) if len(summary) else 0
        name = names.get(code, code)
        style = {"color": OUTLINE, "weight": 1.2, "opacity": 0.8, "className": "gy-town",
                 "fillColor": SHADES[int(classes.get(code, 0))], "fillOpacity": SHADE_OPACITY}
        if code == highlight:
            style.update(color=HIGHLIGHT, weight=4, opacity=1.0)
        text = str(esc(tip.format(name=name, n=n)))
        polygons.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                         "properties": {"town_code": code, "style": style, "tip": text}})
    min_zoom = {spot.code: spot.min_zoom for spot in spots}
    for code, line in (leaders or {}).items():
        n = int(summary["total"].get(code, 0)) if len(summary) else 0
        polygons.append({"type": "Feature",
                         "geometry": {"type": "LineString",
                                      "coordinates": [[float(x), float(y)] for x, y in line]},
                         "properties": {"town_code": code, "style": LEADER_STYLE,
                                        "minzoom": float(min_zoom.get(code, 0.0)),
                                        "tip": str(esc(tip.format(name=names.get(code, code),
                                                                  n=n)))}})
    for spot in spots:
        n = int(summary["total"].get(spot.code, 0)) if len(summary) else 0
        name = names.get(spot.code, spot.code)
        chips = _chips(_row_counts(summary, spot.code), groups) if n else ""
        chip_zoom = (detail or {}).get(spot.code, spot.min_zoom)
        row = (f'<span class="gy-zl" data-minzoom="{chip_zoom:g}">{chips}</span>'
               if chips else "")
        total = f"<em>{n}</em>" if n else ""
        html = (f'<div class="gy-tb gy-zl" data-minzoom="{spot.min_zoom:g}">'
                f'<div><b>{esc(name)}</b>{total}</div>{row}</div>')
        badges.append({"type": "Feature",
                       "geometry": {"type": "Point", "coordinates": [spot.lon, spot.lat]},
                       "properties": {"town_code": spot.code, "html": html, "badge": True,
                                      "tip": str(esc(tip.format(name=name, n=n)))}})
    return polygons, badges


CSS = """
.gy-town-badge { background: none; border: none; }
.gy-tb { transform: translate(-50%, -50%); display: inline-flex; flex-direction: column;
  align-items: center; white-space: nowrap; cursor: pointer; }
.gy-tb b { color: #222; font-weight: 700; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.gy-tb em { font-style: normal; font-size: 11px; font-weight: 700; color: #fff;
  background: #333; border-radius: 8px; padding: 0 5px; margin-left: 3px; line-height: 16px;
  display: inline-block; }
.gy-tb span { display: inline-flex; gap: 1px; margin-top: 1px; }
.gy-tb i { font-style: normal; font-size: 11px; font-weight: 700; color: #fff; min-width: 14px;
  padding: 0 3px; border-radius: 7px; text-align: center; line-height: 15px;
  box-shadow: 0 0 0 1px rgba(255,255,255,.8); }
.gy-zl.gy-hidden { display: none !important; }
"""


JS_FILE = Path(__file__).with_name("js") / "town_labels.js"


class _ZoomLabels(MacroElement):
    """Runs ``layers/js/town_labels.js`` on the map: hides labels below their minimum zoom."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.js }}
        gyTownLabels({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, js: str) -> None:
        super().__init__()
        self._name = "ZoomLabels"
        self.js = js


def town_summary_layer(towns: gpd.GeoDataFrame, summary: pd.DataFrame,
                       spots: Sequence[LabelSpot], names: Mapping[str, str],
                       groups: pd.DataFrame, tip: str, name: str,
                       highlight: str | None = None,
                       detail: Mapping[str, float] | None = None,
                       leaders: Mapping[str, Sequence[tuple[float, float]]] | None = None
                       ) -> folium.FeatureGroup:
    """A FeatureGroup with the shaded towns, their leader lines and their badges (see
    `town_summary_features`)."""
    polygons, badges = town_summary_features(towns, summary, spots, names, groups, tip,
                                             highlight, detail, leaders)
    fg = folium.FeatureGroup(name=str(esc(name)), show=True)
    folium.GeoJson({"type": "FeatureCollection", "features": polygons}, name="town_summary",
                   style_function=None, control=False, style=_STYLE,
                   on_each_feature=_BIND).add_to(fg)
    folium.GeoJson({"type": "FeatureCollection", "features": badges}, name="town_badges",
                   control=False, point_to_layer=_BADGE, on_each_feature=_BIND).add_to(fg)
    return fg


def zoom_labels(m: folium.Map) -> None:
    """Let `m` hide town labels below their minimum zoom (add once per map)."""
    m.add_child(_ZoomLabels(JS_FILE.read_text(encoding="utf-8")))
