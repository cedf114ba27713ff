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
