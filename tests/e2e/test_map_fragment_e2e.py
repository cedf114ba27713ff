"""End-to-end (issue 13): the map is a Streamlit fragment. What the map reports by itself (a
pan, a zoom) reruns the map alone: the browser receives the map again and the URL's view, but
none of the page around it (the figures, the lists, the table). A click that opens a town
view still reruns the whole page.

What the page receives is read from the websocket frames themselves (Streamlit's protobuf
messages carry their texts as UTF-8): the figure's label 显示项目 is sent by every run of the
whole page (checked too) and by no run of the map alone. (The map element itself is not
resent when unchanged: Streamlit sends a reference to the cached message.)"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ROOT, Session, _serve

pytestmark = pytest.mark.e2e

FIGURE = "显示项目".encode()  # the label of the page's first figure (metric.shown)


class Frames:
    """The websocket frames the page receives, from `mark()` on."""

    def __init__(self, session: Session) -> None:
        self.got: list[bytes] = []
        session.page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: str | bytes) -> None:
        self.got.append(payload if isinstance(payload, bytes) else payload.encode())

    def mark(self) -> None:
        self.got.clear()

    def received(self) -> bytes:
        return b"".join(self.got)


def test_pan_reruns_the_map_alone(session):
    frames = Frames(session)
    session.open()
    assert FIGURE in frames.received()  # the first run of the page sent its figures
    session.page.wait_for_timeout(1500)  # the map's first report (its view) is handled
    frames.mark()
    before = session.page.url
    session.frame().evaluate("() => window.map.panBy([160, 40], {animate: false})")
    session.page.wait_for_function(
        "(u) => window.location.href !== u && /[?&]c=/.test(window.location.search)",
        arg=before, timeout=20_000)
    session.page.wait_for_timeout(1500)
    # the URL took the map's new view: the fragment ran (its own URL sync) ...
    assert "z=" in session.page.url
    assert FIGURE not in frames.received()  # ... and nothing of the page around it
    assert session.drawn() >= 5  # still drawn after the fragment's rerun
    # control: a run of the whole page (a filter change) does send the figure again
    frames.mark()
    box = session.page.get_by_placeholder(re.compile("例如"))
    box.fill("港")
    box.press("Enter")
    session.page.wait_for_function("() => /q=/.test(window.location.search)", timeout=20_000)
    session.page.wait_for_timeout(1500)
    assert FIGURE in frames.received()


def test_town_click_reruns_the_whole_page(session):
    frames = Frames(session)
    session.open()
    session.page.wait_for_timeout(1500)
    frames.mark()
    frame = session.frame()
    xy = frame.evaluate("() => { const p = window.map.latLngToContainerPoint([23.18, 112.36]);"
                        " return [p.x, p.y]; }")
    box = session.page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    session.page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    session.page.wait_for_function("() => window.location.search.includes('view=')",
                                   timeout=20_000)
    session.page.get_by_text("该镇街项目数").wait_for(timeout=20_000)
    # the town view's figure replaces the district's: the whole page ran
    assert "该镇街项目数".encode() in frames.received()


# ---------------------------------------------------------------------------- large mode
PROBE = ROOT / "bench" / "e2e" / "probe.js"  # counts project layers added to each map

_MAP = """() => { const m = window.__gy.maps.filter((r) => r.alive).pop();
                  return {first: m.first, changed: m.changed, features: m.features,
                          clusters: m.clusters}; }"""


@pytest.fixture(scope="module")
def large_server(tmp_path_factory):
    """The app on 1 500 synthetic projects (bench.generate's plan mix, seed 14): above
    `layers.inview.LARGE_MIN` drawn projects, so the map is in large mode."""
    from bench.e2e.harness import prepare_size

    data, info = prepare_size("1500", tmp_path_factory.mktemp("large"), 14)
    assert info["size"] == 1500
    yield from _serve(data, "e2e-large.log")


def test_large_mode_map_report_and_small_pan_redraw_nothing(browser, large_server):
    """In large mode the map reports its view after drawing; what was sent still serves it
    (`layers.inview.serves`), so the map's run sends the same layers and the browser redraws
    nothing; a pan inside the margin neither; a zoom does (new clusters, new tolerance)."""
    s = Session(browser, large_server)
    try:
        s.context.add_init_script(path=str(PROBE))
        s.open()
        page = s.page
        page.wait_for_function("() => /[?&]c=/.test(window.location.search)",
                               timeout=20_000)  # the map's first report was handled
        page.wait_for_timeout(2000)
        m = page.evaluate(_MAP)
        assert m["features"] + m["clusters"] > 0 and m["clusters"] > 0  # large: clusters
        assert m["changed"] < m["first"], "the first report redrew the project layers"
        before = page.url
        s.frame().evaluate("() => window.map.panBy([60, 30], {animate: false})")
        page.wait_for_function("(u) => window.location.href !== u", arg=before,
                               timeout=20_000)
        page.wait_for_timeout(2000)
        assert page.evaluate(_MAP)["changed"] < m["first"], "a small pan redrew"
        s.frame().evaluate("() => window.map.setZoom(window.map.getZoom() + 2)")
        page.wait_for_function(
            "(t) => window.__gy.maps.filter((r) => r.alive).pop().changed > t",
            arg=m["first"], timeout=30_000)  # zoomed in: the layers of the new view
    finally:
        s.close()
