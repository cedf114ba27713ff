"""One-page printable "town brief" (镇街简报): self-contained HTML, Chinese with English.

Rendered from the Jinja2 template ``geo/templates/brief.html.j2`` with autoescaping: every value
from the data goes through `geo.escape.esc`. No scripts, no external resources (inline CSS
only). Input projects are those in or crossing the town (``geo.filtering.projects_in_town``),
EPSG:4326; lengths in km (measured in EPSG:32649 by the build), tonnage in DWT.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from geo.codelists import Codelists
from geo.escape import esc
from geo.paths import TEMPLATE_DIR
from geo.schema import split_list
from geo.stats import berth_quantity, counts_by

TEMPLATE = "brief.html.j2"


def _escaped(value: object) -> Markup:
    """Jinja ``finalize``: every ``{{ value }}`` escaped by `esc` (markup stays markup)."""
    return value if isinstance(value, Markup) else Markup(esc(value))


@cache
def environment() -> jinja2.Environment:
    """The autoescaping Jinja2 environment of the geo/ HTML templates."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        finalize=_escaped,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _label(df: pd.DataFrame, code: object, lang: str) -> str:
    try:
        return str(df.at[code, f"label_{lang}"])
    except KeyError:
        return str(code)


def bilingual_label(df: pd.DataFrame, code: object) -> dict[str, str]:
    """``{"zh": ..., "en": ...}`` labels of `code` in codelist `df` (the code when unknown)."""
    return {"zh": _label(df, code, "zh"), "en": _label(df, code, "en")}


def _count_rows(counts: Mapping[Any, int], df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"label": bilingual_label(df, k), "n": v} for k, v in counts.items()]


#: issuing body and plan of every brief (the plan gives no other publisher)
ISSUING_BODY = {"zh": "肇庆市高要区人民政府",
                "en": "People's Government of Gaoyao District, Zhaoqing"}
PLAN = {"zh": "肇庆市高要区国民经济和社会发展第十四个五年规划和2035年远景目标纲要",
        "en": "Outline of the 14th Five-Year Plan (2021-2025) and Long-Range Objectives to 2035 "
              "of Gaoyao District", "date": "2021-12"}
#: line budget of one column of the project list (a two-column grid of 8 pt lines on one A4
#: page); the list is cut with "另有 N 项,见在线地图" when the estimated lines exceed it
LINE_BUDGET = 53
EMS_PER_LINE = 32
#: how many district-wide titles the brief names
DISTRICT_TITLES = 4
DISTRICT_LEVEL = 4


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _width(text: str) -> float:
    """Width of `text` in ems of the list's type: CJK 1, Latin and digits ~0.55."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in text)


def _lines(p: Mapping[str, Any]) -> int:
    """Estimated lines of one list entry in a column ~`EMS_PER_LINE` ems wide."""
    first = (f"{p['title_zh']} {p['status']['zh']} {p['status']['en']} {p['group']['zh']} · "
             f"{p['location']}" + ("(跨镇街 crosses)" if p["crossing"] else ""))
    return (math.ceil((_width(first) + 1.5) / EMS_PER_LINE)
            + math.ceil(_width(p["title_en"]) / EMS_PER_LINE))


def project_rows(projects: pd.DataFrame, codelists: Codelists) -> list[dict[str, Any]]:
    """One row per project (sorted by group, category, title) with what the brief shows: title,
    status, group and the plan's location phrase (no ids, slugs or drawn lengths)."""
    cats = codelists.categories
    group_of = cats["group"].to_dict() if "group" in cats.columns else {}
    groups = read_groups()
    order = {g: i for i, g in enumerate(groups.index)}
    rows: list[dict[str, Any]] = []
    keys: list[tuple[int, str, str]] = []
    for _, p in projects.iterrows():
        category = _text(p.get("category"))
        group = str(group_of.get(category, ""))
        towns_all = split_list(p.get("towns_all"))
        rows.append({
            "title_zh": _text(p.get("title_zh")), "title_en": _text(p.get("title_en")),
            "group": bilingual_label(groups, group),
            "status": bilingual_label(codelists.status, p.get("status")),
            "location": _text(p.get("location_text")),
            "crossing": len(towns_all) > 1,
            "approximate": int(p.get("precision", 9) or 9) >= 2,
        })
        keys.append((order.get(group, 99), category, _text(p.get("title_zh"))))
    return [row for _, row in sorted(zip(keys, rows, strict=True), key=lambda kr: kr[0])]


@cache
def read_groups() -> pd.DataFrame:
    """``data/codelists/groups.csv`` indexed by code."""
    from geo.codelists import read_codelist
    from geo.paths import CODELIST_DIR

    return read_codelist(CODELIST_DIR / "groups.csv").set_index("code")


def fit_rows(rows: list[dict[str, Any]], budget: float = LINE_BUDGET
             ) -> tuple[list[dict[str, Any]], int]:
    """The rows that fit the line budget of one page, and how many are left out.

    The list is a two-column grid filled row by row, so a grid row is as tall as the taller
    of its two entries; `budget` counts lines of one column (a single column above
    `TWO_COLUMNS_FROM` rows is not used)."""
    heights = [_lines(row) for row in rows]
    if len(rows) <= TWO_COLUMNS_FROM:
        return rows, 0  # a short list always fits
    used = 0.0
    for start in range(0, len(rows), 2):
        need = max(heights[start:start + 2]) + ROW_OVERHEAD
        if used + need > budget:
            return rows[:start], len(rows) - start
        used += need
    return rows, 0


#: a grid row's padding, rule and status badge, in lines
ROW_OVERHEAD = 0.35
#: up to this many projects the list is one column (it always fits the page)
TWO_COLUMNS_FROM = 8


def quantity_lines(projects: pd.DataFrame) -> list[dict[str, str]]:
    """Quantities a reader can trust: berths and stated lengths where the plan gives them,
    "not stated" where it does not (never a 0 for unknown, never a schematic length)."""
    out: list[dict[str, str]] = []
    berths = berth_quantity(projects)
    if berths.concerned:
        if berths.is_known:
            more_zh = f"(另有 {berths.unknown} 项未说明)" if berths.unknown else ""
            more_en = f" ({berths.unknown} not stated)" if berths.unknown else ""
            out.append({"zh": f"泊位 {berths.value:,.0f} 个{more_zh}",
                        "en": f"berths {berths.value:,.0f}{more_en}"})
        else:
            out.append({"zh": f"泊位数:规划未说明({berths.concerned} 个港口项目)",
                        "en": f"berths: not stated in the plan ({berths.concerned} port "
                              "projects)"})
    routes = projects[projects["category"].isin(ROUTE_CATEGORIES)] if len(projects) else projects
    if len(routes):
        stated = pd.to_numeric(routes.get("length_km_stated", pd.Series(index=routes.index,
                                                                        dtype=float)),
                               errors="coerce")
        known = int(stated.notna().sum())
        if known:
            more_zh = f",另有 {len(routes) - known} 项未说明" if known < len(routes) else ""
            out.append({"zh": f"道路/铁路规划长度 {stated.sum():,.1f} km({known} 项{more_zh})",
                        "en": f"road/rail length stated in the plan {stated.sum():,.1f} km"})
        else:
            out.append({"zh": f"道路/铁路 {len(routes)} 项:规划未给出长度(图上线路为示意)",
                        "en": f"{len(routes)} road/rail projects: length not stated (lines on "
                              "the map are schematic)"})
    return out


ROUTE_CATEGORIES = ("road", "highway", "railway")


def district_wide_line(district_wide: pd.DataFrame | None) -> dict[str, Any]:
    """Count and a few titles of the district-wide projects (precision 4) that also concern
    every town."""
    if district_wide is None or not len(district_wide):
        return {"n": 0, "titles": ""}
    prec = pd.to_numeric(district_wide["precision"], errors="coerce")
    dw = district_wide[prec == DISTRICT_LEVEL]
    titles = [_text(t) for t in dw["title_zh"].head(DISTRICT_TITLES)]
    return {"n": len(dw), "titles": "、".join(titles),
            "more": len(dw) > len(titles)}


def brief_context(
    town: Mapping[str, Any],
    projects: pd.DataFrame,
    codelists: Codelists,
    generated_on: str,
    source_note: str = "",
    *,
    locator: str = "",
    district_wide: pd.DataFrame | None = None,
    data_date: str = "",
    budget: float = LINE_BUDGET,
) -> dict[str, Any]:
    """The values of the brief template (numbers already formatted)."""
    cats = codelists.categories
    group_of = cats["group"].to_dict() if "group" in cats.columns else {}
    groups = read_groups()
    by_group = (projects["category"].map(group_of) if len(projects)
                else pd.Series(dtype=object))
    rows = project_rows(projects, codelists)
    quantities = quantity_lines(projects)
    group_counts = counts_by(pd.DataFrame({"g": by_group}), "g", list(groups.index))
    # the head is as tall as the locator unless its text is long (many groups)
    shown, left_out = fit_rows(rows, budget - (1 if len(group_counts) > 5 else 0))
    if not data_date and len(projects) and "status_as_of" in projects.columns:
        data_date = str(projects["status_as_of"].astype(str).max())
    return {
        "town": {
            "name_zh": str(town.get("name_zh", "")),
            "name_en": str(town.get("name_en", "")),
            "modelled": str(town.get("boundary_source", "modelled")) != "official",
        },
        "issuing_body": ISSUING_BODY,
        "plan": PLAN,
        "data_date": data_date or PLAN["date"],
        "n_projects": len(projects),
        "by_group": _count_rows(group_counts, groups),
        "by_status": _count_rows(
            counts_by(projects, "status", list(codelists.status.index)), codelists.status),
        "quantities": quantities,
        "projects": shown,
        "left_out": left_out,
        "two_columns": len(shown) > TWO_COLUMNS_FROM,
        "district_wide": district_wide_line(district_wide),
        "locator": Markup(locator) if locator else "",
        "generated_on": generated_on,
        "source_note": source_note,
    }


def town_brief_html(
    town: Mapping[str, Any],
    projects: pd.DataFrame,
    codelists: Codelists,
    generated_on: str,
    source_note: str = "",
    *,
    towns: Any = None,
    river: Any = None,
    district_wide: pd.DataFrame | None = None,
    data_date: str = "",
    budget: float | None = LINE_BUDGET,
) -> str:
    """The one-page brief for `town` (``code``, ``name_zh``, ``name_en``,
    ``boundary_source``) listing `projects` (those in or crossing it). With `towns` (the town
    polygons, any declared CRS) a locator map (``geo.locator.locator_svg``, with `river` if
    given) is drawn; `district_wide` (precision-4 projects) gives the line on the
    district-wide projects that also concern the town; `budget` (lines of one list column)
    cuts the list to one A4 page (None: the whole list). Returns a complete HTML document."""
    locator = ""
    if towns is not None and len(towns) and town.get("code") is not None:
        from geo.locator import locator_svg

        try:
            locator = locator_svg(towns, str(town["code"]), width_px=170, river=river,
                                  title=f"{town.get('name_zh', '')} 位置示意图")
        except ValueError:
            locator = ""
    context = brief_context(town, projects, codelists, generated_on, source_note,
                            locator=locator, district_wide=district_wide, data_date=data_date,
                            budget=math.inf if budget is None else budget)
    return environment().get_template(TEMPLATE).render(context)
