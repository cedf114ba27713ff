"""Turn a record's ``location_text`` into a geometry with an honest precision code.

All geometries returned are WGS84 (EPSG:4326, lon/lat degrees); distances and offsets are
computed in UTM 49N (EPSG:32649, metres). Precision codes (data/codelists/precision.csv):
1 exact, 2 near, 3 town, 4 district, 5 estimated/schematic, 9 not geocoded. The ``method``
values form the codelist documented in docs/precision.md (:data:`METHODS`).

What is understood (``text`` may hold several parts separated by ``;`` ``；`` ``、`` ``，``):

* a gazetteer name or alias, also inside longer text (``金利镇新盛电镀产业园``); a named place
  beats the town it lies in, which beats the district;
* a town (``大湾镇``, ``大湾``) -> its seat point, precision 3 (also for ``kind="area"``: the
  town outline is never returned as if it were the project);
* ``高要区``, ``全区``, ``全区各镇`` -> the district reference point, precision 4;
* a relative phrase ``<place><direction>`` (``金利镇西侧``, ``文明塔以北``) -> a point offset from
  the place (3 km for a town, 1 km otherwise), precision 5, kept inside the town when the town
  outlines are given;
* ``<place>上游`` / ``<place>下游`` -> a point 2 km up/down the Xi River line from the point of the
  river nearest to the place, precision 5 (the Xi flows from west to east through the district,
  so upstream is towards the river's western end);
* ``<place>附近`` / ``周边`` / ``旁`` -> the place itself, precision at least 2;
* a range ``A至B`` (also 到, —, ～) -> a schematic LineString through the known points,
  precision 5;
* several parts -> one geometry of one kind, never a GeometryCollection: repeated vertices are
  merged (a MultiPoint of one distinct point is a Point); when parts of different dimensions
  mix, the highest dimension is kept (a line record with an extra point keeps the line, a
  Multi* of the kept parts), with the worst precision of the parts;
* anything else -> ``GeocodeResult(None, 9, "not_geocoded", (), reason)``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, cast

import shapely
from pyproj import Transformer
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    Point,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, nearest_points

from geo.aggregate import placement_of
from geo.coords import COORD_DECIMALS, snap_to_grid
from geo.gazetteer import DISTRICT_BBOX, Gazetteer, Place
from geo.notes import DIR_ZH, PART, Note, Notes, note, place_note, render

if TYPE_CHECKING:
    import geopandas as gpd

#: the river: a GeoDataFrame of its centre line(s) (any CRS) or a shapely line in EPSG:4326
River: TypeAlias = "gpd.GeoDataFrame | BaseGeometry"

PRECISION_SLUGS = {
    1: "exact", 2: "near", 3: "town", 4: "district", 5: "estimated", 9: "not_geocoded",
}
#: method codelist (see docs/precision.md)
METHODS: dict[str, str] = {
    "gazetteer": "a named place from the gazetteer, at its own point and precision",
    "town_seat": "only the town is known: the town seat (GeoNames), precision 3",
    "district": "only the district is known: the district reference point, precision 4",
    "relative_offset": "direction phrase (西侧, 以北, ...): offset from the place, precision 5",
    "near_place": "附近/周边/旁: the place's own point, precision at least 2",
    "river_upstream": "上游: 2 km upstream along the Xi River from the place, precision 5",
    "river_downstream": "下游: 2 km downstream along the Xi River from the place, precision 5",
    "river_line": "the Xi River itself: the district's river frontage, precision 5",
    "river_in_town": "the Xi River with town(s) (西江边;金利镇): the towns' riverside edge (their "
                     "outline within 1.5 km of the river line), precision 5",
    "schematic_line": "range A至B: straight segments through the known points, precision 5",
    "range_endpoint": "range with only one end known: that end's point, precision 5",
    "multiple": "several parts geocoded with different methods; worst precision of the parts",
    "not_geocoded": "no place could be recognised; no geometry",
}
XI_RIVER_ID = "river-xijiang"  # the gazetteer row drawn as the river line when available
TOWN_OFFSET_M = 3000.0
PLACE_OFFSET_M = 1000.0
RIVER_STEP_M = 2000.0
RIVER_TOWN_REACH_M = 1500.0  # how near the river line a town's outline counts as its riverside

_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
_TO_LL = Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True)

_SPLIT_RE = re.compile(r"[;；、,，/／]+")
_RANGE_RE = re.compile(r"^(?P<a>.+?)(?:至|到|—+|－|～|~)(?P<b>.+)$")
_DIRS = {
    "东北": 45, "东南": 135, "西南": 225, "西北": 315, "东": 90, "西": 270, "南": 180, "北": 0,
}
_DIR_EN = {
    "东北": "NE", "东南": "SE", "西南": "SW", "西北": "NW", "东": "E", "西": "W", "南": "S",
    "北": "N",
}
_REL_RE = re.compile(
    r"^(?P<anchor>.+?)(?:"
    r"(?P<dir1>东北|东南|西南|西北|东|西|南|北)(?:侧|面|部|边|方|端)"
    r"|以(?P<dir2>东北|东南|西南|西北|东|西|南|北)"
    r"|(?P<river>上游|下游)"
    r"|(?P<near>附近|周边|周围|旁边|旁)"
    r")$"
)


@dataclass(frozen=True)
class GeocodeResult:
    """Geometry (EPSG:4326 or None), precision code, method code, matched gazetteer names
    (``name_zh``, text order) and the notes saying how it was placed (`geo.notes`; read them as
    text with `note` and `note_zh`)."""

    geometry: BaseGeometry | None
    precision: int
    method: str
    matched: tuple[str, ...]
    notes: Notes

    @property
    def precision_slug(self) -> str:
        return PRECISION_SLUGS.get(self.precision, "unknown")

    @property
    def placement(self) -> str:
        """How the map shows it (`geo.aggregate.placement_of`): the notes say what it does."""
        g = self.geometry
        return placement_of(self.precision, None if g is None or g.is_empty else g.geom_type)

    @property
    def note(self) -> str:
        """The notes in English."""
        return render(self.notes, "en", self.placement)

    @property
    def note_zh(self) -> str:
        """The notes in Chinese (same templates, `geo.notes`)."""
        return render(self.notes, "zh", self.placement)

    @property
    def ok(self) -> bool:
        return self.precision != 9 and self.geometry is not None


def not_geocoded(*reason: Note | str) -> GeocodeResult:
    """The explicit 'no geometry' result."""
    return GeocodeResult(None, 9, "not_geocoded", (), reason)


# --------------------------------------------------------------------------------------------
# context: towns and river prepared once per input object
# --------------------------------------------------------------------------------------------
class _Context:
    def __init__(self, towns: gpd.GeoDataFrame | None, river: River | None) -> None:
        self.town_geoms: dict[str, BaseGeometry] = {}  # name_zh -> polygon (EPSG:4326)
        self.district: BaseGeometry | None = None
        self.district_tolerant: BaseGeometry | None = None
        self.river_m: BaseGeometry | None = None  # EPSG:32649
        if towns is not None:
            from geo.crs import require_crs

            require_crs(towns, "towns")
            t = towns.to_crs("EPSG:4326")
            for name, geom in zip(t["name_zh"], t.geometry, strict=True):
                if geom is not None and not geom.is_empty:
                    self.town_geoms[str(name)] = geom
            if self.town_geoms:
                self.district = shapely.union_all(list(self.town_geoms.values()))
                # tolerance for the inside check, buffered and prepared once per context
                self.district_tolerant = self.district.buffer(1e-4)
                shapely.prepare(self.district_tolerant)
        if river is not None:
            rgeom: BaseGeometry
            if isinstance(river, BaseGeometry):
                rgeom = river  # documented: a bare shapely geometry is taken as EPSG:4326
            else:
                from geo.crs import require_crs

                require_crs(river, "river")
                rgeom = shapely.union_all(list(river.to_crs("EPSG:4326").geometry))
            rm = _to_m(rgeom)
            if rm.geom_type == "MultiLineString":
                rm = linemerge(cast(MultiLineString, rm))
            self.river_m = rm if not rm.is_empty else None

    def snap_inside(self, pt: Point) -> tuple[Point, bool]:
        """``pt`` if inside the district (towns union), else the nearest point 20 m inside
        its outline (the Xi River centre line is partly the district border)."""
        if self.district is None or self.district.covers(pt):
            return pt, False
        dm = _to_m(self.district)
        inner = dm.buffer(-20.0)
        target = inner if not inner.is_empty else dm
        q = nearest_points(target.boundary, Point(*_TO_M.transform(pt.x, pt.y)))[0]
        return Point(*_TO_LL.transform(q.x, q.y)), True

    def inside_district(self, geom: BaseGeometry) -> bool:
        if self.district_tolerant is not None:  # set together with the district
            return bool(self.district_tolerant.covers(geom))
        x0, y0, x1, y1 = geom.bounds
        b = DISTRICT_BBOX
        return b[0] <= x0 and x1 <= b[2] and b[1] <= y0 and y1 <= b[3]


_CTX_CACHE: dict[tuple[int, int], tuple[object, object, _Context]] = {}


def _context(towns: gpd.GeoDataFrame | None, river: River | None) -> _Context:
    key = (id(towns), id(river))
    hit = _CTX_CACHE.get(key)
    if hit is not None and hit[0] is towns and hit[1] is river:
        return hit[2]
    ctx = _Context(towns, river)
    if len(_CTX_CACHE) > 8:
        _CTX_CACHE.clear()
    _CTX_CACHE[key] = (towns, river, ctx)
    return ctx


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _to_m(g: BaseGeometry) -> BaseGeometry:
    """`g` from EPSG:4326 degrees to EPSG:32649 metres."""
    # types-shapely has no overload for the (x, y) callable of interleaved=False
    return shapely.transform(g, _TO_M.transform, interleaved=False)  # type: ignore[arg-type]


def _to_ll(g: BaseGeometry) -> BaseGeometry:
    """`g` from EPSG:32649 metres to EPSG:4326 degrees."""
    return shapely.transform(g, _TO_LL.transform, interleaved=False)  # type: ignore[arg-type]


def _lonlat(place: Place) -> tuple[float, float]:
    """The place's (lon, lat) in degrees, rounded to the stored precision."""
    return round(place.lon, COORD_DECIMALS), round(place.lat, COORD_DECIMALS)


def _pt(place: Place) -> Point:
    return Point(*_lonlat(place))


def _offset(lon: float, lat: float, metres: float, bearing_deg: float) -> Point:
    x, y = _TO_M.transform(lon, lat)
    a = math.radians(bearing_deg)
    return Point(*_TO_LL.transform(x + metres * math.sin(a), y + metres * math.cos(a)))


def _place_result(place: Place, ctx: _Context) -> GeocodeResult:
    """Geocode a single gazetteer place (what it means when a text names it)."""
    if place.kind == "district":
        return GeocodeResult(_pt(place), 4, "district", (place.name_zh,), (note("district"),))
    if place.kind == "town":
        return GeocodeResult(_pt(place), 3, "town_seat", (place.name_zh,),
                             (note("town_seat", town=place.name_zh),))
    if place.id == XI_RIVER_ID:
        if ctx.river_m is not None:
            line = _to_ll(ctx.river_m)
            if ctx.district is not None:
                frontage = _river_frontage(ctx)
                if frontage is not None:
                    line = frontage
            return GeocodeResult(line, 5, "river_line", (place.name_zh,),
                                 (note("river_frontage"),))
        return GeocodeResult(_pt(place), 5, "river_line", (place.name_zh,),
                             (note("river_point"),))
    return GeocodeResult(_pt(place), place.precision, "gazetteer", (place.name_zh,),
                         (place_note(place.name_zh, place.method),))


def _primary(matches: list[Place]) -> list[Place]:
    """Drop the district when anything else matched; drop towns when a named place matched."""
    uniq = list(dict.fromkeys(matches))
    non_d = [p for p in uniq if p.kind != "district"]
    if not non_d:
        return uniq
    specific = [p for p in non_d if p.kind != "town"]
    return specific or non_d


def _single(text: str, gaz: Gazetteer, ctx: _Context) -> tuple[list[GeocodeResult], Notes]:
    """Geocode one phrase without separators; returns results (one per place) and notes."""
    exact = gaz.lookup(text)
    if exact is not None:
        return [_place_result(exact, ctx)], ()
    found = gaz.find_all(text)
    if not found:
        return [], (note("no_name", text=text),)
    places = [f[0] for f in found]
    chosen = _primary(places)
    names = tuple(dict.fromkeys(p.name_zh for p in places))
    notes: list[Note | str] = []
    towns_named = {p.name_zh for p in places if p.kind == "town"}
    for p in chosen:
        if p.kind not in ("town", "district") and towns_named and p.towns and not (
            towns_named & set(p.towns)
        ):
            notes.append(note("listed_elsewhere", place=p.name_zh, town=p.town,
                              towns="/".join(sorted(towns_named))))
    out = []
    for p in chosen:
        r = _place_result(p, ctx)
        if len(chosen) == 1:
            r = GeocodeResult(r.geometry, r.precision, r.method, names, r.notes)
        out.append(r)
    return out, tuple(notes)


def _anchor_names(text: str, gaz: Gazetteer) -> tuple[Place | None, tuple[str, ...]]:
    """The one place ``text`` stands for (a named place beats its town) and all names seen."""
    p = gaz.lookup(text)
    if p is not None:
        return p, (p.name_zh,)
    found = [f[0] for f in gaz.find_all(text)]
    chosen = _primary(found)
    names = tuple(dict.fromkeys(f.name_zh for f in found if f.kind != "district"))
    return (chosen[0] if len(chosen) == 1 else None), names


def _relative(m: re.Match, gaz: Gazetteer, ctx: _Context) -> GeocodeResult | None:
    anchor = _anchor_names(m.group("anchor"), gaz)[0]
    if anchor is None:
        return None
    phrase = m.group(0)
    if m.group("near"):
        base = _place_result(anchor, ctx)
        if base.geometry is None or base.geometry.geom_type != "Point":
            return base
        prec = max(base.precision, 2)
        return GeocodeResult(base.geometry, prec, "near_place", base.matched,
                             (note("near", phrase=phrase, place=anchor.name_zh),))
    if m.group("river"):
        return _river_step(anchor, m.group("river") == "上游", phrase, ctx)
    d = m.group("dir1") or m.group("dir2")
    bearing = _DIRS[d]
    dist = TOWN_OFFSET_M if anchor.kind in ("town", "district") else PLACE_OFFSET_M
    pt = _offset(anchor.lon, anchor.lat, dist, bearing)
    where = {"phrase": phrase, "place": anchor.name_zh, "dir_en": _DIR_EN[d],
             "dir_zh": DIR_ZH[_DIR_EN[d]]}
    notes: tuple[Note, ...] = (note("offset", km=f"{dist / 1000:g}", **where),)
    if anchor.kind == "town" and anchor.name_zh in ctx.town_geoms:
        poly = ctx.town_geoms[anchor.name_zh]
        tries = 0
        while not poly.covers(pt) and tries < 4:
            dist /= 2
            tries += 1
            pt = _offset(anchor.lon, anchor.lat, dist, bearing)
        if not poly.covers(pt):
            pt = _pt(anchor)
            notes += (note("offset_outside"),)
        elif tries:
            notes = (note("offset_shortened", km=f"{dist / 1000:g}", **where),)
    return GeocodeResult(pt, 5, "relative_offset", (anchor.name_zh,), notes)


def _river_step(anchor: Place, upstream: bool, phrase: str, ctx: _Context) -> GeocodeResult:
    way = {"way_en": "upstream", "way_zh": "上溯"} if upstream else \
        {"way_en": "downstream", "way_zh": "下行"}
    method = "river_upstream" if upstream else "river_downstream"
    if ctx.river_m is None:
        bearing = 270 if upstream else 90
        pt = _offset(anchor.lon, anchor.lat, RIVER_STEP_M, bearing)
        return GeocodeResult(pt, 5, method, (anchor.name_zh,), (note(
            "river_step_noline", phrase=phrase, place=anchor.name_zh,
            side_en="west" if upstream else "east", side_zh="西" if upstream else "东"),))
    p = Point(*_TO_M.transform(anchor.lon, anchor.lat))
    parts = list(getattr(ctx.river_m, "geoms", [ctx.river_m]))
    line = min(parts, key=lambda g: g.distance(p))
    d = line.project(p)
    first, last = line.coords[0], line.coords[-1]
    west_is_start = first[0] <= last[0]
    step = -RIVER_STEP_M if (upstream == west_is_start) else RIVER_STEP_M
    target = min(max(d + step, 0.0), line.length)
    q = line.interpolate(target)
    pt, snapped = ctx.snap_inside(Point(*_TO_LL.transform(q.x, q.y)))
    moved = abs(target - d)
    n = note("river_step_bank" if snapped else "river_step", phrase=phrase,
             place=anchor.name_zh, km=f"{moved / 1000:.1f}", **way)
    return GeocodeResult(pt, 5, method, (anchor.name_zh,), (n,))


def _range(m: re.Match, gaz: Gazetteer, ctx: _Context) -> GeocodeResult | None:
    ends = []
    missing = []
    seen: list[str] = []
    for side in (m.group("a"), m.group("b")):
        a, names = _anchor_names(side, gaz)
        if a is None:
            missing.append(side)
        else:
            ends.append(a)
            seen.extend(names or (a.name_zh,))
    matched = tuple(dict.fromkeys(seen))
    if not ends:
        return None
    if len(ends) == 1:
        r = _place_result(ends[0], ctx)
        return GeocodeResult(r.geometry, 5, "range_endpoint", matched or r.matched,
                             (note("range_endpoint", text=m.group(0), place=ends[0].name_zh,
                                   missing="/".join(missing)),))
    a, b = ends
    start, end = _lonlat(a), _lonlat(b)
    if a.id == b.id or start == end:  # same place or two names drawn at one point: no line
        return None
    line = LineString([start, end])
    return GeocodeResult(line, 5, "schematic_line", matched,
                         (note("schematic", a=a.name_zh, b=b.name_zh),))


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _part(text: str, gaz: Gazetteer, ctx: _Context) -> tuple[list[GeocodeResult], Notes]:
    text = _clean(text)
    if not text:
        return [], ()
    exact = gaz.lookup(text)
    if exact is not None:
        return [_place_result(exact, ctx)], ()
    m = _REL_RE.match(text)
    if m:
        r = _relative(m, gaz, ctx)
        if r is not None:
            return [r], ()
    m = _RANGE_RE.match(text)
    if m:
        r = _range(m, gaz, ctx)
        if r is not None:
            return [r], ()
    return _single(text, gaz, ctx)


def _river_frontage(ctx: _Context) -> BaseGeometry | None:
    """The district's Xi River frontage (EPSG:4326): the river line where it runs inside the
    district plus the outline within RIVER_TOWN_REACH_M of it (where the river is the border)."""
    assert ctx.district is not None and ctx.river_m is not None
    district_m = _to_m(ctx.district)
    inside = ctx.river_m.intersection(district_m)
    edge = district_m.boundary.intersection(ctx.river_m.buffer(RIVER_TOWN_REACH_M))
    parts = [g for geom in (inside, edge) for g in getattr(geom, "geoms", [geom])
             if g.geom_type == "LineString" and not g.is_empty]
    if not parts:
        return None
    return _to_ll(linemerge(shapely.MultiLineString(parts)))


def _river_along_towns(results: list[GeocodeResult], ctx: _Context) -> list[GeocodeResult]:
    """``西江边;金利镇``: the river line and the town seats become the towns' riverside edge --
    their outline within RIVER_TOWN_REACH_M of the river line (EPSG:32649). The river centre
    line itself often lies just outside the district (it is the border), the edge lies on it."""
    river = [r for r in results if r.method == "river_line"]
    seats = [r for r in results if r.method == "town_seat"]
    if len(river) != 1 or not seats or ctx.river_m is None:
        return results
    names = [n for r in seats for n in r.matched if n in ctx.town_geoms]
    if not names:
        return results
    area = _to_m(shapely.union_all([ctx.town_geoms[n] for n in names]))
    edge = area.boundary.intersection(ctx.river_m.buffer(RIVER_TOWN_REACH_M))
    lines = [g for g in getattr(edge, "geoms", [edge]) if g.geom_type == "LineString"]
    if sum(g.length for g in lines) < 500:
        return results
    reach = linemerge(shapely.MultiLineString(lines))
    matched = tuple(dict.fromkeys((*river[0].matched, *names)))
    merged = GeocodeResult(
        _to_ll(reach), 5, "river_in_town", matched,
        (note("river_in_town", towns=tuple(names), km=f"{reach.length / 1000:.1f}",
              reach=f"{RIVER_TOWN_REACH_M / 1000:g}"),))
    return [r for r in results if r is not river[0] and r not in seats] + [merged]


def _combine(results: list[GeocodeResult]) -> BaseGeometry:
    """One geometry of one kind for several parts (never a GeometryCollection, which
    Shapefile, GeoPackage layers and OC4IDS cannot hold): identical parts are merged, and when
    points, lines and areas mix only the parts of the highest dimension are kept."""
    geoms: list[BaseGeometry] = []
    for r in results:
        g = r.geometry
        for part in getattr(g, "geoms", [g]):
            if part is not None and not part.is_empty and not any(part.equals(k) for k in geoms):
                geoms.append(part)
    top = max(_DIMENSION[g.geom_type] for g in geoms)
    geoms = [g for g in geoms if _DIMENSION[g.geom_type] == top]
    if len(geoms) == 1:
        return geoms[0]
    if top == 0:
        return MultiPoint(cast(list[Point], geoms))
    if top == 1:
        return MultiLineString(cast(list[LineString], geoms))
    return shapely.union_all(geoms)


#: topological dimension of the simple geometry types
_DIMENSION = {"Point": 0, "LineString": 1, "LinearRing": 1, "Polygon": 2}


def geocode(
    text: str,
    gazetteer: Gazetteer,
    towns: gpd.GeoDataFrame | None = None,
    river: River | None = None,
    kind: str = "point",
) -> GeocodeResult:
    """Geocode a ``location_text`` (see module docstring).

    ``towns``: optional GeoDataFrame of town polygons with ``name_zh`` (any CRS, must have one);
    used to keep offsets inside their town and to check the result lies in the district.
    ``river``: optional Xi River GeoDataFrame (with CRS) or shapely geometry in EPSG:4326.
    ``kind``: what the record is (point/line/area); only affects the note - a town is never
    returned as its outline. Returns geometry in EPSG:4326.
    """
    if text is None or not str(text).strip():
        return not_geocoded(note("empty"))
    ctx = _context(towns, river)
    parts = [p for p in _SPLIT_RE.split(str(text)) if p.strip()]
    results: list[GeocodeResult] = []
    notes: list[Note | str] = []
    failed: list[str] = []
    for part in parts:
        rs, part_notes = _part(part, gazetteer, ctx)
        if not rs:
            failed.append(part.strip())
        results.extend(rs)
        notes.extend(part_notes)
    if not results:
        return not_geocoded(*(notes or [note("nothing_recognised", text=str(text))]))
    # several parts: the district adds nothing once a town or place is known
    if len(results) > 1 and any(r.method != "district" for r in results):
        results = [r for r in results if r.method != "district"]
    # merge identical points (金利镇;金利 or two places drawn at the same seat)
    uniq: list[GeocodeResult] = []
    for r in results:
        for k, u in enumerate(uniq):
            if (u.method == r.method and u.geometry is not None and r.geometry is not None
                    and u.geometry.equals(r.geometry)):
                merged = tuple(dict.fromkeys((*u.matched, *r.matched)))
                both = u.notes if r.notes == u.notes else (*u.notes, PART, *r.notes)
                uniq[k] = GeocodeResult(u.geometry, max(u.precision, r.precision), u.method,
                                        merged, both)
                break
        else:
            uniq.append(r)
    results = _river_along_towns(uniq, ctx)
    matched = tuple(dict.fromkeys(n for r in results for n in r.matched))
    head: list[Note | str]
    if len(results) == 1:
        r = results[0]
        geom, prec, method = r.geometry, r.precision, r.method
        head = list(r.notes)
    else:
        geom = _combine(results)
        prec = max(r.precision for r in results)
        methods = {r.method for r in results}
        method = methods.pop() if len(methods) == 1 else "multiple"
        if method == "town_seat":
            head = [note("towns", towns=matched)]
        elif method == "district":
            head = list(results[0].notes)
        else:
            head = []
            for r in results:
                head += [PART, *r.notes] if head else list(r.notes)
    notes = head + notes
    if prec == 4:  # drawn nowhere (listed as district-wide): no note may say where it is drawn
        notes = [note("district")]
    if failed:
        notes.append(note("not_located", parts=tuple(failed)))
    if kind == "area" and method == "town_seat":
        notes.append(note("kind_area_town"))
    assert geom is not None  # every result left here was located
    if kind == "line" and geom.geom_type in ("Point", "MultiPoint") and prec != 4:
        notes.append(note("kind_line_points"))
    geom = snap_to_grid(geom)
    if not ctx.inside_district(geom):
        notes.append(note("outside_warning"))
    return GeocodeResult(geom, int(prec), method, matched, tuple(notes))
