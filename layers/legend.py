"""The map legend (HTML from ``templates/legend.html.j2``, autoescaped) and the map's CSS
(``templates/map.css``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import pandas as pd
from markupsafe import Markup

from geo.codelists import Codelists
from geo.i18n import I18n
from layers.basemaps import Basemap
from layers.style import category_color, feature_style
from layers.symbols import symbol_svg

TEMPLATES = Path(__file__).resolve().parent / "templates"
STAGES = ("proposed", "active", "done", "cancelled")
GREY = "#444444"


@lru_cache(maxsize=1)

def stage_dashes(codelists: Codelists) -> list[tuple[str, str]]:
    """(stage, dash pattern) of each status stage the codelist uses, in legend order."""
    out = []
    for stage in STAGES:
        rows = codelists.status[codelists.status["stage"] == stage]
        if not rows.empty:
            out.append((stage, str(rows.iloc[0]["dash"] or "")))
    return out

def _environment() -> jinja2.Environment:
    """A private environment (autoescape on, undefined names are errors)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined)


@lru_cache(maxsize=1)
def map_css() -> str:
    """The map's stylesheet (legend, popups, town labels, clusters)."""
    return (TEMPLATES / "map.css").read_text(encoding="utf-8")


def _swatch(kind: str, style: dict[str, Any]) -> dict[str, Any]:
    weight = style["weight"] if kind == "point" else min(style["weight"], 8)
    return {**style, "kind": kind, "weight": weight}


def legend_html(codelists: Codelists, tr: I18n, categories: Sequence[str],
                modelled_towns: bool, basemap: Basemap) -> str:
    """Escaped legend: category colours, status and precision symbols and the modelled-town
    note."""
    cats = []
    for cat in categories:
        label = (codelists.categories.at[cat, f"label_{tr.lang}"]
                 if cat in codelists.categories.index else cat)
        cats.append({"color": category_color(codelists, cat), "label": label})
    stages = [{"swatch": _swatch("line", feature_style(GREY, stage, dash, 1, "line")),
               "label": tr("stage." + stage)} for stage, dash in stage_dashes(codelists)]
    precisions = [
        {"swatch": _swatch("point", feature_style(GREY, "done", "", 1, "point")),
         "label": tr("legend.exact")},
        {"swatch": _swatch("point", feature_style(GREY, "done", "", 3, "point")),
         "label": tr("legend.approx_point")},
        {"swatch": _swatch("line", feature_style(GREY, "done", "", 5, "line")),
         "label": tr("legend.approx_line")},
    ]
    template = _environment().get_template("legend.html.j2")
    return template.render(
        title=tr("legend.title"), categories=cats, status_heading=tr("legend.status"),
        stages=stages, precision_heading=tr("legend.precision"), precisions=precisions,
        modelled_note=tr("legend.modelled") if modelled_towns else "")


def _line_svg(style: dict[str, Any]) -> Markup:
    s = _swatch("line", style)
    dash = f' stroke-dasharray="{s["dashArray"]}"' if s.get("dashArray") else ""
    return Markup(f'<svg width="30" height="12"><line x1="1" y1="6" x2="29" y2="6" '
                  f'stroke="{s["color"]}" stroke-width="{s["weight"]}" '
                  f'stroke-opacity="{s["opacity"]}"{dash}/></svg>')


def side_legend_context(codelists: Codelists, tr: I18n, group_counts: Mapping[str, int],
                        shades: Sequence[Any], modelled_towns: bool, schematic_lines: bool,
                        group_px: int = 22, key_px: int = 18) -> dict[str, Any]:
    """The rows of the map legend (``templates/side_legend_rows.html.j2``): the groups present
    in the filtered set with their counts, colour and symbol (`group_px` pixels); the town
    shading classes (`layers.town_map.shade_legend`); status and precision keys (`key_px`
    pixel symbols); the modelled-town note."""
    groups = []
    for code, row in codelists.groups.iterrows():
        n = int(group_counts.get(str(code), 0))
        if n:
            groups.append({"code": code, "label": row[f"label_{tr.lang}"], "count": n,
                           "svg": Markup(symbol_svg(str(row["color"]), str(row["symbol"]),
                                                    size=group_px))})
    schematic = None
    if schematic_lines:
        color = str(codelists.groups["color"].iloc[0]) if len(codelists.groups) else GREY
        schematic = {"swatch": _swatch("line", feature_style(color, "active", "", 5, "line")),
                     "label": tr("legend.schematic")}
    shade_rows = []
    for c in shades:
        label = (tr("legend.shade_none") if c.high == 0 else
                 tr("legend.shade_one", n=c.low) if c.low == c.high else
                 tr("legend.shade_range", lo=c.low, hi=c.high))
        shade_rows.append({"color": c.color, "label": label})
    stages = [{"svg": Markup(symbol_svg(GREY, "circle", stage, dash, False, key_px)),
               "label": tr("stage." + stage)} for stage, dash in stage_dashes(codelists)]
    precisions = [
        {"svg": Markup(symbol_svg(GREY, "circle", "done", "", False, key_px)),
         "label": tr("legend.exact")},
        {"svg": Markup(symbol_svg(GREY, "circle", "done", "", True, key_px)),
         "label": tr("legend.approx_point")},
        {"svg": _line_svg(feature_style(GREY, "done", "", 5, "line")),
         "label": tr("legend.approx_line")},
    ]
    return {"groups_heading": tr("legend.groups"), "groups": groups, "schematic": schematic,
            "shading_heading": tr("legend.shading"), "shades": shade_rows,
            "status_heading": tr("legend.status"), "stages": stages,
            "precision_heading": tr("legend.precision"), "precisions": precisions,
            "modelled_note": tr("legend.modelled") if modelled_towns else ""}


def side_legend_html(codelists: Codelists, tr: I18n, group_counts: Mapping[str, int],
                     shades: Sequence[Any], modelled_towns: bool,
                     schematic_lines: bool) -> str:
    """The legend shown beside the map (a whole small HTML page, autoescaped), with the rows
    of `side_legend_context`. All keys are always visible (no inner scroll)."""
    template = _environment().get_template("side_legend.html.j2")
    return template.render(**side_legend_context(codelists, tr, group_counts, shades,
                                                 modelled_towns, schematic_lines))


def kiosk_legend_html(codelists: Codelists, tr: I18n, group_counts: Mapping[str, int],
                      shades: Sequence[Any], modelled_towns: bool,
                      schematic_lines: bool, open_at_start: bool = True) -> str:
    """The kiosk's legend on its map (``templates/kiosk_legend.html.j2``, autoescaped): the
    same rows as the desktop legend (the ~8 groups, not the 28 categories) with larger symbols,
    in a ``<details id="gy-legend">`` whose 64 px tab folds and unfolds it, open at the start
    when `open_at_start`; its large type and two-column layout are set by
    ``ui/css/kiosk_map.css``."""
    template = _environment().get_template("kiosk_legend.html.j2")
    return template.render(title=tr("legend.title"), open=open_at_start,
                           **side_legend_context(codelists, tr, group_counts, shades,
                                                 modelled_towns, schematic_lines, 28, 24))


def legend_facts(projects: pd.DataFrame, towns: gpd.GeoDataFrame | None,
                 codelists: Codelists) -> tuple[dict[str, int], list[Any], bool, bool]:
    """What the legend of `projects` (the filtered set, EPSG:4326) shows: (projects per
    group, town shading classes, are the town outlines modelled, is a schematic line
    drawn)."""
    from geo.aggregate import placements
    from layers.base import modelled_towns
    from layers.town_map import shade_legend, summary_table

    groups = projects["category"].astype(str).map(codelists.group_of)
    counts = {str(k): int(v) for k, v in groups.value_counts().items()}
    summary = (summary_table(projects, towns, codelists) if towns is not None
               else pd.DataFrame({"total": []}))
    where = placements(projects) if len(projects) else pd.Series(dtype=object)
    drawn = projects[where.isin(["marker", "shape"])] if len(projects) else projects
    schematic = bool(len(drawn)) and bool(
        (drawn.geometry.geom_type.str.contains("Line")
         & (pd.to_numeric(drawn["precision"], errors="coerce") != 1)).any())
    return counts, shade_legend(summary), modelled_towns(towns), schematic


def side_legend_rows(html: str) -> int:
    """How many rows `side_legend_html` produced (for the height of its frame)."""
    return html.count('class="r') + html.count("<h4>") + 2 * html.count('class="note"')
