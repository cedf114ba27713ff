"""Which projects to show: category/status/precision/town filters with the free-text search of
`geo.search`, town membership and counts.

Pure pandas/geopandas (no Streamlit). `filter_projects` is the one place deciding which projects
the map, the table, the statistics and the exports show, so they always agree. GeoDataFrames
keep their CRS (EPSG:4326).
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from geo.schema import split_list
from geo.search import Synonyms, search_mask


def project_town_codes(projects: pd.DataFrame, towns: pd.DataFrame | None = None) -> pd.Series:
    """Town codes of each project, from the built ``town_codes`` property; when that is blank,
    from ``towns_all`` names mapped through `towns` (``code``/``name_zh``)."""
    by_name: dict[str, str] = {}
    if towns is not None and len(towns):
        by_name = dict(zip(towns["name_zh"], towns["code"], strict=False))

    def codes(row: pd.Series) -> tuple[str, ...]:
        got = split_list(row.get("town_codes", ""))
        if not got and by_name:
            got = [by_name[n] for n in split_list(row.get("towns_all", "")) if n in by_name]
        return tuple(got)

    if len(projects) == 0:
        return pd.Series([], dtype=object, index=projects.index)
    return projects.apply(codes, axis=1)  # one tuple per row


def projects_in_town(projects: gpd.GeoDataFrame, code: str,
                     towns: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Every project whose ``town_codes`` (in or crossing the town) includes `code`."""
    mask = project_town_codes(projects, towns).map(lambda cs: code in cs)
    return projects[mask.astype(bool)]


def filter_projects(
    projects: gpd.GeoDataFrame,
    categories: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    towns: Iterable[str] | None = None,
    precisions: Iterable[int] | None = None,
    text: str | None = None,
    town_table: pd.DataFrame | None = None,
    synonyms: Synonyms | None = None,
) -> gpd.GeoDataFrame:
    """Projects matching every given filter; ``None`` or empty means "no filter on this".

    `towns` are town codes: a project matches when any of its ``town_codes`` (built from the
    spatial join, so lines crossing a town count) is selected. `town_table` (``code``,
    ``name_zh``) is only needed for data without ``town_codes``. `text` is searched as
    `geo.search` says (Chinese substrings, English word prefixes, `synonyms`). CRS is kept
    (EPSG:4326)."""
    mask = pd.Series(True, index=projects.index)
    if categories:
        mask &= projects["category"].isin(set(categories))
    if statuses:
        mask &= projects["status"].isin(set(statuses))
    if precisions:
        mask &= projects["precision"].isin({int(p) for p in precisions})
    if towns:
        mask &= town_mask(projects, towns, town_table)
    if text:
        # only the rows still selected are searched (the cheap filters come first)
        hit = search_mask(projects[mask.astype(bool)], text, synonyms)
        mask &= hit.reindex(projects.index, fill_value=False)
    return projects[mask.astype(bool)]


def town_mask(projects: pd.DataFrame, towns: Iterable[str],
              town_table: pd.DataFrame | None = None) -> pd.Series:
    """True where any of a project's town codes (see `project_town_codes`) is in `towns`.
    Vectorised over the built ``town_codes``; rows without them fall back to
    `project_town_codes` (names in ``towns_all`` through `town_table`)."""
    wanted = {str(t) for t in towns}
    if len(projects) == 0:
        return pd.Series([], dtype=bool, index=projects.index)
    if "town_codes" in projects.columns:
        raw = projects["town_codes"].map(lambda v: "" if v is None or v != v else str(v))
    else:
        raw = pd.Series("", index=projects.index)
    norm = ";" + raw.str.replace(r"\s*;\s*", ";", regex=True).str.strip() + ";"
    mask = pd.Series(False, index=projects.index)
    for code in wanted:
        mask |= norm.str.contains(f";{code};", regex=False)
    blank = raw.str.strip().str.strip(";").str.strip() == ""
    if blank.any():
        codes = project_town_codes(projects[blank], town_table)
        mask[blank] = codes.map(lambda cs: bool(wanted & set(cs))).astype(bool)
    return mask


def counts(projects: pd.DataFrame, column: str) -> dict[str, int]:
    """Number of projects per value of `column` (e.g. for "港口 (3)" filter labels)."""
    if column not in projects.columns or len(projects) == 0:
        return {}
    return {str(k): int(v) for k, v in projects[column].value_counts().items()}
