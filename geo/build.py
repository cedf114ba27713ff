"""Build: geocode the registry into ``data/projects.geojson`` and one layer file per category.

Input: ``data/projects.csv`` (validated first; any error stops the build before a byte is
written). Output: RFC 7946 FeatureCollections in WGS84 (EPSG:4326), coordinates rounded to
6 decimal places (about 0.1 m), features sorted by id, one feature per line, so the same input
gives byte-identical output. Lengths (km) and areas (km²) are measured in UTM 49N (EPSG:32649).

Writing is atomic: every output is first written to a temporary file beside its target and only
then moved into place with ``os.replace``; an error before that leaves the previous outputs intact.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
from shapely.geometry import GeometryCollection, mapping
from shapely.geometry.base import BaseGeometry

from geo.atomic import remove_stale_temps, write_atomically
from geo.codelists import Codelists, load_codelists
from geo.coords import round_coords
from geo.notes import note
from geo.paths import LAYERS_DIR, PROJECTS_GEOJSON
from geo.registry import (
    DEFAULT_PROJECTS,
    RegistryError,
    load_plan_text,
    parse_number,
    read_records,
    record_geometry,
    validate_records,
)
from geo.schema import load_schema

if TYPE_CHECKING:
    from geo.gazetteer import Gazetteer
    from geo.geocoder import GeocodeResult

DEFAULT_OUT = PROJECTS_GEOJSON
DEFAULT_LAYERS = LAYERS_DIR
WGS84 = "EPSG:4326"
METRIC = "EPSG:32649"
INSIDE_TOLERANCE_M = 50.0


class BuildError(Exception):
    """The build cannot go on; the message names the record or file at fault."""


@dataclass(frozen=True)
class GeoContext:
    """Everything the geocoder and the spatial join need (all GeoDataFrames in EPSG:4326)."""

    gazetteer: Gazetteer
    towns: gpd.GeoDataFrame
    river: gpd.GeoDataFrame | None
    district: gpd.GeoDataFrame


def load_context() -> GeoContext:
    """Load gazetteer, towns, river and district from the committed data."""
    from geo.boundaries import load_district, load_river, load_towns
    from geo.gazetteer import load_gazetteer

    return GeoContext(load_gazetteer(), load_towns(), load_river(), load_district())


def geometry_json(geom: BaseGeometry | None) -> dict[str, Any] | None:
    """GeoJSON geometry dict with rounded coordinates (None stays None)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "GeometryCollection":
        parts = cast(GeometryCollection, geom).geoms
        return {"type": "GeometryCollection",
                "geometries": [geometry_json(g) for g in parts if not g.is_empty]}
    data = mapping(geom)
    return {"type": data["type"], "coordinates": round_coords(data["coordinates"])}


def typed_properties(record: dict[str, str]) -> dict[str, Any]:
    """Registry fields in their declared order (``data/schema/projects.csv``), typed by the
    schema: quantities as numbers, lon/lat as float degrees (blank -> None), the rest as
    stripped text."""
    props: dict[str, Any] = {}
    for column in load_schema().columns:
        value = record.get(column.name, "")
        if column.type in ("int", "float"):
            props[column.name] = parse_number(value, integer=column.type == "int")
        elif column.type == "degrees":
            props[column.name] = float(value) if value.strip() else None
        else:
            props[column.name] = value.strip()
    return props


def wgs84_series(geoms: Sequence[BaseGeometry | None]) -> gpd.GeoSeries:
    """`geoms` (EPSG:4326; None = no geometry) as a GeoSeries in EPSG:4326."""
    return gpd.GeoSeries(cast("list[BaseGeometry]", list(geoms)), crs=WGS84)


def measure(geoms: Sequence[BaseGeometry | None]) -> tuple[list[float | None], list[float | None]]:
    """Length (km) of linear and area (km²) of polygonal geometries, measured in EPSG:32649."""
    series = wgs84_series(geoms).to_crs(METRIC)
    lengths: list[float | None] = []
    areas: list[float | None] = []
    for geom in series:
        kind = geom.geom_type if geom is not None and not geom.is_empty else ""
        lengths.append(round(geom.length / 1000, 3) if "LineString" in kind else None)
        areas.append(round(geom.area / 1e6, 3) if "Polygon" in kind else None)
    return lengths, areas


def inside_flags(geoms: Sequence[BaseGeometry | None], district: gpd.GeoDataFrame) -> list[bool]:
    """Whether each geometry lies inside the district outline (50 m tolerance, EPSG:32649)."""
    outline = district.to_crs(METRIC).geometry.union_all().buffer(INSIDE_TOLERANCE_M)
    series = wgs84_series(geoms).to_crs(METRIC)
    return [bool(g is not None and not g.is_empty and outline.contains(g)) for g in series]


def geocode_records(
    records: Sequence[dict[str, str]],
    ctx: GeoContext,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Geometry and geocoding fields for every record, in record order."""
    from geo.geocoder import geocode

    results = []
    step = max(1, len(records) // 10)
    # geocoding is deterministic: records with the same text and kind share one result
    # (registries repeat town names a lot; shapely geometries are immutable)
    memo: dict[tuple[str, str], GeocodeResult] = {}
    for i, record in enumerate(records, start=1):
        own = record_geometry(record)
        if own is not None:
            source = record.get("coord_source", "")
            results.append({"geometry": own, "precision": 1, "method": "record_coordinates",
                            "matched": (), "note": source,
                            "note_zh": note("record_coordinates", source=source).render("zh")})
        else:
            key = (record["location_text"], record["geometry_kind"] or "point")
            try:
                res = memo.get(key)
                if res is None:
                    res = memo[key] = geocode(key[0], ctx.gazetteer, towns=ctx.towns,
                                              river=ctx.river, kind=key[1])
            except Exception as exc:
                raise BuildError(
                    f"record {record['id']}, field 'location_text': geocoder failed on "
                    f"{record['location_text']!r}: {exc}"
                ) from exc
            results.append({"geometry": res.geometry, "precision": int(res.precision),
                            "method": res.method, "matched": tuple(res.matched),
                            "note": res.note, "note_zh": res.note_zh})
        if progress and (i % step == 0 or i == len(records)):
            progress(f"geocoded {i}/{len(records)}")
    return results


def town_lists(
    geoms: Sequence[BaseGeometry | None], precisions: Sequence[int], towns: gpd.GeoDataFrame
) -> list[list[str]]:
    """Names of the towns each geometry lies in or crosses (district-level ones: none)."""
    from geo.spatial import join_towns

    series = gpd.GeoDataFrame(geometry=wgs84_series(geoms))
    joined = join_towns(series, towns)
    out = []
    for names, precision in zip(joined, precisions, strict=True):
        names = [t["name_zh"] if isinstance(t, dict) else str(t) for t in (names or [])]
        out.append([] if precision == 4 else names)
    return out


#: precision codes whose geometry is fine enough for the spatial join to name towns; estimated
#: points and schematic lines (5) take their towns from the record and the gazetteer only
SPATIAL_TOWN_PRECISIONS = frozenset({1, 2, 3})


def record_towns(stated: Sequence[str], spatial: Sequence[str], matched: Sequence[str],
                 precision: int, gazetteer: Gazetteer) -> tuple[list[str], list[str]]:
    """(every town of a record, the inferred ones): the towns the record states, plus the
    spatial join's towns for a geometry of precision 1-3, or else the gazetteer towns of the
    places its location matched. Inferred = not stated in the record (unordered lists)."""
    if precision in SPATIAL_TOWN_PRECISIONS:
        derived = list(spatial)
    else:
        derived = [t for name in matched if (place := gazetteer.lookup(name)) is not None
                   for t in place.towns]
    every = list(dict.fromkeys([*stated, *derived]))
    return every, [t for t in every if t not in stated]


def build_features(
    records: Sequence[dict[str, str]],
    ctx: GeoContext,
    codes: Codelists | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON features (dicts) for validated records, sorted by id."""
    codes = codes or load_codelists()
    results = geocode_records(records, ctx, progress)
    geoms = [r["geometry"] for r in results]
    if progress:
        progress("joining towns and measuring (EPSG:32649)")
    spatial = town_lists(geoms, [r["precision"] for r in results], ctx.towns)
    lengths, areas = measure(geoms)
    inside = inside_flags(geoms, ctx.district)
    order = {name: code for code, name in zip(ctx.towns["code"], ctx.towns["name_zh"],
                                                strict=True)}
    features = []
    for i, record in enumerate(records):
        res = results[i]
        if res["geometry"] is not None and not res["geometry"].is_valid:
            raise BuildError(f"record {record['id']}, field 'location_text': geocoder returned "
                             "an invalid geometry")
        text_towns = [t for t in (s.strip() for s in record.get("towns", "").split(";")) if t]
        every, inferred = record_towns(text_towns, spatial[i], res["matched"],
                                       res["precision"], ctx.gazetteer)
        all_towns = sorted(every, key=lambda n: order.get(n, n))
        props = typed_properties(record)
        props.update({
            "precision": res["precision"],
            "precision_slug": codes.precision_slug(res["precision"]),
            "geocode_method": res["method"],
            "geocode_matched": ";".join(res["matched"]),
            "geocode_note": res["note"] or "",
            "geocode_note_zh": res["note_zh"] or "",
            "towns_text": ";".join(text_towns),
            "towns_spatial": ";".join(spatial[i]),
            "towns_all": ";".join(all_towns),
            "towns_inferred": ";".join(sorted(inferred, key=lambda n: order.get(n, n))),
            "town_codes": ";".join(str(order[n]) for n in all_towns if n in order),
            "length_km": lengths[i],
            "area_km2": areas[i],
            "inside_district": inside[i] if res["geometry"] is not None else None,
        })
        features.append({"type": "Feature", "id": record["id"], "properties": props,
                         "geometry": geometry_json(res["geometry"])})
    return sorted(features, key=lambda f: f["id"])


def collection_text(features: Iterable[dict[str, Any]], name: str) -> str:
    """Deterministic GeoJSON text: one feature per line, keys in a fixed order."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
             for f in features]
    head = f'{{"type":"FeatureCollection","name":{json.dumps(name)},"features":[\n'
    return head + ",\n".join(lines) + "\n]}\n"


def summary_lines(features: Sequence[dict[str, Any]]) -> list[str]:
    """Human-readable counts by category, status and precision, and the records not placed."""
    props = [f["properties"] for f in features]
    lines = [f"{len(features)} features"]
    for title, key in (("category", "category"), ("status", "status"),
                       ("precision", "precision_slug")):
        counts = Counter(p[key] for p in props)
        lines.append(f"by {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    missing = [f["id"] for f in features if f["geometry"] is None]
    lines.append(f"not geocoded ({len(missing)}): " + (", ".join(missing) or "none"))
    outside = [f["id"] for f in features if f["properties"]["inside_district"] is False]
    lines.append(f"outside the outline ({len(outside)}): " + (", ".join(outside) or "none"))
    return lines


def build(
    projects: Path = DEFAULT_PROJECTS,
    out: Path = DEFAULT_OUT,
    layers_dir: Path = DEFAULT_LAYERS,
    ctx: GeoContext | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Validate, geocode and write all outputs; returns the features written.

    Raises ``RegistryError`` (unreadable file) or ``BuildError`` (invalid records, geocoder
    failure) before anything is written.
    """
    say = progress or (lambda _msg: None)
    for path, what in ((out, "--out"), (layers_dir, "--layers-dir")):
        if what == "--out" and path.is_dir():
            raise BuildError(f"{path}: output {what} is a directory, expected a file path")
        if what == "--layers-dir" and path.exists() and not path.is_dir():
            raise BuildError(f"{path}: {what} exists and is not a directory")
    for path in remove_stale_temps([out], layers_dir):
        say(f"removed a temp file left by an interrupted build: {path}")
    codes = load_codelists()
    say(f"reading {projects}")
    records = read_records(projects)
    if ctx is None:
        try:
            ctx = load_context()
        except (OSError, ValueError) as exc:  # BoundaryError, GazetteerError are ValueErrors
            raise BuildError(f"cannot load the reference data ({type(exc).__name__}): {exc}"
                             ) from exc
    district = ctx.district.geometry.union_all()
    problems = validate_records(records, codes, district=district, plan_text=load_plan_text())
    if problems:
        listing = "\n".join(f"  {p}" for p in problems[:200])
        more = f"\n  ... and {len(problems) - 200} more" if len(problems) > 200 else ""
        raise BuildError(f"{projects}: {len(problems)} problems, nothing written:\n{listing}{more}")
    say(f"{len(records)} records valid; geocoding")
    features = build_features(records, ctx, codes, progress=say)
    outputs = {out: collection_text(features, "projects")}
    for category in sorted({f["properties"]["category"] for f in features}):
        subset = [f for f in features if f["properties"]["category"] == category]
        outputs[layers_dir / f"{category}.geojson"] = collection_text(subset, category)
    stale = [p for p in layers_dir.glob("*.geojson") if p not in outputs] \
        if layers_dir.is_dir() else []
    say(f"writing {len(outputs)} files")
    try:
        write_atomically(outputs, stale)
    except OSError as exc:
        raise BuildError(f"cannot write the outputs ({exc.filename or out}: "
                         f"{exc.strerror or exc}); each output is its previous or its new version"
                         ) from exc
    return features


def main(args: argparse.Namespace) -> int:
    """CLI: ``python -m geo build``; prints progress and a summary; 0 ok, 1 data errors."""
    quiet = bool(getattr(args, "quiet", False))

    def say(msg: str) -> None:
        if not quiet:
            print(msg, file=sys.stderr, flush=True)

    try:
        features = build(
            Path(getattr(args, "projects", None) or DEFAULT_PROJECTS),
            Path(getattr(args, "out", None) or DEFAULT_OUT),
            Path(getattr(args, "layers_dir", None) or DEFAULT_LAYERS),
            progress=say,
        )
    except (RegistryError, BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in summary_lines(features):
        print(line)
    return 0

