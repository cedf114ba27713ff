"""geo.schema (the registry's columns as data) and geo.coords (the one coordinate rounding)."""

from __future__ import annotations

import csv

import pytest
import shapely

from geo.coords import round_coords, snap_to_grid
from geo.paths import PROJECTS_CSV
from geo.schema import SchemaError, load_schema, split_list


def test_committed_registry_has_exactly_the_schema_columns():
    with open(PROJECTS_CSV, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == load_schema().fields


def test_unknown_type_is_refused(tmp_path):
    bad = tmp_path / "schema.csv"
    bad.write_text("name,type,required,group,codelist,description_en\nx,money,no,record,,?\n",
                   encoding="utf-8")
    with pytest.raises(SchemaError, match="'x' has unknown type 'money'"):
        load_schema(bad)


def test_inline_codelist_and_markdown_row(tmp_path):
    path = tmp_path / "schema.csv"
    path.write_text("name,type,required,group,codelist,description_en\n"
                    "kind,code,yes,record,a|b,what it is\n", encoding="utf-8")
    schema = load_schema(path)
    assert schema.inline_codes("kind") == ("a", "b")
    assert schema.required == ("kind",)
    assert "| `kind` | code | yes | `a` · `b` | what it is |" in schema.markdown_table()


@pytest.mark.parametrize(("value", "expected"), [
    ("a;b; c", ["a", "b", "c"]), (" ; ", []), (None, []), (float("nan"), []),
])
def test_split_list(value, expected):
    assert split_list(value) == expected


def test_round_coords_nested_tuples_become_rounded_float_lists():
    assert round_coords(((112, 23.1234564), (112.0000005, 23.0))) == [
        [112.0, 23.123456], [112.0, 23.0]]
    assert round_coords(23.12345678, 3) == 23.123


def test_snap_to_grid_keeps_a_thin_polygon_valid():
    # a sliver narrower than the grid: rounding alone would pinch it, snapping keeps it valid
    sliver = shapely.Polygon([(112.0, 23.0), (112.001, 23.0), (112.001, 23.0000004),
                              (112.0, 23.0000002)])
    snapped = snap_to_grid(sliver)
    assert snapped.is_valid
    assert all(round(c, 6) == c for c in shapely.get_coordinates(snapped).ravel())
