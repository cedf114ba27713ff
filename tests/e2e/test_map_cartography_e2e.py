"""End-to-end (issue 10) on the committed data at the desktop default size (1400 x 1000):
at the default zoom no two project markers (symbols, cluster icons) overlap, all 17 town
labels (``.gy-tb``) are shown and none lies under a marker or on another label or chips
row; the town summaries answer a hover with their count and a click on a badge opens the
town view, a click on a cluster does not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

_BOXES = """() => {
    const map = document.querySelector('.leaflet-container').getBoundingClientRect();
    const inside = (r) => r.width > 0 && r.height > 0 && r.right > map.left
        && r.left < map.right && r.bottom > map.top && r.top < map.bottom;
    const boxes = (sel) => Array.from(document.querySelectorAll(sel))
        .filter((e) => !e.closest('.gy-hidden') && getComputedStyle(e).display !== 'none')
        .map((e) => e.getBoundingClientRect()).filter(inside)
        .map((r) => [r.left, r.top, r.right, r.bottom]);
    return {labels: boxes('.gy-tb > div:first-child'),
            chips: boxes('.gy-tb > span'),
            markers: boxes('.gy-sym, .gy-cluster div')};
}"""


def overlap(a, b, tol: float = 1.0) -> bool:
    """True when boxes a and b (left, top, right, bottom) overlap by more than `tol` px."""
    return (min(a[2], b[2]) - max(a[0], b[0]) > tol
            and min(a[3], b[3]) - max(a[1], b[1]) > tol)


def test_markers_and_labels_do_not_overlap_at_default_zoom(real_session):
    real_session.page.set_viewport_size({"width": 1400, "height": 1000})
    real_session.open()
    real_session.page.wait_for_timeout(1500)
    boxes = real_session.frame().evaluate(_BOXES)
    labels, markers = boxes["labels"], boxes["markers"]
    assert len(labels) == 17 and len(markers) >= 3, boxes  # no town label hidden
    bad = [(a, b) for i, a in enumerate(markers) for b in markers[i + 1:] if overlap(a, b)]
    assert bad == [], f"markers overlap: {bad}"
    hidden = [(lab, m) for lab in labels for m in markers if overlap(lab, m)]
    assert hidden == [], f"town label under a marker: {hidden}"
    texts = labels + boxes["chips"]
    clash = [(a, b) for i, a in enumerate(texts) for b in texts[i + 1:] if overlap(a, b)]
    clash += [(c, m) for c in boxes["chips"] for m in markers if overlap(c, m)]
    assert clash == [], f"labels/chips overlap: {clash}"
    real_session.shot("e2e-cartography-default-zoom")
    assert real_session.external == []


def test_town_badge_hover_shows_count_and_click_opens_town_view(real_session):
    real_session.open()
    fr = real_session.map_frame()
    badge = fr.locator(".gy-tb").filter(has_text="金利镇").first
    badge.hover()
    tip = fr.locator(".leaflet-tooltip").filter(has_text="金利镇")
    tip.first.wait_for(timeout=5_000)
    assert "镇级项目" in tip.first.inner_text()
    badge.click()
    real_session.page.get_by_text("金利镇", exact=False).first.wait_for(timeout=10_000)
    real_session.page.wait_for_function(
        "() => new URLSearchParams(location.search).get('view') === '441204115'",
        timeout=20_000)


def test_town_polygon_hover_shows_count(real_session):
    real_session.open()
    frame = real_session.frame()
    xy = frame.evaluate("""() => {
        const out = [];
        window.map.eachLayer((l) => {
            const p = l.feature && l.feature.properties;
            if (p && p.town_code && !p.badge && l._path) out.push(l);
        });
        const r = window.map.getContainer().getBoundingClientRect();
        for (const l of out) {
            const b = l.getBounds();
            for (let i = 1; i < 8; i++) for (let j = 1; j < 8; j++) {
                const ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * i / 8,
                                    b.getWest() + (b.getEast() - b.getWest()) * j / 8);
                const pt = window.map.latLngToContainerPoint(ll);
                const x = r.left + pt.x, y = r.top + pt.y;
                if (document.elementFromPoint(x, y) === l._path) {
                    return [x, y, l.feature.properties.tip];
                }
            }
        }
        return null;
    }""")
    assert xy, "no town polygon reachable"
    box = real_session.page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    x, y = box["x"] + xy[0], box["y"] + xy[1]
    real_session.page.mouse.move(x - 5, y - 5)
    real_session.page.mouse.move(x, y, steps=3)
    tip = real_session.map_frame().locator(".leaflet-tooltip")
    tip.first.wait_for(timeout=5_000)
    assert "镇级项目" in tip.first.inner_text() or "town-level" in tip.first.inner_text()


def test_cluster_click_does_not_open_a_town_view(real_session):
    real_session.open()
    fr = real_session.map_frame()
    cluster = fr.locator(".gy-cluster").first
    cluster.wait_for(timeout=10_000)
    cluster.click()
    real_session.page.wait_for_timeout(2500)
    assert real_session.page.evaluate(
        "() => new URLSearchParams(location.search).get('view')") is None
