"""Codelists shared by the registry, the build and the app (read from ``data/codelists``).

Settings are data: labels, colours and codes live in CSV files, not in code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from geo.paths import CODELIST_DIR


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file as dicts (BOM tolerated)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Codelists:
    """The codelists as lookup tables keyed by code."""

    categories: dict[str, dict[str, str]]
    statuses: dict[str, dict[str, str]]
    precision: dict[int, dict[str, str]]
    oc4ids_status: frozenset[str]
    oc4ids_sector: frozenset[str]

    def precision_slug(self, code: int) -> str:
        """Slug of a precision code (``"town"`` for 3)."""
        return self.precision[code]["slug"]


@cache
def load_codelists(directory: Path = CODELIST_DIR) -> Codelists:
    """Load every codelist from ``directory`` (cached per directory)."""
    categories = {r["code"]: r for r in read_csv_rows(directory / "categories.csv")}
    statuses = {r["code"]: r for r in read_csv_rows(directory / "status.csv")}
    precision = {int(r["code"]): r for r in read_csv_rows(directory / "precision.csv")}
    oc4ids_status = frozenset(
        r["Code"] for r in read_csv_rows(directory / "oc4ids" / "projectStatus.csv")
    )
    oc4ids_sector = frozenset(
        r["Code"] for r in read_csv_rows(directory / "oc4ids" / "projectSector.csv")
    )
    return Codelists(categories, statuses, precision, oc4ids_status, oc4ids_sector)
