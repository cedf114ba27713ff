"""Smoke run of the benchmark harness (bench/): ~50 synthetic projects, one repetition.

No timed assertions: only that the generator is deterministic and follows the registry
contract, and that the harness writes a results table with every metric and numeric values.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pytest
import shapely

from bench import generate
from bench.run import METRIC_KEYS
from geo.paths import REPO_ROOT
from geo.registry import FIELDS

ROOT = REPO_ROOT


def test_generator_is_deterministic_and_follows_the_contract():
    a = generate.make_records(300, seed=3)
    b = generate.make_records(300, seed=3)
    assert a == b
    assert generate.make_records(300, seed=4) != a
    assert all(set(r) == set(FIELDS) for r in a)
    kinds = Counter(r["geometry_kind"] for r in a)
    assert kinds["point"] > kinds["line"] > kinds["area"] > 0
    assert 0.6 < kinds["point"] / 300 < 0.8
    district = shapely.from_wkt(
        "POLYGON((112.18 22.77, 112.83 22.77, 112.83 23.44, 112.18 23.44, 112.18 22.77))")
    for r in a:
        if r["geometry_wkt"]:
            geom = shapely.from_wkt(r["geometry_wkt"])
            assert r["coord_source"] == generate.SOURCE
            assert district.contains(geom)
            if r["geometry_kind"] == "line":
                length_km = shapely.length(shapely.transform(
                    geom, lambda xy: xy * [102.4, 110.8]))  # rough km per degree at 23°N
                assert 1.5 < length_km < 48
        elif r["lon"]:
            assert district.contains(shapely.Point(float(r["lon"]), float(r["lat"])))
        else:
            assert r["location_text"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_smoke_run_writes_every_metric(smoke):
    text = smoke.read_text(encoding="utf-8")
    header = next(ln for ln in text.splitlines() if ln.startswith("| size | variant |"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[2:] == list(METRIC_KEYS)
    rows = [ln for ln in text.splitlines() if re.match(r"\| 50 \(50\) \| (app|baseline) \|", ln)]
    assert len(rows) == 2
    cells = {}
    for ln in rows:
        parts = [c.strip() for c in ln.strip("|").split("|")]
        cells[parts[1]] = dict(zip(columns[2:], parts[2:], strict=True))
    for key in METRIC_KEYS:
        float(cells["app"][key].replace(",", ""))  # every app metric is a number
    # the baseline has no build step and is not a Streamlit script
    for key in set(METRIC_KEYS) - {"build_s", "startup_s", "rerun_s"}:
        float(cells["baseline"][key].replace(",", ""))
    assert "ratio" in text and "cores" in text


def test_smoke_run_json_agrees(smoke):
    data = json.loads(smoke.with_suffix(".json").read_text(encoding="utf-8"))
    (res,) = data["results"]
    assert res["n"] == 50
    app, base = res["app"], res["baseline"]
    assert app["n"] == base["n"] == 50
    assert app["payload_home_b"] > 0 and base["payload_home_b"] > 0
    # the filtered render never sends more projects than the home render
    assert app["payload_change_b"] <= app["payload_home_b"]
    assert data["meta"]["cores"] >= 1


def test_rendered_page_never_evaluates_template_syntax_in_data():
    """branca compiles rendered scripts as Jinja templates when a whole page is rendered;
    text like ``{{ 7*7 }}`` from the data must reach the page literally (not as 49)."""
    import geopandas as gpd

    from geo import codelists as gc
    from geo.i18n import I18n, load_table
    from layers import map as lm
    from layers.basemaps import get_basemap
    from layers.projects import project_layers
    from tests.layers_support import drawn_features

    codelists = gc.load_codelists(ROOT / "data" / "codelists")
    tr = I18n(load_table(ROOT / "data" / "i18n.csv"), "zh")
    evil = "{{ 7*7 }}{{ cycler.__init__.__globals__.os.getcwd() }}{% if 1 %}IF{% endif %}"
    projects = gpd.GeoDataFrame(
        {"id": ["p-evil"], "title_zh": [evil], "title_en": [evil], "category": ["port"],
         "status": ["implementation"], "precision": [1], "towns_all": [evil],
         "plan_ref": [evil], "evidence": [evil], "status_as_of": ["2021-12"]},
        geometry=[shapely.Point(112.45, 23.05)], crs="EPSG:4326")
    towns = gpd.GeoDataFrame(
        {"code": ["1"], "name_zh": [evil], "name_en": [evil], "boundary_source": ["modelled"]},
        geometry=[shapely.box(112.4, 23.0, 112.5, 23.1)], crs="EPSG:4326")
    none = get_basemap("none")
    m = lm.build_map(None, towns, None, codelists, tr, none, legend_categories=["port"])
    html = lm.render_html(m, project_layers(projects, codelists, tr, none))
    assert str(ROOT) not in html  # {{ ...os.getcwd() }} was not evaluated
    # the text stays literal everywhere: town outline, town label, project strings
    assert html.count("\\u007b{ 7*7 }}") >= 3 and html.count("IF\\u007b% endif %}") >= 3
    feats = drawn_features(project_layers(projects, codelists, tr, none))
    assert evil.replace("<", "&lt;") in feats[0]["properties"]["pop"]


def test_tracking_benchmark_smoke(capsys):
    """bench.tracking on a tiny SQLite load: every metric in the table as a number, and the
    verdict says met/missed from the medians (no timed assertion: only that it is computed)."""
    from bench import tracking

    assert tracking.main(["--events", "600", "--projects", "60", "--reps", "1",
                          "--seconds", "0.3", "--writers", "2", "--backends", "sqlite",
                          "--no-write"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| SQLite"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == 10
    assert re.fullmatch(r"\d+\.\d{3} \(\d+\.\d{3}\) \[\d+\.\d{3}\]", cells[3])
    assert "writes/s (2 writers)" in out
    verdict = next(line for line in out.splitlines() if line.startswith("- SQLite"))
    assert re.search(r"current state \d\.\d{3} s, as of \d\.\d{3} s: \*\*(met|missed)\*\*",
                     verdict)
