"""geo.brief: the printable town brief is complete, bilingual, self-contained and escaped."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo import codelists as gc
from geo import filtering, loading
from geo.brief import town_brief_html
from tests.fixtures.app_support import HOSTILE_MARKERS, PROJECTS, TOWNS


@pytest.fixture(scope="module")
def parts():
    projects = loading.load_projects(PROJECTS)
    towns = loading.load_layer(TOWNS)
    return projects, towns, gc.load_codelists()


def brief_for(parts, code):
    projects, towns, codelists = parts
    town = towns[towns["code"] == code].iloc[0].to_dict()
    in_town = filtering.projects_in_town(projects, code)
    return town_brief_html(town, in_town, codelists, generated_on="2026-01-02"), in_town


def test_brief_lists_every_project_and_counts(parts):
    html, in_town = brief_for(parts, "441204100")  # 金利镇
    assert len(in_town) == 4
    for title in ("金利港新码头", "Jinli port new berths", "南岸至金利快速路", "金利高新区"):
        assert title in html
    assert "(跨镇街 crosses)" in html  # the road also crosses 南岸街道
    assert html.count("<li>") >= 4
    assert "金利镇" in html and "Jinli Town" in html
    assert "MODELLED" in html and "2026-01-02" in html
    assert re.search(r"class=total>4 项", html)
    assert "肇庆市高要区人民政府" in html and "(2021-12)" in html  # issuing body, plan date
    assert re.search(r"交通 <span class=en>Transport</span> <b>\d+</b>", html)
    for slug in ("transport.water", "preparation<", "town_seat"):
        assert slug not in html  # no slugs
    assert not re.search(r"泊位 0|0\.0 km|\(0 DWT\)", html)


def test_brief_is_self_contained_and_escaped(parts):
    html, _ = brief_for(parts, "441204100")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]+\s(src|href)\s*=", html)
    assert "http://" not in html and "https://" not in html
    for marker in HOSTILE_MARKERS:
        assert marker not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_brief_for_empty_town(parts):
    projects, towns, codelists = parts
    town = towns.iloc[0].to_dict()
    html = town_brief_html(town, projects.iloc[0:0], codelists, generated_on="x")
    assert "无 <span class=en>None</span>" in html and "class=total>0 项" in html
    assert "泊位" not in html and " km" not in html  # nothing unknown shown as 0


def test_brief_locator_district_wide_and_truncation(parts):
    projects, towns, codelists = parts
    town = towns[towns["code"] == "441204100"].iloc[0].to_dict()
    many = pd.concat([projects] * 30, ignore_index=True)
    html = town_brief_html(town, many, codelists, generated_on="x", towns=towns,
                           district_wide=projects.assign(precision=4))
    assert "<svg" in html and 'data-code="441204100"' in html and "位置示意图" in html
    assert re.search(r"另有 \d+ 项,见在线地图", html)
    assert re.search(r"全区性项目.*另有 \d+ 项全区性项目同样涉及本镇街", html, re.S)


def test_schematic_lengths_never_shown_as_lengths(parts):
    projects, towns, codelists = parts
    town = towns.iloc[0].to_dict()
    lines = projects.assign(category="road", length_km=85.3, length_km_stated=float("nan"),
                            precision=5)
    html = town_brief_html(town, lines, codelists, generated_on="x")
    assert "85.3" not in html and "规划未给出长度" in html
