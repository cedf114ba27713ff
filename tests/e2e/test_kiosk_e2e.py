"""End-to-end: the kiosk page (ui/kiosk_page.py) on a touch screen, landscape 1920x1080 and
portrait 1080x1920, in headless Chromium with ``has_touch``; every non-local request aborted.

Every interactive element (buttons, chips, the map's zoom buttons) is at least 64 px in both
dimensions; the map starts near the top and ends inside the viewport; a tap on a town opens
its projects, a tap on a project its card, a tap on home goes back to the start.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, LOCAL

pytestmark = pytest.mark.e2e

MIN_PX = 64
JINLI = "441204100"
SCREENS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


class Touch:
    """A touch-screen page of the kiosk, recording external requests and page errors."""

    def __init__(self, browser, base: str, size: tuple[int, int]) -> None:
        self.external: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                           locale="zh-CN", has_touch=True)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.base = base

    def _route(self, route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def map_frame(self):
        return self.page.frame_locator('iframe[title="streamlit_folium.st_folium"]')

    def open(self, query: str = "?mode=kiosk") -> None:
        self.page.goto(self.base + "/" + query)
        self.map_frame().locator("#gy-legend").wait_for(timeout=30_000)
        self.page.locator(".st-key-k_home button").wait_for(timeout=30_000)
        self.page.wait_for_timeout(1200)

    def small_targets(self) -> list[tuple[str, float, float]]:
        """Visible interactive elements of the page and the map smaller than MIN_PX."""
        out = []
        for el in self.page.locator("button, [role='button'], [role='tab'], a[href]").all():
            if not el.is_visible():
                continue
            box = el.bounding_box()
            if box and (box["width"] < MIN_PX or box["height"] < MIN_PX):
                out.append((el.inner_text()[:20], box["width"], box["height"]))
        for el in self.map_frame().locator(".leaflet-control-zoom a, #gy-legend summary").all():
            box = el.bounding_box()
            if box and (box["width"] < MIN_PX or box["height"] < MIN_PX):
                out.append(("map control", box["width"], box["height"]))
        return out

    def stay(self) -> None:
        """A small pointer movement: input that restarts the kiosk's idle clock."""
        self._stay = not getattr(self, "_stay", False)
        self.page.mouse.move(5 + self._stay, 5)

    def tap(self, selector: str) -> None:
        """Tap the first element of `selector`. A rerun may replace it between finding and
        tapping (Playwright: "not attached to the DOM"); a person's tap would then land on the
        new element, so the tap is tried again on it (3 times at most)."""
        from playwright.sync_api import Error

        for attempt in range(3):
            loc = self.page.locator(selector).first
            try:
                loc.scroll_into_view_if_needed()
                loc.tap()
                return
            except Error as exc:
                if "not attached" not in str(exc) or attempt == 2:
                    raise
                self.page.wait_for_timeout(300)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(params=list(SCREENS), ids=list(SCREENS))
def touch(request, browser, server):
    t = Touch(browser, server, SCREENS[request.param])
    t.name = request.param
    yield t
    t.close()


def test_kiosk_touch_targets_and_map_above_the_fold(touch):
    touch.open()
    page = touch.page
    width, height = SCREENS[touch.name]
    assert touch.small_targets() == []
    # the controls the kiosk promises, all touch-sized
    sizes = {}
    for name, sel in {"home": ".st-key-k_home button", "group": ".st-key-k_grp_water button",
                      "town": f".st-key-k_town_{JINLI} button",
                      "chip": "[data-testid='stButtonGroup'] button"}.items():
        box = page.locator(sel).first.bounding_box()
        sizes[name] = (round(box["width"]), round(box["height"]))
    zoom = touch.map_frame().locator(".leaflet-control-zoom-in").bounding_box()
    sizes["zoom"] = (round(zoom["width"]), round(zoom["height"]))
    (ARTIFACTS / f"kiosk-targets-{touch.name}.txt").write_text(repr(sizes), encoding="utf-8")
    assert all(w >= MIN_PX and h >= MIN_PX for w, h in sizes.values()), sizes
    # the map: top near the top of the screen, bottom inside the viewport, Leaflet sized to it
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    assert box["y"] < 200, box
    assert box["y"] + box["height"] <= height + 1, box
    assert box["height"] >= (0.8 if touch.name == "landscape" else 0.5) * height, box
    leaflet = touch.map_frame().locator(".leaflet-container").bounding_box()
    assert abs(leaflet["height"] - box["height"]) < 4, (leaflet, box)
    if touch.name == "landscape":
        assert box["width"] < 0.7 * width
    else:
        panel = page.locator(".st-key-k_panel").bounding_box()
        assert panel["y"] >= box["y"] + box["height"] - 1
    # the legend's text is large enough to read standing
    px = touch.map_frame().locator("#gy-legend").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)")
    assert px >= 18
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    assert page.locator('[data-testid="stElementToolbar"]').count() == 0
    assert page.locator('[data-testid="stSidebar"]').count() == 0 or not page.locator(
        '[data-testid="stSidebar"]').is_visible()
    page.screenshot(path=str(ARTIFACTS / f"e2e-kiosk-{touch.name}.png"))
    assert touch.external == [] and touch.errors == []


def test_kiosk_tap_town_project_and_home(touch):
    touch.open()
    page = touch.page
    touch.tap(f".st-key-k_town_{JINLI} button")
    page.locator(".st-key-k_back button").wait_for(timeout=20_000)
    page.wait_for_function("() => window.location.search.includes('view=441204100')",
                           timeout=20_000)
    projects = page.locator("[class*='st-key-k_p_'] button")
    assert projects.count() >= 3
    assert "金利镇" in page.locator(".st-key-k_panel").inner_text()
    touch.tap("[class*='st-key-k_p_'] button")
    card = page.locator(".st-key-k_card")
    card.wait_for(timeout=20_000)
    page.wait_for_timeout(400)  # the dialog's fade-in (the e2e server's idle reset is 4 s)
    # the visitor is reading the card: their pointer moves (on a slow machine these checks
    # take longer than the test server's 4 s idle reset, which would close the card)
    touch.stay()
    page.screenshot(path=str(ARTIFACTS / f"e2e-kiosk-card-{touch.name}.png"))
    touch.stay()
    text = card.inner_text()
    assert "位置:" in text and "None" not in text and "441204" not in text
    assert touch.small_targets() == []
    touch.stay()
    # 关闭 closes the card and the list can be used again
    touch.tap(".st-key-k_close button")
    page.wait_for_function("() => !document.querySelector('.st-key-k_card')", timeout=20_000)
    touch.tap("[class*='st-key-k_p_'] button")
    card.wait_for(timeout=20_000)
    touch.tap(".st-key-k_home button")
    page.locator(".st-key-k_town_all button").wait_for(timeout=20_000)
    page.wait_for_function("() => !window.location.search.includes('view=')", timeout=20_000)
    assert page.locator(".st-key-k_card").count() == 0
    assert page.locator("[class*='st-key-k_p_']").count() == 0
    assert touch.external == [] and touch.errors == []


def test_kiosk_tap_on_map_project_opens_its_card(browser, server):
    t = Touch(browser, server, SCREENS["landscape"])
    try:
        t.open(f"?mode=kiosk&view={JINLI}")  # zoomed on 金利镇: its markers stand apart
        page = t.page
        frame_box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
        xy = t.map_frame().locator("path.gy-p, .gy-p").evaluate_all(
            """els => els.map(e => e.getBoundingClientRect())
                .filter(r => r.width > 4 && r.width < 60 && r.top > 150 && r.left > 120)
                .map(r => [r.left + r.width / 2, r.top + r.height / 2])""")
        assert xy, "no project marker on the map"
        page.touchscreen.tap(frame_box["x"] + xy[0][0], frame_box["y"] + xy[0][1])
        card = page.locator(".st-key-k_card")
        card.wait_for(timeout=20_000)
        assert "位置:" in card.inner_text()
        assert t.external == [] and t.errors == []
    finally:
        t.close()


RECTS_JS = """(sel) => Array.from(document.querySelectorAll(sel))
    .filter(e => !e.closest('.gy-hidden') && e.offsetParent !== null)
    .map(e => { const r = e.getBoundingClientRect();
                return [r.left, r.top, r.right, r.bottom, e.innerText || ''] })
    .filter(r => r[2] - r[0] > 0 && r[3] - r[1] > 0)"""


def _overlap(a, b, tol: float = 1.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > tol) and (min(a[3], b[3]) - max(a[1], b[1]) > tol)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_kiosk_map_reads_cleanly_on_the_real_data(browser, real_server, screen):
    """As drawn in Chromium on the committed data, at the kiosk's default view in both
    orientations: all 17 town labels are shown, none overlaps another label, a project
    marker or a cluster, and the legend covers no label and no marker."""
    t = Touch(browser, real_server, SCREENS[screen])
    try:
        t.open()
        frame = t.page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        body = frame.locator("body")
        body.locator(".gy-tb").first.wait_for(timeout=20_000)
        t.page.wait_for_timeout(800)
        labels = body.evaluate(f"() => ({RECTS_JS})('.gy-tb')")
        marks = body.evaluate(f"() => ({RECTS_JS})('.gy-cluster, .gy-sym')")
        legend = body.evaluate(f"() => ({RECTS_JS})('#gy-legend, #gy-legend > summary')")
        (ARTIFACTS / f"kiosk-rects-{screen}.txt").write_text(
            repr({"labels": labels, "marks": marks, "legend": legend}), encoding="utf-8")
        assert len(labels) == 17, [r[4] for r in labels]
        assert len(marks) >= 5 and len(legend) == 2  # the legend and its fold tab
        clashes = [(a[4], b[4]) for i, a in enumerate(labels) for b in labels[i + 1:]
                   if _overlap(a, b)]
        clashes += [(a[4], "marker " + b[4]) for a in labels for b in marks if _overlap(a, b)]
        clashes += [("legend", a[4]) for a in labels + marks for g in legend if _overlap(g, a)]
        t.page.screenshot(path=str(ARTIFACTS / f"e2e-kiosk-real-{screen}.png"))
        assert clashes == []
        # the leader lines of labels placed outside their town show with them, and hide
        # with them when the map is zoomed out below their zoom
        shown = ("() => Array.from(document.querySelectorAll('path.gy-leader'))"
                 ".filter(e => getComputedStyle(e).display !== 'none').length")
        assert body.locator("path.gy-leader").count() >= 1
        assert body.evaluate(shown) == body.locator("path.gy-leader").count()
        frame.locator(".leaflet-control-zoom-out").tap()
        t.page.wait_for_timeout(900)
        assert body.evaluate(f"() => ({RECTS_JS})('.gy-tb').length") == 0
        assert body.evaluate(shown) == 0
        assert t.external == [] and t.errors == []
    finally:
        t.close()
