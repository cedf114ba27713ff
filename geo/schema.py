"""The registry's column schema, declared once as data (``data/schema/projects.csv``), and the
cell formats.

Each column has a ``type``: ``slug``, ``text``, ``code`` (a value of its ``codelist``: a codelist
file under ``data/codelists`` or ``a|b|c``), ``date``, ``list`` (``;``-separated), ``degrees``
(WGS84 lon or lat, EPSG:4326), ``wkt`` (WGS84 geometry), ``int`` or ``float`` (non-negative
quantities). From it derive: the validator's field lists (`geo.registry`), the build's typing
(`geo.build.typed_properties`), the app's loading dtypes (`geo.loading`) and the registry table
of ``docs/CONTRACTS.md`` (``python -m geo schema --markdown``).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from geo.paths import PROJECTS_SCHEMA_CSV

TYPES = ("slug", "text", "code", "date", "list", "degrees", "wkt", "int", "float")
#: types whose cells are numbers (parsed, not stripped text)
NUMBER_TYPES = ("degrees", "int", "float")
#: types whose cells are free or coded text (checked for spreadsheet formulas)
TEXT_TYPES = ("slug", "text", "code", "date", "list")

#: properties the build adds to every feature, with their type (``bool``: true/false/null)
COMPUTED: dict[str, str] = {
    "precision": "int", "precision_slug": "text", "geocode_method": "text",
    "geocode_matched": "list", "geocode_note": "text", "geocode_note_zh": "text",
    "towns_text": "list",
    "towns_spatial": "list", "towns_all": "list", "towns_inferred": "list", "town_codes": "list",
    "length_km": "float",
    "area_km2": "float", "inside_district": "bool",
}


class SchemaError(ValueError):
    """The schema file is unreadable or declares an unknown type."""


@dataclass(frozen=True)
class Column:
    """One registry column as the schema declares it."""

    name: str
    type: str
    required: bool
    group: str
    codelist: str
    description_en: str


@dataclass(frozen=True)
class Schema:
    """The registry's columns in file order, with the field lists derived from them."""

    columns: tuple[Column, ...]

    def names(self, *types: str) -> tuple[str, ...]:
        """Names of the columns of the given `types` (all columns when none given)."""
        return tuple(c.name for c in self.columns if not types or c.type in types)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every registry column, in file order."""
        return self.names()

    @property
    def required(self) -> tuple[str, ...]:
        """Columns that may not be blank."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def quantities(self) -> tuple[str, ...]:
        """The typed quantities the plan gives (numbers and their units)."""
        return tuple(c.name for c in self.columns if c.group == "quantity")

    def inline_codes(self, name: str) -> tuple[str, ...]:
        """The values of a ``code`` column whose codelist is written inline as ``a|b|c``."""
        column = next(c for c in self.columns if c.name == name)
        return tuple(column.codelist.split("|"))

    def markdown_table(self) -> str:
        """The registry table of ``docs/CONTRACTS.md`` (Markdown, one row per column)."""
        lines = ["| column | type | required | codelist | rule |", "|---|---|---|---|---|"]
        for c in self.columns:
            codelist = "" if not c.codelist else (
                " · ".join(f"`{v}`" for v in c.codelist.split("|")) if "|" in c.codelist
                else f"`data/codelists/{c.codelist}`")
            lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | "
                         f"{codelist} | {c.description_en} |")
        return "\n".join(lines) + "\n"


@cache
def load_schema(path: Path = PROJECTS_SCHEMA_CSV) -> Schema:
    """The schema from `path` (``name,type,required,group,codelist,description_en``)."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise SchemaError(f"{path}: cannot be read ({exc})") from exc
    columns = []
    for row in rows:
        if row["type"] not in TYPES:
            raise SchemaError(f"{path}: column {row['name']!r} has unknown type {row['type']!r}")
        columns.append(Column(row["name"], row["type"], row["required"] == "yes",
                              row["group"], row["codelist"], row["description_en"]))
    return Schema(tuple(columns))


def split_list(value: object) -> list[str]:
    """``'a;b; c'`` -> ``['a', 'b', 'c']``; blanks and NaN -> ``[]``."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def schema_main(args: argparse.Namespace) -> int:
    """CLI: ``python -m geo schema [--markdown]``: the registry columns (name, type, required)
    or, with ``--markdown``, the table of docs/CONTRACTS.md."""
    schema = load_schema()
    if getattr(args, "markdown", False):
        print(schema.markdown_table(), end="")
        return 0
    for c in schema.columns:
        print(f"{c.name:<18} {c.type:<8} {'required' if c.required else ''}")
    return 0
