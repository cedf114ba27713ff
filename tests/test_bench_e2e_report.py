"""The end-to-end harness's bookkeeping (bench/e2e/harness.py), without servers or browser:
a baseline not drawn within the timeout is reported as such, its median and the ratio against
it as bounds, never as plain numbers; every server is launched with a raised message limit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.e2e import harness as h

T = 300.0


def drawn(first: float, redraw: float, mb: float = 1.0) -> dict:
    """One round of a variant that drew every phase."""
    ok = {"http_b": 100_000, "ws_b": int(mb * 1e6), "features": 10, "clusters": 1,
          "represented": 20, "projects": 10, "paths": 5, "canvases": 0, "markers": 3}
    return {"cold": {**ok, "first_s": first}, "change": {**ok, "redraw_s": redraw},
            "warm": {**ok, "first_s": first / 2}}


def not_drawn(redraw: float | None) -> dict:
    """One round of a baseline whose map never drew within T (its filter change did or not)."""
    miss = {"http_b": 2_800_000, "ws_b": 2_000, "features": 0, "clusters": 0,
            "error": f"timeout: not drawn within {T:g} s", "not_drawn_within_s": T}
    change = ({**drawn(0, redraw)["change"]} if redraw is not None else dict(miss))
    return {"cold": dict(miss), "change": change, "warm": dict(miss)}


def report(app_rounds: list[dict], base_rounds: list[dict]) -> str:
    meta = {"date": "d", "cores": 2, "memory": "m", "python": "p", "platform": "x",
            "command": "c", "wall_s": 1.0}
    size = {"spec": "100000", "info": {"mix": "plan"},
            "facts": {"projects": 100000, "located": 100000, "geometry": {}, "geojson_bytes": 1,
                      "category": "road", "category_n": 9688},
            "variants": {v: {"samples": r, "summary": h.summarize(r)}
                         for v, r in (("app", app_rounds), ("explore", base_rounds))}}
    return h.render_markdown(meta, [size])


def row(text: str, start: str) -> list[str]:
    (line,) = [x for x in text.splitlines() if x.startswith(start)]
    return [c.strip() for c in line.strip("|").split("|")]


def test_censored_median_is_exact_or_a_lower_bound():
    assert h.censored_median([10.0, 20.0], [T]) == {
        "median": 20.0, "lower_bound": False, "n": 3, "not_drawn": 1}
    got = h.censored_median([10.0], [T, T])
    assert got["median"] == T and got["lower_bound"] is True
    even = h.censored_median([10.0], [T])
    assert even["median"] == pytest.approx(155.0) and even["lower_bound"] is True


def test_a_baseline_never_drawn_is_reported_as_not_drawn_and_ratios_as_bounds():
    text = report([drawn(12.0, 10.0)] * 3, [not_drawn(120.0), not_drawn(None),
                                            not_drawn(150.0)])
    cold = row(text, "| explore | cold |")
    assert cold[2] == "0/3" and cold[6] == "not drawn within 300 s (3/3)"
    change = row(text, "| explore | change |")
    # two changes drew (120 s, 150 s), one did not within T: the median is 150 s, exact
    assert change[2] == "2/3" and change[6] == (
        "150.00 (drawn 120.00–150.00); 1/3 not drawn within 300 s")
    ratios = row(text, "| app / explore |")
    assert ratios[2] == "≤ 0.04 (≥ 25.0× sooner)"  # cold drawn: 12 s vs not within 300 s
    assert ratios[4] == f"{10.0 / 150.0:.2f}"  # filter redraw: exact, no bound needed
    assert ratios[1] == "—" and ratios[5] == "—"  # partial bytes of failed phases: no ratio
    assert "maxMessageSize 2000" in text and "not drawn within T s" in text


def test_the_app_not_drawn_makes_its_ratio_a_lower_bound():
    text = report([not_drawn(5.0)] * 3, [drawn(50.0, 10.0)] * 3)
    ratios = row(text, "| app / explore |")
    assert ratios[2] == f"≥ {T / 50.0:.2f}"


def test_every_server_gets_the_raised_message_limit(monkeypatch, tmp_path: Path):
    seen: list[list[str]] = []

    class Fake:
        def __init__(self, args, **_kw):
            seen.append(list(args))

    monkeypatch.setattr(subprocess, "Popen", Fake)
    for variant in h.VARIANTS:
        h.Server(variant, tmp_path, tmp_path).log.close()
    assert len(seen) == len(h.VARIANTS)
    for args in seen:
        i = args.index("--server.maxMessageSize")
        assert int(args[i + 1]) == h.MAX_MESSAGE_MB >= 1000


def test_a_late_whole_map_is_not_taken_for_the_filter_change():
    prev = (0, 0, 0)  # the cold visit drew no map
    whole = {"maps": 1, "map": {"changed": 20.0, "painted": 21.0, "features": 19_295,
                                "clusters": 0, "represented": 0}}
    road = {"maps": 1, "map": {"changed": 20.0, "painted": 21.0, "features": 2_870,
                               "clusters": 41, "represented": 488}}
    assert h.changed_set_drawn(whole, 10.0, prev)  # without a bound: any change counts
    assert not h.changed_set_drawn(whole, 10.0, prev, h.CHANGED_MAX * 1_950)
    assert h.changed_set_drawn(road, 10.0, prev, h.CHANGED_MAX * 1_950)
    assert not h.changed_set_drawn(road, 25.0, prev, h.CHANGED_MAX * 1_950)  # before the click
    assert not h.changed_set_drawn({"maps": 0, "map": None}, 10.0, prev)
