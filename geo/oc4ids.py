"""Export the built projects as OC4IDS 0.9 project records (a project package).

Geometry goes into ``locations[].geometry`` (GeoJSON, WGS84 lon/lat, as the standard requires)
with a gazetteer entry holding the Chinese administrative division codes (scheme ``CN-XZQH``:
the town's 9-digit statistical code, or 441204 for the whole district). Fields OC4IDS has no
place for live under the clearly named extension objects ``x_gaoyaoPlanMap`` (per project) and
``x_geocoding`` (per location).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from geo.atomic import write_atomically
from geo.paths import PROJECTS_GEOJSON
from geo.schema import load_schema

DEFAULT_BUILT = PROJECTS_GEOJSON
PLAN_TITLE = "肇庆市高要区国民经济和社会发展第十四个五年规划和2035年远景目标纲要"
PUBLIC_AUTHORITY = {"id": "CN-XZQH-441204", "name": "肇庆市高要区人民政府"}
DISTRICT_CODE = "441204"
ID_PREFIX = "gaoyao-14fyp-"
TYPE_WORDS = (("扩建", "expansion"), ("重建", "replacement"), ("改造", "rehabilitation"),
              ("提标", "rehabilitation"), ("加固", "rehabilitation"), ("新建", "construction"))


def sector_codes(sector: str) -> list[str]:
    """OC4IDS wants the parent code beside a subsector: 'transport.water' -> both."""
    parent = sector.split(".")[0]
    return [parent, sector] if parent != sector else [sector]


def project_type(text: str) -> str | None:
    """OC4IDS projectType from the plan's wording, when the wording says it plainly."""
    for word, code in TYPE_WORDS:
        if word in text:
            return code
    return None


def _locations(props: Mapping[str, Any], geometry: Mapping[str, Any] | None) -> list[dict]:
    """OC4IDS locations; a GeometryCollection (not allowed there) becomes one per member."""
    if geometry is not None and geometry["type"] == "GeometryCollection":
        parts = [_location(props, g) for g in geometry["geometries"]]
        for i, part in enumerate(parts, start=1):
            part["id"] = str(i)
        return parts
    return [_location(props, geometry)]


def _location(props: Mapping[str, Any], geometry: Mapping[str, Any] | None) -> dict[str, Any]:
    codes = [c for c in str(props.get("town_codes") or "").split(";") if c]
    location: dict[str, Any] = {
        "id": "1",
        "description": props.get("location_text") or "高要区",
        "gazetteer": {"scheme": "CN-XZQH", "identifiers": codes or [DISTRICT_CODE]},
        "x_geocoding": {
            "precision": props.get("precision"),
            "precisionSlug": props.get("precision_slug"),
            "method": props.get("geocode_method"),
            "matched": props.get("geocode_matched") or "",
            "note": props.get("geocode_note") or "",
            "noteZh": props.get("geocode_note_zh") or "",
        },
    }
    if geometry is not None:
        location["geometry"] = {"type": geometry["type"],
                                "coordinates": geometry["coordinates"]}
    return location


#: precision codes exported without geometry (4: only "somewhere in the district", 9: none)
NO_GEOMETRY_PRECISIONS = frozenset({4, 9})


def _precision(props: Mapping[str, Any]) -> int | None:
    try:
        return int(props["precision"])
    except (KeyError, TypeError, ValueError):
        return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


def _updated(as_of: object) -> str:
    """ISO 8601 date-time from ``2021-12`` or ``2021-12-31``; anything else -> 2021-12-01.

    The registry validator only lets those two forms through; the fallback keeps an export of
    unvalidated data (e.g. from the app) schema-valid instead of failing.
    """
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(as_of or "").strip())
    year, month, day = match.groups() if match else ("2021", "12", "01")
    return f"{year}-{month}-{day or '01'}T00:00:00Z"


def project_record(feature: Mapping[str, Any]) -> dict[str, Any]:
    """One OC4IDS project from one built GeoJSON feature (dict)."""
    props = feature["properties"]
    geometry = feature.get("geometry")
    if _precision(props) in NO_GEOMETRY_PRECISIONS:
        geometry = None  # the district's reference point is not the project's position
    record: dict[str, Any] = {
        "id": ID_PREFIX + props["id"],
        "updated": _updated(props.get("status_as_of", "")),
        "language": "zh",
        "title": props["title_zh"],
        "description": props.get("description_zh") or props["description"],
        "status": props["status"],
        "sector": sector_codes(props["sector"]),
        "publicAuthority": dict(PUBLIC_AUTHORITY),
        "parties": [{**PUBLIC_AUTHORITY, "roles": ["publicAuthority"]}],
        "locations": _locations(props, geometry),
        "documents": [{
            "id": "plan",
            "documentType": "projectPlan",
            "title": PLAN_TITLE,
            "description": f"{props['plan_ref']}: {props['evidence']}",
            "language": "zh",
        }],
        "x_gaoyaoPlanMap": {
            "recordId": props["id"],
            "titleEn": props["title_en"],
            "descriptionEn": props["description"],
            "category": props["category"],
            "statusZh": props["status_zh"],
            "statusAsOf": props["status_as_of"],
            "planRef": props["plan_ref"],
            "evidence": props["evidence"],
            "towns": props.get("towns_all") or "",
            "lengthKm": props.get("length_km"),
            "areaKm2": props.get("area_km2"),
            "quantities": {k: props.get(k) for k in load_schema().quantities
                           if props.get(k) not in (None, "")},
        },
    }
    kind = project_type(props.get("status_zh", "") + props.get("title_zh", ""))
    if kind and props["status"] != "maintenance":
        record["type"] = kind
    return record


def export_records(features: Iterable[Mapping[str, Any]] | Any,
                   published: str | None = None) -> dict[str, Any]:
    """An OC4IDS project package for features (GeoJSON dicts) or a GeoDataFrame.

    ``publishedDate`` is the export time (`published`, default now, UTC); the date of the data
    (the latest status date of the projects) is stated separately as ``x_dataDate``."""
    if hasattr(features, "to_json"):  # GeoDataFrame
        features = json.loads(features.to_json(na="null", drop_id=True,
                                               to_wgs84=True))["features"]
    projects = [project_record(f) for f in features]
    latest = max((p["updated"] for p in projects), default=_updated(""))
    return {
        "uri": "urn:gaoyao-plan-map:oc4ids:projects",
        "publishedDate": published or _now(),
        "x_dataDate": latest,
        "version": "0.9",
        "publisher": {"name": "高要区 plan map (open data project)"},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "projects": projects,
    }


def export_main(args: argparse.Namespace) -> int:
    """CLI: ``python -m geo export --oc4ids out.json`` (from the built data/projects.geojson)."""
    source = Path(getattr(args, "built", None) or DEFAULT_BUILT)
    try:
        features = json.loads(source.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: {source}: cannot read the built projects ({exc}); run "
              "`python -m geo build` first", file=sys.stderr)
        return 1
    if not isinstance(features, list):
        print(f"error: {source}: 'features' is not a list", file=sys.stderr)
        return 1
    for index, feature in enumerate(features):
        try:
            project_record(feature)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            fid = feature.get("id") if isinstance(feature, dict) else None
            print(f"error: {source}: feature {index} (id {fid!r}) is not a built project "
                  f"({type(exc).__name__}: {exc}); rebuild with `python -m geo build`",
                  file=sys.stderr)
            return 1
    package = export_records(features)
    out = Path(args.oc4ids)
    try:
        write_atomically({out: json.dumps(package, ensure_ascii=False, indent=1) + "\n"})
    except OSError as exc:
        print(f"error: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 1
    print(f"wrote {len(package['projects'])} OC4IDS projects to {out}")
    return 0
