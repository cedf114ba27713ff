"""Writing updates: validated, permission-checked, append-only, optimistic concurrency.

There is exactly one write function, :func:`record_update`, and no function that updates or
deletes an event (the database refuses both with triggers too). A correction is a new event
with ``corrects=<event id>``: it replaces the corrected event's content at its position.

Every write states the project version it was based on (``based_on``: the number of events
of that project the writer had seen, 0 for none, from :func:`project_version` or the state's
``version`` column). If someone else wrote in between, :class:`StaleWriteError` is raised and
carries their events, so the UI can show what changed and let the user re-apply.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, RowMapping, func, insert, select
from sqlalchemy.exc import IntegrityError

from geo.paths import CODELIST_DIR
from tracking import auth
from tracking.baseline import Baseline
from tracking.db import write_tx
from tracking.models import CHANGE_COLUMNS, GROUPS, events

log = logging.getLogger(__name__)

STATUS_CODELIST = CODELIST_DIR / "status.csv"
PLACEMENT_METHODS = ("official_placement",)
PRECISIONS = (1, 2)  # 1 placed at street level, 2 approximate
GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                  "MultiPolygon")
MAX_VERTICES = 10_000
MAX_LEN = {"progress_text": 500, "investment_source": 300, "note": 2000, "source_title": 300,
           "source_ref": 500}
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
CURRENCY = re.compile(r"^[A-Z]{3}$")
# the district and a margin (WGS84): catches swapped lon/lat and far-off points
DISTRICT_BBOX = (111.95, 22.75, 112.95, 23.45)


def utcnow() -> datetime:
    """Server time, UTC, without a zone (as stored). Tests replace this function."""
    return datetime.now(UTC).replace(tzinfo=None)


@cache
def status_codes() -> dict[str, str]:
    """OC4IDS status code -> Chinese label, from data/codelists/status.csv."""
    with open(STATUS_CODELIST, encoding="utf-8", newline="") as fh:
        return {r["code"]: r["label_zh"] for r in csv.DictReader(fh)}


class TrackingError(Exception):
    """Base class of the errors a write can raise."""


class ValidationError(TrackingError, ValueError):
    """The update is not acceptable; ``errors`` = [(field, message), ...]."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"field '{f}': {m}" for f, m in self.errors))

    @property
    def fields(self) -> list[str]:
        return [f for f, _ in self.errors]


class PermissionDeniedError(TrackingError, PermissionError):
    """The account may not update this project (or nobody is logged in)."""


class StaleWriteError(TrackingError):
    """The project changed since the version the write was based on. ``newer`` holds the
    events written since (oldest first), ``current_version`` the version now."""

    def __init__(self, project_id: str, based_on: int, current_version: int,
                 newer: list[EventRecord]) -> None:
        self.project_id = project_id
        self.based_on = based_on
        self.current_version = current_version
        self.newer = newer
        who = ", ".join(f"#{e.seq} by {e.username} at {e.recorded_at:%Y-%m-%d %H:%M} UTC "
                        f"({', '.join(e.groups) or 'no change'})" for e in newer[-3:])
        super().__init__(f"project {project_id} changed since version {based_on} "
                         f"(now {current_version}): {who}")


@dataclass(frozen=True)
class Update:
    """One update of one project. Set only what changes; a group is given as a whole:
    status (+ ``status_date`` required), progress (text and/or percent), start, planned and
    actual completion dates, investment (amount + currency + funding source), location
    (WKT, GeoJSON or a shapely geometry in WGS84, + precision 1 or 2, method
    ``official_placement``). ``note`` and the source (title, date, where to check it) are
    always required. ``corrects``: the id of an event this one replaces."""

    note: str = ""
    source_title: str = ""
    source_date: date | str | None = None
    source_ref: str = ""
    status: str | None = None
    status_date: date | str | None = None
    progress_text: str | None = None
    progress_pct: float | None = None
    start_date: date | str | None = None
    planned_completion: date | str | None = None
    actual_completion: date | str | None = None
    investment_amount: Decimal | float | str | None = None
    investment_currency: str | None = None
    investment_source: str | None = None
    location: str | dict | BaseGeometry | None = None
    location_precision: int | None = None
    location_method: str | None = None
    corrects: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Update:
        """From a form's dict; unknown keys are an error naming them; blanks are None."""
        names = {f.name for f in fields(cls)}
        unknown = [k for k in data if k not in names]
        if unknown:
            raise ValidationError([(k, "unknown field") for k in unknown])
        values: dict[str, Any] = {
            k: (None if isinstance(v, str) and not v.strip()
                and k not in ("note", "source_title", "source_ref") else v)
            for k, v in data.items()}
        return cls(**values)


@dataclass(frozen=True)
class EventRecord:
    """A stored event (one row of ``events``)."""

    id: int
    project_id: str
    seq: int
    order_seq: int
    corrects_id: int | None
    recorded_at: datetime
    status: str | None
    status_date: date | None
    progress_text: str | None
    progress_pct: float | None
    start_date: date | None
    planned_completion: date | None
    actual_completion: date | None
    investment_amount: Decimal | None
    investment_currency: str | None
    investment_source: str | None
    location_wkt: str | None
    location_precision: int | None
    location_method: str | None
    note: str
    source_title: str
    source_date: date
    source_ref: str
    account_id: int
    username: str
    role: str
    account_towns: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | RowMapping) -> EventRecord:
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups this event sets (status, progress, start, ...)."""
        d = asdict(self)
        return tuple(g for g, cols in GROUPS.items() if any(d[c] is not None for c in cols))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (dates ISO, Decimal as str)."""
        out = {}
        for k, v in asdict(self).items():
            out[k] = (v.isoformat() if isinstance(v, date | datetime)
                      else str(v) if isinstance(v, Decimal) else v)
        return out


# ---------------------------------------------------------------- validation

def _text(errors: list, name: str, value: object, *, required: bool) -> str | None:
    from geo.registry import CONTROL_CHARS, FORMULA_PREFIXES

    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append((name, "required"))
        return None
    if not isinstance(value, str):
        errors.append((name, f"must be text, got {type(value).__name__}"))
        return None
    value = value.strip()
    if CONTROL_CHARS.search(value):
        errors.append((name, "contains control or bidi-override characters"))
    elif value.startswith(FORMULA_PREFIXES):
        errors.append((name, "must not start with = + @ (spreadsheet formula)"))
    elif len(value) > MAX_LEN.get(name, 500):
        errors.append((name, f"longer than {MAX_LEN.get(name, 500)} characters"))
    return value


def _date(errors: list, name: str, value: object, *, required: bool = False,
          not_future: bool = False) -> date | None:
    if value is None or value == "":
        if required:
            errors.append((name, "required"))
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text)
        except ValueError:
            errors.append((name, f"not a date YYYY-MM-DD: {text[:40]!r}"))
            return None
    if not isinstance(value, date):
        errors.append((name, f"not a date: {type(value).__name__}"))
        return None
    if not EARLIEST <= value <= LATEST:
        errors.append((name, f"{value} outside {EARLIEST}..{LATEST}"))
    # server time is UTC, the district is UTC+8: "today" there may be tomorrow here
    if not_future and value > utcnow().date() + timedelta(days=1):
        errors.append((name, f"{value} is in the future"))
    return value


def _geometry(errors: list, value: object) -> str | None:
    geom = None
    try:
        if isinstance(value, BaseGeometry):
            geom = value
        elif isinstance(value, dict):
            geom = shape(value)
        elif isinstance(value, str) and value.lstrip().startswith("{"):
            geom = shape(json.loads(value))
        elif isinstance(value, str):
            geom = shapely.from_wkt(value)
        else:
            errors.append(("location", f"WKT, GeoJSON or a geometry, got {type(value).__name__}"))
            return None
    except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, AttributeError) as exc:
        errors.append(("location", f"cannot read the geometry ({type(exc).__name__})"))
        return None
    if geom is None or geom.is_empty:
        errors.append(("location", "empty geometry"))
        return None
    if geom.geom_type not in GEOMETRY_TYPES:
        errors.append(("location", f"{geom.geom_type}: use a point, line or polygon"))
        return None
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        errors.append(("location", f"more than {MAX_VERTICES} vertices"))
        return None
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel()):
        errors.append(("location", "coordinates must be finite numbers"))
        return None
    x0, y0, x1, y1 = DISTRICT_BBOX
    if not ((coords[:, 0] >= x0) & (coords[:, 0] <= x1) & (coords[:, 1] >= y0)
            & (coords[:, 1] <= y1)).all():
        errors.append(("location", "outside 高要区 (WGS84 lon/lat expected: lon ~112.3, "
                       "lat ~23.0; swapped, projected or another place?)"))
        return None
    if not geom.is_valid:
        errors.append(("location", f"invalid geometry: {shapely.is_valid_reason(geom)}"))
        return None
    return shapely.to_wkt(geom, rounding_precision=7, trim=True)


def validate(update: Update) -> dict[str, Any]:
    """Check an update; returns the column values to store or raises ValidationError
    listing every problem by field."""
    if isinstance(update, Mapping):
        update = Update.from_mapping(update)
    e: list[tuple[str, str]] = []
    v: dict[str, Any] = dict.fromkeys(CHANGE_COLUMNS)
    v["note"] = _text(e, "note", update.note, required=True)
    v["source_title"] = _text(e, "source_title", update.source_title, required=True)
    v["source_ref"] = _text(e, "source_ref", update.source_ref, required=True)
    v["source_date"] = _date(e, "source_date", update.source_date, required=True,
                             not_future=True)
    # status + its date
    if update.status is not None or update.status_date is not None:
        if update.status not in status_codes():
            e.append(("status", f"{update.status!r} is not one of "
                      f"{', '.join(status_codes())}"))
        v["status"] = update.status
        v["status_date"] = _date(e, "status_date", update.status_date, required=True,
                                 not_future=True)
    # progress
    if update.progress_text is not None or update.progress_pct is not None:
        v["progress_text"] = _text(e, "progress_text", update.progress_text, required=False)
        if update.progress_pct is not None:
            try:
                pct = float(update.progress_pct)
                if not (math.isfinite(pct) and 0 <= pct <= 100):
                    raise ValueError
                v["progress_pct"] = pct
            except (TypeError, ValueError):
                e.append(("progress_pct", f"a number 0-100, got {update.progress_pct!r}"))
    # dates
    v["start_date"] = _date(e, "start_date", update.start_date)
    v["planned_completion"] = _date(e, "planned_completion", update.planned_completion)
    v["actual_completion"] = _date(e, "actual_completion", update.actual_completion,
                                   not_future=True)
    # investment
    if any(x is not None for x in (update.investment_amount, update.investment_currency,
                                   update.investment_source)):
        try:
            amount = Decimal(str(update.investment_amount).strip())
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e15"):
                raise InvalidOperation
            v["investment_amount"] = amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            e.append(("investment_amount",
                      f"a non-negative amount, got {update.investment_amount!r}"))
        cur = update.investment_currency
        if not (isinstance(cur, str) and CURRENCY.match(cur)):
            e.append(("investment_currency", f"ISO 4217 code like CNY, got {cur!r}"))
        v["investment_currency"] = cur
        v["investment_source"] = _text(e, "investment_source", update.investment_source,
                                       required=True)
    # location
    if any(x is not None for x in (update.location, update.location_precision,
                                   update.location_method)):
        if update.location is None:
            e.append(("location", "required with a precision or method"))
        else:
            v["location_wkt"] = _geometry(e, update.location)
        if update.location_precision not in PRECISIONS:
            e.append(("location_precision", "1 (placed at street level) or 2 (approximate), "
                      f"got {update.location_precision!r}"))
        v["location_precision"] = update.location_precision
        method = update.location_method or "official_placement"
        if method not in PLACEMENT_METHODS:
            e.append(("location_method", f"must be official_placement, got {method!r}"))
        v["location_method"] = method
    if update.corrects is not None and (not isinstance(update.corrects, int)
                                        or isinstance(update.corrects, bool)
                                        or update.corrects < 1):
        e.append(("corrects", f"an event id, got {update.corrects!r}"))
    if not e and not any(v[c] is not None for c in CHANGE_COLUMNS):
        e.append(("update", "nothing to change: give a status, progress, a date, "
                  "investment or a location"))
    if e:
        raise ValidationError(e)
    return v


# ---------------------------------------------------------------- reading

def _version(conn: Connection, project_id: str) -> int:
    return int(conn.execute(select(func.coalesce(func.max(events.c.seq), 0))
                            .where(events.c.project_id == project_id)).scalar_one())


def project_version(engine: Engine, project_id: str) -> int:
    """The project's version: the number of its events (0 = baseline only)."""
    with engine.connect() as conn:
        return _version(conn, project_id)


def history(engine: Engine, project_id: str, after: int = 0) -> list[EventRecord]:
    """The project's events with seq > `after`, oldest first."""
    with engine.connect() as conn:
        return _history(conn, project_id, after)


def _history(conn: Connection, project_id: str, after: int = 0) -> list[EventRecord]:
    rows = conn.execute(select(events).where(events.c.project_id == project_id,
                                             events.c.seq > after)
                        .order_by(events.c.seq)).mappings().all()
    return [EventRecord.from_row(r) for r in rows]


def get_event(engine: Engine, event_id: int) -> EventRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(events).where(events.c.id == event_id)).mappings().first()
    return EventRecord.from_row(row) if row else None


# ---------------------------------------------------------------- writing

def record_update(engine: Engine, account: auth.Account | None, project_id: str,
                  update: Update | Mapping[str, Any], *, based_on: int,
                  baseline: Baseline) -> EventRecord:
    """Append one update of `project_id` by `account`, based on version `based_on`.

    Raises ValidationError (naming each field), PermissionDeniedError (anonymous, viewer, disabled,
    or a town official outside their towns: checked against the account as stored now),
    StaleWriteError (someone wrote since `based_on`). Returns the stored event; the project's
    new version is its ``seq``."""
    if isinstance(update, Mapping):
        update = Update.from_mapping(update)
    values = validate(update)
    corrects = update.corrects
    if project_id not in baseline:
        raise ValidationError([("project_id", f"no project {str(project_id)[:80]!r} in the "
                                "registry")])
    if isinstance(based_on, bool) or not isinstance(based_on, int) or based_on < 0:
        raise ValidationError([("based_on", f"a version number >= 0, got {based_on!r}")])
    if account is None:
        raise PermissionDeniedError("not logged in: anonymous and kiosk users cannot write")
    towns = baseline.towns_of(project_id)
    try:
        with write_tx(engine) as conn:
            acc = auth.get_account(conn, account.id)
            if acc is None or not auth.can_edit(acc, towns):
                who = "this account" if acc is None else f"{acc.username} ({acc.role}" + (
                    f", {'、'.join(sorted(acc.towns))}" if acc.towns else "") + (
                    ", disabled" if acc.disabled else "") + ")"
                where = "、".join(towns) or "district-wide, no town"
                log.warning("write refused: %s on %s", who, project_id)
                raise PermissionDeniedError(f"{who} may not update {project_id} ({where})")
            current = _version(conn, project_id)
            if current != based_on:
                raise StaleWriteError(project_id, based_on, current,
                                      _history(conn, project_id, based_on))
            order_seq = based_on + 1
            if corrects is not None:
                order_seq = _correction_position(conn, project_id, corrects)
            row = {**values, "project_id": project_id, "seq": based_on + 1,
                   "order_seq": order_seq, "corrects_id": corrects, "recorded_at": utcnow(),
                   "account_id": acc.id, "username": acc.username, "role": acc.role,
                   "account_towns": ";".join(sorted(acc.towns))}
            new_id = conn.execute(insert(events).values(**row)
                                  ).inserted_primary_key[0]  # type: ignore[index]
            from tracking.state import refresh_head

            refresh_head(conn, project_id)
    except IntegrityError as exc:  # a concurrent writer took seq based_on + 1 first
        with engine.connect() as conn:
            current = _version(conn, project_id)
            if current == based_on:
                raise
            raise StaleWriteError(project_id, based_on, current,
                                  _history(conn, project_id, based_on)) from exc
    log.info("event %s: %s v%s by %s", new_id, project_id, based_on + 1, acc.username)
    return EventRecord.from_row({**row, "id": new_id})


def _correction_position(conn: Connection, project_id: str, corrects: int) -> int:
    target = conn.execute(select(events.c.project_id, events.c.order_seq)
                          .where(events.c.id == corrects)).first()
    if target is None or target.project_id != project_id:
        raise ValidationError([("corrects", f"no event {corrects} of project {project_id}")])
    newer = conn.execute(select(events.c.id).where(events.c.corrects_id == corrects)).first()
    if newer is not None:
        raise ValidationError([("corrects", f"event {corrects} is already corrected by event "
                                f"{newer.id}; correct that one")])
    return int(target.order_seq)
