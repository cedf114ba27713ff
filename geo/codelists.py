"""The codelists (``data/codelists``): categories, status and precision, plus the OC4IDS
projectStatus/projectSector code sets. One class, one loader, used by the registry, the build,
the app and the map layers.

Settings are data: labels, colours and codes live in CSV files, not in code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import pandas as pd

from geo.paths import CODELIST_DIR


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file as dicts (BOM tolerated)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_codelist(path: Path | str) -> pd.DataFrame:
    """A codelist CSV as a DataFrame of strings (one row per code, file order)."""
    return pd.DataFrame(read_csv_rows(Path(path)), dtype=object)


@dataclass(frozen=True, eq=False)
class Codelists:
    """The codelists as DataFrames indexed by ``code`` (precision codes are ``int``), with
    ``label_zh``/``label_en`` and the other columns of their CSV files (colours, stages, slugs,
    meanings), and the OC4IDS code sets the registry's ``status``/``sector`` must come from.

    Loaded once and shared (`load_codelists` caches it): do not modify the DataFrames."""

    categories: pd.DataFrame
    status: pd.DataFrame
    precision: pd.DataFrame
    oc4ids_status: frozenset[str] = field(default_factory=frozenset)
    oc4ids_sector: frozenset[str] = field(default_factory=frozenset)
    #: the category groups (``groups.csv``): indexed by code, ``label_zh``/``label_en``,
    #: ``color`` (Okabe–Ito), ``symbol`` and ``order`` (int), sorted by ``order``
    groups: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["label_zh", "label_en", "color", "symbol", "order"],
        index=pd.Index([], name="code")))

    @cached_property
    def group_of(self) -> dict[str, str]:
        """Category code -> group code (the ``group`` column of categories.csv; a category
        without a known group falls in the last group)."""
        fallback = str(self.groups.index[-1]) if len(self.groups) else ""
        col = self.categories.get("group", None)
        return {str(c): (str(col[c]) if col is not None and str(col[c]) in self.groups.index
                         else fallback) for c in self.categories.index}

    def group_label(self, code: str, lang: str) -> str:
        """The label of group `code` in `lang` (the code itself when unknown)."""
        try:
            return str(self.groups.at[code, f"label_{lang}"])
        except KeyError:
            return str(code)

    @cached_property
    def category_codes(self) -> frozenset[str]:
        """The category codes (``port``, ``road``, ...)."""
        return frozenset(str(c) for c in self.categories.index)

    @cached_property
    def precision_codes(self) -> frozenset[int]:
        """The precision codes (1, 2, 3, 4, 5, 9)."""
        return frozenset(int(c) for c in self.precision.index)

    def precision_slug(self, code: int) -> str:
        """Slug of a precision code (``"town"`` for 3); KeyError for an unknown code."""
        return str(self.precision.at[int(code), "slug"])


def _oc4ids_codes(path: Path) -> frozenset[str]:
    return frozenset(row["Code"] for row in read_csv_rows(path))


@cache
def load_codelists(directory: Path | str = CODELIST_DIR) -> Codelists:
    """Read ``categories.csv``, ``groups.csv``, ``status.csv``, ``precision.csv`` and
    ``oc4ids/projectStatus.csv``, ``oc4ids/projectSector.csv`` from `directory` (cached per
    directory)."""
    directory = Path(directory)
    categories = read_codelist(directory / "categories.csv").set_index("code")
    status = read_codelist(directory / "status.csv").set_index("code")
    precision = read_codelist(directory / "precision.csv")
    precision["code"] = precision["code"].astype(int)
    groups = read_codelist(directory / "groups.csv")
    groups["order"] = groups["order"].astype(int)
    groups = groups.set_index("code").sort_values("order", kind="stable")
    return Codelists(
        groups=groups,
        categories=categories,
        status=status,
        precision=precision.set_index("code"),
        oc4ids_status=_oc4ids_codes(directory / "oc4ids" / "projectStatus.csv"),
        oc4ids_sector=_oc4ids_codes(directory / "oc4ids" / "projectSector.csv"),
    )
