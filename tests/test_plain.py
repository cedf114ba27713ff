"""Plain-language location and status phrases (geo.plain), both languages."""

from __future__ import annotations

import math

import pytest

from geo.plain import DASH, location_body, location_phrase, status_phrase, text_or_dash, town_list

NAMES_EN = {"金利镇": "Jinli Town", "金渡镇": "Jindu Town"}


def rec(**kw):
    base = {"precision": 3, "towns_all": "金利镇", "geometry_kind": "point",
            "geocode_method": "town_seat", "location_text": "金利镇", "status": "preparation",
            "status_zh": "推进…建设", "status_as_of": "2021-12"}
    base.update(kw)
    return base


def test_town_level():
    assert location_phrase(rec(), "zh") == "位置:金利镇(镇级,规划未给具体地点)"
    assert location_phrase(rec(), "en", NAMES_EN) == \
        "Location: Jinli Town (town level: the plan gives no site)"


def test_district_level():
    r = rec(precision=4, towns_all="", geocode_method="district")
    assert location_phrase(r, "zh") == "位置:高要区全区(规划未给具体地点)"
    assert location_phrase(r, "en") == "Location: all of Gaoyao District (the plan gives no site)"


def test_estimated_point_and_schematic_line():
    assert location_phrase(rec(precision=5), "zh") == "位置:金利镇(估计位置)"
    line = rec(precision=5, towns_all="金利镇;金渡镇", geometry_kind="line",
               geocode_method="schematic_line")
    assert location_phrase(line, "zh") == "位置:金利镇、金渡镇(示意线路,走向未知)"
    assert location_phrase(line, "en", NAMES_EN) == (
        "Location: Jinli Town, Jindu Town (schematic route: the alignment is not known)")


def test_exact_and_near():
    assert location_phrase(rec(precision=1), "en", NAMES_EN) == "Location: Jinli Town (exact site)"
    near = rec(precision=2, geocode_matched="金利港")
    assert location_phrase(near, "zh") == "位置:金利镇金利港附近(邻近已知地点)"
    assert "near 金利港" in location_phrase(near, "en", NAMES_EN)


def test_not_located():
    r = rec(precision=9, towns_all=None, location_text="澄湖村")
    assert location_phrase(r, "zh") == "未定位:澄湖村(规划未给出可定位的地点)"
    assert location_phrase(r, "en") == "Not located: the plan names no place that can be located"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("code", [1, 2, 3, 4, 5, 9])
def test_never_none_or_nan(code, lang):
    r = rec(precision=code, towns_all=math.nan, towns=None, geocode_matched=None,
            location_text=math.nan)
    text = location_phrase(r, lang)
    assert "None" not in text and "nan" not in text
    assert location_body(r, lang)


def test_status_phrase_both_languages():
    assert status_phrase(rec(), "zh") == "前期(规划原文:推进…建设;截至 2021-12)"
    assert status_phrase(rec(), "en") == \
        "In preparation (plan's wording: 推进…建设; as of 2021-12)"
    assert status_phrase(rec(status_zh=None, status_as_of=math.nan), "en") == "In preparation"
    assert status_phrase(rec(status=None), "zh").startswith(DASH)


def test_helpers():
    assert text_or_dash(None) == DASH and text_or_dash(math.nan) == DASH
    assert text_or_dash("None") == DASH and text_or_dash(" x ") == "x"
    assert town_list(rec(towns_all="金利镇;金渡镇"), "en", NAMES_EN) == "Jinli Town, Jindu Town"
    assert town_list(rec(towns_all=None, towns=None), "zh") == ""


def test_every_built_record_has_a_phrase():
    from geo.loading import load_projects
    from geo.paths import DATA_DIR
    df = load_projects(DATA_DIR / "projects.geojson")
    for _, row in df.iterrows():
        for lang in ("zh", "en"):
            text = location_phrase(row, lang) + status_phrase(row, lang)
            assert "None" not in text and "nan" not in text, (row["id"], text)


def test_method_phrase():
    from geo.plain import method_phrase
    assert method_phrase("town_seat", "zh") == "仅知所在镇街"  # not "the town seat"
    assert method_phrase("gazetteer", "en") == "matched in the gazetteer"
    assert method_phrase(None, "en") == DASH
