"""Routes and coordinates from public sources (issues 10 and 11): ``data/sources/routes.csv`` and
``data/sources/coordinates.csv`` cite every fact used; every place they name is in the gazetteer;
a project with a multi-place route row is drawn as a schematic line (precision 5) whose towns
include the places' towns; a project known only at single places is drawn there; sources are
http(s) URLs."""

from __future__ import annotations

import csv
import json
import re

import pytest

from geo.gazetteer import load_gazetteer
from geo.paths import REPO_ROOT
from geo.registry import read_records

DATA = REPO_ROOT / "data"
ROUTES = DATA / "sources" / "routes.csv"
COORDS = DATA / "sources" / "coordinates.csv"
ROUTE_COLUMNS = ["project_id", "places_in_order", "source_url", "source_title", "consulted",
                 "quote", "confidence", "notes"]
COORD_COLUMNS = ["place", "lon", "lat", "crs", "source_url", "source_title", "consulted", "quote",
                 "licence", "confidence", "notes"]
CONFIDENCE = {"high", "medium", "low"}
URL_RE = re.compile(r"^https?://\S+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _read(path):
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def _places(row: dict[str, str]) -> list[str]:
    return [p.strip() for p in row["places_in_order"].split(";") if p.strip()]


@pytest.fixture(scope="module")
def routes():
    cols, rows = _read(ROUTES)
    assert cols == ROUTE_COLUMNS
    assert rows, "routes.csv is empty"
    return rows


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.fixture(scope="module")
def records():
    return {r["id"]: r for r in read_records(DATA / "projects.csv")}


@pytest.fixture(scope="module")
def features():
    fc = json.loads((DATA / "projects.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["id"]: f for f in fc["features"]}


def _place_towns(name: str, gazetteer) -> set[str]:
    place = gazetteer.lookup(name)
    assert place is not None, name
    return {place.name_zh} if place.kind == "town" else set(place.towns)


def test_route_rows_are_well_formed(routes):
    for n, row in enumerate(routes, start=2):
        assert URL_RE.match(row["source_url"]), f"row {n}: source_url must be http(s)"
        assert row["source_title"].strip(), f"row {n}: source_title"
        assert DATE_RE.match(row["consulted"]), f"row {n}: consulted must be YYYY-MM-DD"
        assert 0 < len(row["quote"]) <= 60, f"row {n}: quote must be 1-60 characters"
        assert row["confidence"] in CONFIDENCE, f"row {n}: confidence"
        assert _places(row), f"row {n}: no place"


def test_route_rows_name_existing_line_projects(routes, records):
    for row in routes:
        rec = records.get(row["project_id"])
        assert rec is not None, f"unknown project {row['project_id']}"
        assert rec["category"] in {"railway", "highway", "road"}, row["project_id"]
        assert rec["geometry_kind"] == "line", row["project_id"]


def test_every_route_place_is_in_the_gazetteer(routes, gazetteer):
    for row in routes:
        for name in _places(row):
            pid = row["project_id"]
            assert gazetteer.lookup(name) is not None, f"{pid}: {name} not in gazetteer"


def test_routed_projects_are_drawn_with_the_places_towns(routes, gazetteer, records, features):
    by_project: dict[str, list[dict[str, str]]] = {}
    for row in routes:
        by_project.setdefault(row["project_id"], []).append(row)
    for pid, rows in by_project.items():
        feat = features[pid]
        props = feat["properties"]
        towns_text = set(filter(None, records[pid]["towns"].split(";")))
        towns_all = set(filter(None, props["towns_all"].split(";")))
        matched = set(filter(None, props["geocode_matched"].split(";")))
        for row in rows:
            for name in _places(row):
                want = _place_towns(name, gazetteer)
                assert want <= towns_text, f"{pid}: record towns lack {want - towns_text}"
                assert want <= towns_all, f"{pid}: drawn towns lack {want - towns_all}"
                assert gazetteer.lookup(name).name_zh in matched, f"{pid}: {name} not drawn"
        assert feat["geometry"] is not None, pid
        if any(len(_places(r)) > 1 for r in rows):  # a route (order known) -> schematic line
            assert feat["geometry"]["type"] in {"LineString", "MultiLineString"}, pid
            assert props["precision"] == 5, pid
            assert props["geocode_method"] == "schematic_line", pid
            assert props["length_km"] and props["length_km"] > 0, pid
        else:  # only single places known: drawn at them, never at district level
            assert props["precision"] not in (4, 9), pid
            assert props["geocode_method"] not in ("district", "not_geocoded"), pid
        assert "routes.csv" in records[pid]["notes"], f"{pid}: notes should cite routes.csv"


def test_coordinates_file_is_well_formed():
    cols, rows = _read(COORDS)
    assert cols == COORD_COLUMNS
    for n, row in enumerate(rows, start=2):
        lon, lat = float(row["lon"]), float(row["lat"])
        assert 112.16 <= lon <= 112.86 and 22.75 <= lat <= 23.45, f"row {n}: outside the district"
        assert row["crs"] in {"WGS84", "EPSG:4326", "CGCS2000", "EPSG:4490"}, (
            f"row {n}: store WGS84/CGCS2000 (convert GCJ-02/BD-09 first, say so in notes)")
        assert URL_RE.match(row["source_url"]), f"row {n}: source_url must be http(s)"
        assert DATE_RE.match(row["consulted"]), f"row {n}: consulted"
        assert 0 < len(row["quote"]) <= 60, f"row {n}: quote"
        assert row["confidence"] in CONFIDENCE, f"row {n}: confidence"
