"""The shareable view state: what the URL query string carries (filters, town view, language,
mode, basemap), and which town a click on the map chose.

Pure (no Streamlit): query-string mappings in, `ViewState` out and back; every unknown or
malicious value falls back to the default. Clicks are WGS84 (EPSG:4326) lon/lat.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import geopandas as gpd
import shapely

MAX_TEXT = 80  # longest free-text query kept from a URL
LANGS = ("zh", "en")
MODES = ("normal", "kiosk")


@dataclass(frozen=True)
class ViewState:
    """What the URL query string carries: filters, town view, language, mode, basemap, the
    selected project and the map's centre and zoom."""

    lang: str = "zh"
    mode: str = "normal"
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    precisions: tuple[int, ...] = ()
    text: str = ""
    town: str = ""  # town view (code) or ''
    basemap: str = "none"
    project: str = ""  # the selected project (its card is open, the map shows it) or ''
    center: tuple[float, ...] = ()  # the map's centre (lat, lon) as last seen, or ()
    zoom: int = 0  # the map's zoom as last seen (MIN_ZOOM..MAX_ZOOM), or 0
    hidden_groups: tuple[str, ...] = ()  # category groups switched off on the map, or ()


#: a map centre from a URL must lie in this box (lat, lon; around 高要区 with a wide margin)
CENTER_BOX = (21.0, 25.5, 110.0, 116.0)
MIN_ZOOM, MAX_ZOOM = 6, 18

#: query-string key for each ViewState field
PARAM_KEYS = {
    "lang": "lang", "mode": "mode", "categories": "cat", "statuses": "status", "towns": "town",
    "precisions": "prec", "text": "q", "town": "view", "basemap": "base",
    "project": "project", "center": "c", "zoom": "z", "hidden_groups": "off",
}


@dataclass(frozen=True)
class Valid:
    """Allowed values for each ViewState field (from the codelists and the towns file)."""

    categories: Sequence[str] = ()
    statuses: Sequence[str] = ()
    towns: Sequence[str] = ()
    precisions: Sequence[int] = ()
    basemaps: Sequence[str] = ("none",)
    projects: Sequence[str] = ()
    groups: Sequence[str] = ()


def parse_center(value: object) -> tuple[float, ...]:
    """``"lat,lon"`` -> (lat, lon) rounded to 5 decimals, or () outside `CENTER_BOX` or
    malformed."""
    parts = _first(value).split(",")
    if len(parts) != 2:
        return ()
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        return ()
    lat_lo, lat_hi, lon_lo, lon_hi = CENTER_BOX
    if not (lat_lo <= lat <= lat_hi and lon_lo <= lon <= lon_hi):  # also rejects NaN
        return ()
    return (round(lat, 5), round(lon, 5))


def parse_zoom(value: object) -> int:
    """An integer zoom MIN_ZOOM..MAX_ZOOM, or 0."""
    try:
        z = int(float(_first(value)))
    except (ValueError, OverflowError):
        return 0
    return z if MIN_ZOOM <= z <= MAX_ZOOM else 0


def _first(value: object) -> str:
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return "" if value is None else str(value)


def _many(value: object, allowed: Sequence, cast: type = str) -> tuple:
    parts: list[str] = []
    for v in value if isinstance(value, list | tuple) else [value]:
        parts += [p for p in _first(v).split(",") if p]
    out = []
    for p in parts:
        try:
            item = cast(p.strip())
        except ValueError:
            continue
        if item in allowed and item not in out:
            out.append(item)
    return tuple(out)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_query_params(params: Mapping[str, object], valid: Valid) -> ViewState:
    """ViewState from a query-string mapping; unknown keys are ignored and every unknown or
    malicious value falls back to the default (values are checked against `valid`)."""
    get = lambda name: params.get(PARAM_KEYS[name], "")  # noqa: E731
    lang = _first(get("lang"))
    mode = _first(get("mode"))
    base = _first(get("basemap"))
    town = _first(get("town"))
    project = _first(get("project"))
    text = _CONTROL.sub(" ", _first(get("text")))[:MAX_TEXT].strip()
    return ViewState(
        lang=lang if lang in LANGS else "zh",
        mode=mode if mode in MODES else "normal",
        categories=_many(get("categories"), valid.categories),
        statuses=_many(get("statuses"), valid.statuses),
        towns=_many(get("towns"), valid.towns),
        precisions=_many(get("precisions"), valid.precisions, int),
        text=text,
        town=town if town in valid.towns else "",
        basemap=base if base in valid.basemaps else "none",
        project=project if project in valid.projects else "",
        center=parse_center(get("center")),
        zoom=parse_zoom(get("zoom")),
        hidden_groups=_many(get("hidden_groups"), valid.groups),
    )


def to_query_params(state: ViewState) -> dict[str, str]:
    """Query-string mapping for `state`, leaving out defaults (so the home URL is clean)."""
    default = ViewState()
    out: dict[str, str] = {}
    for f in fields(ViewState):
        value = getattr(state, f.name)
        if value == getattr(default, f.name):
            continue
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        out[PARAM_KEYS[f.name]] = str(value)
    return out


def town_at(lon: float, lat: float, towns: gpd.GeoDataFrame) -> str | None:
    """Code of the town containing the WGS84 point (lon, lat), or None."""
    pt = shapely.Point(lon, lat)
    hits = towns[towns.geometry.covers(pt)]
    return None if hits.empty else str(hits.iloc[0]["code"])


def town_from_click(clicked: Mapping | None, towns: gpd.GeoDataFrame,
                    previous: Mapping | None = None) -> str | None:
    """Town chosen by a click on the map, from st_folium's returned dict.

    Only a feature carrying ``properties.town_code`` (a town polygon or its summary badge,
    st_folium ``last_active_drawing``) chooses a town. A click on anything else -- a project, a
    marker cluster, the bare map (``last_object_clicked`` only) -- chooses nothing: there is
    no point-in-polygon fallback, so zooming into a cluster never switches the page into a
    town view. `previous` is the drawing of the last click already handled: st_folium keeps
    returning it after later clicks on things without a feature (a cluster), and it must not
    choose its town again."""
    if not clicked:
        return None
    codes = set(towns["code"].astype(str))
    drawing = clicked.get("last_active_drawing") or {}
    if not isinstance(drawing, Mapping) or (previous is not None and drawing == previous):
        return None
    props = drawing.get("properties") or {}
    if not isinstance(props, Mapping):
        return None
    code = str(props.get("town_code", ""))
    return code if code in codes else None
