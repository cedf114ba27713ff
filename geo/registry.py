"""The project registry: ``data/projects.csv`` loaded and validated.

The CSV is the single, human-edited source of truth. Every value in it is untrusted: the
validator reports each problem with the record id, the field and what is wrong, and the build
refuses to run while any error remains. Coordinates in the file are WGS84 (EPSG:4326, lon/lat).
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely import wkt as shapely_wkt
from shapely.errors import ShapelyError
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.codelists import Codelists, load_codelists
from geo.paths import PLAN_TEXT, PROJECTS_CSV
from geo.schema import TEXT_TYPES, load_schema

DEFAULT_PROJECTS = PROJECTS_CSV
DEFAULT_PLAN = PLAN_TEXT

#: the names derived from ``data/schema/projects.csv`` on first use (no file is read at import)
_DERIVED = {
    "FIELDS": lambda s: s.fields,
    "INT_FIELDS": lambda s: s.names("int"),
    "FLOAT_FIELDS": lambda s: s.names("float"),
    "QUANTITY_FIELDS": lambda s: s.quantities,
    # text cells checked for spreadsheet formulas (numbers, coordinates and WKT are parsed)
    "FORMULA_CHECKED": lambda s: s.names(*TEXT_TYPES),
    "REQUIRED": lambda s: s.required,
    "GEOMETRY_KINDS": lambda s: s.inline_codes("geometry_kind"),
}


def __getattr__(name: str) -> tuple[str, ...]:
    """``FIELDS``, ``INT_FIELDS``, ``FLOAT_FIELDS``, ``QUANTITY_FIELDS``, ``FORMULA_CHECKED``,
    ``REQUIRED``, ``GEOMETRY_KINDS``: field lists of the registry schema."""
    if name in _DERIVED:
        return _DERIVED[name](load_schema())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
TOWN_NAMES = (
    "南岸街道", "河台镇", "乐城镇", "水南镇", "禄步镇", "小湘镇", "大湾镇", "新桥镇", "白诸镇",
    "莲塘镇", "活道镇", "蛟塘镇", "回龙镇", "白土镇", "金渡镇", "金利镇", "蚬岗镇",
)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
PLAN_REF_PATTERN = re.compile(r"^第[一二三四五六七八九十]+章(第[一二三四五六七八九十]+节)?$")
DATE_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
EVIDENCE_MAX = 40
MAX_TEXT = 2000
# C0/C1 control characters except TAB, LF, CR, and the bidi embeddings/overrides/isolates
# (U+202A-U+202E, U+2066-U+2069) that make displayed text differ from stored text.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Text cells may not start with these (spreadsheet formula / CSV injection).
FORMULA_PREFIXES = ("=", "+", "@")
#: Words in ``coord_source`` that mean the coordinates came from a GCJ-02 (or BD-09) map.
OFFSET_DATUM_WORDS = ("amap", "autonavi", "gaode", "高德", "gcj", "火星", "tencent", "腾讯",
                      "baidu", "百度", "bd-09", "bd09")
#: Words in ``coord_source`` that say the coordinates were converted to WGS84.
CONVERTED_WORDS = ("converted", "gcj02_to_wgs84", "转换", "转为wgs84", "转wgs84")
# Generous lon/lat box around 高要区 (WGS84); the district polygon is checked when given.
DISTRICT_BBOX = (111.95, 22.75, 112.95, 23.45)


class RegistryError(Exception):
    """The registry file cannot be read at all (missing, wrong encoding, not a CSV)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem, located by row, record id and field."""

    row: int
    record_id: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, record {self.record_id or '?'}, field '{self.field}'"
        return f"{where}: {self.message}"


def read_records(path: Path | str = DEFAULT_PROJECTS) -> list[dict[str, str]]:
    """Read the registry CSV into a list of string dicts (one per record, in file order).

    Raises ``RegistryError`` naming the file when it is missing, not UTF-8, or has no header.
    Missing columns read as empty strings; unknown columns are kept (the validator flags them).
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, strict=True)
            if reader.fieldnames is None:
                raise RegistryError(f"{path}: empty file, expected a CSV header")
            doubled = sorted({n for n in reader.fieldnames if reader.fieldnames.count(n) > 1})
            if doubled:
                raise RegistryError(f"{path}: header names column(s) {doubled} more than once")
            rows = []
            for raw in reader:
                if None in raw:
                    raise RegistryError(
                        f"{path}: line {reader.line_num} has more cells than the header"
                    )
                rows.append({k: (v if v is not None else "") for k, v in raw.items()})
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise RegistryError(f"{path}: not a valid CSV file ({exc})") from exc
    except IsADirectoryError as exc:
        raise RegistryError(f"{path}: is a directory, expected a CSV file") from exc
    except OSError as exc:
        raise RegistryError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    for row in rows:
        for name in load_schema().fields:
            row.setdefault(name, "")
    return rows


def parse_number(value: str, *, integer: bool) -> float | int | None:
    """Parse a quantity cell: blank -> None; raises ValueError for text, NaN, inf or negatives."""
    text = value.strip().replace(",", "")
    if not text:
        return None
    number = float(text)  # raises ValueError on text
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    if number < 0:
        raise ValueError(f"negative quantity: {value!r}")
    if integer:
        if number != int(number):
            raise ValueError(f"not a whole number: {value!r}")
        return int(number)
    return number


def record_geometry(record: dict[str, str]) -> BaseGeometry | None:
    """The geometry a record carries itself (``geometry_wkt`` or ``lon``/``lat``), WGS84, or None.

    Assumes the record passed validation.
    """
    if record.get("geometry_wkt", "").strip():
        return shapely_wkt.loads(record["geometry_wkt"])
    if record.get("lon", "").strip() and record.get("lat", "").strip():
        return Point(float(record["lon"]), float(record["lat"]))
    return None


def in_bbox(lon: float, lat: float, bbox: Sequence[float] = DISTRICT_BBOX) -> bool:
    """True when lon/lat (WGS84 degrees) lie inside ``bbox`` (minx, miny, maxx, maxy)."""
    return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]


class _Checker:
    """Collects the problems of one record."""

    def __init__(self, row: int, record: dict[str, str]) -> None:
        self.row = row
        self.record = record
        raw_id = record.get("id", "")
        self.record_id = raw_id.strip() if isinstance(raw_id, str) else repr(raw_id)
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.row, self.record_id, field, message))


def _check_text(c: _Checker) -> bool:
    """Check text hygiene and required fields; False when a value is not text at all."""
    all_text = True
    schema = load_schema()
    formula_checked = schema.names(*TEXT_TYPES)
    for name in schema.fields:
        value = c.record.get(name, "")
        if not isinstance(value, str):
            c.add(name, f"expected text, got {type(value).__name__}")
            all_text = False
            continue
        bad = CONTROL_CHARS.search(value)
        if bad:
            c.add(name, f"contains control character U+{ord(bad.group()):04X} at position "
                        f"{bad.start()} (invisible or terminal/bidi control; remove it)")
        if len(value) > MAX_TEXT:
            c.add(name, f"longer than {MAX_TEXT} characters ({len(value)})")
        if name in formula_checked and value.lstrip()[:1] in FORMULA_PREFIXES:
            c.add(name, f"starts with {value.lstrip()[0]!r}: a spreadsheet opening the CSV "
                        "would run it as a formula (CSV injection); reword the text")
    for name in schema.required:
        if not str(c.record.get(name, "")).strip():
            c.add(name, "required field is empty (missing provenance or identity)")
    return all_text


def _check_codes(c: _Checker, codes: Codelists) -> None:
    r = c.record
    if c.record_id and not ID_PATTERN.match(c.record_id):
        c.add("id", f"{c.record_id!r} is not a slug like 'port-jinli-berths' "
                    "(lowercase letters, digits, hyphens; 3-64 characters)")
    if r["category"] and r["category"] not in codes.category_codes:
        c.add("category", f"unknown category {r['category']!r}")
    if r["status"] and r["status"] not in codes.oc4ids_status:
        c.add("status", f"unknown status {r['status']!r} (use the OC4IDS projectStatus codes)")
    if r["sector"] and r["sector"] not in codes.oc4ids_sector:
        c.add("sector", f"unknown sector {r['sector']!r} (use the OC4IDS projectSector codes)")
    kinds = load_schema().inline_codes("geometry_kind")
    if r["geometry_kind"] and r["geometry_kind"] not in kinds:
        c.add("geometry_kind", f"{r['geometry_kind']!r} is not one of {', '.join(kinds)}")
    if r["status_as_of"] and not DATE_PATTERN.match(r["status_as_of"]):
        c.add("status_as_of", f"{r['status_as_of']!r} is not a date like 2021-12 or 2021-12-31")
    if r["plan_ref"] and not PLAN_REF_PATTERN.match(r["plan_ref"]):
        c.add("plan_ref", f"{r['plan_ref']!r} is not a chapter/section like 第六章第一节")
    if len(r["evidence"]) > EVIDENCE_MAX:
        c.add("evidence", f"longer than {EVIDENCE_MAX} characters ({len(r['evidence'])})")
    for town in filter(None, (t.strip() for t in r["towns"].split(";"))):
        if town not in TOWN_NAMES:
            c.add("towns", f"unknown town {town!r} (use the full name, e.g. 金利镇)")


def _check_numbers(c: _Checker) -> None:
    integers = load_schema().names("int")
    for name in load_schema().names("int", "float"):
        try:
            parse_number(c.record.get(name, ""), integer=name in integers)
        except ValueError as exc:
            c.add(name, f"expected a number, got {c.record[name]!r} ({exc})")
    if c.record.get("capacity", "").strip() and not c.record.get("capacity_unit", "").strip():
        c.add("capacity_unit", "a capacity needs its unit")


def _check_coordinates(c: _Checker, district: BaseGeometry | None) -> None:
    """Coordinate checks; ``district`` is the outline already buffered by the tolerance."""
    r = c.record
    lon_s, lat_s, wkt_s = r["lon"].strip(), r["lat"].strip(), r["geometry_wkt"].strip()
    if not (lon_s or lat_s or wkt_s):
        return
    source = r["coord_source"].strip()
    if not source:
        c.add("coord_source", "coordinates given without their source")
    else:
        low = source.casefold()
        datum = next((w for w in OFFSET_DATUM_WORDS if w in low), None)
        if datum and not any(w in low for w in CONVERTED_WORDS):
            c.add("coord_source",
                  f"{source!r} names a GCJ-02/BD-09 map ({datum}): its coordinates are offset "
                  "by several hundred metres; convert them with geo.crs.gcj02_to_wgs84 (BD-09: "
                  "first to GCJ-02) and say 'converted' in coord_source")
    geom = None
    if wkt_s:
        try:
            geom = shapely_wkt.loads(wkt_s)
        except (ShapelyError, ValueError) as exc:
            c.add("geometry_wkt", f"not valid WKT ({exc})")
            return
        if geom.is_empty:
            c.add("geometry_wkt", "empty geometry")
            return
        if geom.geom_type not in ("Point", "LineString", "Polygon", "MultiPoint",
                                  "MultiLineString", "MultiPolygon"):
            c.add("geometry_wkt", f"{geom.geom_type} is not allowed (use a Point, LineString, "
                                  "Polygon or their Multi forms)")
            return
        if not geom.is_valid:
            from shapely.validation import explain_validity

            c.add("geometry_wkt", f"invalid geometry: {explain_validity(geom)}")
            return
    else:
        if not (lon_s and lat_s):
            c.add("lon" if not lon_s else "lat", "lon and lat must be given together")
            return
        try:
            lon, lat = float(lon_s), float(lat_s)
        except ValueError:
            c.add("lon", f"expected decimal degrees, got lon={lon_s!r}, lat={lat_s!r}")
            return
        if not (math.isfinite(lon) and math.isfinite(lat)):
            c.add("lon", "coordinates must be finite numbers")
            return
        if not in_bbox(lon, lat) and in_bbox(lat, lon):
            c.add("lat", f"lat/lon swapped? lon={lon}, lat={lat}; expected lon≈112.5, lat≈23.1")
            return
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            c.add("lon", f"({lon}, {lat}) is not a position on the globe")
            return
        geom = Point(lon, lat)
    minx, miny, maxx, maxy = geom.bounds
    if not (in_bbox(minx, miny) and in_bbox(maxx, maxy)):
        c.add("lon" if not wkt_s else "geometry_wkt",
              f"outside 高要区 (bounds {minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f})")
    elif district is not None and not district.contains(geom):
        c.add("lon" if not wkt_s else "geometry_wkt", "outside the 高要区 outline")


def validate_records(
    records: Iterable[dict[str, str]],
    codes: Codelists | None = None,
    district: BaseGeometry | None = None,
    plan_text: str | None = None,
) -> list[Problem]:
    """All problems of the records, sorted by row.

    ``district`` (WGS84 polygon) enables the inside-the-outline check; ``plan_text`` enables the
    check that every ``evidence`` and ``plan_ref`` occurs verbatim in the plan.
    """
    codes = codes or load_codelists()
    if district is not None:  # ~1 km tolerance, buffered and prepared once for all records
        district = district.buffer(0.01)
        shapely.prepare(district)
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    for index, given in enumerate(records, start=2):  # row 1 is the header
        if not isinstance(given, dict):
            problems.append(Problem(index, "", "id", f"expected a record (mapping), got "
                                                     f"{type(given).__name__}"))
            continue
        fields = load_schema().fields
        record = {**dict.fromkeys(fields, ""), **given}  # missing columns read as blank
        c = _Checker(index, record)
        unknown = sorted((k for k in record if k not in fields), key=str)
        for name in unknown:
            c.add(str(name), "unknown column")
        _check_text(c)
        # the other checks see non-text values (already reported) as blank, so that one wrong
        # type does not hide the problems of the other fields
        c.record = {k: (v if isinstance(v, str) else "") for k, v in record.items()}
        _check_codes(c, codes)
        _check_numbers(c)
        _check_coordinates(c, district)
        if plan_text is not None:
            _check_plan(c, plan_text)
        if c.record_id and isinstance(record.get("id"), str):
            if c.record_id in first_row:
                c.add("id", f"duplicate id (first used on row {first_row[c.record_id]})")
            else:
                first_row[c.record_id] = index
        problems.extend(c.problems)
    return sorted(problems)


def _check_plan(c: _Checker, plan_text: str) -> None:
    evidence = c.record["evidence"]
    if evidence and evidence not in plan_text:
        c.add("evidence", f"{evidence!r} does not occur verbatim in the plan")
    ref = c.record["plan_ref"]
    for part in re.findall(r"第[一二三四五六七八九十]+[章节]", ref):
        if part not in plan_text:
            c.add("plan_ref", f"{part} does not occur in the plan")


def load_plan_text(path: Path | str | None = None) -> str | None:
    """The plan's text (``data/sources/plan``, carried by the repository), or None for a
    `path` that does not exist."""
    candidate = Path(path) if path else DEFAULT_PLAN
    return candidate.read_text(encoding="utf-8") if candidate.is_file() else None


def validate_main(args: argparse.Namespace) -> int:
    """CLI: ``python -m geo validate``; prints every problem, returns 0 (clean) or 1."""
    path = Path(getattr(args, "projects", None) or DEFAULT_PROJECTS)
    try:
        records = read_records(path)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    district = None
    try:
        from geo.boundaries import load_district

        district = load_district().geometry.union_all()
    except Exception as exc:  # boundaries missing: bbox check only, and say so
        print(f"note: district outline not available ({exc}); bbox check only", file=sys.stderr)
    plan_text = load_plan_text(getattr(args, "plan", None))
    problems = validate_records(records, district=district, plan_text=plan_text)
    for problem in problems:
        print(f"{path.name}: {problem}")
    checked = "evidence checked against the plan" if plan_text else "plan text not found"
    print(f"{len(records)} records, {len(problems)} problems ({checked})", file=sys.stderr)
    return 1 if problems else 0
