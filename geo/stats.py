"""Key figures of a (filtered) set of projects -- pure pandas, no Streamlit.

Lengths are the built ``length_km`` (measured on the drawn line in EPSG:32649, so for a
schematic line -- precision 5 -- it is the length of the schematic, not of the real route);
berth tonnage is the sum of ``berths × berth_dwt`` (DWT); capacities are summed per unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

ROAD_CATEGORIES = ("road", "highway")
RAIL_CATEGORIES = ("railway",)


def counts_by(projects: pd.DataFrame, column: str, order: list[str] | None = None) -> dict:
    """Number of projects per value of `column` (in `order` when given, zeros left out)."""
    if len(projects) == 0 or column not in projects.columns:
        return {}
    vc = projects[column].value_counts()
    keys = [k for k in (order or []) if k in vc.index] + [k for k in vc.index
                                                          if not order or k not in order]
    return {k: int(vc[k]) for k in keys}


def _sum(series: pd.Series) -> float:
    total = pd.to_numeric(series, errors="coerce").sum(min_count=1)
    return 0.0 if total is None or (isinstance(total, float) and math.isnan(total)) else float(
        total)


def length_km(projects: pd.DataFrame, categories: tuple[str, ...]) -> float:
    """Sum of ``length_km`` (km) over projects in `categories`."""
    if len(projects) == 0:
        return 0.0
    return round(_sum(projects.loc[projects["category"].isin(categories), "length_km"]), 3)


def berth_figures(projects: pd.DataFrame) -> tuple[int, float]:
    """(number of berths, total tonnage in DWT = Σ berths × berth_dwt)."""
    if len(projects) == 0:
        return 0, 0.0
    berths = pd.to_numeric(projects["berths"], errors="coerce")
    dwt = pd.to_numeric(projects["berth_dwt"], errors="coerce")
    return int(_sum(berths)), float(_sum(berths * dwt))


def capacities(projects: pd.DataFrame) -> pd.DataFrame:
    """Capacities summed per (category, capacity_unit): columns ``category``,
    ``capacity_unit``, ``capacity`` (sum), ``projects`` (count). Rows without capacity are
    left out; different units are never added together."""
    cols = ["category", "capacity_unit", "capacity", "projects"]
    if len(projects) == 0:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame({
        "category": projects["category"].astype(str),
        "capacity_unit": projects["capacity_unit"].fillna("").astype(str),
        "capacity": pd.to_numeric(projects["capacity"], errors="coerce"),
    }).dropna(subset=["capacity"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.groupby(["category", "capacity_unit"], as_index=False).agg(
        capacity=("capacity", "sum"), projects=("capacity", "size"))
    return out[cols].sort_values(["category", "capacity_unit"]).reset_index(drop=True)


@dataclass(frozen=True)
class Quantity:
    """A summed quantity that is known only for some of the projects it concerns.

    `value` sums the `known` projects; `unknown` = `concerned` - `known`. A reader is told
    "length unknown for 3 of 5" instead of a bare 0.0 when nothing is known."""

    value: float
    known: int
    concerned: int

    @property
    def unknown(self) -> int:
        return self.concerned - self.known

    @property
    def is_known(self) -> bool:
        return self.known > 0


def _quantity(values: pd.Series) -> Quantity:
    numbers = pd.to_numeric(values, errors="coerce")
    known = numbers.notna()
    return Quantity(value=float(numbers[known].sum()), known=int(known.sum()),
                    concerned=len(values))


def route_length(projects: pd.DataFrame, categories: tuple[str, ...]) -> Quantity:
    """Length (km) of the roads/railways in `categories` as far as it is known: the plan's
    stated length (``length_km_stated``) where given, else the measured length of a drawn
    line (``length_km``, EPSG:32649; schematic lines count: their length is the schematic's).
    Points and district-wide records have no length: they count as unknown."""
    if len(projects) == 0 or "category" not in projects.columns:
        return Quantity(0.0, 0, 0)
    rows = projects[projects["category"].isin(categories)]
    stated = pd.to_numeric(rows.get("length_km_stated", pd.Series(index=rows.index,
                                                                  dtype=float)),
                           errors="coerce")
    drawn = pd.to_numeric(rows.get("length_km", pd.Series(index=rows.index, dtype=float)),
                          errors="coerce")
    return _quantity(stated.fillna(drawn))


def berth_quantity(projects: pd.DataFrame) -> Quantity:
    """Number of berths over the port projects (category ``port``); unknown where a port
    project does not say how many."""
    if len(projects) == 0 or "category" not in projects.columns:
        return Quantity(0.0, 0, 0)
    ports = projects[projects["category"] == "port"]
    return _quantity(ports.get("berths", pd.Series(index=ports.index, dtype=float)))


#: precision code of records known only to lie somewhere in the district (not drawn)
DISTRICT_LEVEL = 4


def key_figures(projects: pd.DataFrame) -> dict[str, float]:
    """Headline numbers: ``projects``, ``located`` (with geometry), ``not_located``,
    ``district_wide`` (precision 4: only "somewhere in the district", not drawn on the map),
    ``mapped`` (located and not district-wide),
    ``km_roads`` (road + highway), ``km_highway``, ``km_road``, ``km_railway``, ``berths``,
    ``berth_dwt_total``."""
    n = len(projects)
    located = int(projects.geometry.notna().sum()) if n and hasattr(projects, "geometry") else 0
    district_wide = int((pd.to_numeric(projects["precision"], errors="coerce") == DISTRICT_LEVEL)
                        .sum()) if n and "precision" in projects else 0
    berths, tonnage = berth_figures(projects)
    return {
        "projects": n,
        "located": located,
        "not_located": n - located,
        "district_wide": district_wide,
        "mapped": located - district_wide,
        "km_roads": length_km(projects, ROAD_CATEGORIES),
        "km_highway": length_km(projects, ("highway",)),
        "km_road": length_km(projects, ("road",)),
        "km_railway": length_km(projects, RAIL_CATEGORIES),
        "berths": berths,
        "berth_dwt_total": tonnage,
    }
