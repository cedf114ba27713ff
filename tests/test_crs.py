"""Tests for geo.crs: CRS helpers and the GCJ-02 <-> WGS84 conversion.

Stated tolerances (degrees; 1e-6 deg ≈ 0.1 m here):
* our round trips (both directions): < 1e-9 (measured ~2e-14);
* prcoords (independent implementation): forward < 1e-12 (measured 0), inverse < 1e-7 (its
  fixed-point inverse stops at a 1e-5 residual; measured 2e-8);
* eviltransform (independent implementation, different float formulation, bisection inverse
  with a 1e-6 threshold): forward < 2e-7 (measured 1e-7 ≈ 1 cm), inverse < 1e-5 ≈ 1 m
  (measured 6e-6).
"""

from __future__ import annotations

import eviltransform
import geopandas as gpd
import numpy as np
import prcoords
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geo import crs
from geo.crs import (
    CGCS2000,
    METRIC,
    WGS84,
    gcj02_to_wgs84,
    gdf_gcj02_to_wgs84,
    gdf_wgs84_to_gcj02,
    geometry_gcj02_to_wgs84,
    geometry_wgs84_to_gcj02,
    out_of_china,
    require_crs,
    to_metric,
    to_wgs84,
    wgs84_to_gcj02,
)

# Guangdong bounding box
GD_LON = (109.6, 117.3)
GD_LAT = (20.2, 25.5)
GAOYAO = (112.46, 23.03)


@pytest.fixture(scope="module")
def gd_points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20261126)
    n = 20_000
    return rng.uniform(*GD_LON, n), rng.uniform(*GD_LAT, n)


def _prc(fn, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """prcoords takes/returns (lat, lon); result as an (n, 2) lon/lat array."""
    out = [fn((a, o)) for o, a in zip(lon, lat, strict=True)]
    return np.array([[c.lon, c.lat] for c in out])


def _evil(fn, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """eviltransform takes/returns (lat, lon); result as an (n, 2) lon/lat array."""
    return np.array([fn(a, o)[::-1] for o, a in zip(lon, lat, strict=True)])


# ---------------------------------------------------------------------------- constants / CRS
def test_constants_name_the_crs_the_contracts_promise() -> None:
    """WGS84 lon/lat degrees, CGCS2000, and a metric UTM zone that holds 高要区 (~112.5 E)."""
    wgs84, cgcs, metric = (pyproj.CRS(c) for c in (WGS84, CGCS2000, METRIC))
    assert wgs84.is_geographic and "World Geodetic System 1984" in wgs84.datum.name
    assert cgcs.is_geographic and "China 2000" in cgcs.datum.name
    assert metric.is_projected and metric.utm_zone == "49N"
    assert metric.axis_info[0].unit_name == "metre"
    west, south, east, north = metric.area_of_use.bounds
    assert west <= GAOYAO[0] <= east and south <= GAOYAO[1] <= north


def _gdf(crs_: str | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"a": [1]}, geometry=[Point(*GAOYAO)], crs=crs_)


def test_require_crs_missing_raises() -> None:
    with pytest.raises(ValueError, match="no CRS"):
        require_crs(_gdf(None))
    with pytest.raises(ValueError, match=r"myfile\.shp has no CRS"):
        require_crs(_gdf(None), "myfile.shp")


@pytest.mark.parametrize("fn", [to_wgs84, to_metric, gdf_wgs84_to_gcj02, gdf_gcj02_to_wgs84])
def test_transforms_refuse_missing_crs(fn) -> None:
    with pytest.raises(ValueError, match="no CRS"):
        fn(_gdf(None))


def test_require_crs_returns_crs() -> None:
    assert require_crs(_gdf(WGS84)).to_epsg() == 4326


def test_to_wgs84_cgcs2000_relabels_without_moving() -> None:
    out = to_wgs84(_gdf(CGCS2000))
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].x == GAOYAO[0]
    assert out.geometry.iloc[0].y == GAOYAO[1]


def test_to_wgs84_identity_and_projected() -> None:
    g = _gdf(WGS84)
    assert to_wgs84(g) is g
    m = to_metric(g)
    assert m.crs.to_epsg() == 32649
    # 112.46E is 1.46 deg east of the UTM 49 central meridian (111E): easting > 500 km
    assert 640_000 < m.geometry.iloc[0].x < 660_000
    assert 2_540_000 < m.geometry.iloc[0].y < 2_560_000
    back = to_wgs84(m)
    assert back.geometry.iloc[0].x == pytest.approx(GAOYAO[0], abs=1e-9)
    assert back.geometry.iloc[0].y == pytest.approx(GAOYAO[1], abs=1e-9)


def test_to_metric_from_cgcs2000() -> None:
    a = to_metric(_gdf(CGCS2000)).geometry.iloc[0]
    b = to_metric(_gdf(WGS84)).geometry.iloc[0]
    assert a.distance(b) == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------------------- GCJ-02 points
def test_scalar_returns_floats() -> None:
    lon, lat = wgs84_to_gcj02(*GAOYAO)
    assert isinstance(lon, float) and isinstance(lat, float)
    lon2, lat2 = gcj02_to_wgs84(lon, lat)
    assert isinstance(lon2, float)
    assert lon2 == pytest.approx(GAOYAO[0], abs=1e-12)
    assert lat2 == pytest.approx(GAOYAO[1], abs=1e-12)


def test_offset_in_gaoyao_is_about_600m_ese() -> None:
    g_lon, g_lat = wgs84_to_gcj02(*GAOYAO)
    az, _baz, dist = pyproj.Geod(ellps="WGS84").inv(*GAOYAO, g_lon, g_lat)
    assert 580 < dist < 650
    assert 95 < az < 135  # east-south-east


def test_out_of_china() -> None:
    assert out_of_china(2.35, 48.85) is True
    assert out_of_china(*GAOYAO) is False
    assert out_of_china(np.array([2.35, 112.0]), np.array([48.85, 23.0])).tolist() == [True, False]
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_round_trip_guangdong(gd_points) -> None:
    lon, lat = gd_points
    w_lon, w_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    err1 = max(np.abs(w_lon - lon).max(), np.abs(w_lat - lat).max())
    g_lon, g_lat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    err2 = max(np.abs(g_lon - lon).max(), np.abs(g_lat - lat).max())
    assert err1 < 1e-9
    assert err2 < 1e-9
    # and the conversion is not the identity: offsets of hundreds of metres
    d_lon, _ = wgs84_to_gcj02(lon, lat)
    assert np.abs(d_lon - lon).min() > 1e-3


def test_agrees_with_prcoords(gd_points) -> None:
    lon, lat = (a[:2000] for a in gd_points)
    ours_f = np.column_stack(wgs84_to_gcj02(lon, lat))
    ours_i = np.column_stack(gcj02_to_wgs84(lon, lat))
    pf = _prc(prcoords.wgs_gcj, lon, lat)
    pi = _prc(prcoords.gcj_wgs_bored, lon, lat)
    assert np.abs(ours_f - pf).max() < 1e-12
    assert np.abs(ours_i - pi).max() < 1e-7


def test_agrees_with_eviltransform(gd_points) -> None:
    lon, lat = (a[:2000] for a in gd_points)
    ours_f = np.column_stack(wgs84_to_gcj02(lon, lat))
    ours_i = np.column_stack(gcj02_to_wgs84(lon, lat))
    ef = _evil(eviltransform.wgs2gcj, lon, lat)
    ei = _evil(eviltransform.gcj2wgs_exact, lon, lat)
    assert np.abs(ours_f - ef).max() < 2e-7
    assert np.abs(ours_i - ei).max() < 1e-5


# ---------------------------------------------------------------------------- geometries
def test_geometry_helpers_keep_structure() -> None:
    poly = Polygon([(112.4, 23.0), (112.5, 23.0), (112.5, 23.1), (112.4, 23.0)])
    line = LineString([(112.4, 23.0), (112.6, 23.2)])
    for geom in (poly, line, Point(*GAOYAO), shapely.MultiPolygon([poly])):
        g = geometry_wgs84_to_gcj02(geom)
        assert g.geom_type == geom.geom_type
        assert shapely.get_num_coordinates(g) == shapely.get_num_coordinates(geom)
        back = geometry_gcj02_to_wgs84(g)
        assert shapely.hausdorff_distance(back, geom) < 1e-9
        assert shapely.hausdorff_distance(g, geom) > 4e-3  # moved by ~600 m


def _district_outline() -> shapely.Geometry:
    from geo.boundaries import load_district

    try:
        return load_district().geometry.iloc[0]
    except Exception:  # pragma: no cover - data not generated yet
        pytest.skip("data/boundaries/district.geojson not available")


def test_district_outline_agrees_with_both_libraries() -> None:
    geom = _district_outline()
    xy = shapely.get_coordinates(geom)
    assert len(xy) > 1000
    gcj = shapely.get_coordinates(geometry_wgs84_to_gcj02(geom))
    pf = _prc(prcoords.wgs_gcj, xy[:, 0], xy[:, 1])
    ef = _evil(eviltransform.wgs2gcj, xy[:, 0], xy[:, 1])
    assert np.abs(gcj - pf).max() < 1e-12
    assert np.abs(gcj - ef).max() < 2e-7
    # inverse on the GCJ-02 outline
    wgs = shapely.get_coordinates(geometry_gcj02_to_wgs84(shapely.points(gcj)))
    ei = _evil(eviltransform.gcj2wgs_exact, gcj[:, 0], gcj[:, 1])
    pi = _prc(prcoords.gcj_wgs_bored, gcj[:, 0], gcj[:, 1])
    assert np.abs(wgs - xy).max() < 1e-9
    assert np.abs(wgs - pi).max() < 1e-7
    assert np.abs(wgs - ei).max() < 1e-5


def test_gdf_level_helpers() -> None:
    g = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[Point(*GAOYAO), Point(112.7, 23.05)], crs=WGS84)
    gcj = gdf_wgs84_to_gcj02(g)
    assert gcj.crs.to_epsg() == 4326
    assert gcj["a"].tolist() == [1, 2]
    assert gcj.geometry.iloc[0].x == pytest.approx(wgs84_to_gcj02(*GAOYAO)[0], abs=1e-12)
    back = gdf_gcj02_to_wgs84(gcj)
    assert back.geometry.iloc[1].x == pytest.approx(112.7, abs=1e-9)
    assert back.geometry.iloc[1].y == pytest.approx(23.05, abs=1e-9)
    # metric input is accepted by the forward helper (reprojected to WGS84 first)
    gm = gdf_wgs84_to_gcj02(g.to_crs(METRIC))
    assert gm.geometry.iloc[0].x == pytest.approx(gcj.geometry.iloc[0].x, abs=1e-9)
    # ... but GCJ-02 only exists in lon/lat
    with pytest.raises(ValueError, match="geographic"):
        gdf_gcj02_to_wgs84(g.to_crs(METRIC))


def test_inverse_iteration_count_is_small() -> None:
    # the fixed-point iteration converges fast; the module's cap is generous
    assert crs._INVERSE_MAX_ITER >= 10
