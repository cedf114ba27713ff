"""geo.brief: the printable town brief is complete, bilingual, self-contained and escaped."""

from __future__ import annotations

import re

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
    assert html.count("<tr><td>") >= 4
    assert "金利镇" in html and "Jinli Town" in html
    assert "MODELLED" in html and "2026-01-02" in html
    assert re.search(r"项目数.*?<b>4</b>", html, re.S)
    assert "港口码头 <span class=en>Ports and berths</span></td><td>1</td>" in html


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
    assert "无 None" in html and "<b>0</b>" in html
