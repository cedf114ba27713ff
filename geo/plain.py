"""Plain-language phrases for a project, one definition for the table, the project card and the
kiosk: where it is (`location_phrase`, one phrase per precision code) and how far it is
(`status_phrase`), in Chinese or English. Pure (no Streamlit).

`props` is a project's properties (a dict or a pandas row of ``data/projects.geojson``);
`town_names` maps a town's Chinese name to the name to show (``towns.geojson`` ``name_en`` in
English); a name missing from it is shown as written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeAlias

import pandas as pd

from geo.codelists import Codelists, load_codelists

DASH = "—"  # shown for an unknown value (never "None" or "nan")

_LOC = {
    "zh": {
        "prefix": "位置:", "not_located": "未定位:", "sep": "、",
        1: "{towns}(精确位置)",
        2: "{towns}{near}附近(邻近已知地点)",
        3: "{towns}(镇级,规划未给具体地点)",
        4: "高要区全区(规划未给具体地点)",
        "5p": "{towns}(估计位置)",
        "5l": "{towns}(示意线路,走向未知)",
        9: "规划未给出可定位的地点",
        "9t": "{text}(规划未给出可定位的地点)",
    },
    "en": {
        "prefix": "Location: ", "not_located": "Not located: ", "sep": ", ",
        1: "{towns} (exact site)",
        2: "{towns}, near {near} (near a known place)",
        3: "{towns} (town level: the plan gives no site)",
        4: "all of Gaoyao District (the plan gives no site)",
        "5p": "{towns} (estimated position)",
        "5l": "{towns} (schematic route: the alignment is not known)",
        9: "the plan names no place that can be located",
        "9t": "{text} (the plan names no place that can be located)",
    },
}
_SHORT = {  # for a table cell: no "位置:" prefix
    "zh": {"district": "高要区全区"}, "en": {"district": "Gaoyao District"},
}

#: a project's properties: a mapping or a row of the projects frame
Props: TypeAlias = Mapping[Any, Any] | pd.Series



def _lang(lang: str) -> str:
    return lang if lang in _LOC else "zh"


def is_missing(value: object) -> bool:
    """None, NaN, '' or the strings 'None'/'nan' (as some CSV round trips write them)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip() in ("", "None", "nan", "NaN", "<NA>")


def text_or_dash(value: object) -> str:
    """`value` as text, or "—" when unknown."""
    return DASH if is_missing(value) else str(value).strip()


def _get(props: Props, key: str) -> object:
    try:
        return props.get(key)
    except AttributeError:
        return None


def town_list(props: Props, lang: str, town_names: Mapping[str, str] | None = None) -> str:
    """The project's towns (``towns_all``, else ``towns``) in `lang`, joined; '' when none."""
    raw = _get(props, "towns_all")
    if is_missing(raw):
        raw = _get(props, "towns")
    if is_missing(raw):
        return ""
    names = [t.strip() for t in str(raw).replace("、", ";").split(";") if t.strip()]
    names = [str((town_names or {}).get(n, n)) for n in names]
    return _LOC[_lang(lang)]["sep"].join(dict.fromkeys(names))


def _precision(props: Props) -> int:
    try:
        return int(float(str(_get(props, "precision"))))
    except (TypeError, ValueError):
        return 9


def _is_line(props: Props) -> bool:
    kind = str(_get(props, "geometry_kind") or "")
    method = str(_get(props, "geocode_method") or "")
    geom = _get(props, "geometry")
    gtype = getattr(geom, "geom_type", "") or ""
    return "line" in kind.lower() or "Line" in gtype or method in ("schematic_line",
                                                                     "river_line")


def location_body(props: Props, lang: str, town_names: Mapping[str, str] | None = None) -> str:
    """Where the project is, without the "位置:" prefix (a table cell)."""
    lang = _lang(lang)
    t = _LOC[lang]
    code = _precision(props)
    towns = town_list(props, lang, town_names)
    if code == 4:
        return t[4]
    if code == 9 or (not towns and code != 2):
        text = _get(props, "location_text")
        if code != 9:
            return t[4]
        if lang == "zh" and not is_missing(text):
            return t["9t"].format(text=str(text).strip())
        return t[9]
    if code == 1:
        return t[1].format(towns=towns)
    if code == 2:
        near = _get(props, "geocode_matched")
        near = "" if is_missing(near) else str(near)
        if lang == "en" and near:  # a Chinese place name stays, after the town
            return t[2].format(towns=towns or _SHORT[lang]["district"], near=near)
        return t[2].format(towns=towns, near=near)
    if code == 3:
        return t[3].format(towns=towns)
    if code == 5:
        return t["5l" if _is_line(props) else "5p"].format(towns=towns)
    return t[3].format(towns=towns)


def location_phrase(props: Props, lang: str,
                    town_names: Mapping[str, str] | None = None) -> str:
    """"位置:金利镇(镇级,规划未给具体地点)" / "Location: Jinli Town (town level: the plan gives
    no site)"; precision 9 → "未定位:…" / "Not located: …"."""
    lang = _lang(lang)
    t = _LOC[lang]
    prefix = t["not_located"] if _precision(props) == 9 else t["prefix"]
    return prefix + location_body(props, lang, town_names)


_STATUS = {
    "zh": {"wording": "规划原文:{w}", "as_of": "截至 {d}", "open": "(", "close": ")",
           "join": ";"},
    "en": {"wording": "plan's wording: {w}", "as_of": "as of {d}", "open": " (", "close": ")",
           "join": "; "},
}


def status_label(props: Props, lang: str, codelists: Codelists | None = None) -> str:
    """The status code in words ("前期" / "In preparation"); '—' when unknown."""
    code = _get(props, "status")
    if is_missing(code):
        return DASH
    labels = (codelists or load_codelists()).status
    col = f"label_{_lang(lang)}"
    return str(labels.at[str(code), col]) if str(code) in labels.index else str(code)


def status_phrase(props: Props, lang: str, codelists: Codelists | None = None) -> str:
    """"前期(规划原文:推进…建设;截至 2021-12)" / "In preparation (plan's wording: 推进…建设;
    as of 2021-12)"; the parts that are unknown are left out."""
    lang = _lang(lang)
    t = _STATUS[lang]
    label = status_label(props, lang, codelists)
    extra = []
    wording = _get(props, "status_zh")
    if not is_missing(wording):
        extra.append(t["wording"].format(w=str(wording).strip()))
    as_of = _get(props, "status_as_of")
    if not is_missing(as_of):
        extra.append(t["as_of"].format(d=str(as_of).strip()))
    return label + (t["open"] + t["join"].join(extra) + t["close"] if extra else "")


def town_names_for(towns: object, lang: str) -> dict[str, str]:
    """{Chinese town name: name in `lang`} from a towns table (``name_zh``, ``name_en``)."""
    if towns is None:
        return {}
    try:
        zh = list(towns["name_zh"])  # type: ignore[index]
        shown = list(towns["name_en" if _lang(lang) == "en" else "name_zh"])  # type: ignore[index]
    except (KeyError, TypeError):
        return {}
    return {str(a): str(b) for a, b in zip(zh, shown, strict=False) if not is_missing(b)}


_METHODS = {
    "gazetteer": ("地名库匹配", "matched in the gazetteer"),
    "town_seat": ("仅知所在镇街", "only the town is known"),
    "multiple": ("多个地点", "several places"),
    "district": ("仅知在高要区内", "only known to be in the district"),
    "schematic_line": ("经已知地点的示意线", "a schematic line through known places"),
    "river_line": ("沿西江的线", "a line along the Xi River"),
    "river_in_town": ("镇内西江岸", "the Xi River bank in the town"),
    "relative_offset": ("相对已知地点偏移", "an offset from a known place"),
    "river_upstream": ("已知地点上游", "upstream of a known place"),
    "river_downstream": ("已知地点下游", "downstream of a known place"),
    "near_place": ("已知地点附近", "near a known place"),
    "range_endpoint": ("范围中只知一端", "only one end of a range known"),
    "record_coordinates": ("登记的坐标", "coordinates given in the registry"),
    "official_placement": ("进展填报中标注的位置", "placed in a progress update"),
    "not_geocoded": ("未定位", "not located"),
}


def method_phrase(method: object, lang: str) -> str:
    """The geocoding method in words ("地名库匹配" / "matched in the gazetteer")."""
    if is_missing(method):
        return DASH
    zh, en = _METHODS.get(str(method), (str(method), str(method)))
    return en if _lang(lang) == "en" else zh
