"""How each filtered project appears on the map, and the per-town summaries.

The cartographer's answer to coarse locations: a project known only to its town is not a dot at
the town seat, it is counted in that town's summary (the town shaded by its count, a badge by
group). Only projects placed finer than the town are drawn one by one. Every filtered project
is accounted for in exactly one *placement*:

- ``marker``: a point or multipoint placed finer than the town (precision 1, 2 or 5);
- ``shape``: a line or area (any precision but 3/4/9), drawn as such;
- ``town``: known only to its town(s) (precision 3): counted in each of its towns' summaries;
- ``district``: known only to be somewhere in the district (precision 4): listed as 全区;
- ``unplaced``: no position at all (precision 9, or no geometry).

``marker + shape + town + district + unplaced == total`` always holds (`accounting`).
No CRS is involved: only geometry types and the precision code are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

PLACEMENTS = ("marker", "shape", "town", "district", "unplaced")
POINT_TYPES = frozenset({"Point", "MultiPoint"})
#: their shapely type ids
POINT_TYPE_IDS = (0, 4)


def placement_of(precision: int, geom_type: str | None) -> str:
    """The placement of one project from its precision code and geometry type."""
    if geom_type is None or precision == 9:
        return "unplaced"
    if precision == 4:
        return "district"
    if precision == 3:
        return "town"
    return "marker" if geom_type in POINT_TYPES else "shape"


def placements(projects: pd.DataFrame) -> pd.Series:
    """The placement of every project (index of `projects`); needs ``precision`` and a
    geometry column (a GeoDataFrame) or ``geometry_type`` strings. The rules of
    :func:`placement_of`, for all rows at once (shapely's vectorised type ids: the map page
    asks this of every filtered project several times per rerun, 100 000 at the largest
    benchmark size)."""
    if "geometry" in projects.columns:
        geoms = np.asarray(projects.geometry.to_numpy(), dtype=object)
        type_ids = shapely.get_type_id(geoms)  # -1: None
        has = (type_ids >= 0) & ~shapely.is_empty(geoms)
        is_point = np.isin(type_ids, POINT_TYPE_IDS)
    else:
        types = projects["geometry_type"]
        has = types.notna().to_numpy()  # None, or NaN once pandas made the column text
        is_point = types.isin(POINT_TYPES).to_numpy()
    prec = pd.to_numeric(projects["precision"], errors="coerce").fillna(9).astype(int).to_numpy()
    out = np.select([~has | (prec == 9), prec == 4, prec == 3, is_point],
                    ["unplaced", "district", "town", "marker"], default="shape")
    return pd.Series(out.astype(object), index=projects.index, dtype=object)


@dataclass(frozen=True)
class Accounting:
    """How many filtered projects appear in each placement; the parts add up to `total`."""

    total: int
    marker: int
    shape: int
    town: int
    district: int
    unplaced: int

    def parts(self) -> dict[str, int]:
        return {p: getattr(self, p) for p in PLACEMENTS}

    @property
    def balanced(self) -> bool:
        return sum(self.parts().values()) == self.total


def accounting(projects: pd.DataFrame) -> Accounting:
    """Counts per placement for `projects` (each project counted once)."""
    counts = placements(projects).value_counts()
    return Accounting(total=len(projects),
                      **{p: int(counts.get(p, 0)) for p in PLACEMENTS})


def split_codes(value: object) -> list[str]:
    """``'441204115;441204001'`` -> ``['441204115', '441204001']``; blanks/NaN -> ``[]``."""
    if value is None or value != value:
        return []
    return [c.strip() for c in str(value).split(";") if c.strip()]


def town_summaries(projects: pd.DataFrame, group_of: Mapping[str, str],
                   town_codes: Iterable[str], groups: Iterable[str]) -> pd.DataFrame:
    """One row per town in `town_codes`: ``total`` town-level projects (placement ``town``)
    and one column per group code in `groups` (category → group through `group_of`).

    A town-level project naming several towns counts in each of them, so the column sums can
    exceed the number of town-level projects (`accounting` counts each project once)."""
    towns, group_cols = list(town_codes), list(groups)
    table = pd.DataFrame(0, index=pd.Index(towns, name="code"),
                         columns=["total", *group_cols], dtype=int)
    town_level = projects[placements(projects) == "town"]
    counts: dict[tuple[str, str], int] = {}
    for category, codes in zip(town_level["category"], town_level["town_codes"], strict=True):
        group = group_of.get(str(category), "")
        for code in split_codes(codes):
            if code in table.index:
                counts[(code, "total")] = counts.get((code, "total"), 0) + 1
                if group in table.columns:
                    counts[(code, group)] = counts.get((code, group), 0) + 1
    for (code, column), n in counts.items():
        table.at[code, column] = n
    return table


def shade_classes(totals: pd.Series, n_classes: int = 4) -> pd.Series:
    """A class 0..n_classes-1 per town for shading by count (0 = no project; the others
    split the non-zero counts into equal-count quantile classes, stable for ties)."""
    out = pd.Series(0, index=totals.index, dtype=int)
    nonzero = totals[totals > 0]
    if nonzero.empty:
        return out
    ranks = nonzero.rank(method="max", pct=True)  # in (0, 1]
    out[nonzero.index] = np.ceil(ranks * (n_classes - 1)).astype(int)
    return out
