"""Validation of registry records: each kind of bad record is named by id and field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from shapely.geometry import box

from geo.registry import (
    RegistryError,
    parse_number,
    read_records,
    validate_records,
)
from tests.hostile import valid_record


def record(**changes: str) -> dict[str, str]:
    """A valid record (the shared one of tests/hostile.py) with ``changes``."""
    return valid_record("port-test-berths", **changes)


GOOD = {k: v for k, v in record().items() if v}  # its non-blank fields


def problems_of(*records: dict[str, str], **kwargs) -> list[tuple[str, str]]:
    return [(p.record_id, p.field) for p in validate_records(list(records), **kwargs)]


def test_good_record_has_no_problems():
    assert validate_records([record()]) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "spaceport"}, "category"),
        ({"status": "planned"}, "status"),
        ({"sector": "roads"}, "sector"),
        ({"plan_ref": ""}, "plan_ref"),
        ({"evidence": ""}, "evidence"),
        ({"plan_ref": "chapter 6"}, "plan_ref"),
        ({"evidence": "长" * 41}, "evidence"),
        ({"berths": "four"}, "berths"),
        ({"berths": "2.5"}, "berths"),
        ({"capacity": "nan", "capacity_unit": "t/d"}, "capacity"),
        ({"capacity": "inf", "capacity_unit": "t/d"}, "capacity"),
        ({"capacity": "300000"}, "capacity_unit"),
        ({"voltage_kv": "-220"}, "voltage_kv"),
        ({"towns": "金利"}, "towns"),
        ({"geometry_kind": "blob"}, "geometry_kind"),
        ({"status_as_of": "Dec 2021"}, "status_as_of"),
        ({"id": "Port X"}, "id"),
        ({"title_en": "bad\x00text"}, "title_en"),
        ({"lon": "112.6", "lat": "23.0"}, "coord_source"),
        ({"lon": "112.6", "coord_source": "x"}, "lat"),
        ({"lon": "23.05", "lat": "112.6", "coord_source": "x"}, "lat"),  # swapped
        ({"lon": "116.4", "lat": "39.9", "coord_source": "x"}, "lon"),  # Beijing
        ({"lon": "200", "lat": "23", "coord_source": "x"}, "lon"),  # off the globe
        ({"geometry_wkt": "POLYGON((112.5 23, 112.6 23.1, 112.6 23, 112.5 23.1, 112.5 23))",
          "coord_source": "x"}, "geometry_wkt"),  # self-intersecting bow-tie
        ({"geometry_wkt": "LINESTRING(112.5 23", "coord_source": "x"}, "geometry_wkt"),
        ({"geometry_wkt": "POINT EMPTY", "coord_source": "x"}, "geometry_wkt"),
    ],
)
def test_each_kind_of_bad_record_is_named(changes, field):
    assert (changes.get("id", "port-test-berths"), field) in problems_of(
        record(**changes)
    )


def test_swapped_message_says_swapped():
    (problem,) = validate_records([record(lon="23.05", lat="112.6", coord_source="x")])
    assert "swapped" in problem.message
    assert "row 2" in str(problem) and "port-test-berths" in str(problem)


def test_duplicate_ids_name_both_rows():
    problems = validate_records([record(), record(title_zh="另一个")])
    assert [(p.row, p.field) for p in problems] == [(3, "id")]
    assert "row 2" in problems[0].message


def test_outside_district_polygon_is_rejected():
    district = box(112.3, 22.9, 112.8, 23.3)  # a stand-in outline, WGS84
    inside = record(lon="112.5", lat="23.1", coord_source="survey")
    outside = record(id="port-outside", lon="112.1", lat="23.4", coord_source="survey")
    assert problems_of(inside, outside, district=district) == [("port-outside", "lon")]


def test_evidence_must_occur_in_the_plan():
    plan = "第六章……第一节……推进4 个5000吨级标准集装箱码头泊位……"
    assert problems_of(record(), plan_text=plan) == []
    assert problems_of(record(evidence="五个泊位"), plan_text=plan) == [
        ("port-test-berths", "evidence")
    ]
    assert problems_of(record(plan_ref="第九章第一节"), plan_text=plan) == [
        ("port-test-berths", "plan_ref")
    ]


def test_unknown_column_and_non_text_values_are_reported():
    bad = record()
    bad["colour"] = "red"
    bad["title_en"] = 12  # a spreadsheet import gave a number
    fields = [f for _, f in problems_of(bad)]
    assert "colour" in fields and "title_en" in fields


@pytest.mark.parametrize(("text", "integer", "expected"),
                         [("", True, None), ("4", True, 4), ("1,200", False, 1200.0),
                          (" 2.5 ", False, 2.5)])
def test_parse_number(text, integer, expected):
    assert parse_number(text, integer=integer) == expected


def test_read_records_errors_name_the_file(tmp_path: Path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(RegistryError, match=r"nope\.csv: file not found"):
        read_records(missing)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("id,title_zh\nx,金利港\n".encode("gbk"))
    with pytest.raises(RegistryError, match=r"gbk\.csv: not valid UTF-8"):
        read_records(gbk)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,title_zh\nx,a,b\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="line 2 has more cells"):
        read_records(ragged)


def test_read_records_fills_missing_columns(tmp_path: Path):
    path = tmp_path / "p.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(GOOD))
        writer.writeheader()
        writer.writerow(GOOD)
    (row,) = read_records(path)
    assert row["lon"] == "" and row["berths"] == "4"
    assert validate_records([row]) == []


def test_committed_registry_is_clean_and_evidence_is_verbatim():
    from geo.boundaries import load_district
    from geo.registry import DEFAULT_PROJECTS, load_plan_text

    records = read_records(DEFAULT_PROJECTS)
    assert len(records) > 150
    district = load_district().geometry.union_all()
    assert validate_records(records, district=district) == []
    plan = load_plan_text()
    assert plan is not None, "data/sources/plan is part of the repository"
    assert all(r["evidence"] in plan for r in records)
    assert validate_records(records, plan_text=plan) == []
