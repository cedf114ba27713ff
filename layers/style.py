"""Symbology of projects and the escaped texts their tooltips and popups are built from
(pure functions, no folium; the browser assembles the HTML, see ``layers/js/project_bind.js``).

Two independent visual channels:

* **status** (status.csv ``stage``/``dash``): proposed = dashed outline and lighter, active =
  solid, done = solid and fully filled, cancelled = grey dotted;
* **precision** (precision.csv): exact (1) is drawn filled and crisp; every approximate place
  (precision >= 2) is drawn *hollow* (points and areas: white/empty centre) or, for lines, as a
  wide dashed schematic line (示意线路) -- never like an exact one.

Colours come from the category's *group* (groups.csv, Okabe–Ito) and points get the group's
symbol (`layers.symbols`).

Every text that reaches the browser goes through `geo.escape.esc` here; the caller puts the result
in a JSON property (folium's ``tojson`` makes it safe inside ``<script>``) and Leaflet shows it.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Mapping

from geo.codelists import Codelists
from geo.escape import esc
from geo.i18n import I18n
from geo.schema import split_list

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
FALLBACK_COLOR = "#566573"
CANCELLED_COLOR = "#7f7f7f"
STAGE_OPACITY = {"proposed": 0.45, "active": 0.8, "done": 1.0, "cancelled": 0.35}
AREA_FILL = {"proposed": 0.12, "active": 0.28, "done": 0.45, "cancelled": 0.05}
POINT_RADIUS = {1: 7, 2: 8, 3: 9, 4: 9, 5: 9, 9: 9}


_ROWS: dict[int, tuple[weakref.ref, dict]] = {}


def _rows(df: object) -> dict:
    """``{code: {column: value}}`` of a codelist DataFrame, built once per frame (a plain dict
    lookup instead of ``DataFrame.loc`` per feature; codelist frames are never modified)."""
    hit = _ROWS.get(id(df))
    if hit is not None and hit[0]() is df:
        return hit[1]
    table = {code: dict(row) for code, row in df.iterrows()}  # type: ignore[attr-defined]
    if len(_ROWS) > 64:
        _ROWS.clear()
    _ROWS[id(df)] = (weakref.ref(df), table)
    return table


def _row(df: object, code: object) -> dict:
    """The codelist row of `code`; KeyError when unknown (or not hashable)."""
    try:
        return _rows(df)[code]
    except TypeError as exc:
        raise KeyError(code) from exc


def category_color(codelists: Codelists, category: str) -> str:
    """The category's colour from categories.csv (validated ``#rrggbb``)."""
    try:
        color = str(_row(codelists.categories, category)["color"])
    except KeyError:
        return FALLBACK_COLOR
    return color if HEX.match(color) else FALLBACK_COLOR


def status_stage(codelists: Codelists, status: str) -> tuple[str, str]:
    """(stage, dash) of a status code; unknown codes count as proposed, dashed."""
    try:
        row = _row(codelists.status, status)
    except KeyError:
        return "proposed", "6 6"
    return str(row["stage"]), str(row["dash"] or "")


def is_approximate(precision: int) -> bool:
    """True for every precision code other than 1 (exact)."""
    return int(precision) != 1


def feature_style(color: str, stage: str, dash: str, precision: int, kind: str) -> dict:
    """Leaflet path options for one project.

    `kind` is the drawn geometry: ``point``, ``line`` or ``area``. Returns a dict with
    ``color``, ``weight``, ``opacity``, ``fillColor``, ``fillOpacity``, ``dashArray``
    (and ``radius`` for points)."""
    approx = is_approximate(precision)
    stroke = CANCELLED_COLOR if stage == "cancelled" else color
    opacity = STAGE_OPACITY.get(stage, 0.6)
    style: dict = {"color": stroke, "opacity": opacity, "dashArray": dash or None,
                   "className": f"gy-p gy-{kind}"}
    if kind == "point":
        style.update(
            radius=POINT_RADIUS.get(int(precision), 9),
            weight=3 if approx else 2,
            fillColor="#ffffff" if approx else stroke,
            fillOpacity=0.9 if approx else max(opacity, 0.5),
        )
    elif kind == "line":
        # an approximate (schematic) route: a wide dashed line, status by opacity only
        style.update(
            weight=6 if approx else 4,
            opacity=round(0.35 + 0.5 * opacity if approx else opacity, 3),
            lineCap="butt" if approx else "round",
            dashArray="12 7" if approx else (dash or None),
        )
    else:
        style.update(
            weight=2,
            fillColor=stroke,
            fillOpacity=0.0 if approx else AREA_FILL.get(stage, 0.2),
            dashArray=dash or ("3 5" if approx else None),
        )
    return style


def drawn_kind(geom_type: str) -> str:
    """``point``/``line``/``area`` for a shapely geometry type name."""
    if "Point" in geom_type:
        return "point"
    if "Line" in geom_type:
        return "line"
    return "area"


def _label(codelists_df: object, code: object, lang: str, column: str = "label") -> str:
    try:
        row = _row(codelists_df, code)
    except KeyError:
        return str(code)
    return str(row[f"{column}_{lang}"])


def _num(value: object) -> str:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if math.isnan(f):
        return ""
    return f"{f:,.0f}" if f == int(f) else f"{f:,.2f}"


def quantities(props: Mapping, tr: I18n) -> list[tuple[str, str]]:
    """(label, value) pairs of the quantities a project has (unescaped)."""
    out = []
    berths, dwt = _num(props.get("berths")), _num(props.get("berth_dwt"))
    if berths:
        out.append((tr("q.berths"), berths + (f" × {dwt} DWT" if dwt else "")))
    cap = _num(props.get("capacity"))
    if cap:
        out.append((tr("q.capacity"), f"{cap} {props.get('capacity_unit') or ''}".strip()))
    for key, unit in (("voltage_kv", "kV"), ("length_km_stated", "km"),
                      ("area_km2_stated", "km²"), ("units", "")):
        v = _num(props.get(key))
        if v:
            out.append((tr(f"q.{key}"), f"{v} {unit}".strip()))
    for key, unit in (("length_km", "km"), ("area_km2", "km²")):
        v = _num(props.get(key))
        if v:
            out.append((tr(f"q.{key}"), f"{v} {unit}"))
    return out


def title(props: Mapping, lang: str) -> str:
    """Title in `lang`, falling back to the other language (unescaped)."""
    first, second = ("title_zh", "title_en") if lang == "zh" else ("title_en", "title_zh")
    return str(props.get(first) or props.get(second) or props.get("id") or "")


def tooltip_line(props: Mapping, codelists: Codelists, lang: str) -> str:
    """Second line of the tooltip, escaped: ``category · status``."""
    cat = _label(codelists.categories, props.get("category"), lang)
    st = _label(codelists.status, props.get("status"), lang)
    return f"{esc(cat)} · {esc(st)}"


def popup_rows(props: Mapping, codelists: Codelists, tr: I18n) -> list[tuple[str, str]]:
    """The popup's (label, value) rows, unescaped, blank values left out."""
    lang = tr.lang
    prec = int(props.get("precision") or 9)
    rows = [
        (tr("f.category"), _label(codelists.categories, props.get("category"), lang)),
        (tr("f.status"), f"{_label(codelists.status, props.get('status'), lang)}"
                         f" ({tr('f.as_of')} {props.get('status_as_of') or '?'})"),
        (tr("f.towns"), "、".join(split_list(props.get("towns_all"))) or tr("f.district_wide")),
        *quantities(props, tr),
        (tr("f.plan_ref"), props.get("plan_ref") or ""),
        (tr("f.evidence"), f"「{props.get('evidence')}」" if props.get("evidence") else ""),
        (tr("f.precision"), f"{prec} · {_label(codelists.precision, prec, lang)} — "
                            f"{_label(codelists.precision, prec, lang, 'meaning')}"),
    ]
    return [(str(k), str(v)) for k, v in rows if str(v).strip()]
