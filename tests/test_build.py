"""The build: committed outputs are exactly what the committed sources produce, every feature is
valid, inside the district and carries a precision code, lines list every town they cross, and a
failed build leaves the previous outputs intact."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import shape

from geo import atomic
from geo import build as build_mod
from geo.build import BuildError, build, load_context
from geo.codelists import load_codelists
from geo.paths import DATA_DIR
from geo.registry import FIELDS, read_records
from tests.geojson_compare import differences

DATA = DATA_DIR


@pytest.fixture(scope="module")
def ctx():
    return load_context()


@pytest.fixture(scope="module")
def built(tmp_path_factory, ctx):
    out_dir = tmp_path_factory.mktemp("build")
    out = out_dir / "projects.geojson"
    build(DATA / "projects.csv", out, out_dir / "layers", ctx=ctx)
    return out_dir


@pytest.fixture(scope="module")
def collection():
    return json.loads((DATA / "projects.geojson").read_text(encoding="utf-8"))


def test_committed_outputs_are_what_the_build_produces(built):
    """Committed vs rebuilt: equal within the cross-machine tolerance (tests/geojson_compare)."""
    assert differences(DATA / "projects.geojson", built / "projects.geojson") == []
    fresh = sorted(p.name for p in (built / "layers").glob("*.geojson"))
    committed = sorted(p.name for p in (DATA / "layers").glob("*.geojson"))
    assert fresh == committed
    for name in fresh:
        assert differences(DATA / "layers" / name, built / "layers" / name) == [], name


def test_build_is_deterministic(tmp_path, ctx):
    a, b = tmp_path / "a.geojson", tmp_path / "b.geojson"
    build(DATA / "projects.csv", a, tmp_path / "la", ctx=ctx)
    build(DATA / "projects.csv", b, tmp_path / "lb", ctx=ctx)
    assert a.read_bytes() == b.read_bytes()


def test_every_record_becomes_one_feature_with_a_precision_code(collection):
    records = read_records(DATA / "projects.csv")
    assert len(records) > 150
    assert sorted(f["id"] for f in collection["features"]) == sorted(r["id"] for r in records)
    codes = load_codelists()
    for f in collection["features"]:
        p = f["properties"]
        assert p["precision"] in codes.precision_codes, f["id"]
        assert p["precision_slug"] == codes.precision.at[p["precision"], "slug"]
        assert p["geocode_method"], f["id"]
        assert (f["geometry"] is None) == (p["precision"] == 9), f["id"]


def test_rfc7946_wgs84_and_inside_district(collection, ctx):
    assert "crs" not in collection  # RFC 7946: WGS84 implied, no crs member
    outline = ctx.district.to_crs("EPSG:32649").geometry.union_all().buffer(50)
    for f in collection["features"]:
        if f["geometry"] is None:
            continue
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty, f["id"]
        minx, miny, maxx, maxy = geom.bounds
        assert 111.9 < minx <= maxx < 113.0 and 22.7 < miny <= maxy < 23.5, f["id"]  # lon, lat
        metric = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs("EPSG:32649").iloc[0]
        assert outline.contains(metric), f["id"]
        assert f["properties"]["inside_district"] is True


def test_lines_list_every_town_they_cross(collection, ctx):
    towns = ctx.towns
    lines = [f for f in collection["features"]
             if f["geometry"] and "LineString" in f["geometry"]["type"]
             and f["properties"]["precision"] != 4]
    assert lines, "the registry should have at least one placed line"
    for f in lines:
        geom = shape(f["geometry"])
        crossed = sorted(towns.loc[towns.intersects(geom), "name_zh"])
        assert sorted(filter(None, f["properties"]["towns_spatial"].split(";"))) == crossed
        if f["properties"]["precision"] <= 3:  # schematic lines: towns from text and gazetteer
            assert set(crossed) <= set(f["properties"]["towns_all"].split(";"))


def test_lengths_are_metric_and_match_geodesic(collection):
    geod = Geod(ellps="WGS84")
    measured = [f for f in collection["features"] if f["properties"]["length_km"]]
    assert measured
    for f in measured:
        geodesic_km = geod.geometry_length(shape(f["geometry"])) / 1000
        assert f["properties"]["length_km"] == pytest.approx(geodesic_km, rel=0.005)


def test_quantities_are_typed(collection):
    by_id = {f["id"]: f["properties"] for f in collection["features"]}
    berths = {k: v for k, v in by_id.items() if v["berths"]}
    assert all(isinstance(v["berths"], int) for v in berths.values())
    jinli = [v for v in berths.values() if v["berths"] == 4 and v["berth_dwt"] == 5000]
    assert jinli and "金利" in jinli[0]["title_zh"]
    gaoyao = [v for v in berths.values() if v["berths"] == 2 and v["berth_dwt"] == 3000]
    assert gaoyao and "高要港" in gaoyao[0]["title_zh"]


def write_registry(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FIELDS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in FIELDS})


def sample_rows() -> list[dict[str, str]]:
    return read_records(DATA / "projects.csv")[:12]


def test_invalid_registry_writes_nothing(tmp_path, ctx):
    rows = sample_rows()
    rows[3]["category"] = "spaceport"
    src = tmp_path / "p.csv"
    write_registry(src, rows)
    out = tmp_path / "out.geojson"
    out.write_text("previous", encoding="utf-8")
    with pytest.raises(BuildError, match=rf"record {rows[3]['id']}, field 'category'"):
        build(src, out, tmp_path / "layers", ctx=ctx)
    assert out.read_text(encoding="utf-8") == "previous"
    assert not (tmp_path / "layers").exists()


def test_failure_while_writing_keeps_previous_outputs(tmp_path, ctx, monkeypatch):
    src = tmp_path / "p.csv"
    write_registry(src, sample_rows())
    out, layers = tmp_path / "projects.geojson", tmp_path / "layers"
    build(src, out, layers, ctx=ctx)
    before = {p.name: p.read_bytes() for p in [out, *layers.glob("*")]}

    rows = sample_rows()
    rows[0]["title_en"] = "Changed title"
    write_registry(src, rows)
    real_text = build_mod.collection_text
    calls = {"n": 0}

    def failing(features, name):
        calls["n"] += 1
        if calls["n"] == 3:  # interrupt after two outputs were already prepared
            raise KeyboardInterrupt("simulated interruption")
        return real_text(features, name)

    monkeypatch.setattr(build_mod, "collection_text", failing)
    with pytest.raises(KeyboardInterrupt):
        build(src, out, layers, ctx=ctx)
    after = {p.name: p.read_bytes() for p in [out, *layers.glob("*")]}
    assert after == before
    assert not list(tmp_path.glob(".*.tmp")) and not list(layers.glob(".*.tmp"))


def test_interrupted_disk_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "a.geojson"
    target.write_text("old", encoding="utf-8")
    other = tmp_path / "b.geojson"
    real_fsync = atomic.os.fsync
    calls = {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    with pytest.raises(OSError, match="No space"):
        atomic.write_atomically({target: "new", other: "new"})
    assert target.read_text(encoding="utf-8") == "old"
    assert not other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.geojson"]


def test_cli_build_prints_progress_and_summary(tmp_path, capsys):
    from geo.__main__ import main

    src = tmp_path / "p.csv"
    write_registry(src, sample_rows())
    code = main(["build", "--projects", str(src), "--out", str(tmp_path / "o.geojson"),
                 "--layers-dir", str(tmp_path / "l")])
    captured = capsys.readouterr()
    assert code == 0
    assert "geocoded 12/12" in captured.err
    assert "12 features" in captured.out and "by precision:" in captured.out


def test_data_readme_counts_are_current():
    from prep.readme_counts import main as readme_counts

    assert readme_counts(["--check"]) == 0


def test_towns_come_from_the_join_only_for_fine_geometries(ctx):
    """Issue 11: a spatial join names towns only for precision 1-3; an estimated point or a
    schematic line (5) takes the towns of the record and of the gazetteer places it matched;
    towns the record does not state are flagged as inferred."""
    from geo.build import record_towns

    spatial = ["南岸街道", "大湾镇"]
    assert record_towns(["金利镇"], spatial, [], 3, ctx.gazetteer) == (
        ["金利镇", "南岸街道", "大湾镇"], ["南岸街道", "大湾镇"])
    every, inferred = record_towns([], spatial, ["金利港"], 5, ctx.gazetteer)
    assert every == ["金利镇"] and inferred == ["金利镇"]  # the gazetteer's town, not the join's
    assert record_towns(["禄步镇"], spatial, ["西江"], 5, ctx.gazetteer) == (["禄步镇"], [])


def test_city_core_records_are_in_nanan_and_xinqiao(collection):
    """Issue 11: the three 新兴江 records lie in 南岸街道 and 新桥镇 (gazetteer), not 莲塘镇."""
    props = {f["properties"]["id"]: f["properties"] for f in collection["features"]}
    for pid in ("urban-jiangbin-new-town", "park-xinxingjiang-landscape-belt",
                "env-xinxing-river-water-remediation"):
        assert props[pid]["towns_all"] == "南岸街道;新桥镇", pid
        assert props[pid]["towns_inferred"] == "南岸街道;新桥镇", pid
    estimated = [p for p in props.values() if p["precision"] == 5]
    assert estimated and all(
        set(filter(None, p["towns_inferred"].split(";"))) <= set(p["towns_all"].split(";"))
        for p in estimated)
