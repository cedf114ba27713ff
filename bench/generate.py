"""Synthetic registries for the benchmark (seeded, deterministic).

`make_registry(n, path, seed, mix)` writes a ``projects.csv`` with the columns of
`geo.registry.FIELDS`:

* a stated mix of drawn geometry kinds (`MIXES`): ``plan`` (default, 70 % points, 20 % lines,
  10 % areas: what the plan's project kinds would give if every one were located) or ``real``
  (what the built real registry draws: 93 % points, 5 % lines, 2 % areas, since most of its
  lines and areas are geocoded to town points), or any ``point=..,line=..,area=..``;
* texts, categories, statuses, sectors, plan references, evidence and quantities copied from a
  real record of the same geometry kind (``data/projects.csv``), so popups and payloads have
  realistic sizes, and the build's validator (evidence must occur in the plan) accepts them;
* positions uniformly random inside ``data/boundaries/district.geojson`` (lines and areas
  entirely inside, with 200 m to spare), never stacked on town seats:
  points: 95 % own ``lon``/``lat`` (precision 1), 5 % ``高要区`` (district level, not drawn);
* realistic vertex counts: lines of 2-40 km with 50-400 vertices (a gently wandering route),
  areas of 0.2-1.5 km radius with 60-300 vertices (a smooth irregular outline). The registry
  caps ``geometry_wkt`` at 2 000 characters (about 90 vertices), so the registry gets an evenly
  thinned copy of each shape (``coord_source = "synthetic benchmark"``: the validator, the
  spatial join and the measurement run on it) and the full shapes go to a side file,
  ``<registry>.dense.json``; after the build, `finish_built` puts the full shapes into the
  built GeoJSON and blanks the ``geometry_wkt`` column the build copies into every feature (as
  in the real data, whose ``geometry_wkt`` is empty), so no variant ships a WKT duplicate.

Coordinates are WGS84 (EPSG:4326) rounded to 6 dp; shapes are made in UTM 49N (EPSG:32649).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
from pyproj import Transformer

from geo.paths import BOUNDARY_DIR, PROJECTS_CSV
from geo.registry import FIELDS, read_records

DISTRICT = BOUNDARY_DIR / "district.geojson"
TOWNS = BOUNDARY_DIR / "towns.geojson"
REAL = PROJECTS_CSV
SOURCE = "synthetic benchmark"
MIX = {"point": 0.7, "line": 0.2, "area": 0.1}
#: named mixes of drawn geometry kinds (fractions of the records)
MIXES = {"plan": MIX, "real": {"point": 0.93, "line": 0.05, "area": 0.02}}
LINE_VERTICES = (50, 400)
AREA_VERTICES = (60, 300)
POINT_DISTRICT_LEVEL = 0.05
MAX_WKT = 1_990  # the registry's limit on a text field is 2 000 characters


def parse_mix(spec: str | dict | None) -> dict[str, float]:
    """A mix from a name in `MIXES`, ``point=0.8,line=0.15,area=0.05`` or a dict."""
    if spec is None or spec == "":
        return dict(MIX)
    if isinstance(spec, dict):
        mix = {k: float(spec.get(k, 0.0)) for k in MIX}
    elif spec in MIXES:
        mix = dict(MIXES[spec])
    else:
        mix = dict.fromkeys(MIX, 0.0)
        for part in spec.split(","):
            key, _, value = part.partition("=")
            if key.strip() not in MIX:
                raise ValueError(f"unknown geometry kind in mix: {part!r}")
            mix[key.strip()] = float(value)
    total = sum(mix.values())
    if total <= 0 or any(v < 0 for v in mix.values()):
        raise ValueError(f"bad mix: {spec!r}")
    return {k: v / total for k, v in mix.items()}
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
    """A wandering route of 2-40 km with 50-400 vertices, entirely inside the district."""
    while True:
        x, y = space.points(rng, 1)[0]
        length = rng.uniform(2_000.0, 40_000.0)
        n = int(rng.integers(LINE_VERTICES[0], LINE_VERTICES[1] + 1))
        step = length / (n - 1)
        # heading drifts like a road: ~0.25 rad per km, scaled to the step
        turns = rng.normal(0, 0.25 * math.sqrt(step / 1_000.0), n - 1)
        heading = rng.uniform(0, 2 * math.pi) + np.cumsum(turns)
        xs = x + np.concatenate([[0.0], np.cumsum(np.cos(heading) * step)])
        ys = y + np.concatenate([[0.0], np.cumsum(np.sin(heading) * step)])
        line = shapely.LineString(np.column_stack([xs, ys]))
        if line.is_simple and space.inner.contains(line):
            return line


def _area(space: _Space, rng: np.random.Generator) -> shapely.Geometry:
    """A smooth irregular outline of 0.2-1.5 km radius with 60-300 vertices."""
    while True:
        cx, cy = space.points(rng, 1)[0]
        radius = rng.uniform(200.0, 1_500.0)
        k = int(rng.integers(AREA_VERTICES[0], AREA_VERTICES[1] + 1))
        angles = np.linspace(0, 2 * math.pi, k, endpoint=False)
        wobble = sum(rng.uniform(0.0, 0.12) * np.sin(h * angles + rng.uniform(0, 2 * math.pi))
                     for h in (2, 3, 5, 7))
        radii = radius * (0.8 + wobble + rng.uniform(-0.02, 0.02, k))
        poly = shapely.Polygon(np.column_stack([cx + radii * np.cos(angles),
                                                cy + radii * np.sin(angles)]))
        if poly.is_valid and space.inner.contains(poly):
            return poly


def thinned(geom: shapely.Geometry, limit: int = MAX_WKT) -> shapely.Geometry:
    """`geom` with every k-th vertex (ends kept, smallest k) so that its WKT fits `limit`."""
    coords = shapely.get_coordinates(geom)
    closed = geom.geom_type == "Polygon"
    body = coords[:-1] if closed else coords
    for k in range(1, len(body)):
        keep = body[::k]
        if not closed and not np.array_equal(keep[-1], body[-1]):
            keep = np.vstack([keep, body[-1:]])
        out = shapely.Polygon(keep) if closed else shapely.LineString(keep)
        if len(out.wkt) <= limit and out.is_valid:
            return out
    raise ValueError("cannot thin the geometry below the WKT limit")


def make_records(n: int, seed: int = 14, mix: str | dict | None = None,
                 dense: dict[str, str] | None = None) -> list[dict[str, str]]:
    """`n` synthetic registry records (dicts of strings, columns `geo.registry.FIELDS`).
    When `dense` is a dict, it receives ``{id: WKT}`` of the full lines and areas (the
    records carry thinned copies, see the module docstring)."""
    shares = parse_mix(mix)
    rng = np.random.default_rng(seed)
    space = _Space()
    templates = _templates()
    towns = list(gpd.read_file(TOWNS)["name_zh"])
    kinds = rng.choice(list(shares), size=n, p=list(shares.values()))
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
            if rng.uniform() >= POINT_DISTRICT_LEVEL:
                lon, lat = space.wgs(shapely.Point(space.points(rng, 1)[0])).coords[0]
                rec.update(lon=f"{lon:.6f}", lat=f"{lat:.6f}", coord_source=SOURCE,
                           location_text=towns[int(rng.integers(len(towns)))])
            else:
                rec["location_text"] = "高要区"
        else:
            geom = space.wgs(_line(space, rng) if kind == "line" else _area(space, rng))
            if dense is not None:
                dense[rec["id"]] = geom.wkt
            rec.update(geometry_wkt=thinned(geom).wkt, coord_source=SOURCE,
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


def dense_path(registry: Path) -> Path:
    return registry.with_suffix(".dense.json")


def make_registry(n: int, path: Path, seed: int = 14,
                  mix: str | dict | None = None) -> Path:
    """Write a synthetic registry of `n` projects to `path` and the full lines and areas to
    `dense_path(path)` (see the module docstring)."""
    dense: dict[str, str] = {}
    write_registry(make_records(n, seed, mix, dense), path)
    dense_path(path).write_text(json.dumps(dense), encoding="utf-8")
    return path


def finish_built(geojson: Path, registry: Path | None = None) -> dict[str, int]:
    """After `geo.build.build` of a synthetic registry: put the full lines and areas of
    `dense_path(registry)` into the built `geojson` (by id) and blank the ``geometry_wkt``
    copies; return the counts. Rewrites the file only when something changed."""
    dense = {}
    if registry is not None and dense_path(registry).is_file():
        dense = json.loads(dense_path(registry).read_text(encoding="utf-8"))
    data = json.loads(geojson.read_text(encoding="utf-8"))
    blanked = replaced = 0
    for feature in data.get("features", []):
        props = feature.get("properties") or {}
        if props.get("geometry_wkt"):
            props["geometry_wkt"] = None
            blanked += 1
        wkt = dense.get(str(props.get("id")))
        if wkt and feature.get("geometry"):
            feature["geometry"] = shapely.geometry.mapping(shapely.from_wkt(wkt))
            replaced += 1
    if blanked or replaced:
        tmp = geojson.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(geojson)
    return {"wkt_copies_blanked": blanked, "dense_shapes": replaced}
