"""CLI ``python -m geo``: geocode output, JSON, exit codes, subcommand dispatch."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import geopandas as gpd
import pytest
from shapely.geometry import box

import geo.__main__ as cli
from geo.paths import REPO_ROOT

REPO = REPO_ROOT


@pytest.fixture()
def no_boundaries(monkeypatch):
    """Make ``import geo.boundaries`` fail, as before the boundaries exist."""
    monkeypatch.setitem(sys.modules, "geo.boundaries", None)


@pytest.fixture()
def fake_boundaries(monkeypatch):
    towns = gpd.GeoDataFrame(
        {
            "code": ["441204115", "441204001"], "name_zh": ["金利镇", "南岸街道"],
            "name_en": ["Jinli Town", "Nan'an Subdistrict"],
            "seat_lon": [112.77739, 112.45108], "seat_lat": [23.07861, 23.03136],
            "boundary_source": ["modelled", "modelled"],
        },
        geometry=[box(112.70, 23.00, 112.85, 23.15), box(112.40, 22.98, 112.50, 23.06)],
        crs="EPSG:4326",
    )
    mod = types.ModuleType("geo.boundaries")
    mod.load_towns = lambda: towns
    mod.load_river = lambda: (_ for _ in ()).throw(FileNotFoundError("no river"))
    monkeypatch.setitem(sys.modules, "geo.boundaries", mod)
    return towns


def test_geocode_text_output(capsys, fake_boundaries):
    assert cli.main(["geocode", "金利镇西侧"]) == 0
    out = capsys.readouterr().out
    assert "geometry:  Point" in out
    assert "precision: 5 estimated" in out
    assert "method:    relative_offset" in out
    assert "matched:   金利镇" in out
    assert "towns:     金利镇 (441204115)" in out
    assert "POINT (112.748" in out


def test_geocode_json(capsys, fake_boundaries):
    assert cli.main(["geocode", "白诸镇、新桥镇", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["geometry_type"] == "MultiPoint"
    assert data["precision"] == 3 and data["precision_slug"] == "town"
    assert data["method"] == "town_seat"
    assert data["matched"] == ["白诸镇", "新桥镇"]
    assert data["towns"] == []  # the fake towns do not cover those seats


def test_geocode_unknown_exit_1(capsys, no_boundaries):
    assert cli.main(["geocode", "不存在的地方", "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["precision"] == 9 and data["wkt"] is None
    assert any("not available" in w for w in data["warnings"])


def test_towns_command(capsys, fake_boundaries):
    assert cli.main(["towns"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("441204001 ")  # sorted by code
    assert "Jinli Town" in out[2] and "112.777390" in out[2] and "modelled" in out[2]
    assert out[-1] == "2 towns"


def test_towns_command_json_area_is_metric(capsys, fake_boundaries):
    assert cli.main(["towns", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    jinli = next(r for r in rows if r["code"] == "441204115")
    # 0.15 deg x 0.15 deg near 23 N is about 15.4 km x 16.6 km
    assert 230 < jinli["area_km2"] < 280


def test_towns_without_boundaries_is_a_clear_error(capsys, no_boundaries):
    assert cli.main(["towns"]) == 1
    assert "cannot load the town boundaries" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["export"], ["geocode"]])
def test_usage_errors_exit_2(capsys, argv):
    assert cli.main(argv) == 2


def test_build_validate_export_dispatch(monkeypatch):
    seen = {}

    def fake(name, code):
        def run(args):
            seen[name] = args
            return code
        return run

    monkeypatch.setitem(sys.modules, "geo.build", types.SimpleNamespace(main=fake("build", 0)))
    monkeypatch.setitem(
        sys.modules, "geo.registry", types.SimpleNamespace(validate_main=fake("validate", 1))
    )
    monkeypatch.setitem(
        sys.modules, "geo.oc4ids", types.SimpleNamespace(export_main=fake("export", 0))
    )
    assert cli.main(["build", "--quiet"]) == 0
    b = seen["build"]
    assert (b.projects, b.out, b.layers_dir, b.quiet) == (
        "data/projects.csv", "data/projects.geojson", "data/layers", True,
    )
    assert cli.main(["validate", "--projects", "x.csv"]) == 1
    assert seen["validate"].projects == "x.csv"
    assert cli.main(["export", "--oc4ids", "o.json"]) == 0
    assert seen["export"].oc4ids == "o.json"
    assert seen["export"].projects is None


def test_export_projects_writes_the_filtered_geojson(tmp_path, capsys):
    from tests.fixtures.app_support import PROJECTS

    out = tmp_path / "all.geojson"
    assert cli.main(["export", "--built", str(PROJECTS), "--projects", str(out)]) == 0
    everything = json.loads(out.read_text(encoding="utf-8"))
    assert everything["type"] == "FeatureCollection" and len(everything["features"]) == 14
    ports = tmp_path / "ports.geojson"
    assert cli.main(["export", "--built", str(PROJECTS), "--projects", str(ports),
                     "--category", "port"]) == 0
    ids = {f["properties"]["id"] for f in json.loads(ports.read_text("utf-8"))["features"]}
    assert ids == {"port-gaoyao-berths", "port-jinli-new"}
    assert "wrote 2 of 14 projects" in capsys.readouterr().out
    assert cli.main(["export", "--built", str(tmp_path / "nope.geojson"),
                     "--projects", str(out)]) == 1
    assert "nope.geojson" in capsys.readouterr().err


def test_schema_markdown_is_the_contracts_table(capsys):
    """docs/CONTRACTS.md carries the registry table generated from data/schema/projects.csv."""
    assert cli.main(["schema", "--markdown"]) == 0
    table = capsys.readouterr().out
    doc = (REPO / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    start, end = "<!-- schema:start -->\n", "<!-- schema:end -->"
    assert doc[doc.index(start) + len(start):doc.index(end)] == table


def test_subprocess_geocode_json():
    res = subprocess.run(
        [sys.executable, "-m", "geo", "geocode", "大湾镇", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["precision"] == 3
    assert data["wkt"] == "POINT (112.39747 23.04506)"
