"""Synthetic registries for the benchmark (seeded, deterministic).

`make_registry(n, path, seed)` writes a ``projects.csv`` with the columns of
`geo.registry.FIELDS` and the real mix of the plan:

* about 70 % points, 20 % lines of 2-40 km, 10 % areas (0.2-1.5 km radius);
* texts, categories, statuses, sectors, plan references, evidence and quantities copied from a
  real record of the same geometry kind (``data/projects.csv``), so popups and payloads have
  realistic sizes, and the build's validator (evidence must occur in the plan) accepts them;
* positions uniformly random inside ``data/boundaries/district.geojson`` (lines and areas
  entirely inside, with 200 m to spare):
  points: 60 % own ``lon``/``lat`` (precision 1), 35 % a town name in ``location_text``
  (the geocoder places them at the seat: precision 3), 5 % ``高要区`` (district level, 4);
  lines and areas: ``geometry_wkt`` (WGS84), ``coord_source = "synthetic benchmark"``.

Coordinates are WGS84 (EPSG:4326) rounded to 6 dp; shapes are made in UTM 49N (EPSG:32649).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geo.paths import BOUNDARY_DIR, PROJECTS_CSV
from geo.registry import FIELDS, read_records

DISTRICT = BOUNDARY_DIR / "district.geojson"
TOWNS = BOUNDARY_DIR / "towns.geojson"
REAL = PROJECTS_CSV
SOURCE = "synthetic benchmark"
MIX = {"point": 0.7, "line": 0.2, "area": 0.1}
TEMPLATE_FIELDS = ("title_zh", "title_en", "description", "description_zh", "category",
                   "sector", "status", "status_zh", "status_as_of", "plan_ref", "evidence",
                   "berths", "berth_dwt", "capacity", "capacity_unit", "voltage_kv",
                   "length_km_stated", "area_km2_stated", "units", "notes")


def _templates() -> dict[str, list[dict[str, str]]]:
    rows = read_records(REAL)
    by_kind: dict[str, list[dict[str, str]]] = {k: [] for k in MIX}
    for r in rows:
        by_kind.setdefault(r["geometry_kind"] or "point", []).append(r)
    for kind in MIX:
        if not by_kind[kind]:
            by_kind[kind] = rows
    return by_kind


class _Space:
    """The district in EPSG:32649 (metres), shrunk by 200 m, prepared for fast tests."""

    def __init__(self) -> None:
        d = gpd.read_file(DISTRICT).to_crs(32649).geometry.union_all()
        self.inner = d.buffer(-200.0)
        shapely.prepare(self.inner)
        self.bounds = self.inner.bounds
        self.to_wgs = Transformer.from_crs(32649, 4326, always_xy=True)

    def points(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = np.empty((0, 2))
        minx, miny, maxx, maxy = self.bounds
        while len(out) < n:
            xy = np.column_stack([rng.uniform(minx, maxx, 2 * n + 16),
                                  rng.uniform(miny, maxy, 2 * n + 16)])
            inside = shapely.contains_xy(self.inner, xy[:, 0], xy[:, 1])
            out = np.vstack([out, xy[inside]])
        return out[:n]

    def wgs(self, geom: shapely.Geometry) -> shapely.Geometry:
        def fn(xy: np.ndarray) -> np.ndarray:
            lon, lat = self.to_wgs.transform(xy[:, 0], xy[:, 1])
            return np.round(np.column_stack([lon, lat]), 6)

        return shapely.transform(geom, fn)


def _line(space: _Space, rng: np.random.Generator) -> shapely.Geometry:
    while True:
        x, y = space.points(rng, 1)[0]
        length = rng.uniform(2_000.0, 40_000.0)
        steps = max(2, int(length / 1_000.0))
        heading = rng.uniform(0, 2 * math.pi)
        pts = [(x, y)]
        for _ in range(steps):
            heading += rng.normal(0, 0.25)
            x += math.cos(heading) * length / steps
            y += math.sin(heading) * length / steps
            pts.append((x, y))
        line = shapely.LineString(pts)
        if line.is_simple and space.inner.contains(line):
            return line


def _area(space: _Space, rng: np.random.Generator) -> shapely.Geometry:
    while True:
        cx, cy = space.points(rng, 1)[0]
        radius = rng.uniform(200.0, 1_500.0)
        k = int(rng.integers(12, 25))
        angles = np.sort(rng.uniform(0, 2 * math.pi, k))
        radii = radius * rng.uniform(0.6, 1.0, k)
        poly = shapely.Polygon(np.column_stack([cx + radii * np.cos(angles),
                                                cy + radii * np.sin(angles)]))
        if poly.is_valid and space.inner.contains(poly):
            return poly


def make_records(n: int, seed: int = 14) -> list[dict[str, str]]:
    """`n` synthetic registry records (dicts of strings, columns `geo.registry.FIELDS`)."""
    rng = np.random.default_rng(seed)
    space = _Space()
    templates = _templates()
    towns = list(gpd.read_file(TOWNS)["name_zh"])
    kinds = rng.choice(list(MIX), size=n, p=list(MIX.values()))
    records = []
    for i, kind in enumerate(kinds):
        tpl = templates[kind][int(rng.integers(len(templates[kind])))]
        rec = dict.fromkeys(FIELDS, "")
        rec.update({k: tpl.get(k, "") for k in TEMPLATE_FIELDS})
        rec["id"] = f"syn-{i:06d}"
        rec["title_zh"] = f"{tpl['title_zh']} {i}"
        rec["title_en"] = f"{tpl['title_en']} {i}"
        rec["geometry_kind"] = str(kind)
        if kind == "point":
            u = rng.uniform()
            if u < 0.60:
                lon, lat = space.wgs(shapely.Point(space.points(rng, 1)[0])).coords[0]
                rec.update(lon=f"{lon:.6f}", lat=f"{lat:.6f}", coord_source=SOURCE,
                           location_text=towns[int(rng.integers(len(towns)))])
            elif u < 0.95:
                town = towns[int(rng.integers(len(towns)))]
                rec.update(location_text=town, towns=town)
            else:
                rec["location_text"] = "高要区"
        else:
            geom = _line(space, rng) if kind == "line" else _area(space, rng)
            rec.update(geometry_wkt=space.wgs(geom).wkt, coord_source=SOURCE,
                       location_text=towns[int(rng.integers(len(towns)))])
        records.append(rec)
    return records


def write_registry(records: list[dict[str, str]], path: Path) -> Path:
    """Write `records` as a registry CSV (UTF-8, header `geo.registry.FIELDS`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(FIELDS))
        w.writeheader()
        w.writerows(records)
    return path


def make_registry(n: int, path: Path, seed: int = 14) -> Path:
    """Write a synthetic registry of `n` projects to `path` (see the module docstring)."""
    return write_registry(make_records(n, seed), path)
