"""End-to-end: the app in headless Chromium, offline (every non-local request aborted)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import IDLE_S

pytestmark = pytest.mark.e2e

T3 = "441204101"  # 禄步镇 in the fixture


def test_map_renders_offline_with_features(session):
    session.open()
    fr = session.map_frame()
    assert fr.locator(".leaflet-container").count() == 1
    # the fixture projects placed finer than a town (6 points, 3 lines/areas); the two
    # town-level ones are counted in the shaded towns, two are district-wide, one unlocated
    assert session.data_features() == 9
    assert session.drawn() >= 5
    assert fr.locator(".leaflet-gyTowns-pane path").count() == 3  # shaded town summaries
    assert fr.locator(".gy-tb").count() == 3  # town name + count badges
    assert "模拟边界" in fr.locator("#gy-legend").inner_text()
    assert fr.locator(".leaflet-tile").count() == 0  # no basemap tiles by default
    session.shot("e2e-home")
    assert session.external == [], session.external
    assert session.dialogs == []


def test_filter_changes_drawn_features(session):
    session.open()
    before_data, before_drawn = session.data_features(), session.drawn()
    session.frame().evaluate("() => { window.__gyMounted = 1; }")
    box = session.page.get_by_placeholder(re.compile("例如"))
    box.fill("港")
    box.press("Enter")
    session.page.wait_for_function(
        "() => /q=/.test(window.location.search)", timeout=20_000)
    session.page.wait_for_timeout(1500)
    session.wait_features()
    assert session.data_features() == 2
    assert session.drawn() < before_drawn
    assert before_data == 9
    assert "q=" in session.page.url
    # the map was not re-mounted: only the project layers were swapped
    assert session.frame().evaluate("() => window.__gyMounted") == 1
    session.shot("e2e-filtered")
    assert session.external == []


def test_click_on_town_opens_town_view(session):
    session.open()
    frame = session.frame()
    center_before = frame.evaluate("() => window.map.getCenter().lat")
    xy = frame.evaluate("() => { const p = window.map.latLngToContainerPoint([23.18, 112.36]);"
                        " return [p.x, p.y]; }")
    box = session.page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    session.page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    session.page.wait_for_function(f"() => window.location.search.includes('view={T3}')",
                                   timeout=20_000)
    session.page.get_by_text("禄步镇:区内或穿过的项目").wait_for(timeout=20_000)
    session.page.wait_for_timeout(1500)
    center_after = session.frame().evaluate("() => window.map.getCenter().lat")
    assert center_after == pytest.approx(23.14, abs=0.03)
    assert center_after != pytest.approx(center_before, abs=0.01)
    metric = session.page.locator('[data-testid="stMetric"]').filter(has_text="该镇街项目数")
    assert metric.locator('[data-testid="stMetricValue"]').inner_text() == "3"
    session.shot("e2e-town")
    assert session.external == []


def test_kiosk_hides_controls_and_returns_home(session):
    session.open("?mode=kiosk&lang=en&view=441204001")
    page = session.page
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    assert not page.locator('[data-testid="stMainMenu"]').is_visible()
    assert not page.locator('[data-testid="stToolbar"]').is_visible()
    assert page.get_by_role("tab", name="Export").count() == 0
    session.shot("e2e-kiosk")
    page.mouse.move(300, 300)
    # after IDLE_S seconds without input the kiosk goes back to its home view (Chinese)
    page.wait_for_function("() => window.location.search === '?mode=kiosk'",
                           timeout=(IDLE_S + 15) * 1000)
    page.get_by_text("高要区“十四五”规划项目地图").wait_for(timeout=20_000)
    assert session.external == []


def test_kiosk_does_not_reset_while_the_app_runs(session):
    """A visitor waiting for a slow run is not idle: while Streamlit marks a run as going on,
    the kiosk keeps the view; IDLE_S after the run ends it goes home."""
    session.open("?mode=kiosk&view=441204001")
    page = session.page
    mark = ("s => document.querySelector('[data-testid=\"stApp\"]')"
            ".setAttribute('data-test-script-state', s)")
    page.evaluate(mark, "running")     # as Streamlit does while a run goes on
    page.mouse.move(300, 300)
    page.wait_for_timeout((IDLE_S + 3) * 1000)
    assert "view=441204001" in page.evaluate("() => window.location.search")
    page.evaluate(mark, "notRunning")
    page.wait_for_function("() => window.location.search === '?mode=kiosk'",
                           timeout=(IDLE_S + 15) * 1000)
    assert session.external == []


def test_hostile_text_is_shown_as_text(session):
    session.open("?q=hostile-xss")
    assert session.data_features() == 1
    frame = session.frame()
    frame.evaluate(
        """() => {
            const walk = (l) => {
                if (l.feature && l.feature.properties && l.feature.properties.pid) {
                    l.openPopup ? l.openPopup() : null; l.openTooltip && l.openTooltip();
                }
                if (l.getLayers) l.getLayers().forEach(walk);
            };
            (window.feature_group || []).filter((fg) => window.map.hasLayer(fg)).forEach(walk);
        }"""
    )
    popup = session.map_frame().locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    assert "<img src=x onerror=alert(1)>" in text
    assert "</script><script>window.__xss=1</script>" in text
    assert popup.locator("img").count() == 0 and popup.locator("script").count() == 0
    session.page.wait_for_timeout(500)
    assert frame.evaluate("() => window.__xss === undefined")
    assert session.page.evaluate("() => window.__xss === undefined")
    assert session.dialogs == []
    session.shot("e2e-hostile")
    assert session.external == []


def test_off_map_list_opens_with_its_projects(session):
    """The district-wide list is built when its popover opens (issue 13: not sent with every
    run of the page); opening it does not re-mount the map."""
    session.open()
    session.frame().evaluate("() => { window.__gyMounted = 1; }")
    page = session.page
    assert page.locator('[data-testid="stPopoverBody"] [data-testid="stDataFrame"]').count() == 0
    page.get_by_role("button", name=re.compile("全区 2 项")).click()
    body = page.locator('[data-testid="stPopoverBody"]')
    body.locator('[data-testid="stDataFrame"]').wait_for(timeout=20_000)
    assert "只知位于高要区内" in body.inner_text()  # acct.district_note
    session.shot("e2e-district-list")
    assert session.frame().evaluate("() => window.__gyMounted") == 1
    assert session.external == []
