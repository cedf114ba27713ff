"""Exports GIS and Excel users can trust: no fake district point, one geometry type per layer,
BOM'd CSV with headers in the UI language, GeoPackage readable layer by layer and convertible
to Shapefile, OC4IDS published now with the data's date stated apart."""

from __future__ import annotations

import csv
import io
import json
import warnings

import pyogrio
import pytest
from shapely import wkt as shapely_wkt

from geo import export
from geo.loading import load_projects
from geo.oc4ids import export_records
from geo.paths import PROJECTS_GEOJSON


@pytest.fixture(scope="module")
def projects():
    return load_projects(PROJECTS_GEOJSON)


def _hidden(props) -> bool:
    return int(props["precision"]) in (4, 9)


def test_built_data_has_no_geometry_collection_nor_repeated_vertices():
    data = json.loads(PROJECTS_GEOJSON.read_text(encoding="utf-8"))
    for f in data["features"]:
        g = f["geometry"]
        if g is None:
            continue
        assert g["type"] != "GeometryCollection", f["id"]
        if g["type"] == "MultiPoint":
            coords = [tuple(c) for c in g["coordinates"]]
            assert len(set(coords)) == len(coords) > 1, f["id"]
    gas = next(f for f in data["features"] if f["id"] == "gas-shuinan-lubu-pipeline")
    assert gas["geometry"]["type"] == "LineString"  # the line record keeps its line


def test_geojson_district_level_projects_have_null_geometry(projects):
    data = json.loads(export.to_geojson(projects))
    assert len(data["features"]) == len(projects)
    for f in data["features"]:
        props, g = f["properties"], f["geometry"]
        if _hidden(props):
            assert g is None, props["id"]
            assert props["inside_district"] is None
        else:
            assert g is not None and g["type"] != "GeometryCollection"
            assert isinstance(props["inside_district"], bool)


def test_csv_bom_headers_follow_language_and_lonlat(projects):
    raw = export.csv_download(projects, "zh")
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[0] == "编号" and "几何(WKT, WGS84)" in header
    assert all(not h.isascii() or h in ("OC4IDS",) for h in header[:3])
    en = next(csv.reader(io.StringIO(export.csv_download(projects, "en").decode("utf-8-sig"))))
    assert en[0] == "ID" and "Geometry (WKT, WGS84)" in en and len(en) == len(header)
    rows = list(csv.DictReader(io.StringIO(export.to_csv(projects))))
    for row in rows:
        if int(row["precision"]) in (4, 9):
            assert row["wkt_wgs84"] == "" and row["lon"] == "" and row["lat"] == ""
        elif row["wkt_wgs84"].startswith("POINT "):
            pt = shapely_wkt.loads(row["wkt_wgs84"])
            assert float(row["lon"]) == pytest.approx(pt.x)
            assert float(row["lat"]) == pytest.approx(pt.y)
        assert row["inside_district"] in ("True", "False", ""), row["inside_district"]


def test_geopackage_one_layer_per_type_and_shapefile(projects, tmp_path):
    gpkg = tmp_path / "projects.gpkg"
    gpkg.write_bytes(export.to_geopackage(projects))
    layers = {name: kind for name, kind in pyogrio.list_layers(gpkg)}
    assert layers == {"projects_points": "MultiPoint", "projects_lines": "MultiLineString",
                      "projects_no_geometry": None}
    total = 0
    for name, kind in layers.items():
        frame = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=kind is not None)
        total += len(frame)
        if kind is None:
            assert set(frame["precision"].astype(int)) <= {4, 9}
            continue
        assert frame.crs.to_epsg() == 4326
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # field names shortened to 10 characters
            pyogrio.write_dataframe(frame, tmp_path / f"{name}.shp")
        back = pyogrio.read_dataframe(tmp_path / f"{name}.shp")
        assert len(back) == len(frame) and back.crs.to_epsg() == 4326
    assert total == len(projects)


def test_file_names_carry_town_and_filter():
    assert export.file_name("projects", "csv", "金利镇", ["port"]) == \
        "gaoyao-projects-金利镇-port.csv"
    assert export.file_name("projects", "csv") == "gaoyao-projects.csv"
    name = export.file_name("projects", "csv", "", ["a", "b", "c", "d", "e"])
    assert name == "gaoyao-projects-a-b-c-and-2-more.csv"
    assert export.ascii_file_name("gaoyao-projects-金利镇-port.csv") == \
        "gaoyao-projects-port.csv"
    assert "/" not in export.file_name("x", "csv", "../etc/passwd")


def test_oc4ids_published_now_data_date_apart_and_no_district_point(projects):
    package = export_records(projects, published="2026-01-02T03:04:05Z")
    assert package["publishedDate"] == "2026-01-02T03:04:05Z"
    assert package["x_dataDate"].startswith("20")
    assert export_records(projects.iloc[:1])["publishedDate"] != "2021-12-01T00:00:00Z"
    by_id = {p["x_gaoyaoPlanMap"]["recordId"]: p for p in package["projects"]}
    for _, row in projects.iterrows():
        for loc in by_id[row["id"]]["locations"]:
            if int(row["precision"]) in (4, 9):
                assert "geometry" not in loc
            else:
                assert loc["geometry"]["type"] != "GeometryCollection"


def test_cli_export_format_follows_the_extension(tmp_path):
    from geo.__main__ import main

    for ext in ("gpkg", "csv", "geojson"):
        assert main(["export", "--projects", str(tmp_path / f"p.{ext}"),
                     "--town", "441204115"]) == 0
    assert next(n for n, _ in pyogrio.list_layers(tmp_path / "p.gpkg")) == "projects_points"
    assert (tmp_path / "p.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))["type"] == \
        "FeatureCollection"
