"""Property-based tests (Hypothesis): the registry validator, the CSV reader, the geocoder, the
spatial join, the GCJ-02 conversion and the OC4IDS export hold their contracts on random and
adversarial input, not only on the committed data.

Every property names the invariant it defends; see /work/hostile_report.md (SECURITY.md).
Coordinates are WGS84 (EPSG:4326) lon/lat degrees unless stated otherwise.
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely import wkt as shapely_wkt
from shapely.geometry import LineString, Point, shape

from geo import crs as gcrs
from geo.build import build_features, load_context
from geo.codelists import load_codelists
from geo.geocoder import geocode
from geo.paths import OC4IDS_SCHEMA
from geo.registry import (
    DISTRICT_BBOX,
    FIELDS,
    RegistryError,
    read_records,
    validate_records,
)
from geo.spatial import join_towns
from tests.hostile import ACCEPTED, PAYLOADS, REJECTED, hostile_record, valid_record

CTX = load_context()
CODES = load_codelists()
DISTRICT = CTX.district.geometry.union_all()
GAZ = CTX.gazetteer
GAZ_NAMES = sorted({n for p in GAZ for n in p.names})
GAZ_NAME_ZH = {p.name_zh for p in GAZ}
SCHEMA = OC4IDS_SCHEMA

# A point of the district shifted by the GCJ-02 offset is still inside the district (see
# test_gcj_offset_point_cannot_be_detected_from_position): the defence is coord_source.
SEAT = (112.4624, 23.0283)  # near the 南岸街道 seat, inside the outline

FAST = settings(max_examples=400, deadline=None, database=None)

# ------------------------------------------------------------------------------------------
# strategies
# ------------------------------------------------------------------------------------------
junk_values = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.lists(st.text(max_size=3), max_size=3),
    st.booleans(),
    st.sampled_from([p.text for p in PAYLOADS]),
    st.sampled_from(["", " ", "\u3000", "nan", "NaN", "inf", "-inf", "-1", "1e400", "1,000",
                     "0x10", "12.5", "4", "1e3", "３", "1_000", "--", "百"]),
)
number_texts = st.one_of(
    st.sampled_from(["", "nan", "inf", "-inf", "-5", "0", "1.5", "1e400", "abc", "12", "1,5"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**6, max_value=10**20).map(str),
)
inside_lon = st.floats(min_value=DISTRICT_BBOX[0], max_value=DISTRICT_BBOX[2])
inside_lat = st.floats(min_value=DISTRICT_BBOX[1], max_value=DISTRICT_BBOX[3])
globe_coord = st.floats(allow_nan=True, allow_infinity=True, width=64)
WKT_LITERALS = [
    "POINT EMPTY", "LINESTRING EMPTY", "POLYGON EMPTY", "GEOMETRYCOLLECTION EMPTY",
        # bow-tie (self-intersecting) polygon inside the district
    "POLYGON ((112.44 22.94, 112.46 22.96, 112.46 22.94, 112.44 22.96, 112.44 22.94))",
    "POLYGON ((112.44 22.94, 112.46 22.94, 112.46 22.96, 112.44 22.96, 112.44 22.94))",
    "LINESTRING (112.45 22.95, 112.45 22.95)",
    "GEOMETRYCOLLECTION (POINT (112.46 23.03), LINESTRING (112.4 23.0, 112.5 23.1))",
    "POINT (23.03 112.46)", "POINT (200 100)", "POINT (nan nan)", "POINT (inf 23)",
    "POINT Z (112.46 23.03 5)", "POINT (112.46)", "POLYGON ((112.4 23.0, 112.5 23.0))",
    "<svg onload=alert(1)>", "POINT (112.46 23.03", "MULTIPOINT ((112.46 23.03), (500 0))",
]
wkt_texts = st.one_of(
    st.builds(lambda x, y: f"POINT ({x} {y})", inside_lon, inside_lat),
    st.builds(lambda a, b, c, d: f"LINESTRING ({a} {b}, {c} {d})",
              inside_lon, inside_lat, inside_lon, inside_lat),
    st.sampled_from(WKT_LITERALS),
    st.text(max_size=40),
)
coord_sources = st.sampled_from([
    "", "site plan (WGS84 GPS)", "AMap 高德 picked point", "高德地图拾取", "GCJ-02 from amap",
    "AMap, converted with geo.crs.gcj02_to_wgs84", "百度地图", "Tianditu (CGCS2000)",
])


@st.composite
def mutated_records(draw: st.DrawFn) -> dict:
    """A valid record with some fields replaced by junk, bad numbers or bad coordinates."""
    rec = dict(valid_record(draw(st.sampled_from(["port-a-b", "x", "Bad Id", "port-ok-1",
                                                  "port-ok-2", "-lead", "a" * 70]))))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        rec[name] = draw(junk_values)
    for name in draw(st.lists(st.sampled_from(["berths", "berth_dwt", "capacity", "units",
                                               "voltage_kv", "length_km_stated"]),
                              max_size=2, unique=True)):
        rec[name] = draw(number_texts)
    shape_kind = draw(st.sampled_from(["none", "lonlat", "swapped", "globe", "wkt"]))
    if shape_kind != "none":
        rec["coord_source"] = draw(coord_sources)
    if shape_kind == "lonlat":
        rec["lon"], rec["lat"] = repr(draw(inside_lon)), repr(draw(inside_lat))
    elif shape_kind == "swapped":
        rec["lat"], rec["lon"] = repr(draw(inside_lon)), repr(draw(inside_lat))
    elif shape_kind == "globe":
        rec["lon"], rec["lat"] = repr(draw(globe_coord)), repr(draw(globe_coord))
    elif shape_kind == "wkt":
        rec["geometry_wkt"] = draw(wkt_texts)
    if draw(st.booleans()):
        del rec[draw(st.sampled_from(FIELDS))]  # a missing column
    if draw(st.integers(0, 9)) == 0:
        rec[draw(st.sampled_from(["extra", "ID", 3, ""]))] = "x"  # unknown column
    return rec


def check_problems(records: list, problems: list) -> None:
    """Each problem names a real row, that row's record id and a known field."""
    assert problems == sorted(problems)
    for p in problems:
        assert 2 <= p.row < len(records) + 2
        rec = records[p.row - 2]
        if isinstance(rec, dict):
            raw = rec.get("id", "")
            expected = raw.strip() if isinstance(raw, str) else repr(raw)
            assert p.record_id == expected
            assert p.field in FIELDS or p.field in {str(k) for k in rec}, p
        assert isinstance(p.message, str) and p.message.strip()
        assert str(p).startswith(f"row {p.row}, record ")


# ------------------------------------------------------------------------------------------
# registry: validator
# ------------------------------------------------------------------------------------------
@FAST
@given(st.lists(mutated_records(), min_size=1, max_size=4))
def test_validator_never_raises_and_locates_every_problem(records):
    problems = validate_records(records, CODES, district=DISTRICT)
    check_problems(records, problems)
    ids = [r.get("id") for r in records]
    for i, rid in enumerate(ids):
        if isinstance(rid, str) and rid.strip() and rid.strip() in [
            x.strip() for x in ids[:i] if isinstance(x, str)
        ]:
            assert any(p.row == i + 2 and p.field == "id" and "duplicate" in p.message
                       for p in problems)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(st.dictionaries(st.one_of(st.text(max_size=8), st.integers()),
                                          junk_values, max_size=6),
                          st.none(), st.integers(), st.text(max_size=5)),
                max_size=4))
def test_validator_survives_arbitrary_objects(records):
    problems = validate_records(records, CODES)
    check_problems(records, problems)
    for i, rec in enumerate(records):  # anything that is not a full valid record is flagged
        assert any(p.row == i + 2 for p in problems), rec


@FAST
@given(mutated_records())
def test_bad_values_are_named_by_field(rec):
    problems = validate_records([rec], CODES, district=DISTRICT)
    fields = {p.field for p in problems}
    for name in FIELDS:
        value = rec.get(name, "")
        if not isinstance(value, str):
            assert name in fields, (name, value)
    for name in ("berths", "berth_dwt", "units", "capacity", "voltage_kv", "length_km_stated"):
        value = rec.get(name, "")
        if isinstance(value, str) and value.strip():
            try:
                number = float(value.replace(",", ""))
            except ValueError:
                number = float("nan")
            if not math.isfinite(number) or number < 0:
                assert name in fields, (name, value)
    src = rec.get("coord_source", "")
    if (isinstance(src, str) and any(w in src.casefold() for w in ("amap", "高德", "gcj", "百度"))
            and "converted" not in src and any(isinstance(rec.get(k), str) and rec[k].strip()
                                               for k in ("lon", "lat", "geometry_wkt"))):
        assert "coord_source" in fields


@pytest.mark.parametrize("payload", ACCEPTED, ids=[p.name for p in ACCEPTED])
def test_accepted_payloads_validate(payload):
    assert validate_records([hostile_record(payload)], CODES, district=DISTRICT) == []


@pytest.mark.parametrize("payload", REJECTED, ids=[p.name for p in REJECTED])
def test_rejected_payloads_are_named(payload):
    rec = hostile_record(payload, "port-hostile")
    problems = validate_records([rec], CODES, district=DISTRICT)
    assert problems
    assert {p.record_id for p in problems} == {"port-hostile"}
    fields = {p.field for p in problems}
    assert {"title_zh", "title_en", "location_text"} <= fields  # notes may be blank
    assert all(p.row == 2 for p in problems)


def test_gcj_offset_point_cannot_be_detected_from_position():
    """A GCJ-02 point mislabelled as WGS84 is ~500 m off but still inside the district: no
    position check can catch it. The defence is the provenance: coord_source must be given,
    and a GCJ-02 source (AMap/高德/GCJ) without 'converted' is rejected."""
    glon, glat = gcrs.wgs84_to_gcj02(*SEAT)
    shift_m = Point(SEAT).distance(Point(glon, glat)) * 111_000
    assert 300 < shift_m < 900
    assert DISTRICT.contains(Point(glon, glat)) and DISTRICT.contains(Point(SEAT))
    base = {"lon": f"{glon:.6f}", "lat": f"{glat:.6f}"}
    ok = valid_record(**base, coord_source="site survey, handheld GPS (WGS84)")
    assert validate_records([ok], CODES, district=DISTRICT) == []
    for src in ("高德地图拾取坐标", "AMap picker", "GCJ-02", "百度地图"):
        problems = validate_records([valid_record(**base, coord_source=src)], CODES,
                                    district=DISTRICT)
        assert [p.field for p in problems] == ["coord_source"], src
        assert "gcj02_to_wgs84" in problems[0].message
    wlon, wlat = gcrs.gcj02_to_wgs84(glon, glat)
    fixed = valid_record(lon=f"{wlon:.6f}", lat=f"{wlat:.6f}",
                         coord_source="AMap picker, converted with geo.crs.gcj02_to_wgs84")
    assert validate_records([fixed], CODES, district=DISTRICT) == []
    assert wlon == pytest.approx(SEAT[0], abs=1e-6) and wlat == pytest.approx(SEAT[1], abs=1e-6)
    missing = validate_records([valid_record(**base)], CODES, district=DISTRICT)
    assert [p.field for p in missing] == ["coord_source"]


# ------------------------------------------------------------------------------------------
# registry -> build: a record without problems builds into a valid feature
# ------------------------------------------------------------------------------------------
def assert_valid_feature(feature: dict) -> None:
    p = feature["properties"]
    assert p["precision"] in CODES.precision_codes
    if feature["geometry"] is None:
        assert p["precision"] == 9 and p["inside_district"] is None
        return
    geom = shape(feature["geometry"])
    assert geom.is_valid and not geom.is_empty
    assert geom.geom_type != "GeometryCollection"
    assert p["precision"] != 9
    if p["inside_district"] is not True:  # only a flagged schematic line may leave it
        assert "LineString" in geom.geom_type
        assert "WARNING" in p["geocode_note"] and p["precision"] == 5, (feature["id"], geom.wkt)
    json.dumps(feature, allow_nan=False, ensure_ascii=False)  # strict JSON, no NaN/inf


clean_records = st.one_of(
    mutated_records(),
    st.builds(lambda p: hostile_record(p, "port-hostile"), st.sampled_from(PAYLOADS)),
    st.builds(lambda t: valid_record(location_text=t),
              st.lists(st.sampled_from([*GAZ_NAMES, "至", "西侧", "上游", "附近", "；", "x"]),
                       min_size=1, max_size=4).map("".join)),
)


@settings(max_examples=120, deadline=None, database=None)
@given(clean_records)
def test_record_without_problems_builds_into_a_valid_feature(rec):
    problems = validate_records([rec], CODES, district=DISTRICT)
    assume(not problems)
    records = [{k: rec.get(k, "") for k in FIELDS}]
    (feature,) = build_features(records, CTX, CODES)
    assert feature["id"] == rec["id"]
    assert_valid_feature(feature)
    for name in ("title_zh", "notes", "location_text"):  # text is carried, not altered
        assert feature["properties"][name] == rec[name].strip()


# ------------------------------------------------------------------------------------------
# registry: CSV round trip and damaged files
# ------------------------------------------------------------------------------------------
csv_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.fixed_dictionaries({name: csv_text for name in FIELDS}), max_size=3),
       st.booleans())
def test_csv_round_trip(records, bom):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "projects.csv"
        with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(records)
        try:
            back = read_records(path)
        except RegistryError as exc:  # e.g. a NUL byte; must name the file
            assert str(path) in str(exc)
            return
    assert back == records


@settings(max_examples=300, deadline=None, database=None)
@given(st.data())
def test_damaged_csv_reads_or_fails_naming_the_file(data):
    rows = [hostile_record(p, f"port-{i:03d}") for i, p in enumerate(PAYLOADS[:6])]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "projects.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        raw = path.read_bytes()
        cut = data.draw(st.integers(0, len(raw)))
        junk = data.draw(st.binary(max_size=8))
        mode = data.draw(st.sampled_from(["truncate", "insert", "replace"]))
        if mode == "truncate":
            raw = raw[:cut]
        elif mode == "insert":
            raw = raw[:cut] + junk + raw[cut:]
        else:
            raw = raw[:cut] + junk + raw[cut + len(junk):]
        path.write_bytes(raw)
        try:
            back = read_records(path)
        except RegistryError as exc:
            assert str(path) in str(exc)
            return
    problems = validate_records(back, CODES)  # whatever was read validates without raising
    check_problems(back, problems)


# ------------------------------------------------------------------------------------------
# geocoder
# ------------------------------------------------------------------------------------------
GEOCODE_PIECES = [*GAZ_NAMES, ";", "；", "、", "，", ",", "至", "到", "—", "～", "西侧", "以北",
                  "东南部", "上游", "下游", "附近", "周边", "旁", "高要区", "全区", "大湾区", " ",
                  "\u3000", "\n", "和", "及", "一带", "沿线", "<script>", "{{7*7}}"]
location_texts = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.sampled_from(GEOCODE_PIECES), st.text(max_size=3)),
             max_size=8).map("".join),
    st.sampled_from([p.text for p in PAYLOADS]),
)
DISTRICT_TOL = DISTRICT.buffer(0.002)  # about 200 m: rounding and the 20 m bank snap


@settings(max_examples=1500, deadline=None, database=None)
@given(location_texts, st.sampled_from(["point", "line", "area", "bogus"]))
def test_geocoder_contract(text, kind):
    res = geocode(text, GAZ, towns=CTX.towns, river=CTX.river, kind=kind)
    assert res.precision in {1, 2, 3, 4, 5, 9}
    assert (res.geometry is None) == (res.precision == 9)
    assert isinstance(res.note, str) and isinstance(res.method, str) and res.method
    assert set(res.matched) <= GAZ_NAME_ZH
    if res.geometry is not None:
        assert res.geometry.is_valid and not res.geometry.is_empty, res.geometry.wkt
        minx, miny, maxx, maxy = res.geometry.bounds
        bx0, by0, bx1, by1 = DISTRICT_TOL.bounds
        assert bx0 <= minx <= maxx <= bx1 and by0 <= miny <= maxy <= by1, res.geometry.wkt
        # inside the outline itself, or honestly flagged (a straight schematic line between two
        # far-apart seats may cut across a bend of the concave outline)
        inside = DISTRICT_TOL.covers(res.geometry)
        assert inside or "WARNING" in res.note, (text, res.geometry.wkt, res.note)
        if res.geometry.geom_type in ("Point", "MultiPoint"):
            assert inside, (text, res.geometry.wkt)


@settings(max_examples=100, deadline=None, database=None)
@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=10)))
def test_geocoder_non_text_input(value):
    res = geocode(value, GAZ, towns=CTX.towns, river=CTX.river)
    assert (res.geometry is None) == (res.precision == 9)


# ------------------------------------------------------------------------------------------
# spatial join
# ------------------------------------------------------------------------------------------
bbox_lon = st.floats(min_value=DISTRICT_BBOX[0] + 0.2, max_value=DISTRICT_BBOX[2] - 0.05)
bbox_lat = st.floats(min_value=DISTRICT_BBOX[1] + 0.1, max_value=DISTRICT_BBOX[3] - 0.05)
bbox_points = st.builds(Point, bbox_lon, bbox_lat)
bbox_lines = st.lists(st.tuples(bbox_lon, bbox_lat), min_size=2, max_size=4, unique=True).map(
    LineString)
TOWN_POLYS = list(zip(CTX.towns["code"].astype(str), CTX.towns["name_zh"], CTX.towns.geometry,
                      strict=True))


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.one_of(bbox_points, bbox_lines), min_size=1, max_size=25))
def test_spatial_join_matches_shapely(geoms):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326")
    joined = join_towns(gdf, CTX.towns)
    for geom, got in zip(geoms, joined, strict=True):
        expected = [{"code": c, "name_zh": n} for c, n, poly in sorted(TOWN_POLYS)
                    if poly.intersects(geom)]
        assert got == expected, geom.wkt


# ------------------------------------------------------------------------------------------
# GCJ-02
# ------------------------------------------------------------------------------------------
china_lon = st.floats(min_value=73.0, max_value=135.0)
china_lat = st.floats(min_value=18.0, max_value=53.0)


@settings(max_examples=1500, deadline=None, database=None)
@given(china_lon, china_lat)
def test_gcj_round_trip_in_china(lon, lat):
    glon, glat = gcrs.wgs84_to_gcj02(lon, lat)
    assert (glon, glat) != (lon, lat)
    back = gcrs.gcj02_to_wgs84(glon, glat)
    assert back[0] == pytest.approx(lon, abs=1e-6) and back[1] == pytest.approx(lat, abs=1e-6)


@settings(max_examples=500, deadline=None, database=None)
@given(st.floats(min_value=-180, max_value=180), st.floats(min_value=-90, max_value=90))
def test_gcj_passthrough_outside_china(lon, lat):
    assume(bool(gcrs.out_of_china(lon, lat)))
    assert gcrs.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcrs.gcj02_to_wgs84(lon, lat) == (lon, lat)


# ------------------------------------------------------------------------------------------
# OC4IDS
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def oc4ids_validator():
    from jsonschema import Draft4Validator

    return Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


@settings(max_examples=80, deadline=None, database=None,
          # the validator fixture is module-scoped and read-only: safe to share across examples
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(clean_records)
def test_valid_feature_exports_schema_valid(oc4ids_validator, rec):
    from geo.oc4ids import export_records

    assume(not validate_records([rec], CODES, district=DISTRICT))
    records = [{k: rec.get(k, "") for k in FIELDS}]
    package = export_records(build_features(records, CTX, CODES))
    (project,) = package["projects"]
    errors = sorted(oc4ids_validator.iter_errors(project), key=str)
    assert not errors, [e.message for e in errors[:3]]
    json.dumps(package, allow_nan=False)


def test_wkt_geometries_accepted_by_the_validator_are_valid():
    """Sanity: every WKT literal in the strategy that passes the validator parses as valid."""
    accepted = []
    for text in WKT_LITERALS:
        rec = valid_record(geometry_wkt=text, coord_source="survey (WGS84)")
        if not validate_records([rec], CODES, district=DISTRICT):
            geom = shapely_wkt.loads(text)
            assert geom.is_valid and DISTRICT.buffer(0.01).contains(geom), text
            accepted.append(text)
    assert len(accepted) == 2  # the plain square polygon and the 3D point; all else rejected
