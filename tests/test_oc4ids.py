"""OC4IDS export: every project validates against the official 0.9.5 project schema."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft4Validator

from geo.oc4ids import export_records, project_record, sector_codes
from geo.paths import OC4IDS_SCHEMA, PROJECTS_GEOJSON

SCHEMA = OC4IDS_SCHEMA
BUILT = PROJECTS_GEOJSON


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


@pytest.fixture(scope="module")
def features():
    return json.loads(BUILT.read_text(encoding="utf-8"))["features"]


def test_every_exported_project_is_schema_valid(validator, features):
    package = export_records(features)
    assert len(package["projects"]) == len(features)
    for project in package["projects"]:
        errors = sorted(validator.iter_errors(project), key=lambda e: list(e.path))
        assert not errors, f"{project['id']}: {errors[0].message} at {list(errors[0].path)}"


def test_schema_rejects_a_broken_project(validator, features):
    placed = next(f for f in features
                  if f["geometry"] and f["properties"]["precision"] not in (4, 9))
    project = project_record(placed)
    project["status"] = "planned"
    project["locations"][0]["geometry"]["type"] = "Circle"
    messages = [e.message for e in validator.iter_errors(project)]
    assert len(messages) == 2


def test_locations_carry_geometry_and_town_codes(features):
    placed = next(f for f in features
                  if f["geometry"] and f["geometry"]["type"] == "Point"
                  and f["properties"]["precision"] == 3)
    loc = project_record(placed)["locations"][0]
    assert loc["geometry"]["coordinates"] == placed["geometry"]["coordinates"]
    assert loc["gazetteer"]["scheme"] == "CN-XZQH"
    assert loc["gazetteer"]["identifiers"] == placed["properties"]["town_codes"].split(";")
    assert loc["x_geocoding"]["precision"] == 3


def test_unplaced_project_has_no_geometry_but_keeps_its_description(features):
    unplaced = next(f for f in features if f["geometry"] is None)
    loc = project_record(unplaced)["locations"][0]
    assert "geometry" not in loc
    assert loc["description"] == unplaced["properties"]["location_text"]
    assert loc["x_geocoding"]["precisionSlug"] == "not_geocoded"


def test_geometry_collection_becomes_several_locations():
    feature = {
        "type": "Feature", "id": "x-test",
        "geometry": {"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [112.5, 23.0]},
            {"type": "LineString", "coordinates": [[112.4, 23.0], [112.6, 23.1]]}]},
        "properties": {"id": "x-test", "title_zh": "测试", "title_en": "Test",
                       "description": "d", "status": "preparation", "sector": "transport.road",
                       "plan_ref": "第六章第一节", "evidence": "e", "category": "road",
                       "status_zh": "推进", "status_as_of": "2021-12", "town_codes": ""},
    }
    locations = project_record(feature)["locations"]
    assert [loc["id"] for loc in locations] == ["1", "2"]
    assert [loc["geometry"]["type"] for loc in locations] == ["Point", "LineString"]


def test_sector_parent_is_added():
    assert sector_codes("transport.water") == ["transport", "transport.water"]
    assert sector_codes("health") == ["health"]


def test_cli_export_writes_valid_package(tmp_path, validator):
    from geo.__main__ import main

    out = tmp_path / "oc4ids.json"
    assert main(["export", "--oc4ids", str(out)]) == 0
    package = json.loads(out.read_text(encoding="utf-8"))
    assert package["version"] == "0.9"
    assert all(validator.is_valid(p) for p in package["projects"])
