"""geo.locator: the town brief's locator map (SVG) from the same geometries."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from geo.locator import HIGHLIGHT_FILL, locator_svg


@pytest.fixture
def towns() -> gpd.GeoDataFrame:
    # two 10 km x 5 km towns side by side, in UTM 49N
    return gpd.GeoDataFrame({"code": ["w", "e"]},
                            geometry=[box(700_000, 2_540_000, 710_000, 2_545_000),
                                      box(710_000, 2_540_000, 720_000, 2_545_000)],
                            crs="EPSG:32649").to_crs("EPSG:4326")


def test_one_path_per_town_and_only_the_town_highlighted(towns) -> None:
    svg = locator_svg(towns, "e", width_px=200)
    paths = re.findall(r'<path d="[^"]+" fill="([^"]+)"[^>]*data-code="(\w+)"', svg)
    assert dict((c, f) for f, c in paths) == {"w": "#f2f2ee", "e": HIGHLIGHT_FILL}


def test_true_to_scale(towns) -> None:
    svg = locator_svg(towns, "w", width_px=200)
    width, height = (float(v) for v in re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    # 20 km x 5 km plus 3 % padding of the longer side on each edge
    assert height / width == pytest.approx((5 + 1.2) / (20 + 1.2), abs=0.01)
    xs = [float(x) for x in re.findall(r"[ML](-?[\d.]+),", svg)]
    assert min(xs) == pytest.approx(200 * 0.6 / 21.2, abs=0.3)  # west edge after padding


def test_river_is_clipped_and_drawn(towns) -> None:
    river = gpd.GeoDataFrame(geometry=[LineString([(112.0, 22.97), (113.5, 22.97)])],
                             crs="EPSG:4326")
    svg = locator_svg(towns, "w", river=river, title="金利镇 <b>")
    assert 'fill="none" stroke="#4a90c2"' in svg
    assert "<title>金利镇 &lt;b&gt;</title>" in svg


def test_errors(towns) -> None:
    with pytest.raises(ValueError, match="no town"):
        locator_svg(towns, "x")
    with pytest.raises(ValueError, match="no CRS"):
        locator_svg(gpd.GeoDataFrame({"code": ["a"]}, geometry=[box(0, 0, 1, 1)]), "a")
