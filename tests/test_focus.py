"""The selected project on the map: what is fitted and the highlight (layers.focus)."""

from __future__ import annotations

import pytest

from geo.loading import load_layer, load_projects
from geo.paths import DATA_DIR
from layers.basemaps import get_basemap
from layers.focus import focus_frame, project_highlight


@pytest.fixture(scope="module")
def real():
    b = DATA_DIR / "boundaries"
    return (load_projects(DATA_DIR / "projects.geojson"), load_layer(b / "towns.geojson"),
            load_layer(b / "district.geojson"))


def test_focus_by_precision(real):
    projects, towns, district = real
    towns = towns.assign(code=towns["code"].astype(str))
    for _, row in projects.iterrows():
        frame = focus_frame(projects, row["id"], towns, district)
        assert frame is not None and len(frame), row["id"]
        if row["precision"] in (4, 9):
            assert frame is district
    port = focus_frame(projects, "port-jinli-container-berths", towns, district)
    minx, _, maxx, _ = port.total_bounds
    assert maxx - minx < 0.05 and minx < 112.804 < maxx
    assert focus_frame(projects, "no-such-id", towns, district) is None


def test_highlight(real):
    projects = real[0]
    base = get_basemap("none")
    assert project_highlight(projects, "port-jinli-container-berths", base) is not None
    district_wide = projects[projects["precision"] == 4]["id"].iloc[0]
    assert project_highlight(projects, district_wide, base) is None
    line = projects[projects.geom_type.str.contains("Line")]["id"].iloc[0]
    assert project_highlight(projects, line, base) is not None
