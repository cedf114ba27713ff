"""One-page printable "town brief" (镇街简报): self-contained HTML, Chinese with English.

Rendered from the Jinja2 template ``geo/templates/brief.html.j2`` with autoescaping: every value
from the data goes through `geo.escape.esc`. No scripts, no external resources (inline CSS
only). Input projects are those in or crossing the town (``geo.filtering.projects_in_town``),
EPSG:4326; lengths in km (measured in EPSG:32649 by the build), tonnage in DWT.
"""

from __future__ import annotations

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
from geo.stats import counts_by, key_figures

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


def project_rows(projects: pd.DataFrame, codelists: Codelists) -> list[dict[str, Any]]:
    """One row per project (sorted by category, id) with the values the brief shows."""
    ordered = projects.sort_values(["category", "id"]) if len(projects) else projects
    rows = []
    for _, p in ordered.iterrows():
        prec = int(p.get("precision", 9))
        towns_all = split_list(p.get("towns_all"))
        rows.append({
            "title_zh": p.get("title_zh"), "title_en": p.get("title_en"),
            "category": bilingual_label(codelists.categories, p.get("category")),
            "status": bilingual_label(codelists.status, p.get("status")),
            "status_as_of": p.get("status_as_of"),
            "precision": prec,
            "precision_label": bilingual_label(codelists.precision, prec),
            "towns": "、".join(towns_all),
            "crossing": len(towns_all) > 1,
            "plan_ref": p.get("plan_ref"), "evidence": p.get("evidence"),
        })
    return rows


def brief_context(
    town: Mapping[str, Any],
    projects: pd.DataFrame,
    codelists: Codelists,
    generated_on: str,
    source_note: str = "",
) -> dict[str, Any]:
    """The values of the brief template (numbers already formatted)."""
    figs = key_figures(projects) if len(projects) else key_figures(projects.iloc[0:0])
    km = figs["km_roads"] + figs["km_railway"]
    return {
        "town": {
            "name_zh": str(town.get("name_zh", "")),
            "name_en": str(town.get("name_en", "")),
            "modelled": str(town.get("boundary_source", "modelled")) != "official",
        },
        "figures": {
            "projects": figs["projects"],
            "km": f"{km:,.1f}",
            "berths": figs["berths"],
            "berth_dwt_total": f"{figs['berth_dwt_total']:,.0f}",
        },
        "by_category": _count_rows(
            counts_by(projects, "category", list(codelists.categories.index)),
            codelists.categories),
        "by_status": _count_rows(
            counts_by(projects, "status", list(codelists.status.index)), codelists.status),
        "projects": project_rows(projects, codelists),
        "generated_on": generated_on,
        "source_note": source_note,
    }


def town_brief_html(
    town: Mapping[str, Any],
    projects: pd.DataFrame,
    codelists: Codelists,
    generated_on: str,
    source_note: str = "",
) -> str:
    """The brief for `town` (``code``, ``name_zh``, ``name_en``, ``boundary_source``) listing
    `projects` (those in or crossing it). Returns a complete HTML document (UTF-8)."""
    context = brief_context(town, projects, codelists, generated_on, source_note)
    return environment().get_template(TEMPLATE).render(context)
