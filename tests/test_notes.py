"""Geocoding notes in both languages from one definition (data/codelists/geocode_notes.csv):
every record has both, the Chinese one has no English in it, and no note says a project is drawn
where the map does not draw it (issue 10; "never show an approximate place like an exact one")."""

from __future__ import annotations

import json
import re
import string

import pytest

from geo import notes
from geo.aggregate import placement_of
from geo.gazetteer import load_gazetteer
from geo.geocoder import geocode
from geo.paths import PROJECTS_GEOJSON
from ui.card import geocode_note

#: codes a Chinese note may carry: road numbers (G324, S362, X430) and kilometres
CODE_RE = re.compile(r"\b[GSXYZ]\d+\b|\d+(\.\d+)?\s*km\b")
LATIN_RE = re.compile(r"[A-Za-z]")
#: what claims a point on the map (en, zh)
DRAWN_AT = ("drawn at", "画在")


@pytest.fixture(scope="module")
def features():
    return json.loads(PROJECTS_GEOJSON.read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _neutral(field: str) -> str:
    return re.sub(r"_(zh|en)$", "", field)


def test_templates_are_complete_and_parallel():
    table = notes.templates()
    assert table
    for key, t in table.items():
        assert t.text_zh.strip() and t.text_en.strip(), key
        zh, en = _fields(t.text_zh), _fields(t.text_en)
        assert not any(f.endswith("_en") for f in zh) and not any(f.endswith("_zh") for f in en)
        # the same facts in both languages (language-suffixed values aside; the English
        # fallback of an unknown gazetteer method names the method)
        assert {_neutral(f) for f in zh} <= {_neutral(f) for f in en}, key
        assert not LATIN_RE.search(re.sub(r"\{\w+\}", "", t.text_zh)), (key, t.text_zh)
        if "@" in key:
            base, placement = key.split("@")
            assert base in table, key
            assert placement in ("marker", "shape", "town", "district", "unplaced"), key


def test_every_gazetteer_method_has_a_template(gaz):
    """A place's own note comes from the template its English method matches: no place falls
    back to the English method text."""
    for p in gaz:
        if p.kind in ("town", "district"):
            continue  # geocoded as town seat / district, never with their method text
        hit = notes.method_params(p.method)
        assert hit is not None, (p.id, p.method)
        n = notes.place_note(p.name_zh, p.method)
        assert n.render("en") == f"{p.name_zh}: {p.method}", p.id  # English text unchanged
        assert not LATIN_RE.search(CODE_RE.sub("", n.render("zh"))), (p.id, n.render("zh"))


def test_every_record_has_a_note_in_both_languages(features):
    for f in features:
        p = f["properties"]
        assert str(p.get("geocode_note") or "").strip(), f["id"]
        assert str(p.get("geocode_note_zh") or "").strip(), f["id"]


def test_chinese_notes_have_no_english_words(features):
    for f in features:
        zh = f["properties"]["geocode_note_zh"]
        assert not LATIN_RE.search(CODE_RE.sub("", zh)), (f["id"], zh)


def _placement(feature: dict) -> str:
    g = feature["geometry"]
    return placement_of(int(feature["properties"]["precision"]), g["type"] if g else None)


def test_no_note_draws_what_the_map_does_not_draw(features):
    """District-level projects are listed as 全区性, town-level ones counted in their town's
    summary, unplaced ones nowhere: their notes never say "drawn at" / 画在."""
    seen = set()
    for f in features:
        p, where = f["properties"], _placement(f)
        seen.add(where)
        if where in ("district", "town", "unplaced"):
            assert DRAWN_AT[0] not in p["geocode_note"], (f["id"], p["geocode_note"])
            assert DRAWN_AT[1] not in p["geocode_note_zh"], (f["id"], p["geocode_note_zh"])
        if where == "district":
            assert p["geocode_note_zh"].startswith("全区性"), f["id"]
            assert "不在地图上画点" in p["geocode_note_zh"], f["id"]
            assert "not drawn on the map" in p["geocode_note"], f["id"]
            assert "reference point" not in p["geocode_note"], f["id"]
        if where == "town":
            assert "计入" in p["geocode_note_zh"] and "counted in" in p["geocode_note"], f["id"]
    assert {"district", "town", "marker", "shape", "unplaced"} <= seen


@pytest.mark.parametrize("text, kind",
                         [("高要区", "line"), ("全区各镇", "area"), ("高要区;澄湖村", "point")])
def test_district_level_note(gaz, text, kind):
    r = geocode(text, gaz, kind=kind)
    assert r.precision == 4 and r.placement == "district"
    assert r.note_zh.startswith("全区性：规划未给出区内具体位置，不在地图上画点")
    assert "drawn at" not in r.note and "line:" not in r.note


def test_town_note_follows_the_placement(gaz):
    alone = geocode("回龙镇", gaz, kind="line")
    assert alone.placement == "town"
    assert alone.note_zh == ("镇街级：规划只说明在回龙镇，图上计入该镇街统计，未画具体点位；"
                             "线状项目：走向未知")
    # with an estimated point the seat is drawn too (a MultiPoint marker): the note says so
    mixed = geocode("金利站;回龙镇", gaz, kind="line")
    assert mixed.placement == "marker"
    assert "回龙镇：只知镇街名，点画在镇驻地（估计）" in mixed.note_zh
    assert "drawn at the town seat (estimated)" in mixed.note


def test_examples_read_naturally(gaz):
    line = geocode("马安至禄步", gaz, kind="line")
    assert line.note_zh == "示意线：马安→禄步镇直线连接，实际走向未知"
    assert geocode("金利港", gaz).note_zh == "金利港：取西江距金利镇驻地最近的岸边点（估计）"
    assert geocode("金利镇西侧", gaz).note_zh == "金利镇西侧：金利镇以西约3公里（估计）"
    assert geocode("澄湖村", gaz).note_zh == "地名表中没有“澄湖村”，未能定位，不在地图上画"


def test_card_note_language_and_fallback():
    row = {"geocode_note": "english", "geocode_note_zh": "中文"}
    assert geocode_note(row, "zh") == "中文" and geocode_note(row, "en") == "english"
    assert geocode_note({"geocode_note": "english"}, "zh") == "english"
    assert geocode_note({"geocode_note": float("nan"), "geocode_note_zh": "中文"}, "en") == "中文"
    assert geocode_note({}, "zh") == ""
    placed = {**row, "geocode_method": "official_placement"}  # tracking replaced the position
    assert geocode_note(placed, "zh") == ""


def test_every_method_has_words_in_both_languages():
    """The card's 定位方法 line never shows a method code (range_endpoint, official_placement)."""
    from geo.geocoder import METHODS
    from geo.plain import method_phrase

    for method in (*METHODS, "record_coordinates", "official_placement"):
        zh, en = method_phrase(method, "zh"), method_phrase(method, "en")
        assert zh != method and en != method, method
        assert not LATIN_RE.search(zh), (method, zh)


def test_precision_meanings_do_not_draw_town_level_at_the_seat():
    from geo.codelists import load_codelists

    prec = load_codelists().precision
    assert "驻地" not in prec.at[3, "meaning_zh"] and "seat" not in prec.at[3, "meaning_en"]
    assert "不画点位" in prec.at[3, "meaning_zh"]
