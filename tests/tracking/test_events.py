"""Writing updates: validation, permissions, optimistic concurrency, corrections, and the
append-only rule (no API and no raw SQL can UPDATE or DELETE an event)."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.tracking.helpers import PASSWORD, source
from tracking import auth, backup, events, migrate, state
from tracking.db import make_engine
from tracking.events import (
    PermissionDeniedError,
    StaleWriteError,
    Update,
    ValidationError,
    record_update,
)
from tracking.models import events as events_table


def test_write_and_read_back(engine, base, accounts, clock) -> None:
    ev = record_update(engine, accounts["jinli"], "p-jinli",
                       source(status="implementation", status_date="2025-02-20",
                              progress_text="主体结构施工", progress_pct=35,
                              investment_amount="12500000.50", investment_currency="CNY",
                              investment_source="地方政府专项债券",
                              location="POINT (112.62 23.05)", location_precision=1),
                       based_on=0, baseline=base)
    assert ev.seq == 1 and ev.username == "jinli" and ev.role == "town_official"
    assert ev.account_towns == "金利镇" and ev.recorded_at == clock.now
    assert set(ev.groups) == {"status", "progress", "investment", "location"}
    (stored,) = events.history(engine, "p-jinli")
    assert stored.location_wkt == "POINT (112.62 23.05)"
    assert stored.location_method == "official_placement"
    assert str(stored.investment_amount) == "12500000.50"
    assert stored.status_date.isoformat() == "2025-02-20"
    assert events.project_version(engine, "p-jinli") == 1
    assert events.get_event(engine, ev.id) == stored


def test_geojson_line_and_polygon_locations(engine, base, accounts) -> None:
    line = {"type": "LineString", "coordinates": [[112.4, 23.0], [112.5, 23.1]]}
    record_update(engine, accounts["planner"], "p-district",
                  source(location=line, location_precision=2), based_on=0, baseline=base)
    poly = "POLYGON ((112.4 23, 112.5 23, 112.5 23.1, 112.4 23))"
    ev = record_update(engine, accounts["planner"], "p-district",
                       source(location=poly, location_precision=2), based_on=1, baseline=base)
    assert ev.location_wkt.startswith("POLYGON")


@pytest.mark.parametrize(("change", "field"), [
    ({"note": ""}, "note"),
    ({"source_title": ""}, "source_title"),
    ({"source_ref": "  "}, "source_ref"),
    ({"source_date": None}, "source_date"),
    ({"source_date": "2999-01-01"}, "source_date"),
    ({"status": "finished", "status_date": "2025-01-01"}, "status"),
    ({"status": "completion"}, "status_date"),
    ({"status": "completion", "status_date": "2025-13-01"}, "status_date"),
    ({"progress_pct": 101}, "progress_pct"),
    ({"progress_pct": float("nan")}, "progress_pct"),
    ({"investment_amount": "-5", "investment_currency": "CNY",
      "investment_source": "x"}, "investment_amount"),
    ({"investment_amount": "5", "investment_currency": "rmb",
      "investment_source": "x"}, "investment_currency"),
    ({"investment_amount": "5", "investment_currency": "CNY"}, "investment_source"),
    ({"location": "POINT (23.05 112.6)", "location_precision": 1}, "location"),
    ({"location": "POINT (12537000 2630000)", "location_precision": 1}, "location"),
    ({"location": "GEOMETRYCOLLECTION (POINT (112.5 23))", "location_precision": 1},
     "location"),
    ({"location": "POLYGON ((112.4 23, 112.5 23.1, 112.5 23, 112.4 23.1, 112.4 23))",
      "location_precision": 1}, "location"),
    ({"location": "not wkt", "location_precision": 1}, "location"),
    ({"location": "POINT (112.5 23)", "location_precision": 3}, "location_precision"),
    ({"location": "POINT (112.5 23)", "location_precision": 1,
      "location_method": "geocoded"}, "location_method"),
    ({"progress_text": "=HYPERLINK(\"x\")"}, "progress_text"),
    ({"note": "ok\u202eevil"}, "note"),
    ({"note": "x" * 2001}, "note"),
    ({"planned_completion": "soon"}, "planned_completion"),
    ({"colour": "red"}, "colour"),
    ({}, "update"),
])
def test_validation_names_the_field(engine, base, accounts, change, field) -> None:
    with pytest.raises(ValidationError) as exc:
        record_update(engine, accounts["planner"], "p-jinli", source(**change), based_on=0,
                      baseline=base)
    assert field in exc.value.fields
    assert f"field '{field}'" in str(exc.value)
    assert events.project_version(engine, "p-jinli") == 0


def test_unknown_project_and_bad_version(engine, base, accounts) -> None:
    with pytest.raises(ValidationError, match="project_id"):
        record_update(engine, accounts["planner"], "no-such", source(progress_pct=1),
                      based_on=0, baseline=base)
    with pytest.raises(ValidationError, match="based_on"):
        record_update(engine, accounts["planner"], "p-jinli", source(progress_pct=1),
                      based_on=-1, baseline=base)


# ------------------------------------------------------------------ permissions

def test_town_official_only_in_their_towns(engine, base, accounts) -> None:
    jinli = accounts["jinli"]
    with pytest.raises(PermissionDeniedError, match="小湘镇"):
        record_update(engine, jinli, "p-xiaoxiang", source(progress_pct=10), based_on=0,
                      baseline=base)
    with pytest.raises(PermissionDeniedError):   # district-wide: planners only
        record_update(engine, jinli, "p-district", source(progress_pct=10), based_on=0,
                      baseline=base)
    record_update(engine, jinli, "p-jinli", source(progress_pct=10), based_on=0, baseline=base)
    record_update(engine, jinli, "p-both", source(progress_pct=10), based_on=0, baseline=base)
    record_update(engine, accounts["xiaoxiang"], "p-xiaoxiang", source(progress_pct=10),
                  based_on=0, baseline=base)
    for pid in ("p-xiaoxiang", "p-district"):
        record_update(engine, accounts["planner"], pid, source(progress_pct=20),
                      based_on=events.project_version(engine, pid), baseline=base)
    assert events.project_version(engine, "p-district") == 1


def test_viewer_anonymous_and_disabled_cannot_write(engine, base, accounts) -> None:
    with pytest.raises(PermissionDeniedError):
        record_update(engine, accounts["viewer"], "p-jinli", source(progress_pct=1),
                      based_on=0, baseline=base)
    with pytest.raises(PermissionDeniedError, match="anonymous"):
        record_update(engine, None, "p-jinli", source(progress_pct=1), based_on=0,
                      baseline=base)
    auth.set_disabled(engine, "planner")
    with pytest.raises(PermissionDeniedError, match="disabled"):
        record_update(engine, accounts["planner"], "p-jinli", source(progress_pct=1),
                      based_on=0, baseline=base)
    assert events.project_version(engine, "p-jinli") == 0


def test_permission_is_checked_against_the_stored_account(engine, base, accounts) -> None:
    """A forged Account object (planner role, other towns) does not help: the account is
    re-read from the database inside the write."""
    forged = auth.Account(accounts["jinli"].id, "jinli", "planner", frozenset({"小湘镇"}))
    with pytest.raises(PermissionDeniedError):
        record_update(engine, forged, "p-xiaoxiang", source(progress_pct=1), based_on=0,
                      baseline=base)
    ghost = auth.Account(9999, "ghost", "planner", frozenset())
    with pytest.raises(PermissionDeniedError):
        record_update(engine, ghost, "p-jinli", source(progress_pct=1), based_on=0,
                      baseline=base)


def test_can_edit_rule() -> None:
    off = auth.Account(1, "a", "town_official", frozenset({"金利镇"}))
    assert auth.can_edit(off, ["金利镇"]) and auth.can_edit(off, ["小湘镇", "金利镇"])
    assert not auth.can_edit(off, ["小湘镇"]) and not auth.can_edit(off, [])
    assert auth.can_edit(auth.Account(2, "p", "planner", frozenset()), [])
    assert not auth.can_edit(auth.Account(3, "v", "viewer", frozenset()), ["金利镇"])
    assert not auth.can_edit(None, ["金利镇"])


# ------------------------------------------------------------------ concurrency, corrections

def test_stale_write_is_refused_and_carries_the_other_change(engine, base, accounts) -> None:
    record_update(engine, accounts["jinli"], "p-jinli", source(progress_pct=10), based_on=0,
                  baseline=base)
    # two people opened version 1; the planner saves first
    record_update(engine, accounts["planner"], "p-jinli",
                  source(status="implementation", status_date="2025-02-01"), based_on=1,
                  baseline=base)
    with pytest.raises(StaleWriteError) as exc:
        record_update(engine, accounts["jinli"], "p-jinli", source(progress_pct=40),
                      based_on=1, baseline=base)
    err = exc.value
    assert (err.based_on, err.current_version) == (1, 2)
    assert [e.username for e in err.newer] == ["planner"]
    assert err.newer[0].status == "implementation" and "planner" in str(err)
    assert events.project_version(engine, "p-jinli") == 2


def test_correction_is_a_new_event(engine, base, accounts) -> None:
    first = record_update(engine, accounts["jinli"], "p-jinli",
                          source(status="completion", status_date="2025-02-01"), based_on=0,
                          baseline=base)
    fix = record_update(engine, accounts["jinli"], "p-jinli",
                        source(note="typo: still under way", status="implementation",
                               status_date="2025-02-01", corrects=first.id),
                        based_on=1, baseline=base)
    assert fix.corrects_id == first.id and fix.order_seq == first.order_seq == 1
    assert [e.status for e in events.history(engine, "p-jinli")] == ["completion",
                                                                    "implementation"]
    with pytest.raises(ValidationError, match="already corrected"):
        record_update(engine, accounts["jinli"], "p-jinli",
                      source(progress_pct=1, corrects=first.id), based_on=2, baseline=base)
    other = record_update(engine, accounts["planner"], "p-xiaoxiang", source(progress_pct=5),
                          based_on=0, baseline=base)
    with pytest.raises(ValidationError, match="corrects"):
        record_update(engine, accounts["jinli"], "p-jinli",
                      source(progress_pct=1, corrects=other.id), based_on=2, baseline=base)


# ------------------------------------------------------------------ append-only

def test_no_update_or_delete_api() -> None:
    names = set()
    for mod in (events, state, auth, backup):
        names |= {n for n, o in inspect.getmembers(mod, inspect.isfunction)
                  if o.__module__ == mod.__name__}
    bad = {n for n in names if n.startswith(("update_event", "delete", "edit_event",
                                             "remove", "amend", "purge"))}
    assert not bad
    assert "record_update" in names


@pytest.mark.parametrize("stmt", [
    lambda: update(events_table).values(note="rewritten"),
    lambda: update(events_table).where(events_table.c.seq == 1).values(status="cancelled"),
    lambda: delete(events_table),
    lambda: text("DELETE FROM events WHERE seq = 1"),
])
def test_raw_update_delete_refused_by_trigger(engine, base, accounts, stmt) -> None:
    record_update(engine, accounts["jinli"], "p-jinli", source(progress_pct=10), based_on=0,
                  baseline=base)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(stmt())
    (ev,) = events.history(engine, "p-jinli")
    assert ev.note == "weekly report" and ev.progress_pct == 10


def test_truncate_refused_on_postgresql(pg_server, base) -> None:
    """PostgreSQL only (SQLite has no TRUNCATE; its DELETE is refused above)."""
    eng = make_engine(pg_server.create_database("truncate_test"))
    migrate.upgrade(eng)
    acc = auth.create_account(eng, "planner", PASSWORD, "planner")
    record_update(eng, acc, "p-jinli", source(progress_pct=10), based_on=0, baseline=base)
    with pytest.raises(DBAPIError, match="append-only"), eng.begin() as conn:
        conn.execute(text("TRUNCATE events"))
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events_table)).scalar() == 1
    eng.dispose()


def test_update_dataclass_from_mapping() -> None:
    u = Update.from_mapping({"note": "n", "progress_pct": "", "status": "  "})
    assert u.progress_pct is None and u.status is None
