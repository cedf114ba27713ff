"""The compact project payload: drawable features per project id, with their strings, styles
and popup row labels interned in lookup tables (`ProjectFeatures`).

The browser (``layers/js/project_bind.js``) builds the tooltip and popup from these, only when
one is opened; every string here is already HTML-escaped (`layers.style.esc`)."""

from __future__ import annotations

import json
import math
from collections.abc import Hashable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.codelists import Codelists
from geo.i18n import I18n
from geo.stats import DISTRICT_LEVEL
from layers.basemaps import Basemap
from layers.display import DISPLAY_DECIMALS, for_display, parts, records
from layers.style import (
    FALLBACK_COLOR,
    drawn_kind,
    esc,
    feature_style,
    is_approximate,
    popup_rows,
    status_stage,
    title,
    tooltip_line,
)
from layers.symbols import symbol_svg

COORD_SCALE = 10 ** DISPLAY_DECIMALS

Feature = dict[str, Any]


class ProjectFeatures(dict[str, list[Feature]]):
    """``{project id: [compact GeoJSON feature, ...]}`` plus the lookup tables they refer to:
    `strings` (escaped HTML strings shared by many features), `styles` (Leaflet path
    options), `row_keys` (popup row label lists) and, per id, the string indices its features
    use (`refs`)."""

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self.styles: list[dict[str, Any]] = []
        self.row_keys: list[list[int]] = []
        self.refs: dict[str, tuple[int, ...]] = {}
        self.origin: tuple[int, int] = (0, 0)


class Interner:
    """Appends a value to `items` once and returns its index (keyed by `key` or the value)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.index: dict[Hashable, int] = {}

    def __call__(self, value: Any, key: Hashable = None) -> int:
        key = value if key is None else key
        got = self.index.get(key)
        if got is None:
            got = self.index[key] = len(self.items)
            self.items.append(value)
        return got


def int_coords(geometry: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry mapping with every coordinate as an int."""
    def conv(c: Any) -> Any:
        if isinstance(c, (list, tuple)):
            return [conv(v) for v in c]
        return int(c)

    return {"type": geometry["type"], "coordinates": conv(geometry["coordinates"])}


def group_symbol(codelists: Codelists, category: str) -> tuple[str, str]:
    """(colour, symbol) of the category's group (groups.csv); projects are coloured by group,
    categories stay filterable in the sidebar."""
    group = codelists.group_of.get(str(category), "")
    if group in codelists.groups.index:
        row = codelists.groups.loc[group]
        return str(row["color"]), str(row["symbol"])
    return FALLBACK_COLOR, "circle"


def schematic(geom: Any, precision: int) -> bool:
    """True for a line drawn from an approximate route (precision 5 and the like): its
    tooltip says 示意线路 / schematic route."""
    return precision not in (1, 3, 4, 9) and geom is not None and "Line" in geom.geom_type


def project_features(
    projects: gpd.GeoDataFrame, codelists: Codelists, tr: I18n, basemap: Basemap
) -> ProjectFeatures:
    """GeoJSON features to draw for each project id (EPSG:4326 in; coordinates in the basemap's
    datum, rounded to `DISPLAY_DECIMALS`): one per part of a GeometryCollection. Projects
    without geometry get no entry. Pure data, so the app can cache it per language and basemap
    and reuse it for every filter combination.

    Properties are compact (the popup is built in the browser only when opened, from strings
    escaped here): ``pid`` (id), ``s`` (index into `ProjectFeatures.styles`), ``a`` (1 when
    the place is approximate), ``h`` (escaped title, other-language title and, when escaping
    changes it, the id), ``t`` (tooltip line), ``k`` (index into `ProjectFeatures.row_keys`: the
    popup row labels) and ``v`` (the row values); a number in ``t``/``v`` or a key list is an
    index into `ProjectFeatures.strings`, a string is inline. Coordinates are integers, steps of
    10^-`DISPLAY_DECIMALS` degree from `ProjectFeatures.origin` (whole degrees, lon/lat).

    District-level projects (precision 4) are not drawn: their point only stands for "somewhere
    in 高要区", and a marker would claim a place. They are counted beside the map and listed
    in the table."""
    drawable = projects.geometry.notna() & ~projects.geometry.is_empty
    if "precision" in projects:
        drawable &= pd.to_numeric(projects["precision"], errors="coerce") != DISTRICT_LEVEL
    shown = for_display(projects[drawable], basemap)
    out = ProjectFeatures()
    string = Interner(out.strings)
    style_of = Interner(out.styles)
    key_of = Interner(out.row_keys)
    if len(shown):
        minx, miny = (math.floor(float(v)) for v in shown.total_bounds[:2])
        out.origin = (int(minx), int(miny))
    ox, oy = out.origin

    def as_ints(xy: np.ndarray) -> np.ndarray:
        return np.round((xy - (ox, oy)) * COORD_SCALE)

    other = "title_en" if tr.lang == "zh" else "title_zh"
    prepared: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
    counts: dict[str, int] = {}
    for props in records(shown):
        rows = [(esc(k), esc(v)) for k, v in popup_rows(props, codelists, tr)]
        for _, v in rows:
            counts[v] = counts.get(v, 0) + 1
        prepared.append((props, rows))
    for props, rows in prepared:
        geom = props.pop("geometry")
        pid = str(props.get("id", ""))
        color, symbol = group_symbol(codelists, props.get("category", ""))
        stage, dash = status_stage(codelists, props.get("status", ""))
        precision = int(props.get("precision") or 9)
        head = [esc(title(props, tr.lang)), esc(props.get(other) or "")]
        if esc(pid) != pid:
            head.append(esc(pid))
        labels = [string(k) for k, _ in rows]
        values: list[int | str] = [string(v) if counts[v] > 1 else v for _, v in rows]
        base: dict[str, Any] = {
            "pid": pid, "a": int(is_approximate(precision)), "h": head,
            "t": string(tooltip_line(props, codelists, tr.lang)
                        + (f" · {esc(tr('map.schematic'))}" if schematic(geom, precision)
                           else "")),
            "k": key_of(labels, tuple(labels)), "v": values}
        refs = {base["t"], *labels, *(x for x in values if isinstance(x, int))}
        feats = []
        for part in parts(geom):
            if part.is_empty:
                continue
            kind = drawn_kind(part.geom_type)
            style = feature_style(color, stage, dash, precision, kind)
            if kind == "point":  # the group's symbol (layers/js/project_point.js)
                style["html"] = symbol_svg(color, symbol, stage, dash,
                                           is_approximate(precision))
            key = json.dumps(style, sort_keys=True)
            coords = shapely.geometry.mapping(shapely.transform(part, as_ints))
            feats.append({"type": "Feature", "geometry": int_coords(coords),
                          "properties": {**base, "s": style_of(style, key)}})
        out[pid] = feats
        out.refs[pid] = tuple(sorted(refs))
    return out
