"""Reading state: current = baseline + events, as of any past moment, changed since."""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
from shapely.geometry import Point

from tests.tracking.helpers import source
from tracking.events import record_update
from tracking.state import apply_state, changed_since, current_state, state_as_of, to_utc


def _write(engine, base, acc, pid, **kw):
    from tracking.events import project_version

    return record_update(engine, acc, pid, source(**kw),
                         based_on=project_version(engine, pid), baseline=base)


def test_baseline_only(engine, base) -> None:
    s = current_state(engine, base)
    assert list(s.index) == ["p-jinli", "p-xiaoxiang", "p-both", "p-district"]
    assert s.loc["p-jinli", "status"] == "identification"
    assert s.loc["p-jinli", "status_as_of"] == "2021-12"
    assert not s["status_changed"].any() and (s["version"] == 0).all()
    assert s.loc["p-both", "towns"] == ("金利镇", "小湘镇")


def test_as_of_over_time(engine, base, accounts, clock) -> None:
    p = accounts["planner"]
    clock.now = datetime(2025, 1, 10, 3, 0)     # 2025-01-10 11:00 in 高要
    _write(engine, base, p, "p-jinli", status="preparation", status_date="2025-01-09",
           progress_pct=5)
    clock.now = datetime(2025, 2, 10, 3, 0)
    _write(engine, base, p, "p-jinli", status="implementation", status_date="2025-02-08")
    clock.now = datetime(2025, 2, 20, 3, 0)
    _write(engine, base, p, "p-jinli", progress_text="桩基完成", progress_pct=30,
           planned_completion="2026-06-30")
    clock.now = datetime(2025, 3, 5, 3, 0)
    _write(engine, base, p, "p-jinli", location="POINT (112.61 23.04)", location_precision=2,
           investment_amount=1e8, investment_currency="CNY", investment_source="专项债")

    before = state_as_of(engine, base, date(2025, 1, 9))
    assert before.loc["p-jinli", "status"] == "identification"
    assert before.loc["p-jinli", "version"] == 0

    jan = state_as_of(engine, base, "2025-01-31")
    assert jan.loc["p-jinli", ["status", "status_as_of", "progress_pct", "version"]].tolist() \
        == ["preparation", "2025-01-09", 5.0, 1]

    feb = state_as_of(engine, base, date(2025, 2, 28))
    row = feb.loc["p-jinli"]
    assert row["status"] == "implementation" and row["status_as_of"] == "2025-02-08"
    assert row["progress_pct"] == 30 and row["progress_text"] == "桩基完成"
    assert row["planned_completion"] == "2026-06-30"
    assert row["location_wkt"] is None and row["version"] == 3

    now = current_state(engine, base)
    assert now.loc["p-jinli", "location_wkt"] == "POINT (112.61 23.04)"
    assert now.loc["p-jinli", "location_precision"] == 2
    assert now.loc["p-jinli", "investment_amount"] == 1e8
    assert now.loc["p-jinli", "progress_pct"] == 30  # kept from an older event
    assert now.loc["p-jinli", "version"] == 4 and now.loc["p-jinli", "n_events"] == 4
    assert now.loc["p-jinli", "updated_at"] == datetime(2025, 3, 5, 3, 0)
    assert now.equals(current_state(engine, base, from_events=True))
    # other projects untouched
    assert now.loc["p-xiaoxiang", "status"] == "preparation"
    assert now.loc["p-xiaoxiang", "version"] == 0
    # "end of the day in 高要": 2025-02-10 11:00 local is inside 2025-02-10, not 2025-02-09
    assert state_as_of(engine, base, "2025-02-10").loc["p-jinli", "status"] == "implementation"
    assert state_as_of(engine, base, "2025-02-09").loc["p-jinli", "status"] == "preparation"
    assert state_as_of(engine, base, datetime(2025, 2, 10, 2, 59)).loc[
        "p-jinli", "status"] == "preparation"


def test_corrections_in_state_and_history(engine, base, accounts, clock) -> None:
    p = accounts["planner"]
    clock.now = datetime(2025, 1, 10)
    wrong = _write(engine, base, p, "p-xiaoxiang", status="completion",
                   status_date="2025-01-09", progress_pct=100)
    clock.now = datetime(2025, 1, 20)
    _write(engine, base, p, "p-xiaoxiang", planned_completion="2025-12-31")
    clock.now = datetime(2025, 2, 1)
    # the completion was a mistake: the correction replaces the whole event at its place
    _write(engine, base, p, "p-xiaoxiang", note="录入错误,实际仍在建设",
           status="implementation", status_date="2025-01-09", corrects=wrong.id)
    now = current_state(engine, base).loc["p-xiaoxiang"]
    assert now["status"] == "implementation" and now["status_as_of"] == "2025-01-09"
    assert now["progress_pct"] != now["progress_pct"]  # NaN: the wrong 100 % is gone
    assert now["planned_completion"] == "2025-12-31" and now["version"] == 3
    assert current_state(engine, base).equals(current_state(engine, base, from_events=True))
    # what the register said before the correction stays reproducible
    then = state_as_of(engine, base, "2025-01-25").loc["p-xiaoxiang"]
    assert then["status"] == "completion" and then["progress_pct"] == 100


def test_correction_of_an_old_event_does_not_override_newer(engine, base, accounts,
                                                            clock) -> None:
    p = accounts["planner"]
    first = _write(engine, base, p, "p-both", status="preparation", status_date="2025-01-01")
    clock.advance(days=1)
    _write(engine, base, p, "p-both", status="implementation", status_date="2025-02-01")
    clock.advance(days=1)
    _write(engine, base, p, "p-both", status="preparation", status_date="2024-12-15",
           corrects=first.id)
    assert current_state(engine, base).loc["p-both", "status"] == "implementation"


def test_changed_since(engine, base, accounts, clock) -> None:
    clock.now = datetime(2025, 1, 1)
    _write(engine, base, accounts["jinli"], "p-jinli", progress_pct=1)
    clock.now = datetime(2025, 2, 1)
    _write(engine, base, accounts["jinli"], "p-jinli", status="implementation",
           status_date="2025-01-30")
    _write(engine, base, accounts["planner"], "p-jinli", start_date="2025-01-15")
    _write(engine, base, accounts["planner"], "p-district", progress_text="招标中")
    ch = changed_since(engine, "2025-01-15")
    assert list(ch.index) == ["p-district", "p-jinli"]
    assert ch.loc["p-jinli", "n_events"] == 2 and ch.loc["p-jinli", "version"] == 3
    assert ch.loc["p-jinli", "changed"] == "status,start"
    assert ch.loc["p-jinli", "by"] == "jinli,planner"
    assert ch.loc["p-district", "changed"] == "progress"
    assert len(changed_since(engine, datetime(2025, 2, 1))) == 0
    assert len(changed_since(engine, "2024-12-31", until="2025-01-10")) == 1


def test_to_utc() -> None:
    assert to_utc(date(2025, 1, 1)) == datetime(2025, 1, 1, 16, 0)
    assert to_utc("2025-01-01T10:00:00+08:00") == datetime(2025, 1, 1, 2, 0)


def test_apply_state_for_the_map(engine, base, accounts) -> None:
    _write(engine, base, accounts["jinli"], "p-jinli", status="completion",
           status_date="2025-02-01", location="POINT (112.6 23.05)", location_precision=1)
    gdf = gpd.GeoDataFrame({"id": list(base.ids), "status": base.frame["status"].to_list(),
                            "status_as_of": "2021-12", "precision": [3, 3, 5, 4],
                            "geocode_method": "town", "geocode_note": "town level",
                            "geocode_note_zh": "镇街级"},
                           geometry=[Point(112.5, 23.0)] * 4, crs="EPSG:4326")
    out = apply_state(gdf, current_state(engine, base))
    j = out.set_index("id").loc["p-jinli"]
    assert j["status"] == "completion" and j["status_as_of"] == "2025-02-01"
    assert j.geometry.equals(Point(112.6, 23.05))
    assert j["precision"] == 1 and j["geocode_method"] == "official_placement"
    # the build's note no longer says where it is: the placement's note replaces it
    assert j["geocode_note_zh"].startswith("由负责人在地图上标定")
    assert j["geocode_note"].startswith("placed on the map by an accountable official")
    x = out.set_index("id").loc["p-xiaoxiang"]
    assert x["status"] == "preparation" and x["precision"] == 3
    assert (x["geocode_note"], x["geocode_note_zh"]) == ("town level", "镇街级")
    assert out.crs == gdf.crs and gdf.loc[0, "status"] == "identification"


def test_cache_follows_writes_and_hands_out_copies(engine, base, accounts) -> None:
    first = current_state(engine, base)
    first.loc["p-jinli", "status"] = "scribbled"            # callers may modify their copy
    assert current_state(engine, base).loc["p-jinli", "status"] == "identification"
    _write(engine, base, accounts["jinli"], "p-jinli", status="implementation",
           status_date="2024-12-01")
    assert current_state(engine, base).loc["p-jinli", "status"] == "implementation"
    assert current_state(engine, base, cache=False).equals(current_state(engine, base))
    past = state_as_of(engine, base, "2020-01-01")
    assert past.equals(state_as_of(engine, base, "2020-01-01", cache=False))
