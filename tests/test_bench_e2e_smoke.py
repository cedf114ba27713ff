"""Smoke run of the end-to-end benchmark (bench/e2e): the real registry, one round, the app
and the ``explore()`` baseline, each in its own ``streamlit run`` server, in Chromium.

No timed assertions: only that both variants drew project features (counted in the map's
frame), drew the same projects, and that bytes were counted over HTTP and the websocket.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("mapclassify")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium not installed (make browser)")
    out = tmp_path_factory.mktemp("bench-e2e") / "RESULTS-e2e.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.e2e", "--sizes", "real", "--pairs", "1",
         "--variants", "app,explore", "--timeout", "60", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=170,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_both_variants_drew_features_and_bytes_were_counted(run):
    data = json.loads(run.with_suffix(".json").read_text(encoding="utf-8"))
    (size,) = data["results"]
    assert "error" not in size, size.get("error")
    variants = size["variants"]
    assert set(variants) == {"app", "explore"}
    shown = {}
    for name, res in variants.items():
        (sample,) = res["samples"]
        for phase in ("cold", "change", "warm"):
            r = sample[phase]
            assert "error" not in r, f"{name} {phase}: {r.get('error')}"
            assert r["features"] + r["clusters"] > 0, f"{name} {phase} drew nothing"
            assert r["paths"] + r["canvases"] + r["markers"] > 0
            assert r["ws_b"] > 0, f"{name} {phase}: no websocket bytes counted"
        assert sample["cold"]["http_b"] > 0 and sample["cold"]["first_s"] > 0
        assert sample["change"]["redraw_s"] > 0
        # the filter change shows fewer projects than the home view
        assert 0 < sample["change"]["projects"] < sample["cold"]["projects"]
        shown[name] = (sample["cold"]["projects"], sample["change"]["projects"],
                       sample["warm"]["projects"])
    # fair: both variants draw the same projects, before and after the filter change
    assert shown["app"] == shown["explore"]
    text = run.read_text(encoding="utf-8")
    assert "what else ran on it" in text and "app / explore" in text


@pytest.fixture(scope="module")
def run_light(tmp_path_factory):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium not installed (make browser)")
    out = tmp_path_factory.mktemp("bench-e2e-light") / "RESULTS-e2e.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.e2e", "--sizes", "real", "--pairs", "1",
         "--variants", "explore", "--light", "explore", "--timeout", "60", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=170,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_light_visit_draws_and_counts_like_the_playwright_visit(run, run_light):
    """The Playwright-free visit (bench/e2e/light.py, for messages too large for Playwright)
    draws the same projects and counts the same bytes (relay vs CDP) within 2 %."""
    def sample(path: Path, variant: str) -> dict:
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        (s,) = data["results"][0]["variants"][variant]["samples"]
        return s

    pw, light = sample(run, "explore"), sample(run_light, "explore")
    for phase in ("cold", "change", "warm"):
        assert "error" not in light[phase], light[phase].get("error")
        assert light[phase]["projects"] == pw[phase]["projects"]
        assert light[phase]["features"] == pw[phase]["features"]
        assert light[phase]["ws_b"] == pytest.approx(pw[phase]["ws_b"], rel=0.02)
    assert light["cold"]["http_b"] == pytest.approx(pw["cold"]["http_b"], rel=0.02)
    assert light["cold"]["first_s"] > 0 and light["change"]["redraw_s"] > 0
