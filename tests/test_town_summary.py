"""layers.town_summary: shaded towns with count badges (no browser: the GeoJSON and HTML)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo.aggregate import town_summaries
from layers.labels import LabelSpot
from layers.town_summary import SHADES, chip_count, town_summary_features

GROUPS = pd.DataFrame({"label": ["交通", "公共服务"], "color": ["#D55E00", "#F0E442"]},
                      index=pd.Index(["transport", "public_services"], name="code"))


def _towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": ["a", "b"]},
                            geometry=[box(112.0, 23.0, 112.1, 23.1),
                                      box(112.1, 23.0, 112.2, 23.1)], crs="EPSG:4326")


def _summary() -> pd.DataFrame:
    projects = gpd.GeoDataFrame({
        "category": ["port", "health", "health"], "precision": [3, 3, 3],
        "town_codes": ["a", "a", "a"]}, geometry=gpd.points_from_xy([112.05] * 3, [23.05] * 3),
        crs="EPSG:4326")
    return town_summaries(projects, {"port": "transport", "health": "public_services"},
                          ["a", "b"], list(GROUPS.index))


def test_polygons_shaded_by_count_and_clickable() -> None:
    polygons, _ = town_summary_features(_towns(), _summary(), [], {"a": "甲镇", "b": "乙镇"},
                                        GROUPS, "{name}: {n}")
    props = {p["properties"]["town_code"]: p["properties"] for p in polygons}
    assert props["b"]["style"]["fillColor"] == SHADES[0]  # no project: the lightest
    assert props["a"]["style"]["fillColor"] == SHADES[-1]
    assert props["a"]["tip"] == "甲镇: 3"


def test_badges_escape_names_and_carry_zooms() -> None:
    spots = [LabelSpot("a", 112.05, 23.05, 9.75), LabelSpot("b", 112.15, 23.05, 10.25)]
    names = {"a": "<img src=x onerror=alert(1)>", "b": "乙镇"}
    _, badges = town_summary_features(_towns(), _summary(), spots, names, GROUPS,
                                      "{name}: {n}", detail={"a": 10.75})
    html = {b["properties"]["town_code"]: b["properties"]["html"] for b in badges}
    assert "<img" not in html["a"] and "&lt;img src=x" in html["a"]
    assert 'class="gy-tb gy-zl" data-minzoom="9.75"' in html["a"]
    assert 'class="gy-zl" data-minzoom="10.75"' in html["a"]  # chips from a finer zoom
    assert "<em>3</em>" in html["a"] and ">2</i>" in html["a"] and ">1</i>" in html["a"]
    assert "<em>" not in html["b"] and "<i " not in html["b"]  # nothing to count
    # yellow chip gets dark text, vermillion white
    assert "background:#F0E442;color:#000" in html["a"]
    assert "background:#D55E00;color:#fff" in html["a"]
    assert badges[0]["geometry"]["coordinates"] == [112.05, 23.05]


def test_chip_count() -> None:
    summary = _summary()
    assert chip_count(summary, "a", GROUPS) == 2
    assert chip_count(summary, "b", GROUPS) == 0
    assert chip_count(summary, "zz", GROUPS) == 0


def test_leader_line_drawn_with_its_label_and_escaped() -> None:
    """A label placed outside its town (`LabelSpot.anchor`) gets a leader line over the town
    polygons: a LineString from the anchor, with the town's code and tooltip (escaped) and
    its label's min zoom (hidden with the label, layers/js/town_labels.js)."""
    spots = [LabelSpot("a", 112.05, 23.12, 10.0, anchor=(112.05, 23.08))]
    names = {"a": "<b>甲</b>", "b": "乙镇"}
    leaders = {"a": [(112.05, 23.08), (112.05, 23.11)]}
    polygons, _ = town_summary_features(_towns(), _summary(), spots, names, GROUPS,
                                        "{name}: {n}", leaders=leaders)
    lines = [p for p in polygons if p["geometry"]["type"] == "LineString"]
    assert len(lines) == 1 and polygons[-1] is lines[0]  # drawn over the polygons
    props = lines[0]["properties"]
    assert props["town_code"] == "a" and props["minzoom"] == 10.0
    assert props["style"]["className"] == "gy-leader"
    assert "<b>" not in props["tip"] and "&lt;b&gt;" in props["tip"]
    assert lines[0]["geometry"]["coordinates"] == [[112.05, 23.08], [112.05, 23.11]]
