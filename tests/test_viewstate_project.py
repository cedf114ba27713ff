"""The selected project and the map's centre/zoom in the URL (geo.viewstate)."""

from __future__ import annotations

from geo import viewstate

VALID = viewstate.Valid(projects=["port-jinli-container-berths", "road-a"])


def test_project_centre_zoom_round_trip():
    state = viewstate.ViewState(project="road-a", center=(23.1, 112.45), zoom=12)
    params = viewstate.to_query_params(state)
    assert params == {"project": "road-a", "c": "23.1,112.45", "z": "12"}
    assert viewstate.parse_query_params(params, VALID) == state


def test_unknown_project_and_bad_views_fall_back():
    bad = [("nope", "x", "5"), ("<b>", "23.1", "19"), ("", "91,112", "abc"),
           ("road-a ", "23.1,200", "1e9"), ("", "nan,nan", "-3"), ("", "23.1,112.4,1", "")]
    for project, c, z in bad:
        s = viewstate.parse_query_params({"project": project, "c": c, "z": z}, VALID)
        assert (s.project, s.center, s.zoom) == ("", (), 0), (project, c, z)


def test_centre_is_rounded_and_zoom_bounded():
    s = viewstate.parse_query_params({"c": "23.123456789,112.987654321", "z": "18.0"}, VALID)
    assert s.center == (23.12346, 112.98765) and s.zoom == 18
    assert viewstate.parse_query_params({"z": "6"}, VALID).zoom == 6


def test_map_reports_reach_the_url_but_never_move_the_map(monkeypatch):
    """Issue 14: the map's own centre/zoom reports (the end of every pan or zoom) go to the URL
    (ViewState.center/zoom) but are never handed back to the map, which would move it to a
    rounded copy of where it is, mid-gesture; the link's view is, until the focus changes."""
    from types import SimpleNamespace

    from ui import state as ui_state

    ss: dict = {ui_state.VIEW: ((23.05, 112.46), 12), ui_state.VIEW_ARG: ((23.05, 112.46), 12)}
    monkeypatch.setattr(ui_state, "st", SimpleNamespace(session_state=ss))
    monkeypatch.delenv("GAOYAO_KIOSK", raising=False)
    district = viewstate.ViewState()
    assert ui_state.map_view_state(district) == ((23.05, 112.46), 12)
    ui_state.remember_view({"center": {"lat": 23.1012345, "lng": 112.5}, "zoom": 13.5})
    now = ui_state.current_state()
    assert (now.center, now.zoom) == ((23.10123, 112.5), 13)
    assert viewstate.to_query_params(now)["c"] == "23.10123,112.5"
    assert ui_state.map_view_state(now) == ((23.05, 112.46), 12)  # the link's, unchanged
    ui_state.remember_view({"center": {"lat": 99, "lng": 0}, "zoom": 13})  # outside: dropped
    assert ui_state.current_state().center == (23.10123, 112.5)
    town = viewstate.ViewState(town="441204101")
    assert ui_state.map_view_state(town) is None  # a new focus: fit the town
    assert ui_state.current_state().center == ()


def test_hidden_groups_round_trip():
    valid = viewstate.Valid(groups=["transport", "water", "energy"])
    s = viewstate.parse_query_params({"off": "water,<x>,water,transport"}, valid)
    assert s.hidden_groups == ("water", "transport")
    assert viewstate.to_query_params(s) == {"off": "water,transport"}
    assert viewstate.parse_query_params({}, valid).hidden_groups == ()
