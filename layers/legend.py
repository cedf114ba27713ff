"""The map legend (HTML from ``templates/legend.html.j2``, autoescaped) and the map's CSS
(``templates/map.css``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from geo.codelists import Codelists
from geo.i18n import I18n
from layers.basemaps import Basemap
from layers.style import category_color, feature_style

TEMPLATES = Path(__file__).resolve().parent / "templates"
STAGES = ("proposed", "active", "done", "cancelled")
GREY = "#444444"


@lru_cache(maxsize=1)
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
    stages = []
    for stage in STAGES:
        rows = codelists.status[codelists.status["stage"] == stage]
        if rows.empty:
            continue
        dash = str(rows.iloc[0]["dash"] or "")
        stages.append({"swatch": _swatch("line", feature_style(GREY, stage, dash, 1, "line")),
                       "label": tr("stage." + stage)})
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
